"""How the local peer presents itself and how fast presence reacts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .state import parse_user

__all__ = ["PresenceConfig"]


@dataclass(frozen=True, slots=True)
class PresenceConfig:
    """How the local peer presents itself and how fast presence reacts.

    ``color`` ``None`` picks one from the palette (see :mod:`.colors`); times
    are in seconds.
    """

    name: str
    color: str | None = None
    cursor_interval: float = 0.05
    idle_after: float = 60.0
    away_after: float = 300.0
    timeout: float = 30.0

    def __post_init__(self) -> None:
        parse_user({"name": self.name, "color": self.color or "#000000"})
        for field in ("cursor_interval", "idle_after", "away_after", "timeout"):
            value = getattr(self, field)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{field} must be a positive number of seconds")
        if self.away_after <= self.idle_after:
            raise ValueError("away_after must be longer than idle_after")
