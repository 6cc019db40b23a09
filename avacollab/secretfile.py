"""Secrets kept in files: read one, or create it on first use with mode 0600.

The server's resume-token secret, the join-token secret and the TURN secret
all live in files like this, so they never appear in a process listing or a
shell history.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


class SecretFileError(Exception):
    """A secret file is missing, unreadable, empty, or cannot be created."""


def read_secret(path: Path) -> str:
    """Read a secret (surrounding whitespace stripped); refuse an empty one."""
    try:
        value = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise SecretFileError(f"secret file {path} does not exist") from None
    except IsADirectoryError:
        raise SecretFileError(f"secret file {path} is a directory") from None
    except UnicodeDecodeError:
        raise SecretFileError(f"secret file {path} is not UTF-8 text") from None
    except OSError as exc:
        raise SecretFileError(f"cannot read secret file {path}: {exc.strerror}") from None
    if not value:
        raise SecretFileError(f"secret file {path} is empty")
    return value


def load_or_create(path: Path) -> str:
    """Return the secret in ``path``, creating a random one (0600) if absent.

    The parent directory is created with mode 0700 when missing.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise SecretFileError(f"cannot create directory {path.parent}: {exc.strerror}") from None
    try:
        # O_EXCL: two processes starting at once must not both write a secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path)
    except OSError as exc:
        raise SecretFileError(f"cannot create secret file {path}: {exc.strerror}") from None
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
