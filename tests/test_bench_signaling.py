"""Smoke test of the signaling benchmark, so that bench/ does not rot.

It runs the real benchmark, small and short: 20 clients, one round, a
second of relaying. The Node servers join in only when bench/js has its
npm packages installed. No speed is asserted here; bench/ is for that.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from . import benchkit
from .benchkit import BENCH
from .redisserver import redis_server_binary

NODE_MODULES = BENCH / "js" / "node_modules"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None, reason="the benchmark's load generator needs Node.js"
)


def run_bench(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return benchkit.run_bench("signaling.py", tmp_path, *args, timeout=90)


def test_small_run_measures_every_figure(tmp_path: Path) -> None:
    servers = ["avacollab"]
    if (NODE_MODULES / "y-webrtc").is_dir() and (NODE_MODULES / "peer").is_dir():
        servers += ["ywebrtc", "peerjs"]
    out = tmp_path / "result.json"
    done = run_bench(
        tmp_path,
        "--servers", ",".join(servers),
        "--clients", "20", "--room-size", "5", "--rounds", "1",
        "--warmup", "0.3", "--duration", "1", "--settle", "0.2",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert [r["server"] for r in report["results"]] == servers
    for result in report["results"]:
        assert result["joined"] == 20
        assert result["join_failed"] == 0
        assert 0 < result["join_p50_ms"] <= result["join_p99_ms"]
        assert 0 < result["open_p99_ms"] <= result["join_p99_ms"]
        # The server's CPU is read in clock ticks: 20 joins may take less than one.
        assert result["join_cpu_us"] >= 0 and result["loadgen_join_cpu_us"] > 0
        assert result["relayed"] > 0
        assert result["errors"] == 0
        assert result["unexpected_closes"] == 0
        assert result["drained"]
        assert result["rss_idle_kib"] > 0
        assert result["server_cpu"] > 0
        assert len(result["loadgen_cpu"]) == 1
    # The markdown table is what the docs quote.
    assert "| server | relayed msg/s |" in done.stdout
    assert "Machine:" in done.stdout


def test_split_over_two_generators_keeps_rooms_whole(tmp_path: Path) -> None:
    out = tmp_path / "result.json"
    done = run_bench(
        tmp_path,
        "--servers", "avacollab", "--loadgen-procs", "2",
        "--clients", "12", "--room-size", "4", "--rounds", "1",
        "--warmup", "0.2", "--duration", "0.5", "--settle", "0.1",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    (result,) = json.loads(out.read_text())["results"]
    assert result["joined"] == 12
    assert len(result["loadgen_cpu"]) == 2
    assert result["relayed"] > 0
    assert result["errors"] == 0


@pytest.mark.parametrize(
    "args",
    [
        ["--servers", "nginx"],
        ["--clients", "1"],
        ["--room-size", "1"],
        ["--rounds", "0"],
        ["--duration", "0"],
    ],
)
def test_bad_options_are_refused(tmp_path: Path, args: list[str]) -> None:
    done = run_bench(tmp_path, *args)
    assert done.returncode == 2
    assert "error" in done.stderr


def test_a_small_run_with_redis_measures_the_workers_and_redis(tmp_path: Path) -> None:
    redis_server_binary()  # skipped locally without it, failing in CI
    out = tmp_path / "result.json"
    done = run_bench(
        tmp_path,
        "--servers", "avacollab,redis2",
        "--clients", "20", "--room-size", "5", "--rounds", "1",
        "--warmup", "0.3", "--duration", "1", "--settle", "0.2",
        "--json", str(out),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(out.read_text())
    clustered = report["results"][1]
    assert (clustered["server"], clustered["joined"], clustered["errors"]) == ("redis2", 20, 0)
    assert clustered["relayed"] > 0 and clustered["redis_cpu"] > 0
    assert "| with Redis | relayed msg/s | x 1 process |" in done.stdout
