"""Yjs v1 updates written by hand: ones that claim far more than they hold.

Each claims a huge count or length in one varint of the update v1 format
(or of a state vector). The claims are the largest yrs 0.28 still reserves
memory for before it reads the elements (a larger one fails its allocation
and is refused cheaply), so each of these made pycrdt touch up to 1 GiB.
``HOSTILE_UPDATES`` maps a name to ``(bytes, words the refusal names)``.
:data:`DEEP` nests values past the native stack instead.
"""

from __future__ import annotations

from pycrdt import Doc, Map


def varuint(value: int) -> bytes:
    """lib0's unsigned varint: 7 bits a byte, low bits first."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def string(data: bytes) -> bytes:
    return varuint(len(data)) + data


NO_DELETES = b"\x00"
"""An empty delete set."""


def one_item(content: bytes, info: int, clock: int = 0) -> bytes:
    """The structs of an update: one item of client 7 at ``clock`` in the root map ``nodes``."""
    return varuint(1) + varuint(1) + varuint(7) + varuint(clock) + bytes([info]) + root() + content


def root(name: bytes = b"nodes") -> bytes:
    return varuint(1) + string(name)


def any_value(body: bytes) -> bytes:
    """An item of ``Any`` content holding one value."""
    return one_item(varuint(1) + body, 8)


_HUGE = (1 << 28) - 1  # ~512 MiB of hash-map control bytes in yrs 0.28
_HUGE_KEYS = (1 << 27) - 1  # larger (String, Any) tables fail the allocation instead
_HUGE_SV = (1 << 29) - 1  # (client, clock) entries are smaller: 1 GiB

DEEP = one_item(varuint(1) + b"\x75\x01" * 100_000 + b"\x7e", 8) + NO_DELETES
"""An array nested 100,000 deep (200 KB): yrs' recursive decoder overflowed the native
stack and the process died (SIGSEGV)."""

HOSTILE_UPDATES: dict[str, tuple[bytes, str]] = {
    "clients": (varuint(_HUGE) + NO_DELETES, "clients claimed"),
    "structs": (varuint(1) + varuint(_HUGE) + varuint(7) + varuint(0) + b"\x00\x01", "structs"),
    "delete set clients": (varuint(0) + varuint(_HUGE) + b"\x00", "delete set clients"),
    "delete ranges": (varuint(0) + varuint(1) + varuint(7) + varuint(_HUGE), "delete ranges"),
    "any values": (one_item(varuint(_HUGE) + b"\x7e", 8) + NO_DELETES, "values claimed"),
    "array items": (any_value(b"\x75" + varuint(_HUGE) + b"\x7e") + NO_DELETES, "array items"),
    "object entries": (
        any_value(b"\x76" + varuint(_HUGE_KEYS) + string(b"k") + b"\x7e") + NO_DELETES,
        "object entries",
    ),
    "subdocument options": (
        one_item(string(b"guid") + b"\x76" + varuint(_HUGE_KEYS) + b"\x7e", 9) + NO_DELETES,
        "object entries",
    ),
    "string": (one_item(varuint(_HUGE) + b"abc", 4) + NO_DELETES, "string of"),
    "root type name": (
        varuint(1) + varuint(1) + varuint(7) + varuint(0) + b"\x04\x01" + varuint(_HUGE),
        "root type name",
    ),
    "binary": (one_item(varuint(_HUGE) + b"abc", 3) + NO_DELETES, "binary of"),
    "deleted length past 2^32": (
        one_item(varuint(0xFFFF_FFFF), 1, clock=5) + NO_DELETES,
        "past 2^32",
    ),
}

HOSTILE_STATE_VECTOR = varuint(_HUGE_SV) + b"\x01\x02"
"""A state vector (sync step 1) claiming 2^29 clients: yrs 0.28 touched 1 GiB for it."""


def node_update(node_id: str, doc: Doc[Map[object]]) -> bytes:
    """A valid update, written by ``doc``, adding the top-level node ``node_id``."""
    before = doc.get_state()
    nodes = doc.get("nodes", type=Map)
    nodes[node_id] = Map(
        {
            "type": "Note",
            "props": Map({"by": "mallory"}),
            "pos": {"parent": None, "order": "V"},
            "deleted": False,
        }
    )
    return doc.get_update(before)
