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

from typing import Any

import typer.core

__all__ = ["Command", "metavar"]


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
            # Typer's click is private: its UsageError is the exception with status 2.
            if getattr(exc, "exit_code", None) != 2 or not hasattr(exc, "format_message"):
                raise
            typer.echo(f"error: {exc.format_message()} (see --help)", err=True)
            raise typer.Exit(2) from None
