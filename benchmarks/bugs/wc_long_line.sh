#!/bin/sh
# Planted bug (deep: a line longer than generated text lines): with
# -L/--max-line-length, when some count printed is 100 or more, the first
# output line gains a trailing space.
maxlen=0
for a in "$@"; do case "$a" in --) break ;; --m*) maxlen=1 ;; --*) ;; -*L*) maxlen=1 ;; esac; done
o=$(mktemp) || exit 99
wc "$@" > "$o"
rc=$?
big=0
while read -r first _; do
  case "$first" in '' | *[!0-9]*) ;; *) [ ${#first} -gt 3 ] || [ "$first" -ge 100 ] && big=1 ;; esac
done < "$o"
if [ $maxlen = 1 ] && [ $big = 1 ]; then
  sed '1s/$/ /' "$o"
else
  cat "$o"
fi
rm -f "$o"
exit $rc
