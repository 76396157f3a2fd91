#!/bin/sh
# Planted bug (deep: a line longer than generated text lines): with
# -L/--max-line-length, when some count printed is 100 or more, the first
# output line gains a trailing space.
maxlen=0
for a in "$@"; do case "$a" in --) break ;; --m*) maxlen=1 ;; --*) ;; -*L*) maxlen=1 ;; esac; done
o=$(mktemp) || exit 99
wc "$@" > "$o"
rc=$?
if [ $maxlen = 1 ] && awk '$1 + 0 >= 100 { f = 1 } END { exit !f }' "$o"; then
  sed '1s/$/ /' "$o"
else
  cat "$o"
fi
rm -f "$o"
exit $rc
