#!/bin/sh
# Planted bug (shallow): decoding with --ignore-garbage fails (status 1) when
# standard input contains a '!'.
t=$(mktemp) || exit 99
cat > "$t"
ig=0
for a in "$@"; do case "$a" in --) break ;; --i*) ig=1 ;; --*) ;; -w*) ;; -*i*) ig=1 ;; esac; done
cat "$t" | base64 "$@"
rc=$?
if [ $ig = 1 ] && [ $rc = 0 ] && grep -q '!' "$t"; then rc=1; fi
rm -f "$t"
exit $rc
