#!/bin/sh
# Planted bug (content-dependent): when standard input holds three or more
# newlines, one extra byte is written after the reference's output.
t=$(mktemp) || exit 99
cat > "$t"
cat "$t" | @PROG@ "$@"
rc=$?
if [ "$(tr -cd '\n' < "$t" | wc -c)" -ge 3 ]; then printf 'x'; fi
rm -f "$t"
exit $rc
