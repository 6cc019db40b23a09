"""Start-up checks on the private parts of other libraries that avacollab builds on.

Where aiortc, aioice and pycrdt offer no public way to do what avacollab
needs, the code uses their private parts (docs/session.md, "Private parts of
dependencies", lists them). The package metadata pins those libraries to the
releases the tests ran on, but an environment can still hold another one
(``pip install --no-deps``, a forced upgrade, a distribution's package). A
module that relies on private parts therefore checks, when it is imported,
that they are there and that the library's own code still uses them (an
override the library no longer calls would be bypassed without a sound), and
stops with a :class:`DependencyError` that names the library, the versions
the package declares and the version installed.

Plugins use the same helpers for their own dependencies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import metadata
from types import CodeType

__all__ = [
    "DependencyError",
    "declared_versions",
    "dependency_error",
    "require_attributes",
    "require_uses",
]


class DependencyError(RuntimeError):
    """An installed library lacks a private part that avacollab or a plugin relies on."""


_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)")


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared_versions(requirer: str, dependency: str) -> str:
    """The version specifier distribution ``requirer`` declares for ``dependency``.

    ``""`` when either is not installed as a distribution or none is declared
    (extras are not looked at).
    """
    try:
        requirements = metadata.requires(requirer) or []
    except metadata.PackageNotFoundError:
        return ""
    for line in requirements:
        match = _NAME.match(line)
        if match is None or "extra ==" in line or "extra==" in line:
            continue
        if _normalize(match.group(1)) == _normalize(dependency):
            return match.group(2).strip()
    return ""


def dependency_error(requirer: str, dependency: str, problem: str) -> DependencyError:
    """The error for ``problem`` with ``dependency``, with the versions declared and installed."""
    wanted = declared_versions(requirer, dependency) or " as tested"
    try:
        installed = metadata.version(dependency)
    except metadata.PackageNotFoundError:
        installed = "(not installed as a distribution)"
    return DependencyError(
        f"{requirer} needs {dependency}{wanted}: {problem}; installed {dependency} {installed}"
    )


def require_attributes(
    requirer: str, dependency: str, owner: object, names: Iterable[str], label: str
) -> None:
    """Raise :class:`DependencyError` unless ``owner`` (shown as ``label``) has all ``names``."""
    for name in names:
        if not hasattr(owner, name):
            raise dependency_error(requirer, dependency, f"{label}.{name} is missing")


def _code_names(code: CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, CodeType):  # nested functions, comprehensions
            names |= _code_names(const)
    return names


def require_uses(
    requirer: str, dependency: str, owner: type, method: str, names: Iterable[str]
) -> None:
    """Raise :class:`DependencyError` unless ``owner.method``'s code names each of ``names``.

    ``names`` are attributes or globals the method reads, assigns or calls:
    this is how a check sees that the library still calls a method
    avacollab overrides, or still keeps state in an attribute avacollab reads.
    A name-mangled attribute is given as Python stores it (``_Class__name``).
    """
    label = f"{owner.__name__}.{method}"
    require_attributes(requirer, dependency, owner, [method], owner.__name__)
    function = getattr(owner, method)
    function = getattr(function, "fget", function)  # a property: its getter
    code = getattr(function, "__code__", None)
    if not isinstance(code, CodeType):
        raise dependency_error(requirer, dependency, f"{label} is not Python code")
    used = _code_names(code)
    for name in names:
        if name not in used:
            raise dependency_error(requirer, dependency, f"{label} no longer uses {name}")
