#!/bin/sh
# Planted bug (deep: a run longer than generated text holds): with
# -s/--squeeze-repeats, when standard input holds a run of 40 or more identical
# bytes, the output loses its last byte.
t=$(mktemp) || exit 99
o=$(mktemp) || exit 99
cat > "$t"
sq=0
for a in "$@"; do case "$a" in --) break ;; --s*) sq=1 ;; --*) ;; -*s*) sq=1 ;; esac; done
tr "$@" < "$t" > "$o"
rc=$?
n=$(wc -c < "$o")
if [ $sq = 1 ] && [ "$n" -gt 0 ] && LC_ALL=C grep -aqE '(.)\1{39}' "$t"; then head -c $((n - 1)) "$o"; else cat "$o"; fi
rm -f "$t" "$o"
exit $rc
