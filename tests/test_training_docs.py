"""docs/training.md's reward check runs as written and prints what the page says."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "training.md"


@pytest.mark.e2e
@pytest.mark.timeout(600)
def test_the_reward_check_runs_as_written(tmp_path: Path) -> None:
    text = PAGE.read_text()
    blocks = re.findall(r"```python\n(.*?)```\n", text, re.DOTALL)
    check = next(b for b in blocks if b.startswith("# reward_check.py"))
    said = re.search(r"It prints `(.*?)`\.", text)
    assert said is not None
    script = tmp_path / "reward_check.py"
    script.write_text(check)
    path = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp_path), "FUZZDIFF_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True, timeout=560, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == said.group(1)


@pytest.mark.e2e
@pytest.mark.timeout(300)
def test_a_script_without_the_main_guard_is_told_why(tmp_path: Path) -> None:
    """Scoring at import time re-runs in the helper processes that import
    ``__main__``; the error there names the guard instead of multiprocessing's
    bootstrapping message."""
    script = tmp_path / "unguarded.py"
    script.write_text(
        "from fuzzdiff.oracle.adapters import trl_reward\n"
        "print(trl_reward(['p'], ['```sh\\ncat\\n```'], task=['{\"task\": \"base64\", \"budget\": 5}']))\n"
    )
    path = f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin"
    env = {"PATH": path, "HOME": str(tmp_path), "FUZZDIFF_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert 'under `if __name__ == "__main__":`' in done.stderr
    assert "bootstrapping phase" not in done.stderr
