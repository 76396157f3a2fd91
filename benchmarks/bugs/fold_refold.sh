#!/bin/sh
# Planted bug (deep: input shaped like the reference's own output): with a
# width W of 8 or more given with -w, when standard input holds three or more
# lines exactly W bytes long (what fold -w W itself writes), an extra newline
# is written at the end.
w=
prev=
for a in "$@"; do
  case "$prev" in -w | --w | --wi | --wid | --widt | --width) w=$a ;; esac
  case "$a" in --w*=*) w=${a#*=} ;; -w?*) w=${a#-w} ;; esac
  prev=$a
done
t=$(mktemp) || exit 99
cat > "$t"
fold "$@" < "$t"
rc=$?
case "$w" in '' | *[!0-9]*) w=0 ;; esac
n=0
if [ ${#w} -le 4 ] && [ "$w" -ge 8 ] && [ $rc = 0 ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    [ ${#line} -eq "$w" ] && n=$((n + 1))
  done < "$t"
fi
if [ $n -ge 3 ]; then echo; fi
rm -f "$t"
exit $rc
