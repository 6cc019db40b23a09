"""Secrets kept in files: read one, or create it on first use with mode 0600."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class SecretFileError(Exception):
    """A secret file is missing, unreadable, empty or readable by others."""


def read_secret(path: Path) -> str:
    """Read a secret (surrounding whitespace stripped); refuse an empty one."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SecretFileError(f"secret file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SecretFileError(f"cannot read secret file {path}: {exc}") from None
    if not value:
        raise SecretFileError(f"secret file {path} is empty")
    return value


def load_or_create(path: Path) -> str:
    """Return the secret in ``path``, creating a random one (0600) if absent."""
    if path.exists():
        return read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    # O_EXCL: two processes starting at once must not both write a secret.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
