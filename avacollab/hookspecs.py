"""The two process-level hooks every avacollab plugin is built on (pluggy, project ``avacollab``).

A plugin is a module (or object) with functions marked ``@hookimpl`` whose
names match the specs below; it is found through the ``avacollab`` entry-point
group. Every argument is optional in an implementation: declare only the ones
you use.

What a plugin does in a session is a :class:`avacollab.feature.Feature`,
registered with :meth:`AvacollabSpec.avacollab_register_features`: each
session makes its own instance, so no plugin keeps per-session state in a
module. See docs/plugins.md for examples.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

    from .feature import Feature

PROJECT = "avacollab"
"""The pluggy project name and the entry-point group plugins register under."""

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Register = Callable[[type["Feature"]], None]
"""The ``register`` argument of ``avacollab_register_features``."""


class AvacollabSpec:
    """The hook specifications (documentation lives here and in docs/plugins.md).

    Neither is ``firstresult``: each gathers a contribution from every
    plugin (commands, features), so one plugin must never silence another.
    Neither is ``historic`` either: plugins are all registered before the CLI
    or the loader calls a hook, so there is no late registration to replay.
    """

    @hookspec
    def avacollab_add_commands(self, app: typer.Typer) -> None:
        """Add top-level CLI commands to ``app``: ``app.command()(my_function)``.

        Called once when the ``avacollab`` CLI starts, for every loaded plugin,
        before the command line is parsed. Neither firstresult nor historic.
        """

    @hookspec
    def avacollab_register_features(self, register: Register) -> None:
        """Call ``register(FeatureClass)`` for each :class:`~avacollab.feature.Feature`
        this plugin provides.

        Called once when the plugins load (:func:`avacollab.plugins.features`),
        not per session: each session then makes its own instance of every
        registered class. Feature names must be unique across plugins.
        Neither firstresult nor historic.
        """


__all__ = ["PROJECT", "AvacollabSpec", "Register", "hookimpl", "hookspec"]
