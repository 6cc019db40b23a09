"""One look for every command's help and usage errors.

Placeholders are in capitals, as in the usage line, and a usage mistake is
one ``error:`` line like every other error.

Typer shows an option's value as its Python type (``<list[str]>``,
``<int>``) unless the option names a metavar; :class:`Command` gives every
option without one a capitalised placeholder, so every command reads
``--port N`` and ``--secret-file FILE`` alike. Pass ``cls=Command`` when
registering a command.
"""

from __future__ import annotations

import difflib
from typing import Any, NoReturn

import typer.core

__all__ = ["Command", "Group", "metavar"]

CLOSE = 0.7
"""How alike (difflib's ratio) a typed option and a real one must be to suggest it."""


def metavar(option: typer.core.TyperOption) -> str:
    """The placeholder for ``option``'s value: FILE, URL, N, NUMBER or TEXT."""
    flag = max(option.opts, key=len)
    if flag.endswith(("-file", "-path")) or flag in ("--output", "--check", "--cert", "--pkey"):
        return "FILE"
    if flag.endswith(("-url", "-urls")):
        return "URL"
    # Recent typer carries its own parameter model and names the annotation it
    # read ("int", "Path", "list[str]"); older typer (down to the lowest release
    # pyproject.toml allows) uses click's, whose types have names.
    bare_type = getattr(option, "bare_type", None)
    if bare_type is not None:
        kind = bare_type().removeprefix("list[").removesuffix("]")
        return {"int": "N", "float": "NUMBER", "Path": "FILE"}.get(kind, "TEXT")
    kind = getattr(getattr(option, "type", None), "name", "")
    return {"integer": "N", "float": "NUMBER", "path": "FILE"}.get(kind, "TEXT")


class _Argument(typer.core.TyperArgument):
    """An argument listed by its placeholder alone (``ROOM``, not ``ROOM <str>``)."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None


class Command(typer.core.TyperCommand):
    """A Typer command whose options without a metavar get :func:`metavar`'s."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if (
                isinstance(param, typer.core.TyperOption)
                and not param.is_flag
                and param.metavar is None
            ):
                param.metavar = metavar(param)
            elif type(param) is typer.core.TyperArgument:
                param.__class__ = _Argument

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **kw: Any) -> Any:
        """Parse ``args``; a usage mistake (a bad value, a missing argument) is one line
        like every other error, instead of click's usage block."""
        try:
            return super().make_context(info_name, args, *rest, **kw)
        except Exception as exc:
            if not _usage_error(exc):
                raise
            _refuse(_message(exc))


class Group(typer.core.TyperGroup):
    """A Typer group (``avacollab``, ``avacollab config``) whose usage mistakes, an
    unknown command or option, are one line with a did-you-mean where one is close.
    Pass ``cls=Group`` when making the ``typer.Typer``."""

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **kw: Any) -> Any:
        try:
            return super().make_context(info_name, args, *rest, **kw)
        except Exception as exc:
            if not _usage_error(exc):
                raise
            _refuse(_message(exc))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except Exception as exc:
            if not _usage_error(exc):
                raise
            message = _message(exc)
            if "Did you mean" not in message:  # nothing close: say what there is
                message = f"{message.rstrip('.')}; commands: {', '.join(sorted(self.commands))}."
            _refuse(message)


def _usage_error(exc: Exception) -> bool:
    # Typer's click is private: its UsageError is the exception with status 2.
    return getattr(exc, "exit_code", None) == 2 and hasattr(exc, "format_message")


def _message(exc: Any) -> str:
    """Click's message, an unknown option's suggestions phrased as a question."""
    typed = getattr(exc, "option_name", None)
    if typed and hasattr(exc, "possibilities"):
        # Click suggests loosely (--nope: --pkey); only a close one helps.
        close = difflib.get_close_matches(typed, exc.possibilities or (), cutoff=CLOSE)
        return f"{exc.message}. Did you mean {' or '.join(close)}?" if close else exc.message
    return str(exc.format_message())


def _refuse(message: str) -> NoReturn:
    typer.echo(f"error: {message} (see --help)", err=True)
    raise typer.Exit(2) from None
