"""The signaling server, in layers: :mod:`.protocol` (messages and their
validation, pure), :mod:`.core` (every rule of rooms, relay and resume, driven
by events, pure), and :mod:`.server` (the aiohttp adapter that moves frames
and timers). :mod:`.tokens`, :mod:`.ratelimit` and :mod:`.metrics` serve the
core."""
