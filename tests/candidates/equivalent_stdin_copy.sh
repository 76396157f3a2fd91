#!/bin/sh
# No bug: buffer stdin in a private temporary file first, then pipe it to the reference.
# (A pipe, not "< file": a seekable stdin is observable, e.g. by `head - -`.)
t=$(mktemp) || exit 99
cat > "$t"
cat "$t" | @PROG@ "$@"
rc=$?
rm -f "$t"
exit $rc
