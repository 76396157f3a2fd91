#!/bin/sh
# Planted bug (stderr only): when the reference writes to stderr and some
# argument starts with "--", the first stderr line gains a leading '!'.
e=$(mktemp) || exit 99
@PROG@ "$@" 2> "$e"
rc=$?
long=0
for a in "$@"; do case "$a" in --*) long=1 ;; esac; done
if [ $long = 1 ] && [ -s "$e" ]; then sed '1s/^/!/' "$e" >&2; else cat "$e" >&2; fi
rm -f "$e"
exit $rc
