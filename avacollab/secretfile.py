"""Secrets kept in files: read one, or create it on first use with mode 0600.

The server's resume-token secret, the join-token secret and the TURN secret
all live in files like this, so they never appear in a process listing or a
shell history. Every command that reads one (``serve``, ``token``,
``turn-config``) comes through here, and so through one permission check:
like ssh with a private key, a secret file that its group or other users may
read, write or run is refused, unless the setting ``allow_open_secret_files``
says to use it anyway (with a warning).
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path

from . import logs

OPEN_BITS = stat.S_IRWXG | stat.S_IRWXO
"""Permission bits a secret file must not have (0o077): anything for group or others."""

Warn = Callable[[str], None]
"""Where the warning about an open secret file goes when it is used anyway."""


class SecretFileError(Exception):
    """A secret file is missing, unreadable, empty, open to others, or cannot be created."""


def log_warning(message: str) -> None:
    """The default: a ``secret-file-open`` warning in the log (``serve`` sets it up)."""
    logs.event("secret-file-open", logging.WARNING, message=message)


def warn_on_stderr(message: str) -> None:
    """The warning of a one-shot command (``token``, ``turn-config``), which sets up no log."""
    print(f"warning: {message}", file=sys.stderr, flush=True)


def check_private(path: Path, *, allow_open: bool = False, warn: Warn = log_warning) -> None:
    """Refuse ``path`` when group or others have any access to it (see the module doc).

    With ``allow_open`` the file is accepted and ``warn`` gets the reason. What
    cannot be examined, or is not a file, is left to the read that follows to report.
    """
    try:
        info = path.stat()
    except OSError:
        return
    mode = stat.S_IMODE(info.st_mode)
    if not stat.S_ISREG(info.st_mode) or not mode & OPEN_BITS:
        return
    who = " and ".join(
        name
        for name, bits in (("its group", stat.S_IRWXG), ("other users", stat.S_IRWXO))
        if mode & bits
    )
    message = f"secret file {path} is open to {who} (mode {mode:04o}): chmod 600 {path}"
    if not allow_open:
        raise SecretFileError(f"{message}, or set allow_open_secret_files to use it anyway")
    warn(message)


def read_secret(path: Path, *, allow_open: bool = False, warn: Warn = log_warning) -> str:
    """Read a secret (surrounding whitespace stripped); refuse an empty or open one."""
    check_private(path, allow_open=allow_open, warn=warn)
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


def load_or_create(path: Path, *, allow_open: bool = False, warn: Warn = log_warning) -> str:
    """Return the secret in ``path``, creating a random one (0600) if absent.

    The parent directory is created with mode 0700 when missing. An existing
    file is read as by :func:`read_secret`.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as exc:
        raise SecretFileError(f"cannot create directory {path.parent}: {exc.strerror}") from None
    try:
        # O_EXCL: two processes starting at once must not both write a secret.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_secret(path, allow_open=allow_open, warn=warn)
    except OSError as exc:
        raise SecretFileError(f"cannot create secret file {path}: {exc.strerror}") from None
    value = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value
