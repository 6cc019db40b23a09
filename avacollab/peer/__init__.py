"""One peer of a room: :mod:`.signaling_client` talks to the signaling server,
:mod:`.link` is one WebRTC connection to another peer (with :mod:`.ice` and
:mod:`.sctp` adapting aiortc), and :mod:`.session` keeps the full mesh and
runs the plugins over the bus."""
