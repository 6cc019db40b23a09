"""Helpers for session tests: this suite's bound on every wait."""

from __future__ import annotations

WAIT = 15.0
