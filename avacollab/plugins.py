"""Finding, choosing and loading plugins, and gathering the features they register.

Plugins are found through the ``avacollab`` entry-point group. The built-in
plugin (:mod:`avacollab.builtin`) is registered first through the same hooks,
then every installed plugin that the selection allows. :func:`features` then
asks each of them for its :class:`~avacollab.feature.Feature` classes, which
a session instantiates. The selection comes
from the ``AVACOLLAB_PLUGINS`` environment variable unless given:

* unset: every installed plugin;
* ``""``: none (the built-in plugin still loads);
* ``"a,b"``: only ``a`` and ``b``;
* ``"-a"``: all but ``a`` (``-builtin`` leaves out the built-in plugin too).

Every failure (an unknown name, a plugin that does not import, a misspelled
hook, a bad or clashing feature) is a :class:`PluginError` whose message says
which plugin and what to do, so the CLI can print one line instead of a
traceback.
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import pluggy

from . import __version__, builtin
from .feature import Feature, Option, check_feature
from .hookspecs import PROJECT, AvacollabSpec

__all__ = [
    "BUILTIN",
    "ENV",
    "FeatureInfo",
    "OptionInfo",
    "PluginError",
    "PluginInfo",
    "PluginManager",
    "describe",
    "features",
    "installed",
    "load",
    "select",
]

ENV = "AVACOLLAB_PLUGINS"
"""The environment variable choosing which plugins load."""
BUILTIN = "builtin"
"""The name the built-in plugin is registered under."""

_SESSION_HOOKS = frozenset(
    f"{PROJECT}_{name}"
    for name in (
        *("session_started", "bus_topics", "peer_joined", "peer_connected", "peer_left"),
        *("session_closing", "media_tracks", "track_received", "join_commands", "status"),
    )
)
"""Hooks of earlier versions, now methods of :class:`~avacollab.feature.Feature`."""


class PluginError(Exception):
    """A plugin cannot be found, imported or registered; the message says why."""


@dataclass(frozen=True, slots=True)
class OptionInfo:
    """One option of a feature, as ``avacollab plugins --options`` shows it."""

    name: str
    type: str
    default: str | None
    help: str


@dataclass(frozen=True, slots=True)
class FeatureInfo:
    """One feature a plugin registers, with its options."""

    name: str
    options: tuple[OptionInfo, ...]


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What ``avacollab plugins`` shows about one loaded plugin."""

    name: str
    distribution: str
    version: str
    hooks: tuple[str, ...]
    features: tuple[FeatureInfo, ...]


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
    if selection is None:
        selection = os.environ.get(ENV)
    entry_points = installed()
    if BUILTIN in entry_points:
        dist = _dist(entry_points[BUILTIN])[0]
        raise PluginError(f"a plugin may not be called {BUILTIN!r} (it comes from {dist})")
    pm = PluginManager()
    for name in select(selection, [BUILTIN, *entry_points]):
        if name == BUILTIN:
            _register(pm, builtin, BUILTIN, ("avacollab", __version__))
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
    """One :class:`PluginInfo` per registered plugin, in registration order.

    Raises :class:`PluginError` like :func:`features`.
    """
    # The hook runs once, as documented; its classes get every check
    # features() makes, so that a bad feature is reported here too.
    registered = _registered(pm)
    _checked(registered)
    origins = pm.origins if isinstance(pm, PluginManager) else {}
    infos = []
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue  # blocked
        distribution, version = origins.get(name, ("", ""))
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or ())
        mine = tuple(_feature_info(cls) for owner, cls in registered if owner == name)
        infos.append(PluginInfo(name, distribution, version, tuple(hooks), mine))
    return infos


def features(pm: pluggy.PluginManager, extra: Iterable[object] = ()) -> list[type[Feature]]:
    """Every feature class the plugins of ``pm`` register, in plugin order.

    ``extra`` holds more plugins (modules or objects with hook
    implementations, registered into ``pm`` first) or feature classes (used
    as they are), as tests and ``join --plugin`` give them. Raises
    :class:`PluginError` for something that is not a feature class, a bad
    name or option, or a feature name taken twice.
    """
    direct: list[type[Feature]] = []
    for item in extra:
        if isinstance(item, Feature):
            raise PluginError(f"{item!r} is a feature instance: give its class")
        if isinstance(item, type) and issubclass(item, Feature):
            direct.append(item)
        elif not pm.is_registered(item):
            _register(pm, item, None, ("", ""))
    return _checked([*_registered(pm), *(("(given)", cls) for cls in direct)])


def _checked(registered: list[tuple[str, Any]]) -> list[type[Feature]]:
    """The feature classes of (owner, class) pairs, each checked, no name twice."""
    found: dict[str, tuple[str, type[Feature]]] = {}
    for owner, cls in registered:
        try:
            check_feature(cls)
        except ValueError as exc:
            raise PluginError(f"plugin {owner!r}: {exc}") from None
        if cls.name in found:
            raise PluginError(
                f"plugin {owner!r}: feature {cls.name!r} is already registered by plugin "
                f"{found[cls.name][0]!r}"
            )
        found[cls.name] = (owner, cls)
    return [cls for _, cls in found.values()]


def _registered(pm: pluggy.PluginManager) -> list[tuple[str, Any]]:
    """(plugin name, what it registered) for every ``avacollab_register_features`` call."""
    registered: list[tuple[str, Any]] = []
    # Called one by one (not through pm.hook) to know which plugin registered
    # what, in registration order (pm.hook would call the last plugin first).
    for impl in pm.hook.avacollab_register_features.get_hookimpls():
        if impl.hookwrapper or impl.wrapper:
            continue  # wraps the others' calls; registers nothing itself

        def register(cls: Any, owner: str = impl.plugin_name) -> None:
            registered.append((owner, cls))

        impl.function(**{name: register for name in impl.argnames})
    return registered


def _feature_info(cls: type[Feature]) -> FeatureInfo:
    return FeatureInfo(str(cls.name), tuple(_option_info(o) for o in cls.options))


def _option_info(option: Option) -> OptionInfo:
    default = None if option.default is None else str(option.default)
    if isinstance(option.default, bool):
        default = "on" if option.default else "off"
    return OptionInfo(option.name, option.type.__name__, default, option.help)


def _register(
    pm: pluggy.PluginManager, plugin: Any, name: str | None, origin: tuple[str, str]
) -> None:
    try:
        name = pm.register(plugin, name=name)
    except (pluggy.PluginValidationError, ValueError) as exc:
        # pluggy's messages span lines; one line reads better after "error:".
        detail = "; ".join(str(exc).splitlines())
        label = name or getattr(plugin, "__name__", repr(plugin))
        raise PluginError(f"plugin {label!r} cannot be registered: {detail}") from exc
    if isinstance(pm, PluginManager) and name is not None:
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
                if hook.name in _SESSION_HOOKS:
                    unknown += "; per-session hooks became Feature methods (docs/plugins.md)"
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
