"""What the benchmarks report about the machine they ran on.

Cores, CPU model, memory and how busy the whole machine was: never a host
name or a path, so the figures can go into docs/benchmarks.md as they are.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (``"unknown CPU"`` elsewhere)."""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def memory_gib() -> float:
    """Total memory in GiB (0 where /proc/meminfo is missing)."""
    with contextlib.suppress(OSError), open("/proc/meminfo") as info:
        for line in info:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return 0.0


def versions(*packages: str) -> dict[str, str]:
    """Installed versions of the named distributions."""
    return {name: version(name) for name in packages}


def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (every core summed, not idle or iowait).

    Read before and after a run, minus what the benchmark itself used, it
    says how much other work shared the machine.
    """
    with open("/proc/stat") as stat:
        ticks = [int(v) for v in stat.readline().split()[1:]]
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def machine(*packages: str) -> dict[str, str]:
    """Cores, CPU model, kernel, Python and the named packages' versions.

    No host name, no paths.
    """
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu_model(),
        "linux": platform.release().split("-")[0],
        "python": platform.python_version(),
        **versions(*packages),
    }


def own_cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    times = os.times()
    return times.user + times.system


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of any process, from /proc (fields 14 and 15)."""
    with open(f"/proc/{pid}/stat") as stat:
        text = stat.read()
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def write_json(path: Path | str, figures: Any) -> None:
    """Write a run's figures as indented JSON, creating the folder first:
    bench/results/, where the docs' commands put them, is not in git."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2) + "\n")
