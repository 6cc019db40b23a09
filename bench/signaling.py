"""Signaling benchmark: avacollab's server against y-webrtc's and PeerJS's.

Each server runs as its own process on a free loopback port and gets the same
load from the Node load generator (``bench/loadgen/loadgen.mjs``), which is
driven from here so that every measurement is taken at the same instants:

- relayed messages a second, sustained: every client keeps ``--window``
  relays of about ``--payload-bytes`` in flight to the next member of its
  room, and sends a new one for each it receives (a closed loop: the load
  follows the server's pace instead of piling up in its queues);
- join latency p50/p99: WebSocket connect + join until the server's answer
  (avacollab's welcome, PeerJS's OPEN, the pong after y-webrtc's subscribe),
  with ``--join-concurrency`` joins in flight; and the p99 of its first part,
  until the WebSocket is open (PeerJS's join ends there, the other two
  protocols take one more round trip after it);
- memory per idle connection: the server's RSS with every client joined and
  idle, minus its RSS before the first connection, divided by the clients.

The CPU time of the server and of each generator process over the relay
window is printed with the results: a server near one full core while the
generator has time to spare is the evidence that the server is what limits
the rate. ``--loadgen-procs 2`` splits the clients over two generators as a
second check.

Run from the project root after ``npm ci --prefix bench/js``:

    python bench/signaling.py                      # 1,000 clients, all three servers
    python bench/signaling.py --servers avacollab --clients 20 --duration 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import json
import math
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from machine_info import cpu_model, memory_gib, process_cpu_seconds, write_json

BENCH = Path(__file__).resolve().parent
JS = BENCH / "js"
NODE_MODULES = JS / "node_modules"
LOADGEN = BENCH / "loadgen" / "loadgen.mjs"
LOOPBACK_SHIM = BENCH / "loadgen" / "loopback.cjs"
HOST = "127.0.0.1"
SERVERS = ("avacollab", "ywebrtc", "peerjs", "redis1", "redis2", "redis4")
TITLES = {
    "avacollab": "avacollab",
    "ywebrtc": "y-webrtc",
    "peerjs": "PeerJS",
    "redis1": "avacollab + Redis, 1 process",
    "redis2": "avacollab + Redis, 2 processes",
    "redis4": "avacollab + Redis, 4 processes",
}
# avacollab with --redis and --workers N (docs/scaling.md): the same server
# code, N processes on one port sharing rooms through a redis-server that
# the benchmark starts for the round.
REDIS_WORKERS = {"redis1": 1, "redis2": 2, "redis4": 4}
# avacollab's defaults (50 messages a second, bursts of 200) would refuse most
# of the relay load: the benchmark measures the relay, not the rate limiter.
# 1,000 clients on one loopback address: the per-address connection limit off.
AVACOLLAB_LIMITS = (
    *("--rate", "1000000", "--burst", "1000000"),
    *("--max-connections-per-address", "0"),
)
AVACOLLAB_DEFAULT_ROOM_SIZE = 32


@dataclass(frozen=True)
class Options:
    clients: int = 1000
    room_size: int = 10
    servers: tuple[str, ...] = SERVERS
    loadgen_procs: int = 1
    window: int = 1
    payload_bytes: int = 200
    join_concurrency: int = 50
    warmup: float = 2.0
    duration: float = 10.0
    settle: float = 1.0
    rounds: int = 3
    browser_deflate: bool = False


@dataclass
class Result:
    """One server's numbers. CPU figures are fractions of one core."""

    server: str
    version: str
    clients: int
    joined: int = 0
    join_failed: int = 0
    join_p50_ms: float = math.nan
    join_p99_ms: float = math.nan
    open_p99_ms: float = math.nan  # the WebSocket open (connect + upgrade) alone
    join_cpu_us: float = math.nan  # the server's CPU over the joins, per join
    loadgen_join_cpu_us: float = math.nan  # the load generators' CPU over the joins, per join
    rss_before_kib: int = 0
    rss_idle_kib: int = 0
    relayed: int = 0
    relayed_per_s: float = 0.0
    server_cpu: float = 0.0
    loadgen_cpu: list[float] = field(default_factory=list)
    other_cpu: float = 0.0  # everything else the machine ran meanwhile: noise
    redis_cpu: float = 0.0  # the redis-server of the round, for the Redis servers
    loadgen_client: str = ""
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    unexpected_closes: int = 0
    drained: bool = True

    @property
    def memory_per_conn_kib(self) -> float:
        if not self.joined:
            return math.nan
        return (self.rss_idle_kib - self.rss_before_kib) / self.joined

    @property
    def cpu_us_per_relay(self) -> float:
        """Server CPU per relayed message: what the server's speed really is,
        and the figure least disturbed by other work on the machine."""
        if not self.relayed_per_s:
            return math.nan
        return self.server_cpu * 1e6 / self.relayed_per_s

    @property
    def redis_us_per_relay(self) -> float:
        """redis-server's CPU per relayed message (0 without Redis)."""
        if not self.relayed_per_s:
            return math.nan
        return self.redis_cpu * 1e6 / self.relayed_per_s


class BenchError(RuntimeError):
    """The benchmark could not run; the message says what to fix."""


# -- processes ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise BenchError(f"no VmRSS for process {pid}")


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (the workers of ``serve --workers``)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            pids += [int(c) for c in (task / "children").read_text().split()]
    return pids


def tree_cpu_seconds(pid: int) -> float:
    return sum(process_cpu_seconds(p) for p in process_tree(pid))


def tree_rss_kib(pid: int) -> int:
    return sum(rss_kib(p) for p in process_tree(pid))


def machine_busy_seconds() -> float:
    """CPU seconds all processes used, summed over cores (user, nice, system in /proc/stat).

    Interrupt time is left out: the loopback traffic itself lands there.
    """
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:4]]
    return sum(fields) / os.sysconf("SC_CLK_TCK")


def raise_open_files(needed: int) -> None:
    """Let this process and its children (servers, generators) hold every socket."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def node_version() -> str:
    node = shutil.which("node")
    if node is None:
        raise BenchError("node is not on PATH; the load generator needs Node.js 20 or newer")
    done = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def package_version(package: str) -> str:
    meta = json.loads((NODE_MODULES / package / "package.json").read_text())
    return str(meta["version"])


def server_command(
    name: str, port: int, opts: Options, home: Path, redis_url: str = ""
) -> tuple[list[str], str, str]:
    """The argv that starts server ``name`` on ``port``, its WebSocket URL and version."""
    if name == "avacollab" or name in REDIS_WORKERS:
        from avacollab import __version__

        room_size = max(opts.room_size, AVACOLLAB_DEFAULT_ROOM_SIZE)
        argv = [
            sys.executable, "-c", "from avacollab.cli.app import main; main()",
            "serve", "--host", HOST, "--port", str(port),
            *AVACOLLAB_LIMITS, "--max-room-size", str(room_size),
            "--secret-file", str(home / "server-secret"),
        ]  # fmt: skip
        if name in REDIS_WORKERS:
            argv += ["--redis", redis_url, "--workers", str(REDIS_WORKERS[name])]
        return argv, f"ws://{HOST}:{port}/ws", __version__
    node = shutil.which("node") or "node"
    if name == "ywebrtc":
        script = NODE_MODULES / "y-webrtc" / "bin" / "server.js"
        argv = [node, "--require", str(LOOPBACK_SHIM), str(script)]
        return argv, f"ws://{HOST}:{port}", package_version("y-webrtc")
    if name == "peerjs":
        script = NODE_MODULES / "peer" / "dist" / "bin" / "peerjs.js"
        argv = [node, str(script), "--host", HOST, "--port", str(port)]
        return argv, f"ws://{HOST}:{port}/peerjs", package_version("peer")
    raise BenchError(f"unknown server {name!r}; choose from {', '.join(SERVERS)}")


def server_env(name: str, port: int, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AVACOLLAB_")}
    # Defaults only, and never the user's config directory or secrets.
    env["AVACOLLAB_CONFIG_DIR"] = str(home)
    env["AVACOLLAB_CONFIG"] = str(home / "no-config.toml")
    if name == "ywebrtc":
        env["PORT"] = str(port)  # its bin/server.js takes the port only from here
    return env


async def wait_listening(proc: asyncio.subprocess.Process, port: int, seconds: float) -> None:
    """Poll until the server accepts TCP connections (it says so in no common way)."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.returncode is not None:
            raise BenchError(f"the server exited with code {proc.returncode} before listening")
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 1.0)
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                raise BenchError(f"no server listening on port {port} after {seconds} s") from None
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


async def stop_process(proc: asyncio.subprocess.Process, grace: float = 5.0) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


class Loadgen:
    """One generator process, asked one command at a time."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc

    @classmethod
    async def start(cls, config: dict[str, Any]) -> Loadgen:
        flags: list[str] = []
        if not (NODE_MODULES / "ws").is_dir() and node_version().startswith(("v20.", "v21.")):
            flags.append("--experimental-websocket")
        proc = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node", "--no-warnings", *flags, str(LOADGEN),
            json.dumps(config),
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        return cls(proc)

    async def ask(self, command: str, seconds: float) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{command}\n".encode())
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), seconds)
        if not line:
            raise BenchError(f"the load generator exited during {command!r}")
        answer: dict[str, Any] = json.loads(line)
        if answer.get("ok") != command:
            raise BenchError(f"the load generator answered {answer} to {command!r}")
        return answer


async def ask_all(gens: Sequence[Loadgen], command: str, seconds: float) -> list[dict[str, Any]]:
    return list(await asyncio.gather(*(g.ask(command, seconds) for g in gens)))


# -- one server ---------------------------------------------------------------


def split_clients(clients: int, room_size: int, procs: int) -> list[int]:
    """Clients per generator, in whole rooms so no relay crosses generators."""
    rooms = math.ceil(clients / room_size)
    shares = [rooms // procs + (1 if k < rooms % procs else 0) for k in range(procs)]
    counts, left = [], clients
    for share in shares:
        count = min(left, share * room_size)
        counts.append(count)
        left -= count
    return [c for c in counts if c > 0]


def median_result(rounds: Sequence[Result]) -> Result:
    """One result from several rounds of a server: the median of each figure.

    Rounds run interleaved across the servers, so a burst of other work on
    the machine hurts every server a little instead of one of them a lot.
    """
    first = rounds[0]

    def mid(get: Any) -> Any:
        return statistics.median(get(r) for r in rounds)

    merged = Result(
        server=first.server,
        version=first.version,
        clients=first.clients,
        joined=min(r.joined for r in rounds),
        join_failed=sum(r.join_failed for r in rounds),
        join_p50_ms=mid(lambda r: r.join_p50_ms),
        join_p99_ms=mid(lambda r: r.join_p99_ms),
        open_p99_ms=mid(lambda r: r.open_p99_ms),
        join_cpu_us=mid(lambda r: r.join_cpu_us),
        loadgen_join_cpu_us=mid(lambda r: r.loadgen_join_cpu_us),
        relayed=sum(r.relayed for r in rounds),
        relayed_per_s=mid(lambda r: r.relayed_per_s),
        server_cpu=mid(lambda r: r.server_cpu),
        loadgen_cpu=[
            statistics.median(r.loadgen_cpu[k] for r in rounds)
            for k in range(len(first.loadgen_cpu))
        ],
        other_cpu=mid(lambda r: r.other_cpu),
        redis_cpu=mid(lambda r: r.redis_cpu),
        loadgen_client=first.loadgen_client,
        errors=sum(r.errors for r in rounds),
        error_samples=[e for r in rounds for e in r.error_samples][:5],
        unexpected_closes=sum(r.unexpected_closes for r in rounds),
        drained=all(r.drained for r in rounds),
    )
    # Memory is kept as the round with the median per-connection figure, so
    # that before and after still belong together.
    by_memory = sorted(rounds, key=lambda r: r.memory_per_conn_kib)
    middle = by_memory[(len(by_memory) - 1) // 2]
    merged.rss_before_kib, merged.rss_idle_kib = middle.rss_before_kib, middle.rss_idle_kib
    return merged


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def start_redis(home: Path) -> tuple[asyncio.subprocess.Process, str]:
    """A redis-server on a free loopback port, persisting nothing."""
    binary = shutil.which("redis-server") or shutil.which("redis-server", path="/usr/sbin")
    if binary is None:
        raise BenchError("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        binary, "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no",
        "--dir", str(home),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    await wait_listening(proc, port, 10.0)
    return proc, f"redis://{HOST}:{port}/0"


async def bench_server(name: str, opts: Options, home: Path) -> Result:
    redis: asyncio.subprocess.Process | None = None
    redis_url = ""
    if name in REDIS_WORKERS:
        redis, redis_url = await start_redis(home)
    try:
        return await _bench_server(name, opts, home, redis, redis_url)
    finally:
        if redis is not None:
            await stop_process(redis)


async def _bench_server(
    name: str,
    opts: Options,
    home: Path,
    redis: asyncio.subprocess.Process | None,
    redis_url: str,
) -> Result:
    port = free_port()
    argv, url, version = server_command(name, port, opts, home, redis_url)
    result = Result(server=name, version=version, clients=opts.clients)
    log_path = home / f"{name}.log"
    gens: list[Loadgen] = []
    with log_path.open("wb") as log:
        server = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=server_env(name, port, home),
        )
        try:
            await wait_listening(server, port, 30.0)
            await asyncio.sleep(opts.settle)
            if name in REDIS_WORKERS:
                # The first worker listening is not all of them: wait for each.
                await wait_workers(server, log_path, REDIS_WORKERS[name], 60.0)
            result.rss_before_kib = tree_rss_kib(server.pid)
            counts = split_clients(opts.clients, opts.room_size, opts.loadgen_procs)
            for k, count in enumerate(counts):
                config = {
                    "server": "avacollab" if name in REDIS_WORKERS else name,
                    "url": url,
                    "clients": count,
                    "roomSize": opts.room_size,
                    "prefix": f"g{k}",
                    "concurrency": max(1, opts.join_concurrency // len(counts)),
                    "window": opts.window,
                    "payloadBytes": opts.payload_bytes,
                    "deflate": opts.browser_deflate,
                }
                gens.append(await Loadgen.start(config))
            await measure(server, gens, opts, result, redis)
        except BaseException:
            tail = log_path.read_text(errors="replace")[-2000:]
            if tail:
                print(f"--- {name} server log (tail) ---\n{tail}", file=sys.stderr)
            raise
        finally:
            for gen in gens:
                await stop_process(gen.proc, grace=2.0)
            await stop_process(server)
    return result


def _listening(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count("signaling server on")


async def wait_workers(
    server: asyncio.subprocess.Process, log_path: Path, count: int, seconds: float
) -> None:
    """Until ``count`` workers said they listen (each logs one line)."""
    deadline = time.monotonic() + seconds
    while _listening(log_path) < count:
        if server.returncode is not None or time.monotonic() > deadline:
            raise BenchError(f"{count} workers did not all start")
        await asyncio.sleep(0.1)


async def measure(
    server: asyncio.subprocess.Process,
    gens: list[Loadgen],
    opts: Options,
    result: Result,
    redis: asyncio.subprocess.Process | None = None,
) -> None:
    cpu_before = tree_cpu_seconds(server.pid)
    gens_before = await ask_all(gens, "mark", 30.0)
    joins = await ask_all(gens, "join", 120.0)
    join_cpu = tree_cpu_seconds(server.pid) - cpu_before
    gens_after = await ask_all(gens, "mark", 30.0)
    gens_join_cpu = sum(
        b["cpuMicros"] - a["cpuMicros"] for a, b in zip(gens_before, gens_after, strict=True)
    )
    latencies = [lat for j in joins for lat in j["latencies"]]
    result.joined = len(latencies)
    result.join_failed = sum(j["failed"] for j in joins)
    result.join_p50_ms = percentile(latencies, 50)
    result.join_p99_ms = percentile(latencies, 99)
    result.open_p99_ms = percentile([t for j in joins for t in j["opens"]], 99)
    if latencies:
        result.join_cpu_us = join_cpu / len(latencies) * 1e6
        result.loadgen_join_cpu_us = gens_join_cpu / len(latencies)
    result.loadgen_client = joins[0]["client"]
    await asyncio.sleep(opts.settle)
    result.rss_idle_kib = tree_rss_kib(server.pid)

    await ask_all(gens, "start", 30.0)
    await asyncio.sleep(opts.warmup)
    redis_cpu0 = process_cpu_seconds(redis.pid) if redis is not None else 0.0
    busy0, cpu0, t0 = machine_busy_seconds(), tree_cpu_seconds(server.pid), time.monotonic()
    first = await ask_all(gens, "mark", 30.0)
    await asyncio.sleep(opts.duration)
    last = await ask_all(gens, "mark", 30.0)
    busy1, cpu1, t1 = machine_busy_seconds(), tree_cpu_seconds(server.pid), time.monotonic()
    redis_cpu1 = process_cpu_seconds(redis.pid) if redis is not None else 0.0
    result.server_cpu = (cpu1 - cpu0) / (t1 - t0)
    result.redis_cpu = (redis_cpu1 - redis_cpu0) / (t1 - t0)
    for a, b in zip(first, last, strict=True):
        seconds = (b["at"] - a["at"]) / 1000
        result.relayed += b["delivered"] - a["delivered"]
        result.relayed_per_s += (b["delivered"] - a["delivered"]) / seconds
        result.loadgen_cpu.append((b["cpuMicros"] - a["cpuMicros"]) / 1e6 / seconds)
    busy = (busy1 - busy0) / (t1 - t0)
    result.other_cpu = max(
        0.0, busy - result.server_cpu - result.redis_cpu - sum(result.loadgen_cpu)
    )

    stops = await ask_all(gens, "stop", 30.0)
    result.drained = all(s["drained"] for s in stops)
    result.errors = sum(s["errors"] for s in stops)
    result.error_samples = [e for s in stops for e in s["samples"]][:5]
    result.unexpected_closes = sum(s["closed"] for s in stops)
    await ask_all(gens, "close", 30.0)


# -- report -------------------------------------------------------------------


def machine() -> dict[str, str]:
    return {
        "cpu": cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{memory_gib():.1f} GiB",
        "kernel": platform.release(),
        "python": platform.python_version(),
        "node": node_version(),
        "date": datetime.date.today().isoformat(),
    }


def _num(value: float, digits: int = 0) -> str:
    return "n/a" if math.isnan(value) else f"{value:,.{digits}f}"


def render(results: Sequence[Result], opts: Options) -> str:
    lines = [
        f"{opts.clients} connections, rooms of {opts.room_size}, "
        f"{opts.payload_bytes} B relays, window {opts.window}, "
        f"{opts.join_concurrency} joins in flight, "
        f"{opts.duration:g} s measured after {opts.warmup:g} s warm-up, "
        f"median of {opts.rounds} round(s), "
        f"{opts.loadgen_procs} load generator process(es)"
        + (", permessage-deflate offered" if opts.browser_deflate else ""),
        "",
        "| server | relayed msg/s | server CPU per relay (us) | join p50 (ms) | join p99 (ms) "
        "| of which open p99 (ms) | server CPU per join (us) "
        "| load generator CPU per join (us) | memory / idle conn (KiB) "
        "| server CPU | load generator CPU | other CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        gen_cpu = " + ".join(f"{c:.0%}" for c in r.loadgen_cpu) or "n/a"
        lines.append(
            f"| {TITLES[r.server]} {r.version} | {_num(r.relayed_per_s)} "
            f"| {_num(r.cpu_us_per_relay, 1)} | {_num(r.join_p50_ms, 2)} "
            f"| {_num(r.join_p99_ms, 2)} | {_num(r.open_p99_ms, 2)} | {_num(r.join_cpu_us)} "
            f"| {_num(r.loadgen_join_cpu_us)} "
            f"| {_num(r.memory_per_conn_kib, 1)} "
            f"| {r.server_cpu:.0%} | {gen_cpu} | {r.other_cpu:.0%} |"
        )
    ours = next((r for r in results if r.server == "avacollab"), None)
    others = [r for r in results if r.server in ("ywebrtc", "peerjs")]
    if ours is not None and others:
        lines += [
            "",
            "| avacollab compared with | relay throughput (x, >1 is better) "
            "| CPU per relay (x, <1 is better) | join p99 (x, <1 is better) "
            "| memory per connection (x, <1 is better) |",
            "|---|---:|---:|---:|---:|",
        ]
        for r in others:
            lines.append(
                f"| {TITLES[r.server]} | {_ratio(ours.relayed_per_s, r.relayed_per_s)} "
                f"| {_ratio(ours.cpu_us_per_relay, r.cpu_us_per_relay)} "
                f"| {_ratio(ours.join_p99_ms, r.join_p99_ms)} "
                f"| {_ratio(ours.memory_per_conn_kib, r.memory_per_conn_kib)} |"
            )
    problems = [
        f"- {TITLES[r.server]}: {r.join_failed} joins failed, {r.errors} errors, "
        f"{r.unexpected_closes} unexpected closes, drained={r.drained} {r.error_samples}"
        for r in results
        if r.join_failed or r.errors or r.unexpected_closes or not r.drained
    ]
    clustered = [r for r in results if r.server in REDIS_WORKERS]
    if clustered:
        base = next((r for r in clustered if r.server == "redis1"), clustered[0])
        lines += [
            "",
            "| with Redis | relayed msg/s | x 1 process | server CPU per relay (us) "
            "| redis-server CPU per relay (us) | redis-server CPU | extra CPU per relay "
            "over one process without Redis (us) |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in clustered:
            extra = (
                r.cpu_us_per_relay + r.redis_us_per_relay - ours.cpu_us_per_relay
                if ours is not None
                else math.nan
            )
            lines.append(
                f"| {TITLES[r.server]} | {_num(r.relayed_per_s)} "
                f"| {_ratio(r.relayed_per_s, base.relayed_per_s)} "
                f"| {_num(r.cpu_us_per_relay, 1)} | {_num(r.redis_us_per_relay, 1)} "
                f"| {r.redis_cpu:.0%} | {_num(extra, 1)} |"
            )
    if problems:
        lines += ["", "Problems:", *problems]
    return "\n".join(lines)


def _with_derived(r: Result) -> dict[str, Any]:
    return asdict(r) | {
        "memory_per_conn_kib": r.memory_per_conn_kib,
        "cpu_us_per_relay": r.cpu_us_per_relay,
        "redis_us_per_relay": r.redis_us_per_relay,
    }


def _ratio(a: float, b: float) -> str:
    if math.isnan(a) or math.isnan(b) or b <= 0:
        return "n/a"
    return f"{a / b:.2f}"


# -- main ---------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> tuple[Options, Path | None]:
    d = Options()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--clients", type=int, default=d.clients, help="concurrent connections")
    parser.add_argument("--room-size", type=int, default=d.room_size, help="clients per room")
    parser.add_argument(
        "--servers",
        default=",".join(d.servers),
        help=f"comma-separated, from {', '.join(SERVERS)} (default: all)",
    )
    parser.add_argument("--loadgen-procs", type=int, default=d.loadgen_procs)
    parser.add_argument("--window", type=int, default=d.window, help="relays in flight per client")
    parser.add_argument("--payload-bytes", type=int, default=d.payload_bytes)
    parser.add_argument("--join-concurrency", type=int, default=d.join_concurrency)
    parser.add_argument("--warmup", type=float, default=d.warmup, help="seconds")
    parser.add_argument("--duration", type=float, default=d.duration, help="seconds measured")
    parser.add_argument("--settle", type=float, default=d.settle, help="seconds before RSS reads")
    parser.add_argument(
        "--rounds", type=int, default=d.rounds, help="runs per server, interleaved; medians shown"
    )
    parser.add_argument(
        "--browser-deflate",
        action="store_true",
        help="offer permessage-deflate on connect, as browsers do",
    )
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    servers = tuple(s.strip() for s in args.servers.split(",") if s.strip())
    unknown = [s for s in servers if s not in SERVERS]
    if unknown or not servers:
        parser.error(f"--servers takes names from {', '.join(SERVERS)}")
    counts = (args.loadgen_procs, args.window, args.rounds)
    if min(args.clients, args.room_size) < 2 or min(counts) < 1:
        parser.error(
            "need --clients and --room-size >= 2; --loadgen-procs, --window and --rounds >= 1"
        )
    if args.duration <= 0 or args.warmup < 0 or args.settle < 0:
        parser.error("--duration must be positive, --warmup and --settle not negative")
    opts = Options(
        clients=args.clients,
        room_size=args.room_size,
        servers=servers,
        loadgen_procs=args.loadgen_procs,
        window=args.window,
        payload_bytes=args.payload_bytes,
        join_concurrency=max(1, args.join_concurrency),
        warmup=args.warmup,
        duration=args.duration,
        settle=args.settle,
        rounds=args.rounds,
        browser_deflate=args.browser_deflate,
    )
    return opts, args.json


def check_installed(opts: Options) -> None:
    node_version()
    missing = [
        s
        for s, path in (
            ("ywebrtc", NODE_MODULES / "y-webrtc" / "bin" / "server.js"),
            ("peerjs", NODE_MODULES / "peer" / "dist" / "bin" / "peerjs.js"),
        )
        if s in opts.servers and not path.exists()
    ]
    if missing:
        raise BenchError(
            f"{', '.join(missing)} not installed: run `npm ci --prefix bench/js` first "
            "(or pass --servers avacollab)"
        )


async def run(opts: Options) -> dict[str, list[Result]]:
    """Benchmark every server of ``opts``: each round runs them one after the other."""
    check_installed(opts)
    raise_open_files(2 * opts.clients + 1024)
    rounds: dict[str, list[Result]] = {name: [] for name in opts.servers}
    with tempfile.TemporaryDirectory(prefix="avacollab-bench-") as tmp:
        for k in range(opts.rounds):
            for name in opts.servers:
                print(f"round {k + 1}/{opts.rounds}: {TITLES[name]}", file=sys.stderr, flush=True)
                rounds[name].append(await bench_server(name, opts, Path(tmp)))
    return rounds


def main(argv: Sequence[str] | None = None) -> int:
    opts, json_path = parse_args(argv)
    try:
        info = machine()
        rounds = asyncio.run(run(opts))
    except BenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    results = [median_result(r) for r in rounds.values()]
    print(render(results, opts))
    print()
    print("Machine: " + ", ".join(f"{k} {v}" for k, v in info.items()))
    if json_path is not None:
        payload = {
            "machine": info,
            "options": asdict(opts),
            "results": [_with_derived(r) for r in results],
            "rounds": {name: [_with_derived(r) for r in rs] for name, rs in rounds.items()},
        }
        write_json(json_path, payload)
    failed = any(r.join_failed or not r.joined or not r.relayed for r in results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
