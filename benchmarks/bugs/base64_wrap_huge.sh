#!/bin/sh
# Planted bug (deep: a value far past the declared range): a wrap width of
# 65536 or more (up to 18 digits) is ignored and lines are wrapped at 76.
big=0
prev=
for a in "$@"; do
  v=
  case "$prev" in -w | --w | --wr | --wra | --wrap) v=$a ;; esac
  case "$a" in --w*=*) v=${a#*=} ;; -w?*) v=${a#-w} ;; esac
  case "$v" in '' | *[!0-9]*) ;; *) if [ ${#v} -le 18 ] && [ "$v" -ge 65536 ]; then big=1; fi ;; esac
  prev=$a
done
o=$(mktemp) || exit 99
base64 "$@" > "$o"
rc=$?
if [ $big = 1 ] && [ $rc = 0 ]; then fold -w 76 "$o"; else cat "$o"; fi
rm -f "$o"
exit $rc
