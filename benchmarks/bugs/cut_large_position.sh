#!/bin/sh
# Planted bug (deep: a value far past the declared range): a position or field
# number from 1000 up to 18 digits makes the candidate fail with "field number
# is too large", where the reference accepts it.
o=$(mktemp) || exit 99
cut "$@" > "$o"
rc=$?
big=0
for a in "$@"; do
  for n in $(printf '%s\n' "$a" | tr -c '0-9' ' '); do
    if [ ${#n} -ge 4 ] && [ ${#n} -le 18 ] && [ "$n" -ge 1000 ]; then big=1; fi
  done
done
if [ $big = 1 ] && [ $rc = 0 ]; then
  echo "cut: field number is too large" >&2
  rm -f "$o"
  exit 1
fi
cat "$o"
rm -f "$o"
exit $rc
