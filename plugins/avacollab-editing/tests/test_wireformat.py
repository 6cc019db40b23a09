"""Bytes from peers are read within bounds before pycrdt decodes them (``wireformat``).

yrs reserves memory for the counts an update claims before it reads the
elements, so a few hundred hostile bytes made it touch hundreds of MiB (see
``crafted.py``). Everything pycrdt (and, in test_interop.py, Yjs) writes
must still pass; every claim that does not fit its bytes is refused first.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pycrdt import Array, Doc, Map, Text, XmlElement, XmlFragment, XmlText, merge_updates

from avacollab_editing import Document, RejectedUpdate
from avacollab_editing.wireformat import (
    MAX_NESTING,
    WireFormatError,
    check_state_vector,
    check_update,
)

from .crafted import (
    DEEP,
    HOSTILE_STATE_VECTOR,
    HOSTILE_UPDATES,
    NO_DELETES,
    any_value,
    node_update,
    one_item,
    string,
    varuint,
)
from .memory import MIB, peak, reset_peak, rss

BUDGET = 48 * MIB
"""How far above its resident memory at the start a stream of hostile updates may take
this process. A few MiB are Python's own (the refusals, hypothesis); one
claim that yrs believed was 128 MiB to 1 GiB."""

# -- everything pycrdt writes passes ---------------------------------------

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53) + 1, 2**53 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.binary(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)


def _edit(doc: Doc[Any], data: st.DataObject) -> None:
    """One random edit of every kind of shared type pycrdt writes."""
    kind = data.draw(st.sampled_from(["map", "nested", "array", "text", "xml", "delete"]))
    m = doc.get("m", type=Map)
    a = doc.get("a", type=Array)
    t = doc.get("t", type=Text)
    key = data.draw(st.sampled_from("abcd"))
    if kind == "map":
        m[key] = data.draw(json_values)
    elif kind == "nested":
        m[key] = data.draw(
            st.sampled_from([Map({"x": 1, "y": Array([b"\x00", 2.5])}), Array(["s"]), Text("ü😀")])
        )
    elif kind == "array":
        a.insert(data.draw(st.integers(0, len(a))), data.draw(json_values))
    elif kind == "text":
        at = data.draw(st.integers(0, len(t)))
        t.insert(at, data.draw(st.text(min_size=1, max_size=8)), {"bold": True} if at % 2 else None)
        t.insert_embed(at, {"image": "x.png"})
        t.format(0, len(t), {"italic": data.draw(st.booleans())})
    elif kind == "xml":
        doc.get("x", type=XmlFragment).children.append(
            XmlElement("div", {"class": key}, [XmlText("hi")])
        )
    elif kind == "delete":
        if key in m:
            del m[key]
        if len(a):
            del a[0]
        if len(t) > 1:
            del t[0:2]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_every_update_pycrdt_writes_passes(data: st.DataObject) -> None:
    docs: list[Doc[Any]] = [Doc(client_id=data.draw(st.integers(0, 2**53 - 1))) for _ in range(2)]
    updates: list[bytes] = []
    for _ in range(data.draw(st.integers(1, 8))):
        doc = docs[data.draw(st.integers(0, 1))]
        before = doc.get_state()
        with doc.transaction():
            _edit(doc, data)
        update = doc.get_update(before)
        updates.append(update)
        for other in docs:
            other.apply_update(update)
    for update in [*updates, merge_updates(*updates), docs[0].get_update()]:
        check_update(update)
    check_update(docs[1].get_update(Doc().get_state()))
    check_state_vector(docs[0].get_state())
    check_state_vector(Doc().get_state())


def test_values_nested_up_to_the_bound_pass_and_deeper_ones_are_refused() -> None:
    def nested(depth: int) -> bytes:  # ``depth`` arrays around a null
        return any_value(b"\x75\x01" * (depth - 1) + b"\x7e") + NO_DELETES

    check_update(nested(MAX_NESTING))
    with pytest.raises(WireFormatError, match="nested more than"):
        check_update(nested(MAX_NESTING + 1))


# -- what is refused, and why ----------------------------------------------


@pytest.mark.parametrize("name", sorted(HOSTILE_UPDATES))
def test_claims_that_do_not_fit_their_bytes_are_refused_before_pycrdt(name: str) -> None:
    data, reason = HOSTILE_UPDATES[name]
    with pytest.raises(WireFormatError, match=re.escape(reason)):
        check_update(data)
    doc = Document()
    doc.add("App", id="app")
    before = doc.export()
    with pytest.raises(RejectedUpdate, match=f"malformed update: .*{re.escape(reason)}"):
        doc.apply_update(data, "mallory")
    assert doc.export() == before


def test_values_nested_past_the_native_stack_are_refused_and_the_process_lives() -> None:
    # In a child process: on a crash it is the child that dies.
    code = (
        "import sys\n"
        "from avacollab_editing import Document, RejectedUpdate\n"
        "try:\n"
        "    Document().apply_update(sys.stdin.buffer.read(), 'mallory')\n"
        "except RejectedUpdate as exc:\n"
        "    print(exc)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", code], input=DEEP, capture_output=True, timeout=60, check=False
    )
    assert child.returncode == 0, child.stderr.decode(errors="replace")[-500:]
    assert b"nested more than" in child.stdout


def test_a_state_vector_claiming_more_clients_than_it_holds_is_refused() -> None:
    with pytest.raises(WireFormatError, match="state vector clients claimed"):
        check_state_vector(HOSTILE_STATE_VECTOR)
    with pytest.raises(ValueError, match="state vector clients claimed"):
        Document().get_update(HOSTILE_STATE_VECTOR)
    with pytest.raises(WireFormatError, match="bytes after the end"):
        check_state_vector(Doc().get_state() + b"\x00")


REFUSED: dict[str, tuple[bytes, str]] = {
    "legacy JSON content": (one_item(varuint(1) + string(b"1"), 2) + NO_DELETES, "legacy JSON"),
    "xml hook": (one_item(b"\x05" + string(b"h"), 7) + NO_DELETES, "xml hook"),
    "weak link": (one_item(b"\x07", 7) + NO_DELETES, "shared type kind 7"),
    "move content": (one_item(b"\x00" * 6, 11) + NO_DELETES, "content kind 11"),
    "unknown value tag": (any_value(b"\x64") + NO_DELETES, "value tag 100"),
    "flags on a gc struct": (
        varuint(1) + varuint(1) + varuint(7) + varuint(0) + b"\x20\x03" + NO_DELETES,
        "flags on a gc",
    ),
    "parent info 2": (
        varuint(1) + varuint(1) + varuint(7) + varuint(0) + b"\x04\x02",
        "parent info 2",
    ),
    "bytes after the delete set": (Doc().get_update() + b"junk", "4 bytes after the end"),
    "no delete set": (one_item(varuint(5), 1), "truncated"),
    "count above 32 bits": (varuint(1 << 32) + NO_DELETES, "above 4294967295"),
    "varint of 6 bytes": (b"\x81\x80\x80\x80\x80\x00" + NO_DELETES, "longer than 5 bytes"),
    "client id above 2^53": (
        varuint(1) + varuint(1) + varuint(1 << 53) + varuint(0) + b"\x00\x01" + NO_DELETES,
        "client id",
    ),
    "clock past 2^32": (
        varuint(1) + varuint(2) + varuint(7) + varuint(0xFFFF_FFF0) + b"\x00\x08\x00\x08\x00",
        "clocks run past 2\\^32",
    ),
    "delete range past 2^32": (
        varuint(0) + varuint(1) + varuint(7) + varuint(1) + varuint(0xFFFF_FFF0) + varuint(16),
        "delete range runs past",
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_what_yrs_would_misread_or_yjs_never_writes_is_refused(name: str) -> None:
    data, reason = REFUSED[name]
    with pytest.raises(WireFormatError, match=reason):
        check_update(data)


# -- a stream of hostile updates: memory stays within budget ----------------


def _mutations(valid: list[bytes], rng: random.Random) -> list[bytes]:
    """Valid updates with a huge varint written over a random place, or cut short."""
    huge = [varuint(n) for n in ((1 << 28) - 1, (1 << 27) - 1, (1 << 32) - 1, 1 << 20)]
    out = []
    for update in valid:
        for _ in range(40):
            at = rng.randrange(len(update))
            out.append(update[:at] + rng.choice(huge) + update[at + 1 :])
            out.append(update[:at])
    return out


def _stream(rng: random.Random, valid: list[bytes]) -> list[bytes]:
    randoms = [rng.randbytes(rng.randint(1, 1000)) for _ in range(1500)]
    crafted = [data for data, _ in HOSTILE_UPDATES.values()]
    stream = randoms + _mutations(valid, rng) + crafted
    rng.shuffle(stream)
    return stream


def test_a_stream_of_random_and_crafted_updates_stays_within_a_memory_budget() -> None:
    rng = random.Random(14)
    doc = Document()
    doc.add("App", {"title": "Shop"}, id="app")
    doc.add("Button", {"label": "Buy"}, parent="app", id="buy")
    writer: Doc[Map[object]] = Doc()
    writer.apply_update(doc.get_update())
    valid = [node_update(f"n{i}", writer) for i in range(3)]
    stream = _stream(rng, valid)
    before = list(doc.tree())
    start = rss()
    reset_peak()
    refused = 0
    for update in stream:
        try:
            doc.apply_update(update, "mallory")
        except RejectedUpdate:
            refused += 1
        assert peak() - start < BUDGET, f"peak {peak() // MIB} MiB, start {start // MIB} MiB"
    with pytest.raises(ValueError, match="state vector"):
        doc.get_update(HOSTILE_STATE_VECTOR)
    assert peak() - start < BUDGET
    assert refused >= len(stream) - 20  # a mutation can still be a valid update
    # The valid updates from the same sender still apply, and nothing else did.
    for update in valid:
        doc.apply_update(update, "mallory")
    assert sorted(c.id for c in doc.tree()) == ["app", "n0", "n1", "n2"]
    assert [c for c in doc.tree() if c.id == "app"] == before


WALKS: list[tuple[str, Callable[[bytes], None]]] = [
    ("update", check_update),
    ("state vector", check_state_vector),
]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(WALKS))
def test_any_bytes_either_pass_or_raise_a_wire_format_error(
    data: bytes, walk: tuple[str, Callable[[bytes], None]]
) -> None:
    try:
        walk[1](data)
    except WireFormatError as exc:
        assert "(at byte " in str(exc)
