#!/bin/sh
# Planted bug (deep: a value far past the declared range): a line or byte count
# written as a plain number from 2^31 up to 18 digits is taken as 0, so nothing
# is printed.
big=0
for a in "$@"; do
  for n in $(printf '%s\n' "$a" | tr -c '0-9' ' '); do
    if [ ${#n} -ge 10 ] && [ ${#n} -le 18 ] && [ "$n" -ge 2147483648 ]; then big=1; fi
  done
done
if [ $big = 1 ]; then
  head "$@" > /dev/null
  exit $?
fi
exec head "$@"
