#!/bin/sh
# Planted bug (deep: only valid long input reaches it): when decoding succeeds
# and the decoded output is 150 bytes or more, its last byte is dropped.
decode=0
for a in "$@"; do case "$a" in --) break ;; --d*) decode=1 ;; --*) ;; -w*) ;; -*d*) decode=1 ;; esac; done
o=$(mktemp) || exit 99
base64 "$@" > "$o"
rc=$?
n=$(wc -c < "$o")
if [ $decode = 1 ] && [ $rc = 0 ] && [ "$n" -ge 150 ]; then head -c $((n - 1)) "$o"; else cat "$o"; fi
rm -f "$o"
exit $rc
