"""``avacollab plugins`` and the commands plugins add to the CLI."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

from ..plugins import PluginError, describe, load

__all__ = ["add_plugin_commands", "register"]


def register(app: typer.Typer) -> None:
    """Add the ``plugins`` command to ``app``."""
    app.command("plugins")(plugins_command)


def plugins_command(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list (name, distribution, version, hooks).")
    ] = False,
) -> None:
    """List the loaded plugins with their versions and the hooks each implements.

    AVACOLLAB_PLUGINS chooses which load: unset for all, "" for none,
    "a,b" for only those, "-a" for all but a.

    Example: AVACOLLAB_PLUGINS=-presence avacollab plugins --json
    """
    try:
        infos = describe(load())
    except PluginError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(i) for i in infos], indent=2))
        return
    rows = [("NAME", "VERSION", "DISTRIBUTION", "HOOKS")]
    rows += [(i.name, i.version, i.distribution, ", ".join(i.hooks)) for i in infos]
    widths = [max(len(row[col]) for row in rows) for col in range(3)]
    for row in rows:
        cells = [cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)]
        typer.echo("  ".join([*cells, row[3]]).rstrip())


def add_plugin_commands(app: typer.Typer) -> None:
    """Let every loaded plugin add its commands (``avacollab_add_commands``).

    A plugin that fails to load must not take the whole CLI down (``avacollab
    plugins`` is how one finds out what is wrong), so the error is printed as
    a warning and the CLI goes on without plugin commands.
    """
    try:
        pm = load()
    except PluginError as exc:
        typer.echo(f"warning: plugins not loaded: {exc}", err=True)
        return
    pm.hook.avacollab_add_commands(app=app)
