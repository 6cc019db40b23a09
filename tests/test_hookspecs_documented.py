"""Every hook has a docstring, a section in docs/plugins.md with a working example, and a test.

A new hook added to ``AvacollabSpec`` without all three fails here, naming
what is missing.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from avacollab import testing
from avacollab.hookspecs import PROJECT, AvacollabSpec
from avacollab.plugins import load
from avacollab.testing import SessionFactory

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
TEST_GLOBS = ("tests/**/*.py", "plugins/*/tests/**/*.py", "examples/*/tests/**/*.py")

# The fixture plugin authors get through the pytest11 entry point.
avacollab_server = testing.avacollab_server
avacollab_sessions = testing.avacollab_sessions

HOOKS: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in vars(AvacollabSpec).items() if name.startswith(PROJECT + "_")
}


def signature(fn: Callable[..., Any]) -> str:
    """``def name(arg: type, ...) -> type`` as written in the spec (annotations are strings)."""
    sig = inspect.signature(fn)
    params = ", ".join(
        f"{p.name}: {p.annotation}" for p in sig.parameters.values() if p.name != "self"
    )
    return f"def {fn.__name__}({params}) -> {sig.return_annotation}"


def section(docs: str, name: str) -> str | None:
    """The text of ``### `name``` up to the next heading of the same or a higher level."""
    match = re.search(rf"^### `{name}`\n(.*?)(?=^##? |^### |\Z)", docs, re.M | re.S)
    return match.group(1) if match else None


def python_blocks(text: str) -> Iterator[str]:
    yield from re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


def covering_tests(name: str, sources: dict[Path, str]) -> list[Path]:
    """Test files that implement the hook (``def name(``) or call it (``hook.name(``)."""
    pattern = re.compile(rf"(\bdef |\bhook\.){name}\(")
    return [path for path, text in sources.items() if pattern.search(text)]


def missing(name: str, fn: Callable[..., Any], docs: str, sources: dict[Path, str]) -> list[str]:
    """What ``name`` lacks: a docstring, a docs section, its signature there, an example, a test."""
    problems = []
    doc = " ".join((inspect.getdoc(fn) or "").split())
    if not doc:
        problems.append("a docstring")
    elif "firstresult" not in doc or "historic" not in doc:
        problems.append("a docstring saying whether it is firstresult or historic")
    text = section(docs, name)
    if text is None:
        problems.append(f"a section '### `{name}`' in docs/plugins.md")
    else:
        if signature(fn) not in text:
            problems.append(f"its exact signature in docs/plugins.md: {signature(fn)}")
        if not any(f"def {name}(" in block for block in python_blocks(text)):
            problems.append("an example implementing it in docs/plugins.md")
    if not covering_tests(name, sources):
        problems.append("a test (a hookimpl or a pm.hook call naming it)")
    return problems


@pytest.fixture(scope="module")
def docs() -> str:
    return DOCS.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sources() -> dict[Path, str]:
    # This file names no real hook, only a made-up one the checker must not find.
    paths = {p for pattern in TEST_GLOBS for p in ROOT.glob(pattern)} - {Path(__file__).resolve()}
    return {p: p.read_text(encoding="utf-8") for p in sorted(paths)}


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_hook_is_documented_and_tested(name: str, docs: str, sources: dict[Path, str]) -> None:
    problems = missing(name, HOOKS[name], docs, sources)
    assert not problems, f"{name} lacks: " + "; ".join(problems)


@pytest.mark.parametrize("name", sorted(HOOKS))
def test_docstring_matches_the_hook_options(name: str) -> None:
    opts = getattr(HOOKS[name], PROJECT + "_spec")
    doc = " ".join((inspect.getdoc(HOOKS[name]) or "").split())
    says_neither = "Neither firstresult nor historic" in doc
    assert says_neither == (not opts["firstresult"] and not opts["historic"]), doc


def test_the_checker_reports_an_undocumented_untested_hook(
    docs: str, sources: dict[Path, str]
) -> None:
    def avacollab_nothing_here(self: object, session: object) -> None:
        pass

    assert missing("avacollab_nothing_here", avacollab_nothing_here, docs, sources) == [
        "a docstring",
        "a section '### `avacollab_nothing_here`' in docs/plugins.md",
        "a test (a hookimpl or a pm.hook call naming it)",
    ]


def test_the_checker_reports_a_wrong_signature_in_the_docs() -> None:
    fn = HOOKS["avacollab_status"]
    docs = "### `avacollab_status`\n\n```text\ndef avacollab_status(session) -> list\n```\n"
    assert missing("avacollab_status", fn, docs, {Path("t.py"): "hook.avacollab_status("}) == [
        f"its exact signature in docs/plugins.md: {signature(fn)}",
        "an example implementing it in docs/plugins.md",
    ]


def hook_examples() -> list[str]:
    docs = DOCS.read_text(encoding="utf-8")
    return [block for block in python_blocks(docs) if "@hookimpl" in block]


@pytest.mark.parametrize("index", range(len(hook_examples())))
def test_docs_examples_register_as_plugins(index: int) -> None:
    """Each example runs as a module and is a valid plugin (hook names, arguments)."""
    module = types.ModuleType(f"docs_example_{index}")
    exec(compile(hook_examples()[index], f"docs/plugins.md example {index}", "exec"), vars(module))
    pm = load("")
    pm.register(module)
    pm.check_pending()
    assert pm.get_hookcallers(module), "the example implements no hook"


async def test_the_docs_testing_example_passes_with_the_docs_plugin(
    avacollab_sessions: SessionFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first example (a plugin) and the testing example fit together and pass."""
    blocks = list(python_blocks(DOCS.read_text(encoding="utf-8")))
    plugin_source = blocks[0]
    test_source = next(b for b in blocks if "avacollab_sessions" in b)
    package = types.ModuleType("avacollab_shout")
    package.__path__ = []
    plugin = types.ModuleType("avacollab_shout.plugin")
    exec(compile(plugin_source, "docs/plugins.md plugin", "exec"), vars(plugin))
    package.plugin = plugin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "avacollab_shout", package)
    monkeypatch.setitem(sys.modules, "avacollab_shout.plugin", plugin)
    namespace: dict[str, Any] = {}
    exec(compile(test_source, "docs/plugins.md test", "exec"), namespace)
    tests = [fn for name, fn in namespace.items() if name.startswith("test_")]
    assert len(tests) == 1
    await tests[0](avacollab_sessions)
