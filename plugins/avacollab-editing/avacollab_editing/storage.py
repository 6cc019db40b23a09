"""Files on disk: atomic writes and the persisted CRDT state beside a JSON doc.

A write goes to a temporary file in the same directory, is flushed to disk,
then renamed over the target, so a reader (or a crash) sees either the old file
or the new one and never half of one.

A state file is a whole state followed by the changes made since, appended
(encoding a whole state costs about 8 ms a MB; a change since the last save
costs nearly nothing). Each record is one header line, then the JSON the
file's edits are diffed against (only when that is not the state's own
export), then a CRDT update::

    avacollab-ystate 1 <sha256 of body> <mirrors|-> <replaces|-> <base length> <body length>

``mirrors`` and ``replaces`` are SHA-256 digests of file contents (see
:class:`SavedState`); the last record's are the ones that hold. The
checksum turns a damaged file into a clear error rather than a document
quietly missing part of its history; only a last record cut short (a crash
while appending it) is dropped, since the file write it preceded never
happened.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from pycrdt import merge_updates

from .guard import RejectedUpdate
from .model import Document

STATE_SUFFIX = ".ystate"
STATE_ORIGIN = "storage"
STATE_MAGIC = b"avacollab-ystate "
STATE_VERSION = b"1"
_NONE = b"-"


class StateFileError(ValueError):
    """A saved CRDT state file is damaged: it is refused whole, never half loaded."""


@dataclass(frozen=True)
class SavedState:
    """A CRDT state as saved beside a JSON file, with what it knows of that file.

    At most one of ``mirrors`` and ``base`` is set: the state is written either
    just before the file (``mirrors``) or while the file does not parse
    (``base``).
    """

    update: bytes
    """The whole document, as a Yjs update."""
    mirrors: str | None = None
    """Digest of the JSON written to the file right after this state: its export."""
    replaces: str | None = None
    """Digest of what the file held just before that write; its content is in the state."""
    base: bytes | None = None
    """The JSON last read from or written to the file, when the file did not parse."""


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def digest(data: bytes) -> str:
    """The SHA-256 of ``data`` in hex: how a state file names file contents."""
    return hashlib.sha256(data).hexdigest()


def state_path(doc_path: Path) -> Path:
    """Where the CRDT state of ``doc_path`` lives: ``design.json`` -> ``design.json.ystate``."""
    return doc_path.with_name(doc_path.name + STATE_SUFFIX)


def encode_state(state: SavedState) -> bytes:
    """The bytes of one state record (a state file holds one or more)."""
    base = state.base or b""
    body = base + state.update
    fields = [
        STATE_VERSION,
        digest(body).encode(),
        (state.mirrors or "-").encode(),
        (state.replaces or "-").encode(),
        str(len(base)).encode(),
        str(len(body)).encode(),
    ]
    return STATE_MAGIC + b" ".join(fields) + b"\n" + body


def decode_state(data: bytes) -> SavedState:
    """Parse a state file; raise ``StateFileError`` if it is damaged.

    The records' updates are merged into one, and the last record's file
    facts hold. Bytes without the header are a bare update, as written
    before the header existed: a state that knows nothing of its file.
    """
    if not data.startswith(STATE_MAGIC):
        return SavedState(data)
    records: list[SavedState] = []
    start = 0
    while start < len(data):
        try:
            record, start = _record(data, start)
        except _CutShort:
            if not records:  # the first record is written whole, atomically
                raise StateFileError("checksum mismatch (truncated or damaged)") from None
            break
        records.append(record)
    if len(records) == 1:
        return records[0]
    update = merge_updates(*(r.update for r in records))
    last = records[-1]
    return SavedState(update, last.mirrors, last.replaces, last.base)


def write_state(path: Path, state: SavedState) -> None:
    """Write ``state`` to ``path`` atomically, as the whole of the file."""
    atomic_write(path, encode_state(state))


def append_state(path: Path, state: SavedState) -> int:
    """Append a record of changes (and new file facts) to ``path``; return its size.

    A crash part way leaves a record cut short, which reading drops.
    """
    record = encode_state(state)
    with path.open("ab") as file:
        file.write(record)
        file.flush()
        os.fsync(file.fileno())
    return len(record)


def read_state(path: Path) -> SavedState | None:
    """The state saved at ``path``, ``None`` if there is none; ``StateFileError`` if damaged."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        return decode_state(data)
    except StateFileError as exc:
        raise StateFileError(f"{path.name}: {exc}") from None


def save_state(path: Path, document: Document) -> None:
    """Persist the whole CRDT state of ``document`` to ``path`` (with no file beside it)."""
    write_state(path, SavedState(document.get_update()))


def load_state(path: Path, document: Document) -> SavedState | None:
    """Merge the state saved at ``path`` into ``document``; ``None`` if there is none.

    The update goes through the same checks as a peer's, so a damaged file
    raises ``StateFileError`` instead of corrupting the document. Refusing
    is the safe choice: starting from the JSON file alone would replay it as
    new writes that can overwrite what the other peers wrote meanwhile.
    """
    state = read_state(path)
    if state is None:
        return None
    try:
        document.apply_update(state.update, STATE_ORIGIN)
    except RejectedUpdate as exc:
        raise StateFileError(f"{path.name}: {exc}") from None
    return state


class _CutShort(Exception):
    """The record runs to the end of the data and is incomplete or does not check."""


def _record(data: bytes, start: int) -> tuple[SavedState, int]:
    """The record at ``start`` and where the next one starts."""
    newline = data.find(b"\n", start)
    if newline < 0:
        raise _CutShort
    fields = data[start:newline].removeprefix(STATE_MAGIC).split(b" ")
    if not data.startswith(STATE_MAGIC, start) or len(fields) != 6:
        raise StateFileError("damaged header")
    version, checksum, mirrors, replaces, raw_base, raw_body = fields
    if version != STATE_VERSION:
        raise StateFileError(f"unknown version {version.decode(errors='replace')!r}")
    if not (raw_base.isdigit() and raw_body.isdigit() and int(raw_base) <= int(raw_body)):
        raise StateFileError("damaged header")
    end = newline + 1 + int(raw_body)
    body = data[newline + 1 : end]
    if digest(body).encode() != checksum:
        if end >= len(data):
            raise _CutShort
        raise StateFileError("checksum mismatch (damaged)")
    length = int(raw_base)
    state = SavedState(
        update=body[length:],
        mirrors=_hex(mirrors),
        replaces=_hex(replaces),
        base=body[:length] if length else None,
    )
    return state, end


def _hex(field: bytes) -> str | None:
    if field == _NONE:
        return None
    text = field.decode("ascii", errors="replace")
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise StateFileError("damaged header")
    return text
