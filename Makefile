# fuzzdiff: every set-up step lives here, so a fresh machine needs only `make demo` or `make test`.
# Everything runs in this checkout's own virtual environment (.venv): installing
# never re-points another clone's fuzzdiff. It sees the system's packages, so what
# is installed already is not downloaded again.
BASE_PYTHON ?= python3
VENV := .venv
PYTHON := $(VENV)/bin/python
STAMP := $(VENV)/.setup-done
# Every recipe runs as if the environment were activated: `python3` in a candidate's
# command (the demo's, the tests') is the environment's interpreter, not a version
# manager's shim (a script that needs its manager, absent from a sandboxed root).
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: library replay-library setup demo test lint unit e2e-full bench bench-setup bench-taskfactory bench-selfcopy bench-librarycopies bench-taskpaths bench-mutation bench-solution-coverage clean

# Debian packages, each as COMMAND:PACKAGE: the sandbox (bwrap), hermetic runs (faketime
# and its library), the task factory's trace of the programs a reference runs (strace), and every program a shipped task uses as its reference (CI replays
# every task's corpus) or a test runs as a candidate (busybox, toybox, uutils' coreutils,
# the headless browser that checks the compatibility matrix's HTML page). A package is
# installed only when its command is missing. Then the package itself with its development
# tools. Re-running is cheap: a stamp file records that set-up succeeded for this pyproject.toml.
DEBIAN := bwrap:bubblewrap busybox:busybox faketime:faketime faketime:libfaketime strace:strace chromium-headless-shell:chromium-headless-shell
# The task library's references (references/library/programs.toml; coreutils, gzip, grep, sed are always there).
DEBIAN += bzip2:bzip2 xz:xz-utils zstd:zstd lz4:lz4 xxd:xxd jq:jq bc:bc dc:dc sqlite3:sqlite3 diff:diffutils \
  column:bsdextrautils iconv:libc-bin file:file patch:patch ed:ed envsubst:gettext-base mawk:mawk strings:binutils \
  datamash:datamash dos2unix:dos2unix cmark:cmark figlet:figlet m4:m4 gawk:gawk rhash:rhash pigz:pigz lzop:lzop \
  unifdef:unifdef indent:indent rs:rs errno:moreutils isutf8:moreutils
# Candidates' languages the tests run in the masked sandbox (tests/test_runtimes.py, test_allowlist.py).
DEBIAN += javac:default-jdk-headless tclsh:tcl ruby:ruby php:php-cli node:nodejs
$(STAMP): pyproject.toml Makefile
	@missing=""; for pair in $(DEBIAN); do \
	  command -v "$${pair%%:*}" >/dev/null 2>&1 || missing="$$missing $${pair#*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else echo "note: install these Debian packages (apt-get) for the sandbox, hermetic runs and the references:$$missing"; fi; \
	fi
	@test -x $(PYTHON) || $(BASE_PYTHON) -m venv --system-site-packages $(VENV)
	$(PYTHON) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

# The demo: a subtly wrong Python base64 is caught and shrunk; a faithful one passes.
# The first run must find the bug: exit status 1 is what it should say; any other fails.
demo: $(STAMP)
	@$(PYTHON) -m fuzzdiff fuzz base64 --candidate "python3 examples/base64/buggy.py" --budget 2000 --seed 7 --out demo-out; \
	  status=$$?; if [ $$status -ne 1 ]; then echo "demo: expected a divergence (exit 1), got exit $$status"; exit 1; fi
	$(PYTHON) -m fuzzdiff fuzz base64 --candidate "python3 examples/base64/good.py" --budget 2000 --seed 7

lint: $(STAMP)
	$(PYTHON) -m ruff check fuzzdiff tests benchmarks
	$(PYTHON) -m ruff format --check fuzzdiff tests benchmarks
	$(PYTHON) -m mypy fuzzdiff
	$(PYTHON) -m mypy tests

unit: $(STAMP)
	$(PYTHON) -m pytest -q -m "not e2e"

# Two test processes, a file each at a time. The default run samples what is costly
# (equivalence campaigns at 500 cases, three library tasks: tests/helpers.py); the full
# sweeps are make e2e-full and make replay-library. A clean clone's .ci/run on 2026-12-07:
# 1845 tests in 605 s (they were 974 s at budget 2000).
test: lint
	$(PYTHON) -m pytest -q -n 2 --dist loadfile

# The shipped tasks' equivalence tests at budget 2000 (the default run uses 500, the
# oracle's default budget, to keep .ci/run short; planted bugs are sought within 2000
# cases either way).
e2e-full: $(STAMP)
	FUZZDIFF_E2E_BUDGET=2000 $(PYTHON) -m pytest -q -n 2 --dist loadfile tests/test_e2e_tasks.py

bench: $(STAMP)
	$(PYTHON) benchmarks/throughput.py

# What the benchmarks need beyond the tests: other implementations of coreutils for the
# real-world showcase (benchmarks/realworld.py), the programs of the task factory
# benchmark (benchmarks/taskfactory.py), valgrind for the paths it reaches (benchmarks/taskpaths.py)
# and matplotlib for plots.
bench-setup: $(STAMP)
	@if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox toybox rust-coreutils hyperfine xxd jq bc zstd xz-utils bzip2 gzip openssl diffutils bsdextrautils valgrind >/dev/null; \
	else echo "note: install busybox, toybox, rust-coreutils, hyperfine, xxd, jq, bc, zstd, xz-utils, bzip2, gzip, openssl, diffutils, bsdextrautils and valgrind (apt-get)"; fi
	$(PYTHON) -m pip install -q --disable-pip-version-check -e '.[dev,bench]'

# Issue 19's measure: how good a task fuzzdiff makes for programs without a task file.
bench-taskfactory: bench-setup
	$(PYTHON) benchmarks/taskfactory.py --budget 500 --seed 1 --plot docs/taskfactory.png

# False alarms on programs without a task: each against a renamed copy of its own binary, zero-config
# (about 40 minutes on two cores).
bench-selfcopy: bench-setup
	$(PYTHON) benchmarks/selfcopy.py --budget 300 --seed 1

# Every shipped task's reference against an exact copy of itself, scored by the oracle
# with its defaults (masked sandbox): a reward below 1.0 is a false alarm (docs/benchmarks.md).
bench-librarycopies: bench-setup
	$(PYTHON) benchmarks/librarycopies.py --budget 300 --seed 1

# The same, counted in the reference's own code: distinct execution paths and instructions
# reached under callgrind, --help mining against a built task (an hour on two cores).
bench-taskpaths: bench-setup
	$(PYTHON) benchmarks/taskpaths.py --budget 300 --seed 1

# Issue 21's measure: how often a wrong program (a first-order mutant of an independent
# solution, solutions/) gets full reward from the oracle. Hours on two cores; results
# accumulate in benchmarks/mutation-runs.jsonl, so a stopped run resumes.
bench-mutation: bench-setup
	$(PYTHON) benchmarks/mutation.py --per-task 150 --budgets 100,300,500,1000 --seeds 1,2,3 --random \
		--out benchmarks/mutation-runs.jsonl --report docs/mutation-table.md --plot docs/mutation-budget.png

# What the reward never looks at: the lines of each independent solution (solutions/) that no
# case a score judges runs, seeds 1 to 3 at the default budget. About 15 minutes.
bench-solution-coverage: bench-setup
	$(PYTHON) benchmarks/solution_coverage.py --seeds 1,2,3 --show

clean:
	rm -rf $(VENV) demo-out .pytest_cache .mypy_cache .ruff_cache

# Issue 20's task library: every program of references/library/programs.toml made into a
# shipped task (task file, quality card, corpus of 200 cases that replay). Only what is
# missing is built (FORCE=1 builds again); seeded, so the same files each time. Niced: it
# runs every reference a few thousand times.
library: $(STAMP)
	nice -n 10 $(PYTHON) -m fuzzdiff task library $(if $(FORCE),--force)

# Every stored case of every shipped task's corpus replayed against the task's own
# installed reference (CI replays only three per task: tests/test_library.py). Fails
# when a corpus no longer matches its reference or the environment it was recorded in.
replay-library: $(STAMP)
	FUZZDIFF_LIBRARY_REPLAY=all $(PYTHON) -m pytest -q tests/test_library.py -k own_reference
