"""A process's resident memory, from /proc: what yrs allocates shows there, not in tracemalloc."""

from __future__ import annotations

from pathlib import Path

MIB = 1024 * 1024


def status_bytes(key: str, pid: int | str = "self") -> int:
    """The ``VmRSS`` (now) or ``VmHWM`` (peak) line of /proc/PID/status, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{key}:"):
            return int(line.split()[1]) * 1024
    raise LookupError(f"no {key} for process {pid}")


def rss(pid: int | str = "self") -> int:
    """Resident memory now."""
    return status_bytes("VmRSS", pid)


def peak(pid: int | str = "self") -> int:
    """Resident memory at its highest since the process started or :func:`reset_peak`."""
    return status_bytes("VmHWM", pid)


def reset_peak(pid: int | str = "self") -> None:
    """Start :func:`peak` afresh from the current resident memory (Linux's clear_refs 5)."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")
