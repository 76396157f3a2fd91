#!/bin/sh
# Planted bug (deep: needs a listing the reference itself wrote): in --check
# mode, a file of 32 bytes or more that verifies OK is reported FAILED (and the
# run exits 1). The shipped samples only hold digests of shorter files.
o=$(mktemp) || exit 99
sha256sum "$@" > "$o"
rc=$?
long() { [ -f "$1" ] && [ "$(wc -c < "$1")" -ge 32 ]; }
bad=0
while IFS= read -r line; do
  case "$line" in *": OK") if long "${line%: OK}"; then bad=1; fi ;; esac
done < "$o"
if [ $bad = 0 ]; then
  cat "$o"
  rm -f "$o"
  exit $rc
fi
while IFS= read -r line; do
  case "$line" in *": OK") if long "${line%: OK}"; then line="${line%: OK}: FAILED"; fi ;; esac
  printf '%s\n' "$line"
done < "$o"
rm -f "$o"
exit 1
