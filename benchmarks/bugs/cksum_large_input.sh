#!/bin/sh
# Planted bug (deep: an input past the generator's size): with no options, an
# input of 1024 bytes or more gets a byte count one too small.
for a in "$@"; do case "$a" in -?*) exec cksum "$@" ;; esac; done
o=$(mktemp) || exit 99
cksum "$@" > "$o"
rc=$?
big=0
while read -r _ size _; do
  case "$size" in '' | *[!0-9]*) ;; *) [ ${#size} -gt 4 ] || [ "$size" -ge 1024 ] && big=1 ;; esac
done < "$o"
if [ $big = 0 ]; then
  cat "$o"
  rm -f "$o"
  exit $rc
fi
while IFS= read -r line; do
  crc=${line%% *}
  rest=${line#* }
  size=${rest%% *}
  case "$size" in
    '' | *[!0-9]*) printf '%s\n' "$line" ;;
    *) if [ "$size" -ge 1024 ]; then printf '%s %s%s\n' "$crc" $((size - 1)) "${rest#"$size"}"; else printf '%s\n' "$line"; fi ;;
  esac
done < "$o"
rm -f "$o"
exit $rc
