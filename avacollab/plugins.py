"""Finding, choosing and loading plugins.

Plugins are found through the ``avacollab`` entry-point group. The built-in
plugin (:mod:`avacollab.builtin`) is registered first through the same hooks,
then every installed plugin that the selection allows. The selection comes
from the ``AVACOLLAB_PLUGINS`` environment variable unless given:

* unset: every installed plugin;
* ``""``: none (the built-in plugin still loads);
* ``"a,b"``: only ``a`` and ``b``;
* ``"-a"``: all but ``a`` (``-builtin`` leaves out the built-in plugin too).

Every failure (an unknown name, a plugin that does not import, a misspelled
hook) is a :class:`PluginError` whose message says which plugin and what to do,
so the CLI can print one line instead of a traceback.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import pluggy

from . import __version__
from .hookspecs import PROJECT, AvacollabSpec, JoinCommand, Session

__all__ = [
    "BUILTIN",
    "ENV",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "describe",
    "installed",
    "join_commands",
    "load",
    "select",
]

ENV = "AVACOLLAB_PLUGINS"
"""The environment variable choosing which plugins load."""
BUILTIN = "builtin"
"""The name the built-in plugin is registered under."""

_COMMAND_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PluginError(Exception):
    """A plugin cannot be found, imported or registered; the message says why."""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What ``avacollab plugins`` shows about one loaded plugin."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]


class PluginManager(pluggy.PluginManager):
    """A pluggy manager that also remembers which distribution each plugin came from."""

    def __init__(self) -> None:
        super().__init__(PROJECT)
        self.add_hookspecs(AvacollabSpec)
        self.origins: dict[str, tuple[str, str]] = {}
        """Plugin name to (distribution, version)."""


def installed() -> dict[str, importlib.metadata.EntryPoint]:
    """Entry points of the ``avacollab`` group by plugin name.

    Raises :class:`PluginError` when two distributions claim the same name,
    since loading either one silently would hide the other.
    """
    found: dict[str, importlib.metadata.EntryPoint] = {}
    for ep in importlib.metadata.entry_points(group=PROJECT):
        other = found.get(ep.name)
        if other is not None and other.value != ep.value:
            raise PluginError(
                f"plugin name {ep.name!r} is provided by both {_dist(other)[0]} and "
                f"{_dist(ep)[0]}; uninstall one of them"
            )
        found[ep.name] = ep
    return found


def select(selection: str | None, available: Iterable[str]) -> list[str]:
    """The plugin names a selection string allows, in ``available`` order.

    ``available`` includes :data:`BUILTIN`. Raises :class:`PluginError` for a
    name that is not available, with a suggestion when one is close.
    """
    names = list(available)
    if selection is None:
        return names
    wanted: set[str] = set()
    excluded: set[str] = set()
    for item in filter(None, (part.strip() for part in selection.split(","))):
        name = item.removeprefix("-").strip()
        if name not in names:
            raise PluginError(_unknown(name, names))
        (excluded if item.startswith("-") else wanted).add(name)
    # Naming plugins picks only those (an empty selection picks none); the
    # built-in plugin is core behaviour and stays unless excluded by name.
    chosen = wanted | {BUILTIN} if wanted or not excluded else set(names)
    return [n for n in names if n in chosen and n not in excluded]


def load(selection: str | None = None) -> PluginManager:
    """A plugin manager with the hook specs, the built-in plugin and the selected plugins.

    ``selection`` defaults to the ``AVACOLLAB_PLUGINS`` environment variable
    (see the module docs for its syntax). Raises :class:`PluginError`.
    """
    from .builtin import Builtin

    if selection is None:
        selection = os.environ.get(ENV)
    entry_points = installed()
    if BUILTIN in entry_points:
        dist = _dist(entry_points[BUILTIN])[0]
        raise PluginError(f"a plugin may not be called {BUILTIN!r} (it comes from {dist})")
    pm = PluginManager()
    for name in select(selection, [BUILTIN, *entry_points]):
        if name == BUILTIN:
            _register(pm, Builtin(pm), BUILTIN, ("avacollab", __version__))
            continue
        ep = entry_points[name]
        try:
            plugin = ep.load()
        except Exception as exc:
            raise PluginError(
                f"plugin {name!r} ({ep.value}, from {_dist(ep)[0]}) failed to import: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
        _register(pm, plugin, name, _dist(ep))
    _check_hook_names(pm)
    return pm


def describe(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """One :class:`PluginInfo` per registered plugin, in registration order."""
    origins = pm.origins if isinstance(pm, PluginManager) else {}
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue  # blocked
        distribution, version = origins.get(name, ("", ""))
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        infos.append(PluginInfo(name, distribution, version, tuple(hooks)))
    return infos


def join_commands(pm: pluggy.PluginManager, session: Session) -> dict[str, JoinCommand]:
    """Every plugin's interactive commands by name.

    Raises :class:`PluginError` for an invalid name or one two plugins claim:
    a command that silently shadowed another would be a confusing bug.
    """
    commands: dict[str, JoinCommand] = {}
    for impl in pm.hook.avacollab_join_commands.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue  # wraps the others' results; contributes no commands itself
        # Called one by one (not through pm.hook) to know which plugin said what.
        offered = cast(Sequence[JoinCommand] | None, impl.function(**_args(impl, session=session)))
        for command in offered or ():
            if not _COMMAND_RE.match(command.name):
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: invalid command name {command.name!r} "
                    "(lowercase letters, digits and dashes)"
                )
            if command.name in commands:
                raise PluginError(
                    f"plugin {impl.plugin_name!r}: command /{command.name} is already "
                    "defined by another plugin"
                )
            commands[command.name] = command
    return commands


def _args(impl: pluggy.HookImpl, **available: Any) -> dict[str, Any]:
    return {name: available[name] for name in impl.argnames}


def _register(pm: PluginManager, plugin: Any, name: str, origin: tuple[str, str]) -> None:
    try:
        pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        # pluggy's messages span lines; one line reads better after "error:".
        detail = "; ".join(str(exc).splitlines())
        raise PluginError(f"plugin {name!r} cannot be registered: {detail}") from exc
    pm.origins[name] = origin


def _check_hook_names(pm: pluggy.PluginManager) -> None:
    """Reject ``@hookimpl`` functions whose name is no hook (``pm.check_pending``, clearer)."""
    known = [name for name in dir(AvacollabSpec) if name.startswith(PROJECT + "_")]
    problems = []
    for hook in pm.hook.__dict__.values():
        if not isinstance(hook, pluggy.HookCaller) or hook.has_spec():
            continue
        for impl in hook.get_hookimpls():
            if not impl.optionalhook:
                unknown = _unknown(hook.name, known, "hook")
                problems.append(f"plugin {impl.plugin_name!r}: {unknown}")
    if problems:
        raise PluginError("; ".join(problems))
    try:
        pm.check_pending()  # anything the loop above missed still fails, as a PluginError
    except pluggy.PluginValidationError as exc:  # pragma: no cover - the loop covers pluggy's rule
        raise PluginError("; ".join(str(exc).splitlines())) from exc


def _unknown(name: str, names: list[str], what: str = "plugin") -> str:
    message = f"unknown {what} {name!r}"
    close = difflib.get_close_matches(name, names, n=1)
    if close:
        message += f" (did you mean {close[0]!r}?)"
    listing = ", ".join(sorted(names)) or "none"
    return f"{message}; {'installed plugins' if what == 'plugin' else 'hooks'}: {listing}"


def _dist(ep: importlib.metadata.EntryPoint) -> tuple[str, str]:
    dist = ep.dist
    if dist is None:
        return "?", "?"
    return dist.metadata["Name"] or "?", dist.version
