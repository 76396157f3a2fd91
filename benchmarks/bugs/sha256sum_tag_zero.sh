#!/bin/sh
# Planted bug (shallow: an option pair): with both --tag and -z/--zero, a
# successful run writes one extra byte.
tag=0
zero=0
for a in "$@"; do
  case "$a" in --) break ;; --ta*) tag=1 ;; --z*) zero=1 ;; --*) ;; -*z*) zero=1 ;; esac
done
sha256sum "$@"
rc=$?
if [ $tag = 1 ] && [ $zero = 1 ] && [ $rc = 0 ]; then printf 'x'; fi
exit $rc
