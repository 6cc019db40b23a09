"""bench/editing.py runs end to end with tiny counts and reports every figure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "bench" / "editing.py"


def test_bench_runs_with_tiny_counts(tmp_path: Path) -> None:
    out = tmp_path / "editing.json"
    result = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--edits",
            "200",
            "--burst",
            "20",
            "--rate",
            "2000",
            "--components",
            "150",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert figures["components"] == 150
    for run in ("unpaced", "paced"):
        assert figures[run]["edits_per_s"] > 0
        assert 0 <= figures[run]["p50_ms"] <= figures[run]["p99_ms"]
    assert figures["late_join"]["complete"] >= figures["late_join"]["connected"] > 0
    assert "| late join, 150 components" in result.stdout


def test_bench_refuses_bad_counts() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH), "--edits", "0"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "must be at least 1" in result.stderr
