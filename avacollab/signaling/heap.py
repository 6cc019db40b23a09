"""Giving freed memory back to the operating system after a burst.

The server's queues are bounded, so a crowd of clients that never read can
push its memory up only so far. But once they are gone the memory does not
come back by itself: the frames (a few KiB to 64 KiB) come from glibc's
heap, which hands freed memory back to the system only from the top of the
heap, and a few allocations that live on above the freed frames pin all of
it. Measured with tests/test_server_hostile.py's attack (30 clients that
never read, fed 59 KB frames, on `avacollab serve`): 93 MiB before, 154 MiB
at the peak, still 149 MiB a few seconds after every culprit had gone;
``malloc_trim(0)`` (under a millisecond) takes it back to 96 MiB. Python's
own allocator held none of it (tracemalloc: under 1 MiB). Making glibc
serve large blocks from mmap instead (``M_MMAP_THRESHOLD`` 32 KiB) returned
59 KB frames but not 20 KB ones, so it is no cure.

So once the bytes queued on the server have risen past a threshold and
fallen back to a quarter of that peak, the server calls ``malloc_trim``,
once. Where the C library has no such function (musl, macOS) nothing
happens.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable

from .. import logs


def _malloc_trim() -> Callable[[], object] | None:
    """glibc's ``malloc_trim(0)``, or None where the C library has none."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return lambda: trim(0)


class HeapTrimmer:
    """Watches a byte count and trims the heap once a burst of it is over."""

    def __init__(self, threshold: int, delay: float) -> None:
        """``threshold``: the smallest peak worth a trim; ``delay``: seconds
        to wait after the fall, so that buffers still being let go (sockets
        closing) are free by then and one trim covers a whole cascade."""
        self.threshold = threshold
        self.delay = delay
        self.peak = 0
        self.trims = 0
        self._trim = _malloc_trim()
        self._timer: asyncio.TimerHandle | None = None

    def note(self, used: int) -> None:
        """Tell how many bytes are queued now (cheap: called often)."""
        if used > self.peak:
            self.peak = used
        elif self.peak >= self.threshold and used <= self.peak // 4:
            self.peak = used
            if self._timer is None and self._trim is not None:
                self._timer = asyncio.get_running_loop().call_later(self.delay, self._run)

    def burst(self) -> None:
        """Count a burst now, whatever the bytes noted: the heap is trimmed
        once they are down to a quarter of the threshold."""
        self.peak = max(self.peak, self.threshold)

    def _run(self) -> None:
        self._timer = None
        if self._trim is not None:
            self._trim()
            self.trims += 1
            logs.event("heap-trimmed")

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
