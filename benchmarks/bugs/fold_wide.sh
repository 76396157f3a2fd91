#!/bin/sh
# Planted bug (deep: a width far past the declared range, and a long line): a
# width from 1000 up to 18 digits is ignored and lines are folded at 80.
big=0
prev=
for a in "$@"; do
  v=
  case "$prev" in -w | --w | --wi | --wid | --widt | --width) v=$a ;; esac
  case "$a" in --w*=*) v=${a#*=} ;; -w?*) v=${a#-w} ;; -[bs]*w?*) v=${a#*w} ;; esac
  case "$v" in '' | *[!0-9]*) ;; *) if [ ${#v} -le 18 ] && [ "$v" -ge 1000 ]; then big=1; fi ;; esac
  prev=$a
done
o=$(mktemp) || exit 99
fold "$@" > "$o"
rc=$?
if [ $big = 1 ] && [ $rc = 0 ]; then fold -w 80 "$o"; else cat "$o"; fi
rm -f "$o"
exit $rc
