#!/bin/sh
# Planted bug (option-dependent): with @SHORT@ or @LONG@ given as its own word,
# one extra byte is written after the reference's output.
@PROG@ "$@"
rc=$?
for a in "$@"; do
  if [ "$a" = "@SHORT@" ] || [ "$a" = "@LONG@" ]; then printf 'x'; break; fi
done
exit $rc
