"""Reading stored nodes straight from yrs: one node, or the whole map in one pass.

pycrdt's wrappers open a transaction for every read, which made reading a
large document cost hundreds of microseconds a node; yrs' own objects read
inside one transaction cost a fraction of that. Both the guard (checking
what a peer sent) and the document's tree view read nodes through here, so a
node is parsed by one set of rules.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from avacollab.internals import dependency_error, require_attributes
from pycrdt import Doc, Map
from pycrdt import _pycrdt as raw

from .layout import Entry
from .schema import (
    JSON,
    ValidationError,
    check_id,
    check_prop_name,
    check_type,
    check_value,
    parse_entry,
)

NODES = "nodes"
"""The document's only root: the map of nodes."""


def check_pycrdt() -> None:
    """Raise ``DependencyError`` unless pycrdt has the private parts this plugin reads.

    Run when the module is imported. Reading nodes here and in the guard
    goes straight to yrs (pycrdt's private module ``_pycrdt``) through a
    transaction's ``_txn``; the model reads ``Doc._txn`` to tell whether a
    transaction is open. Checked on a real document, with the one behaviour
    :func:`raw_get` relies on: a missing key raises ``ValueError``.
    """

    def require(owner: object, names: list[str], label: str) -> None:
        require_attributes("avacollab-editing", "pycrdt", owner, names, label)

    shared = ["Array", "Doc", "Map", "Text", "XmlElement", "XmlFragment", "XmlText"]
    require(raw, [*shared, "Transaction"], "pycrdt._pycrdt")
    doc: Doc[Any] = Doc()
    require(doc, ["_txn"], "Doc")
    nodes = doc.get(NODES, type=Map)
    with doc.transaction() as transaction:
        require(transaction, ["_txn"], "Transaction")
        txn = transaction._txn
        if not isinstance(txn, raw.Transaction):
            raise dependency_error(
                "avacollab-editing", "pycrdt", "Transaction._txn is not a yrs transaction"
            )
        require(nodes.integrated, ["get", "keys"], "pycrdt._pycrdt.Map")
        try:
            nodes.integrated.get(txn, "missing")
        except ValueError:
            return
        except Exception:  # anything else is the same surprise as no error at all
            pass
    raise dependency_error(
        "avacollab-editing",
        "pycrdt",
        "a yrs map's get no longer raises ValueError for a missing key",
    )


check_pycrdt()

# Shared (non-JSON) values a foreign writer could smuggle into a node, as yrs
# hands them out before pycrdt wraps them.
RAW_SHARED = (raw.Array, raw.Doc, raw.Map, raw.Text, raw.XmlElement, raw.XmlFragment, raw.XmlText)

Record = tuple[str, dict[str, JSON]]
"""A node's type and properties (values as stored)."""


@dataclass
class Snapshot:
    """Every node of a document, parsed.

    ``records`` and ``entries`` hold the nodes that parsed; ``ids`` every
    key of the map (invalid nodes included); ``problems`` says what was
    invalid.
    """

    records: dict[str, Record] = field(default_factory=dict)
    entries: dict[str, Entry] = field(default_factory=dict)
    ids: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_document(doc: Doc[Any], *, strict: bool) -> Snapshot:
    """Read every node of ``doc`` in one transaction.

    ``strict`` checks everything a peer could have got wrong (property names
    and values, roots other than ``nodes``) and lists it in ``problems``;
    without it, values are trusted (the guard screened them) and a node that
    does not parse is only left out, which keeps reading total.
    """
    snapshot = Snapshot()
    if strict:
        extra = sorted(set(doc.keys()) - {NODES})
        if extra:
            snapshot.problems.append(f"unknown root types {extra}")
    nodes = doc.get(NODES, type=Map).integrated
    with doc.transaction() as transaction:
        txn = transaction._txn
        ids: list[str] = nodes.keys(txn)
        snapshot.ids = ids
        known = Known()
        for node_id in ids:
            try:
                parsed = read_node(node_id, nodes, txn, strict=strict, known=known)
            except ValidationError as exc:
                snapshot.problems.append(f"node {node_id!r:.80}: {exc}")
                continue
            snapshot.records[node_id], snapshot.entries[node_id] = parsed
    return snapshot


@dataclass
class Known:
    """Types and property names already found valid: they repeat across nodes."""

    types: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)


def read_node(
    node_id: str, nodes: Any, txn: Any, *, strict: bool = True, known: Known | None = None
) -> tuple[Record, Entry]:
    """Parse node ``node_id`` of yrs' ``nodes`` map within the yrs transaction ``txn``.

    A node without a position reads as placed at ``layout.UNPLACED``. Raises
    ``ValidationError`` for anything that breaks the schema.
    """
    known = Known() if known is None else known
    check_id(node_id)
    node = raw_get(nodes, txn, node_id)
    if not isinstance(node, raw.Map):
        raise ValidationError("is not a map")
    node_type = raw_get(node, txn, "type")
    if not isinstance(node_type, str) or node_type not in known.types:
        node_type = check_type(node_type)
        known.types.add(node_type)
    props = raw_get(node, txn, "props")
    if not isinstance(props, raw.Map):
        raise ValidationError("props is not a map")
    values: dict[str, JSON] = {}
    for name in props.keys(txn):  # type: ignore[attr-defined]  # not in the stubs
        value = props.get(txn, name)
        if isinstance(value, RAW_SHARED):
            raise ValidationError(f"property {name!r:.80} holds a shared type, not JSON")
        if strict:
            if name not in known.names:
                known.names.add(check_prop_name(name))
            try:
                value = check_value(value)
            except ValidationError:  # checked again only to say where
                value = check_value(value, f"property {name!r:.80}")
        values[name] = value
    pos = raw_get(node, txn, "pos")
    if isinstance(pos, RAW_SHARED):
        raise ValidationError("pos is a shared type, not a plain value")
    return (node_type, values), parse_entry(
        {"pos": pos, "deleted": raw_get(node, txn, "deleted", False)}
    )


def raw_get(container: Any, txn: Any, key: str, default: object = None) -> object:
    """``container[key]`` of a yrs map, or ``default``."""
    try:
        return container.get(txn, key)  # one call instead of has() then get()
    except ValueError:  # yrs' "Key error"
        return default


@contextmanager
def paused_gc() -> Iterator[None]:
    """Hold off the cyclic garbage collector while reading a whole document.

    Reading 10,000 nodes makes some 100,000 small objects, none in a cycle;
    on the way they set off full collections that walk every object of the
    process (a session holds hundreds of thousands), which cost a quarter
    of the read. Collection resumes at its next threshold afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
