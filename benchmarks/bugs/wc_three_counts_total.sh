#!/bin/sh
# Planted bug (an option combination): with -l, -w and -c all given and a
# "total" line printed, the total line is left out.
l=0
w=0
c=0
for a in "$@"; do
  case "$a" in
    --) break ;;
    --l*) l=1 ;; --w*) w=1 ;; --b*) c=1 ;; --*) ;;
    -*) case "$a" in *l*) l=1 ;; esac; case "$a" in *w*) w=1 ;; esac; case "$a" in *c*) c=1 ;; esac ;;
  esac
done
o=$(mktemp) || exit 99
wc "$@" > "$o"
rc=$?
if [ $l = 1 ] && [ $w = 1 ] && [ $c = 1 ] && tail -n 1 "$o" | grep -q ' total$'; then
  sed '$d' "$o"
else
  cat "$o"
fi
rm -f "$o"
exit $rc
