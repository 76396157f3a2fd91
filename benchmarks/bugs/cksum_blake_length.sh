#!/bin/sh
# Planted bug (an option pair with values): with --algorithm blake2b and
# --length 128, a successful run's output is upper-cased.
blake=0
len=0
prev=
for a in "$@"; do
  v=
  case "$prev" in -a | --a | --al | --alg | --algo | --algor | --algori | --algorit | --algorith | --algorithm) v=a:$a ;; esac
  case "$prev" in -l | --le | --len | --leng | --lengt | --length) v=l:$a ;; esac
  case "$a" in --a*=*) v=a:${a#*=} ;; --le*=*) v=l:${a#*=} ;; -a?*) v=a:${a#-a} ;; -l?*) v=l:${a#-l} ;; esac
  case "$v" in a:blake2b) blake=1 ;; l:128) len=1 ;; esac
  prev=$a
done
o=$(mktemp) || exit 99
cksum "$@" > "$o"
rc=$?
if [ $blake = 1 ] && [ $len = 1 ] && [ $rc = 0 ]; then tr a-z A-Z < "$o"; else cat "$o"; fi
rm -f "$o"
exit $rc
