#!/bin/sh
# Planted bug (an option combination): -s/--only-delimited together with
# --output-delimiter and --complement: a successful run writes one extra newline.
s=0
od=0
cm=0
for a in "$@"; do
  case "$a" in
    --) break ;; --on*) s=1 ;; --ou*) od=1 ;; --co*) cm=1 ;; --*) ;;
    -[!dfbc]*) case "$a" in *s*) s=1 ;; esac ;;
  esac
done
cut "$@"
rc=$?
if [ $s = 1 ] && [ $od = 1 ] && [ $cm = 1 ] && [ $rc = 0 ]; then echo; fi
exit $rc
