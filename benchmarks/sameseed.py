"""Same seed, same results: a digest of campaigns over every shipped task, to
compare before and after a change that must not change behaviour (a refactor).

For each planted bug of ``benchmarks/bugs`` (every shipped task has some) it runs
a guided campaign (``api.fuzz``, two findings at most) and a reward score
(``oracle.score``, binary, unsandboxed); for each task, a campaign and a score
of the reference itself (equivalent). What is kept is everything but what is measured (times, memory):
cases judged, behaviours, findings (original and minimal case, fingerprint,
proposals, confirmation), reward, phases and the counterexample.

    python benchmarks/sameseed.py --out before.json
    ... change ...
    python benchmarks/sameseed.py --out after.json --compare before.json

Exit status 1 when ``--compare`` finds a difference (the differing entries are printed).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from fuzzdiff.api import fuzz
from fuzzdiff.core.codec import encode_case, encode_divergence
from fuzzdiff.oracle.scoring import score

HERE = Path(__file__).resolve().parent
#: What a run measures rather than decides: left out of the digest.
MEASURED = {"seconds", "cpu_seconds", "wall_seconds", "max_rss_kb"}


def scrub(doc: Any) -> Any:
    """``doc`` without the measured fields, at any depth."""
    if isinstance(doc, dict):
        return {k: scrub(v) for k, v in doc.items() if k not in MEASURED}
    if isinstance(doc, list):
        return [scrub(v) for v in doc]
    return doc


def _campaign(task: str, candidate: str, budget: int, seed: int) -> dict[str, Any]:
    result = fuzz(task, candidate, budget=budget, seed=seed, jobs=2, max_divergences=2)
    return {
        "cases": result.cases,
        "behaviours": result.behaviours,
        "accepted": result.accepted,
        "unstable": result.unstable_cases,
        "novel": [encode_case(c) for c, _ in result.novel],
        "findings": [
            {
                "index": f.found_at,
                "via": f.via,
                "original": encode_case(f.original.case),
                "minimal": encode_divergence(f.divergence),
                "fingerprint": repr(f.divergence.fingerprint),
                "proposals": f.shrink_proposals,
                "confirmed": f.confirmed,
                "unstable": list(f.unstable),
            }
            for f in result.findings
        ],
    }


def _score(task: str, candidate: str, budget: int, seed: int, cache: Path) -> dict[str, Any]:
    doc = score(task, candidate, budget=budget, seed=seed, jobs=2, sandbox=False, cache=cache, use_pool=False)
    out = doc.to_json()
    for key in ("reference_executions", "launches", "isolation"):
        out.pop(key, None)
    return out


def collect(budget: int, seed: int) -> dict[str, Any]:
    bugs = tomllib.loads((HERE / "bugs" / "bugs.toml").read_text())["bugs"]
    tasks = sorted({b["task"] for b in bugs})
    out: dict[str, Any] = {}
    cache = Path(tempfile.mkdtemp(prefix="fuzzdiff-sameseed-"))
    try:
        for task in tasks:
            out[f"{task}/itself"] = {
                "fuzz": _campaign(task, task, budget, seed),
                "score": _score(task, task, budget // 2, seed, cache),
            }
            print(f"{task}/itself", file=sys.stderr)
        for bug in bugs:
            command = f"sh {HERE / 'bugs' / bug['script']}"
            out[bug["id"]] = {
                "fuzz": _campaign(bug["task"], command, budget, seed),
                "score": _score(bug["task"], command, budget // 2, seed, cache),
            }
            print(bug["id"], file=sys.stderr)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--budget", type=int, default=600)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    doc = scrub(collect(args.budget, args.seed))
    args.out.write_text(json.dumps(doc, indent=1, sort_keys=True))
    if args.compare is None:
        return 0
    before = scrub(json.loads(args.compare.read_text()))
    differ = sorted(k for k in set(before) | set(doc) if before.get(k) != doc.get(k))
    for key in differ:
        print(f"differs: {key}")
    print(f"{len(doc) - len(differ)} of {len(doc)} entries identical")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
