"""Feature options in the same four layers as the core's settings.

A feature's option ``voice.source`` is read, lowest first, from its declared
default, the config file's ``[voice]`` table, the environment variable
``AVACOLLAB_VOICE_SOURCE`` (dashes and dots become ``_``) and ``join --set
voice.source=...``. Each value is checked against the option where it was
given, so an error names the file, the variable or the ``--set`` the user
wrote, and ``avacollab config show`` can say where each value came from.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .feature import Feature, Option
from .featureset import parse_options, unknown_name
from .settings import ENV_PREFIX, SECTIONS, SettingsError, config_path, read_tables

__all__ = ["FeatureOptions", "env_name", "resolve"]


@dataclass(frozen=True)
class FeatureOptions:
    """Every declared option's value and where it came from, keyed ``feature.option``."""

    given: dict[str, str]
    """The text of each option set in the file, the environment or a flag: what a
    session's ``options`` (``SessionConfig.options``) takes."""
    values: dict[str, Any]
    """Every declared option's value as given (text), or its declared default."""
    sources: dict[str, str]
    """``default``, ``file PATH``, ``env NAME`` or ``flag``."""


def env_name(key: str) -> str:
    """The environment variable of option ``key``.

    ``e2e.max-frame`` is ``AVACOLLAB_E2E_MAX_FRAME``."""
    return ENV_PREFIX + key.upper().replace("-", "_").replace(".", "_")


def resolve(
    classes: Sequence[type[Feature]], flags: Mapping[str, str], path: Path | None = None
) -> FeatureOptions:
    """Every option of ``classes`` from defaults < file < environment < ``flags`` (``--set``).

    Raises ``SettingsError`` (a ``ValueError``) naming where a bad value, an
    unknown feature table or an unknown option was given.
    """
    features = {cls.name: {o.name: o for o in cls.options} for cls in classes}
    declared = {f"{f}.{name}": o for f, opts in features.items() for name, o in opts.items()}
    given: dict[str, str] = {}
    sources = dict.fromkeys(declared, "default")
    path = path or config_path()
    for section, table in read_tables(path).items():
        if section in SECTIONS:
            continue
        if section not in features:
            raise SettingsError(
                f"{path}: [{section}]: {unknown_name('feature', section, features)}"
            )
        for name, value in table.items():
            key, where = f"{section}.{name}", f"{path}: {section}.{name}"
            if key not in declared:
                raise SettingsError(f"{where}: {unknown_name('option', name, features[section])}")
            given[key] = _checked(declared[key], _text(value, where), where)
            sources[key] = f"file {path}"
    for key, option in declared.items():
        env = env_name(key)
        if env in os.environ:
            text = os.environ[env]
            given[key] = _checked(option, text, f"{env}={text!r}")
            sources[key] = f"env {env}"
    for key, text in flags.items():  # parse_options below names the --set of a bad one
        given[key] = text
        sources[key] = "flag"
    try:
        parse_options(classes, given)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    values = {key: given.get(key, option.default) for key, option in declared.items()}
    return FeatureOptions(given, values, sources)


def _text(value: object, where: str) -> str:
    """A TOML value as the text ``--set`` would give: ``true`` is ``on``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float | str):
        return str(value)
    raise SettingsError(f"{where} must be a string, a number or true/false")


def _checked(option: Option, text: str, where: str) -> str:
    try:
        option.parse(text)
    except ValueError as exc:
        raise SettingsError(f"{where}: {exc}") from None
    return text
