#!/bin/sh
# Planted bug (shallow: an option pair): with both -d and -c (or -C), a
# successful run writes one extra newline.
d=0
c=0
for a in "$@"; do
  case "$a" in
    --) break ;; --d*) d=1 ;; --co*) c=1 ;; --*) ;;
    -*) case "$a" in *d*) d=1 ;; esac; case "$a" in *[cC]*) c=1 ;; esac ;;
  esac
done
tr "$@"
rc=$?
if [ $d = 1 ] && [ $c = 1 ] && [ $rc = 0 ]; then echo; fi
exit $rc
