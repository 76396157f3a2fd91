"""fuzzdiff's structural shrinker against a general-purpose baseline.

For planted bugs on several shipped tasks, a campaign finds a divergence
(without shrinking); then both reducers start from that same case and must
keep its fingerprint:

- fuzzdiff: ``Shrinker`` (structure-aware: argv tokens, files, lines, bytes, option spellings, numbers);
- baseline: classic ddmin (Zeller and Hildebrandt) over the case serialised as JSON,
  where a candidate that no longer parses as a case costs nothing.

Prints final size (``Case.size()``) and program executions (pairs) spent.

    python3 benchmarks/shrink.py [--tasks base64,cut,wc] [--budget 3000]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

from fuzzdiff.api import prepare
from fuzzdiff.core.codec import DecodeError, decode_case, encode_case
from fuzzdiff.core.model import Case, Divergence, Fingerprint, Finished
from fuzzdiff.core.shrink import Shrinker
from fuzzdiff.engine.campaign import CampaignConfig, run_campaign
from fuzzdiff.engine.judging import Judge, spellings
from fuzzdiff.run.runner import PoolRunner

BUGS = {
    "option": '#!/bin/sh\n{prog} "$@"\nrc=$?\n'
    'for a in "$@"; do case "$a" in --*) printf x; break;; esac; done\nexit $rc\n',
    "content": '#!/bin/sh\nt=$(mktemp)\ncat > "$t"\ncat "$t" | {prog} "$@"\nrc=$?\n'
    'if [ "$(tr -cd "\\n" < "$t" | wc -c)" -ge 2 ]; then printf x; fi\nexit $rc\n',
}


def ddmin(data: bytes, interesting: Callable[[bytes], bool], budget: int) -> bytes:
    n = 2
    tries = 0
    while len(data) >= 2 and tries < budget:
        chunk = max(1, len(data) // n)
        reduced = False
        for i in range(n):
            start, end = i * chunk, len(data) if i == n - 1 else (i + 1) * chunk
            complement = data[:start] + data[end:]
            tries += 1
            if interesting(complement):
                data, n, reduced = complement, max(n - 1, 2), True
                break
        if not reduced:
            if n >= len(data):
                break
            n = min(n * 2, len(data))
    return data


def keeps(judge: Judge, target: Fingerprint, blob: bytes) -> bool:
    """Is this serialised case still a case, and does it still diverge the same way?"""
    try:
        case: Case = decode_case(json.loads(blob))
    except (ValueError, DecodeError, TypeError, AttributeError):
        return False  # not a case: costs no execution
    (div,) = judge.check([case])
    return div is not None and div.fingerprint == target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", default="base64,cut,wc,tr")
    parser.add_argument("--budget", type=int, default=3000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    rows = []
    for task in args.tasks.split(","):
        for bug, template in BUGS.items():
            script = tmp / f"{task}-{bug}.sh"
            script.write_text(template.format(prog=task))
            os.chmod(script, 0o755)
            setup = prepare(task, str(script))
            runner = PoolRunner(2, dict(setup.spec.env), setup.spec.limits, setup.reference, setup.candidate)
            judge = Judge(setup.spec, runner, setup.reference, setup.candidate)
            config = CampaignConfig(seed=3, budget=2000, shrink=False)
            found: Divergence | None = None
            for ev in run_campaign(setup.spec, runner, setup.reference, setup.candidate, config):
                if isinstance(ev, Finished) and ev.result.findings:
                    found = ev.result.findings[0].original
            if found is None:
                runner.close()
                continue
            target = found.fingerprint

            runner.cache.data.clear()
            before = runner.executions
            ours = Shrinker(judge.check, found, budget=args.budget, batch=4, spellings=spellings(setup.spec)).shrink()
            ours_execs = runner.executions - before

            runner.cache.data.clear()
            before = runner.executions

            start = json.dumps(encode_case(found.case), ensure_ascii=False).encode()
            base = decode_case(json.loads(ddmin(start, partial(keeps, judge, target), args.budget)))
            base_execs = runner.executions - before
            runner.close()
            rows.append((task, bug, found.case.size(), ours.case.size(), ours_execs, base.size(), base_execs))

    print("| task | bug | found (bytes) | fuzzdiff: size | executions | ddmin on JSON: size | executions |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(str(x) for x in r) + " |")


if __name__ == "__main__":
    main()
