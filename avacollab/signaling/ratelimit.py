"""A token bucket: the per-connection message rate limit."""

from __future__ import annotations


class TokenBucket:
    """Allows ``rate`` events a second on average and bursts of ``burst``.

    Time is passed in, so the limiter is pure and tests need no sleeps.
    """

    __slots__ = ("_stamp", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: float, now: float) -> None:
        self.rate = rate
        self.burst = burst
        self._tokens = burst
        self._stamp = now

    def take(self, now: float) -> bool:
        """Spend one token if there is one; say whether the event may pass."""
        elapsed = now - self._stamp
        self._stamp = now
        tokens = self._tokens
        if elapsed > 0.0:  # time never runs back, but clocks may
            tokens += elapsed * self.rate
            if tokens > self.burst:
                tokens = self.burst
        if tokens >= 1.0:
            self._tokens = tokens - 1.0
            return True
        self._tokens = tokens
        return False
