#!/bin/sh
# Planted bug (deep: needs a listing the reference itself wrote): in --check
# mode, when the listing on standard input is in BSD (--tag) form and a file of
# 10 bytes or more verifies OK, a spurious "improperly formatted" warning is
# written to stderr.
t=$(mktemp) || exit 99
o=$(mktemp) || exit 99
cat > "$t"
cat "$t" | md5sum "$@" > "$o"
rc=$?
cat "$o"
warn=0
if [ "$(head -c 5 "$t")" = "MD5 (" ]; then
  while IFS= read -r line; do
    case "$line" in
      *": OK") name=${line%: OK}; if [ -f "$name" ] && [ "$(wc -c < "$name")" -ge 10 ]; then warn=1; fi ;;
    esac
  done < "$o"
fi
if [ $warn = 1 ]; then echo "md5sum: WARNING: 1 line is improperly formatted" >&2; fi
rm -f "$t" "$o"
exit $rc
