"""The in-memory room now lives in the core: :mod:`avacollab.memoryroom`."""

from avacollab.memoryroom import FakeSession, Room, settle

__all__ = ["FakeSession", "Room", "settle"]
