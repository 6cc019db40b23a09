"""Running a script of bench/ from its smoke test: a real process, bounded in time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"


def run_bench(
    script: str, cwd: Path, *args: str, timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``bench/<script>`` with ``args`` in ``cwd``; its output is captured as text."""
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )
