"""What the benchmarks report about the machine they ran on.

Cores, CPU model, memory and how busy the whole machine was: never a host
name or a path, so the figures can go into docs/benchmarks.md as they are.
"""

from __future__ import annotations

import contextlib
import os
from importlib.metadata import version


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
