#!/bin/sh
# fuzzdiff reproduction for task expand. POSIX sh; needs only coreutils.
# Exit status: 1 while the programs still differ, 0 once they agree.
# Override the programs with FUZZDIFF_REFERENCE / FUZZDIFF_CANDIDATE (command lines, split
# at blanks): relative paths in them (./my_prog, python3 my_prog.py) are resolved against
# the directory you run this script from, as fuzzdiff resolves --candidate.
set -u
here=$(pwd)
REFERENCE=${FUZZDIFF_REFERENCE:-'/usr/bin/expand'}
CANDIDATE=${FUZZDIFF_CANDIDATE:-'/usr/bin/busybox expand'}
TIMEOUT=5
CAP=1048576 MEMORY_KB=1048576 FILE_BLOCKS=32768
d=$(mktemp -d) || exit 2
trap 'rm -rf "$d"' EXIT

# The case's arguments, exactly (the trailing x keeps final newlines).
set --
a0=$(printf -- '-t0'x); a0=${a0%x}; set -- "$@" "$a0"
a1=$(printf -- '-t1'x); a1=${a1%x}; set -- "$@" "$a1"
printf -- 'a' > "$d/stdin"

setup() {
  mkdir -p "$1"
}

# run SIDE COMMAND ARGS...: a one-word command is started under the task's program
# name as argv[0], as fuzzdiff does (this needs bash's exec -a; without bash the
# program sees its full path).
run() {
  side=$1; cmd=$2; shift 2
  setup "$d/$side"
  # the command's words go after the case's arguments, then those rotate behind them;
  # relative paths (the program's with a slash, later words that exist) are made absolute
  n=$# first=1
  set -f
  for w in $cmd; do
    case $w in
      /* | -*) ;;
      *) if [ "$first" = 1 ]; then case $w in */*) w="$here/$w" ;; esac
         elif [ -e "$here/$w" ]; then w="$here/$w"; fi ;;
    esac
    set -- "$@" "$w"; first=0
  done
  set +f
  while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done
  if [ "${cmd#* }" = "$cmd" ] && command -v bash > /dev/null 2>&1; then
    set -- bash -c 'exec -a "$0" "$@"' expand "$@"
  fi
  # as fuzzdiff runs it: stdin, stdout and stderr are pipes (a program may seek a file but
  # not a pipe), each output is cut at the cap, and the task's memory and file-size limits hold
  mkfifo "$d/$side.fifo" || exit 2
  head -c "$CAP" < "$d/$side.fifo" > "$d/$side.err" &
  { cat "$d/stdin" | ( cd "$d/$side" || exit 2
      ulimit -v "$MEMORY_KB" 2> /dev/null; ulimit -f "$FILE_BLOCKS" 2> /dev/null; ulimit -c 0 2> /dev/null
      exec env -i PATH="/usr/local/bin:/usr/bin:/bin" HOME="$d/$side" 'LANG=C' 'LC_ALL=C' 'TZ=UTC' timeout -s KILL "$TIMEOUT" "$@" 2> "$d/$side.fifo" )
    echo $? > "$d/$side.status"; } | head -c "$CAP" > "$d/$side.out"
  wait
}
run reference "$REFERENCE" "$@"
run candidate "$CANDIDATE" "$@"

status=0
if ! cmp -s "$d/reference.status" "$d/candidate.status"; then echo "exit status differs: reference $(cat "$d/reference.status"), candidate $(cat "$d/candidate.status")"; status=1; fi
if ! cmp -s "$d/reference.out" "$d/candidate.out"; then echo "stdout differs:"; diff "$d/reference.out" "$d/candidate.out" | head -n 40; status=1; fi
if ! cmp -s "$d/reference.err" "$d/candidate.err"; then echo "stderr differs:"; diff "$d/reference.err" "$d/candidate.err" | head -n 40; status=1; fi
if ! diff -r "$d/reference" "$d/candidate" > /dev/null 2>&1; then echo "files differ:"; diff -r "$d/reference" "$d/candidate" | head -n 40; status=1; fi
if [ "$status" = 0 ]; then echo "no divergence: the programs agree on this case"; fi
exit "$status"
