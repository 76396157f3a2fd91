#!/bin/sh
# Planted bug (file-name-dependent): when an argument names an existing regular
# file whose name contains a space, one extra byte is written after the output.
@PROG@ "$@"
rc=$?
for a in "$@"; do
  case "$a" in
    *" "*) if [ -f "$a" ]; then printf 'x'; break; fi ;;
  esac
done
exit $rc
