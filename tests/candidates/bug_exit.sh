#!/bin/sh
# Planted bug (exit status only): a failing run with two or more arguments
# exits with status one higher than the reference's; output is untouched.
@PROG@ "$@"
rc=$?
if [ $rc -ne 0 ] && [ $# -ge 2 ]; then exit $((rc + 1)); fi
exit $rc
