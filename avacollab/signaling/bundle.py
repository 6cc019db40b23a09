"""The browser client bundle shipped inside the package (``avacollab/web``).

``make web`` builds it from js/ (tests/test_web_client.py fails when the
shipped file is not what the sources build); the signaling server serves it
at :data:`CLIENT_PATH`, so a page can load the client from the server it
joins rooms on, with no npm.
"""

from __future__ import annotations

import functools
import hashlib
from importlib import resources
from typing import NamedTuple

CLIENT_PATH = "/client/avacollab.js"


class Bundle(NamedTuple):
    body: bytes
    etag: str
    """A strong validator: the SHA-256 of the body, quoted as HTTP wants it."""


def load_bundle() -> Bundle | None:
    """The shipped bundle, read once; ``None`` when this installation has none."""
    return load_asset("avacollab.js")


@functools.cache
def load_asset(name: str) -> Bundle | None:
    """A file of ``avacollab/web`` (the bundle, the web editor's files), read
    once; ``None`` when this installation has none."""
    source = resources.files("avacollab") / "web" / name
    if not source.is_file():
        return None
    body = source.read_bytes()
    return Bundle(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
