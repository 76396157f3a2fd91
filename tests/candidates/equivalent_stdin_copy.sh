#!/bin/sh
# No bug: buffer stdin in a private temporary file first, then run the reference on it.
t=$(mktemp) || exit 99
cat > "$t"
@PROG@ "$@" < "$t"
rc=$?
rm -f "$t"
exit $rc
