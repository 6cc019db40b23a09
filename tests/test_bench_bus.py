"""Smoke test of the bus benchmark, so that bench/bus.py does not rot.

It runs the real benchmark with tiny counts: both aiortc transports in two
processes, Chromium when the system has it (and Playwright), and a 3-peer
mesh through a real signaling server. No speed is asserted here; bench/ is
for that.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from . import benchkit

# What bench/bus_chromium.py needs; when all is there, the Chromium row must be too.
CHROMIUM = (
    Path("/usr/bin/chromium").is_file()
    and importlib.util.find_spec("playwright") is not None
    and shutil.which("unshare") is not None
    and os.geteuid() == 0
)


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return benchkit.run_bench("bus.py", tmp_path, *args, timeout=60)


def test_small_run_measures_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results" / "bus.json"  # a folder the script creates
    done = run_bench(
        tmp_path,
        "--small", "1000", "--small-raw", "100", "--small-chromium", "300",
        "--bulk-mb", "0.1", "--latency", "10", "--mesh", "3", "--rounds", "2",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    names = [row["name"] for row in result["rows"]]
    assert names[:2] == ["raw aiortc", "avacollab bus"]
    assert len(names) == (3 if result["chromium_skipped"] is None else 2)
    if CHROMIUM or os.environ.get("CI") == "true":
        # CI installs chromium and Playwright: a missing row there is a failure.
        assert names[2:3] and names[2].startswith("Chromium "), result["chromium_skipped"]
    for row in result["rows"]:
        assert row["small_msgs_per_s"] > 0
        assert row["bulk_mb_per_s"] > 0
        assert 0 < row["p50_ms"] <= row["p99_ms"] < 1000
    for row in result["rows"][:2]:
        assert all(cpu > 0 for cpu in (*row["small_cpu_us"], *row["bulk_cpu_s_per_mb"]))
        assert len(row["rounds"]) == 2
    # Both processes read one monotonic clock on Linux: the calibrated offset
    # must come out within its own error bound (plus a little scheduling slack).
    assert abs(result["clock_offset_ns"]) <= result["clock_error_ns"] + 1_000_000
    (mesh,) = result["meshes"]
    assert mesh["peers"] == 3
    assert 0 < mesh["join_max_s"] <= mesh["open_max_s"] < 30
    assert "| avacollab bus |" in done.stdout
    assert "Targets:" in done.stdout


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--mesh", "two"], "expected numbers like 2,8"),
        (["--mesh", "2,1"], "at least 2 peers"),
        (["--small", "0"], "must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(tmp_path: Path, args: list[str], error: str) -> None:
    done = run_bench(tmp_path, *args)
    assert done.returncode == 2
    assert error in done.stderr
