"""Smoke test of bench/web_editor.py, so that it does not rot.

A tiny tree and one short drag in real Chromium against a real server; no
speed is asserted here (bench/ is for that), only that every figure is
measured and that a remote edit repaints only the boxes it changed.
Skipped without Chromium or Playwright, except under CI=true, where it fails.
"""

from __future__ import annotations

import json
from pathlib import Path

from . import benchkit
from .chromium import require_chromium


def test_a_small_tree_is_measured(tmp_path: Path) -> None:
    require_chromium("the web editor benchmark's smoke test")
    out = tmp_path / "results" / "web_editor.json"  # a folder the script creates
    done = benchkit.run_bench(
        "web_editor.py", tmp_path, "--components", "100", "--reference", "40", "--fanout", "9",
        "--drags", "1", "--moves", "10", "--json", str(out), timeout=240,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["components"] == 100 and result["reference"]["components"] == 40
    assert result["drag_p95_ratio"] > 0
    assert result["remote_build"]["painted"] == 100
    assert result["drag"]["moves"] >= 5 and result["drag"]["p95_ms"] > 0
    painted = {kind: r["painted"] for kind, r in result["remote_edits"].items()}
    assert painted == {"props": 1, "move": 0, "add": 1}
    assert "| drag, per pointer move" in done.stdout and "Targets:" in done.stdout


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    done = benchkit.run_bench("web_editor.py", tmp_path, "--components", "10", timeout=60)
    assert done.returncode == 2
    assert "at least 4 frames" in done.stderr
