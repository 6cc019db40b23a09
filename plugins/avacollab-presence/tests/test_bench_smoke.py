"""The presence benchmark (bench/presence.py) runs end to end, small and short."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "presence.py"


@pytest.mark.timeout(90)
def test_the_benchmark_measures_presence_the_bus_alone_and_the_raw_floor(tmp_path: Path) -> None:
    out = tmp_path / "presence.json"
    run = subprocess.run(
        [
            sys.executable,
            str(BENCH),
            "--peers",
            "3",
            "--duration",
            "2",
            "--floors",
            "asyncio,asyncio+acks",
            "--bus-run",
            "--json",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=80,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "presence CPU / raw floor (asyncio)" in run.stdout
    assert "bus alone / raw floor (asyncio)" in run.stdout
    assert "presence CPU / floor (asyncio, delayed acks)" in run.stdout
    presence, bus, floor, acked = json.loads(out.read_text())["phases"]
    assert (presence["kind"], presence["loop"]) == ("presence", "uvloop")
    assert (bus["kind"], bus["loop"]) == ("bus", "uvloop")
    assert (floor["kind"], floor["loop"]) == ("raw", "asyncio")
    assert (acked["kind"], acked["loop"]) == ("raw", "asyncio+acks")
    for phase in (presence, bus, floor, acked):
        # 3 peers, 20 Hz, 2 s: 240 positions sent in all; throttling may merge a few.
        assert phase["positions_sent"] == 240
        assert phase["positions_received"] > 120
        assert 0 < phase["cpu_per_peer"] < 1
        assert phase["frames_received_per_s"] > 0
        assert 0 <= phase["latency_p50_ms"] <= phase["latency_p99_ms"]
    # The floor runs no bus, so no liveness pings; the bus pings only peers it
    # has sent nothing to lately, so presence may send none either.
    assert floor["pings_sent_per_s"] == 0
    assert "pings_sent_per_s" in presence
    # Fair: presence sends no more frames than the floor's one per move and
    # peer, give or take the resting repeat of the last position (one frame
    # per peer) and a ping or two.
    assert presence["frames_sent_per_s"] <= floor["frames_sent_per_s"] + 3
    # The bus alone sends one frame per move and peer too (a hello or two
    # before the window, none in it; a ping or two).
    assert bus["frames_sent_per_s"] <= floor["frames_sent_per_s"] + 3


def test_the_benchmark_refuses_bad_options() -> None:
    for bad in (
        ["--peers", "1"],
        ["--rate", "0"],
        ["--floors", "trio"],
        ["--floors", "uvloop+nagle"],
    ):
        run = subprocess.run(
            [sys.executable, str(BENCH), *bad],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        assert run.returncode == 2, bad
        assert "error" in run.stderr
