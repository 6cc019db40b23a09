"""Smoke tests of bench/web_bus.py and bench/web_editing.py, so that they do not rot.

One tiny round each, with real Chromium, a real child process and real
sessions through a real signaling server. No speed is asserted here; bench/
is for that. Skipped without Chromium or Playwright, except under CI=true,
where they fail instead.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from . import benchkit
from .chromium import require_chromium


def test_one_round_measures_every_direction(tmp_path: Path) -> None:
    require_chromium("the page bus benchmark's smoke test")
    out = tmp_path / "results" / "web_bus.json"  # a folder the script creates
    done = benchkit.run_bench(
        "web_bus.py", tmp_path, "--rounds", "1", "--count", "500", "--json", str(out), timeout=180
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    (only,) = result["rounds"]
    assert set(only) == {
        "page_to_python",
        "python_to_python",
        "python_to_page",
        "python_to_python_back",
    }
    assert all(rate > 0 for rate in only.values())
    assert result["msgs_per_s"] == only  # the median of one round is that round
    assert result["ratios"]["page_to_python"] > 0
    assert result["ratios"]["python_to_page"] > 0
    # The page's clock is put on ours within half a Playwright round trip.
    assert 0 <= result["clock_error_ms"]["page"] < 100
    assert result["machine"]["chromium"]
    assert "| page to Python |" in done.stdout
    assert "Targets:" in done.stdout


def test_one_round_times_every_edit(tmp_path: Path) -> None:
    require_chromium("the page editing benchmark's smoke test")
    out = tmp_path / "results" / "web_editing.json"  # a folder the script creates
    done = benchkit.run_bench(
        "web_editing.py", tmp_path, "--rounds", "1", "--edits", "20", "--json", str(out),
        timeout=180,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    for kind in ("page_to_python", "python_to_python"):
        figures = result[kind]
        # Fewer edits than properties: none overwrites another, every one is timed.
        assert figures["edits"] == 20
        assert figures["missed"] == 0
        assert (
            figures["min_ms"]
            <= figures["p50_ms"]
            <= figures["p95_ms"]
            <= figures["p99_ms"]
            <= figures["max_ms"]
        )
        # An edit arrives after it is made, give or take the calibration's error
        # (and the page clock's 0.1 ms granularity).
        assert figures["min_ms"] > -(figures["clock_error_ms"] + 0.2)
        assert 0 <= figures["slow_in_hub_stall"] <= figures["slow"] <= 20
    assert result["hub_stalls"]["cpu_ms"] <= result["hub_stalls"]["ms"] + 50
    page = result["page_to_python"]
    assert 0 <= page["in_page_p50_ms"] <= page["in_page_p99_ms"] <= page["max_ms"]
    assert "| page to Python |" in done.stdout
    assert "Target:" in done.stdout


@pytest.mark.parametrize(
    ("script", "args", "error"),
    [
        ("web_bus.py", ["--count", "0"], "must be at least 1"),
        ("web_editing.py", ["--rate", "0"], "must be positive"),
        ("web_editing.py", ["--edits", "-3"], "must be at least 1"),
    ],
)
def test_bad_arguments_are_refused(
    tmp_path: Path, script: str, args: list[str], error: str
) -> None:
    done = benchkit.run_bench(script, tmp_path, *args, timeout=60)
    assert done.returncode == 2
    assert error in done.stderr
