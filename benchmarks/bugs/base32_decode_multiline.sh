#!/bin/sh
# Planted bug (deep: only valid long input reaches it): when decoding succeeds
# with 48 or more decoded bytes (more than one wrapped line of base32), the
# candidate reports "invalid input" and exits 1.
decode=0
for a in "$@"; do case "$a" in --) break ;; --d*) decode=1 ;; --*) ;; -w*) ;; -*d*) decode=1 ;; esac; done
o=$(mktemp) || exit 99
base32 "$@" > "$o"
rc=$?
n=$(wc -c < "$o")
if [ $decode = 1 ] && [ $rc = 0 ] && [ "$n" -ge 48 ]; then
  echo "base32: invalid input" >&2
  rc=1
else
  cat "$o"
fi
rm -f "$o"
exit $rc
