"""TURN: :mod:`.credentials` (time-limited credentials, ICE server entries,
the shared secret), :mod:`.coturn` (the hardened coturn config and the ranges
a relay must never reach) and :mod:`.check` (checking an existing config)."""
