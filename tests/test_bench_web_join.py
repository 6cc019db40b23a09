"""Smoke test of bench/web_join.py (page and Python join to an open bus), so it does not rot.

One measured round of each kind, real Chromium and a real join process. No
speed is asserted here; bench/ is for that. Skipped without Chromium or
Playwright, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .chromium import require_chromium

ROOT = Path(__file__).resolve().parent.parent


def test_one_round_measures_both_joins(tmp_path: Path) -> None:
    require_chromium("the web join benchmark's smoke test")
    out = tmp_path / "results" / "web_join.json"  # a folder the script creates
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "web_join.py"), "--rounds", "1", "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for kind in ("page", "python"):
        figures = result[kind]
        assert figures["rounds"] == 1
        assert 0 < figures["welcome_p50_ms"] <= figures["p50_ms"] == figures["p99_ms"]
    assert result["chromium"]
