#!/bin/sh
# Planted bug (shallow): with -v/--verbose and no operand (standard input), the
# "==> standard input <==" header is left out.
v=0
ops=0
for a in "$@"; do
  case "$a" in --v*) v=1 ;; --*) ;; -[!nc]*) case "$a" in *v*) v=1 ;; esac ;; -) ops=1 ;; -*) ;; *) ops=1 ;; esac
done
o=$(mktemp) || exit 99
head "$@" > "$o"
rc=$?
if [ $v = 1 ] && [ $ops = 0 ]; then sed '1{/^==> standard input <==$/d}' "$o"; else cat "$o"; fi
rm -f "$o"
exit $rc
