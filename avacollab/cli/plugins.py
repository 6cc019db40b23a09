"""``avacollab plugins`` and the commands plugins add to the CLI."""

from __future__ import annotations

import dataclasses
import json
from typing import Annotated

import typer

from .. import tables
from ..plugins import PluginError, PluginInfo, describe, load
from .errors import fail
from .helptext import Command

__all__ = ["add_plugin_commands", "option_rows", "register"]


def register(app: typer.Typer) -> None:
    """Add the ``plugins`` command to ``app``."""
    app.command("plugins", cls=Command)(plugins_command)


def plugins_command(
    as_json: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print a JSON list (name, distribution, version, hooks, features with "
            "their options).",
        ),
    ] = False,
    options: Annotated[
        bool,
        typer.Option(
            "--options", help="Also list each feature's options (name, type, default, help)."
        ),
    ] = False,
) -> None:
    """List the loaded plugins: versions, the hooks each implements, the features it adds.

    AVACOLLAB_PLUGINS chooses which load: unset for all, "" for none,
    "a,b" for only those, "-a" for all but a. A feature's options are set
    with `join --set FEATURE.OPTION=VALUE`.

    Example: AVACOLLAB_PLUGINS=-presence avacollab plugins --options
    """
    try:
        infos = describe(load())
    except PluginError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps([dataclasses.asdict(i) for i in infos], indent=2))
        return
    rows: list[tuple[str, ...]] = [("NAME", "VERSION", "DISTRIBUTION", "FEATURES", "HOOKS")]
    for i in infos:
        features = ", ".join(f.name for f in i.features) or "-"
        rows.append((i.name, i.version, i.distribution, features, ", ".join(i.hooks)))
    _table(rows)
    if options:
        _options(infos)


def _table(rows: list[tuple[str, ...]]) -> None:
    """Columns padded to their widest cell; the last one (help, hooks) wraps."""
    for line in tables.render(rows, wrap_last=True):
        typer.echo(line)


def _options(infos: list[PluginInfo]) -> None:
    for feature in (f for info in infos for f in info.features):
        typer.echo("")
        if not feature.options:
            typer.echo(f"{feature.name}: no options")
            continue
        typer.echo(f"{feature.name} options (--set {feature.name}.OPTION=VALUE):")
        rows: list[tuple[str, ...]] = [("  OPTION", "TYPE", "DEFAULT", "HELP")]
        rows += [
            (f"  {o.name}", o.type, "-" if o.default is None else o.default or '""', o.help)
            for o in feature.options
        ]
        _table(rows)


PLACEHOLDERS = {"str": "TEXT", "int": "N", "float": "NUMBER", "bool": "on|off", "Path": "FILE"}
"""An option's value as help shows it, by the option's type (as ``--port N`` reads)."""


def option_rows() -> list[tuple[str, str]]:
    """``(FEATURE.OPTION=VALUE, help and default)`` for every option of the loaded
    plugins' features, as ``join --help`` lists them; ``PluginError`` if one cannot load."""
    rows = []
    for feature in (f for info in describe(load()) for f in info.features):
        for option in feature.options:
            default = "none" if option.default is None else option.default or '""'
            term = f"{feature.name}.{option.name}={PLACEHOLDERS.get(option.type, 'TEXT')}"
            text = option.help
            if "(default" not in text:  # some helps say their default in their own words
                text = f"{text} (default: {default})".lstrip()
            rows.append((term, text))
    return rows


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
