"""Files on disk: atomic writes and the persisted CRDT state beside a JSON doc.

A write goes to a temporary file in the same directory, is flushed to disk,
then renamed over the target, so a reader (or a crash) sees either the old file
or the new one and never half of one.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .model import Document

STATE_SUFFIX = ".ystate"
STATE_ORIGIN = "storage"


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


def state_path(doc_path: Path) -> Path:
    """Where the CRDT state of ``doc_path`` lives: ``design.json`` -> ``design.json.ystate``."""
    return doc_path.with_name(doc_path.name + STATE_SUFFIX)


def save_state(path: Path, document: Document) -> None:
    """Persist the whole CRDT state of ``document`` to ``path``."""
    atomic_write(path, document.get_update())


def load_state(path: Path, document: Document) -> bool:
    """Merge the state saved at ``path`` into ``document``; ``False`` if there is none.

    The state goes through the same checks as a peer's update, so a damaged
    file raises ``RejectedUpdate`` instead of corrupting the document.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return False
    document.apply_update(data, STATE_ORIGIN)
    return True
