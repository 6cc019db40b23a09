"""How a command reports a mistake: one line on stderr, no traceback, an exit
code, and in the words the user typed (the flag, not the setting's name)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

import typer

__all__ = ["fail", "flag_for", "in_flag_terms"]

_FLAGS = {"allowed_origins": "--allowed-origin", "allowed_hosts": "--allowed-host"}
_FLAGS |= {"turn_urls": "--turn-url", "server_url": "--server", "ice_addresses": "--ice-address"}


def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``error: message`` to stderr and exit with ``code`` (2: a usage error)."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def flag_for(setting: str) -> str:
    """The command-line flag that sets ``setting`` (``connect_timeout``: ``--connect-timeout``)."""
    return _FLAGS.get(setting, "--" + setting.replace("_", "-"))


def in_flag_terms(message: str, flags: Mapping[str, Any]) -> str:
    """``message`` with each setting given by a flag (a non-``None`` value in ``flags``)
    called by that flag: a user who typed ``--connect-timeout 0`` never saw the name
    ``connect_timeout``."""
    for setting, value in flags.items():
        if value is not None:
            message = re.sub(rf"\b{re.escape(setting)}\b", flag_for(setting), message)
    return message
