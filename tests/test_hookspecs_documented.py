"""Every hook and every ``Feature`` member is documented, has a working example, and a test.

A new hook added to ``AvacollabSpec``, or a new method or attribute of
``avacollab.feature.Feature``, without a docstring, a section in
docs/plugins.md with its exact signature and an example, and a test, fails
here, naming what is missing. Every example in docs/plugins.md also runs:
each plugin module is loaded like an installed plugin, and its features run
in a room of two in-memory sessions, where every method the example
overrides must be called without an error.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import re
import sys
import textwrap
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from aiortc.mediastreams import VideoStreamTrack

from avacollab import testing
from avacollab.feature import Feature
from avacollab.hookspecs import PROJECT, AvacollabSpec
from avacollab.memoryroom import Room
from avacollab.plugins import features, load
from avacollab.testing import SessionFactory

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "plugins.md"
MODEL = ROOT / "examples" / "hello-plugin" / "avacollab_hello" / "plugin.py"
TEST_GLOBS = ("tests/**/*.py", "plugins/*/tests/**/*.py", "examples/*/tests/**/*.py")

# The fixture plugin authors get through the pytest11 entry point.
avacollab_server = testing.avacollab_server
avacollab_sessions = testing.avacollab_sessions

HOOKS: dict[str, Callable[..., Any]] = {
    name: fn for name, fn in vars(AvacollabSpec).items() if name.startswith(PROJECT + "_")
}
METHODS: dict[str, Callable[..., Any]] = {
    name: fn.__func__ if isinstance(fn, classmethod) else fn  # check_options is one
    for name, fn in vars(Feature).items()
    if (inspect.isfunction(fn) or isinstance(fn, classmethod))
    and (not name.startswith("_") or name == "__init__")
}
ATTRIBUTES = tuple(Feature.__annotations__)  # name, options


def signature(fn: Callable[..., Any], *, method: bool = False) -> str:
    """``def name(arg: type, ...) -> type`` as written in the code (annotations are strings).

    Hooks are shown without ``self``, methods with it or ``cls`` (and ``async`` when they
    are)."""
    sig = inspect.signature(fn)
    params = ", ".join(
        p.name if p.name in ("self", "cls") else f"{p.name}: {p.annotation}"
        for p in sig.parameters.values()
        if method or p.name != "self"
    )
    prefix = "async def" if inspect.iscoroutinefunction(fn) else "def"
    return f"{prefix} {fn.__name__}({params}) -> {sig.return_annotation}"


def feature_source() -> ast.ClassDef:
    module = ast.parse(inspect.getsource(sys.modules[Feature.__module__]))
    return next(n for n in module.body if isinstance(n, ast.ClassDef) and n.name == "Feature")


def attribute_line(name: str) -> str:
    """``name: ClassVar[...] = default`` as declared in ``Feature``."""
    for node in feature_source().body:
        if isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == name:
            line = f"{name}: {ast.unparse(node.annotation)}"
            return line if node.value is None else f"{line} = {ast.unparse(node.value)}"
    raise KeyError(name)


def attribute_doc(name: str) -> str:
    """The string literal right after the attribute's declaration in ``Feature``."""
    for node, after in itertools.pairwise(feature_source().body):
        declares = isinstance(node, ast.AnnAssign) and ast.unparse(node.target) == name
        if declares and isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant):
            return str(after.value.value)
    return ""


def section(docs: str, title: str) -> str | None:
    """The text of ``### `title``` up to the next heading of the same or a higher level."""
    match = re.search(rf"^### `{re.escape(title)}`\n(.*?)(?=^##? |^### |\Z)", docs, re.M | re.S)
    return match.group(1) if match else None


def python_blocks(text: str) -> Iterator[str]:
    yield from re.findall(r"^```python\n(.*?)^```", text, re.M | re.S)


def feature_members(source: str) -> set[str]:
    """Members defined by the classes of ``source`` that derive from a ``Feature`` class."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.ClassDef):
            continue
        if not any(ast.unparse(base).split(".")[-1] == "Feature" for base in node.bases):
            continue
        for item in node.body:
            if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                found.add(item.name)
            elif isinstance(item, ast.Assign | ast.AnnAssign):
                targets = item.targets if isinstance(item, ast.Assign) else [item.target]
                found.update(ast.unparse(t) for t in targets)
    return found


def covering_tests(name: str, sources: dict[Path, str]) -> list[Path]:
    """Test files that implement the hook (``def name(``) or call it (``hook.name(``)."""
    pattern = re.compile(rf"(\bdef |\bhook\.){name}\(")
    return [path for path, text in sources.items() if pattern.search(text)]


def missing(name: str, fn: Callable[..., Any], docs: str, sources: dict[Path, str]) -> list[str]:
    """What hook ``name`` lacks: a docstring, a docs section, its signature there, an example,
    a test."""
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


def missing_member(
    name: str, doc: str, declared: str, docs: str, sources: dict[Path, str]
) -> list[str]:
    """What ``Feature.name`` lacks: a docstring, a docs section with its ``declared`` line and
    an example overriding it, a test feature overriding it."""
    problems = []
    if not doc.strip():
        problems.append("a docstring")
    title = f"Feature.{name}"
    text = section(docs, title)
    if text is None:
        problems.append(f"a section '### `{title}`' in docs/plugins.md")
    else:
        if declared not in text:
            problems.append(f"its exact signature in docs/plugins.md: {declared}")
        if not any(name in feature_members(block) for block in python_blocks(text)):
            problems.append("an example feature defining it in docs/plugins.md")
    if not any(name in feature_members(text) for text in sources.values()):
        problems.append("a test (a Feature subclass in the tests defining it)")
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


@pytest.mark.parametrize("name", sorted(METHODS))
def test_feature_method_is_documented_and_tested(
    name: str, docs: str, sources: dict[Path, str]
) -> None:
    fn = METHODS[name]
    declared = signature(fn, method=True)
    problems = missing_member(name, inspect.getdoc(fn) or "", declared, docs, sources)
    assert not problems, f"Feature.{name} lacks: " + "; ".join(problems)


@pytest.mark.parametrize("name", ATTRIBUTES)
def test_feature_attribute_is_documented_and_tested(
    name: str, docs: str, sources: dict[Path, str]
) -> None:
    declared = attribute_line(name)
    problems = missing_member(name, attribute_doc(name), declared, docs, sources)
    assert not problems, f"Feature.{name} lacks: " + "; ".join(problems)


def test_every_feature_member_has_its_section(docs: str) -> None:
    titles = set(re.findall(r"^### `Feature\.(\w+)`", docs, re.M))
    assert titles == set(METHODS) | set(ATTRIBUTES)


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
    fn = HOOKS["avacollab_register_features"]
    docs = (
        "### `avacollab_register_features`\n\n```text\n"
        "def avacollab_register_features(register) -> None\n```\n"
    )
    sources = {Path("t.py"): "def avacollab_register_features("}
    assert missing("avacollab_register_features", fn, docs, sources) == [
        f"its exact signature in docs/plugins.md: {signature(fn)}",
        "an example implementing it in docs/plugins.md",
    ]


def test_the_checker_reports_an_undocumented_untested_feature_member(
    docs: str, sources: dict[Path, str]
) -> None:
    assert missing_member("nothing_here", "", "def nothing_here(self) -> None", docs, sources) == [
        "a docstring",
        "a section '### `Feature.nothing_here`' in docs/plugins.md",
        "a test (a Feature subclass in the tests defining it)",
    ]
    # A method defined outside a Feature subclass covers nothing.
    docs = (
        "### `Feature.status`\n\n```text\ndef status(self)\n```\n\n"
        "```python\ndef status(self): ...\n```\n"
    )
    declared = signature(METHODS["status"], method=True)
    assert missing_member(
        "status", "doc", declared, docs, {Path("t.py"): "def status(self): ..."}
    ) == [
        f"its exact signature in docs/plugins.md: {declared}",
        "an example feature defining it in docs/plugins.md",
        "a test (a Feature subclass in the tests defining it)",
    ]


# -- the examples run --------------------------------------------------------------


def plugin_examples() -> list[str]:
    docs = DOCS.read_text(encoding="utf-8")
    return [block for block in python_blocks(docs) if "@hookimpl" in block]


def load_example(source: str, name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    exec(compile(source, f"docs/plugins.md {name}", "exec"), vars(module))
    return module


class Calls:
    """Which ``Feature`` methods ran, wrapped around the example's own."""

    def __init__(self, classes: list[type[Feature]], monkeypatch: pytest.MonkeyPatch) -> None:
        self.overridden = {m for cls in classes for m in METHODS if m in vars(cls)}
        self.called: set[str] = set()
        for cls in classes:
            for method in METHODS:
                if method not in vars(cls):
                    continue
                fn = vars(cls)[method]
                if isinstance(fn, classmethod):
                    wrapped: Any = classmethod(self._wrap(method, fn.__func__))
                else:
                    wrapped = self._wrap(method, fn)
                monkeypatch.setattr(cls, method, wrapped)

    def _wrap(self, method: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            self.called.add(method)
            return fn(*args, **kwargs)

        return wrapper


async def two_sessions_through_everything(classes: list[type[Feature]]) -> list[str]:
    """Run ``classes`` in two in-memory sessions through every feature method; the errors."""
    room = Room(*classes)
    a, b = await room.join("a", "Ada"), await room.join("b", "Bob")
    for session in (a, b):
        await session.features.peer_joined("b" if session is a else "a", "")
    await room.mesh(a, b)
    video = VideoStreamTrack()
    for session, other in ((a, b), (b, a)):
        session.features.status()
        session.features.media_tracks(other.peer_id)
        session.features.peer_color(other.peer_id)
        await session.features.track_received(other.peer_id, video)
        for feature in session.features.running:
            for command in feature.commands():
                reply = await session.features.execute(f"/{command.name}")
                assert not (reply or "").startswith(f"/{command.name} failed"), reply
    video.stop()
    await room.disconnect(a, b)
    await room.connect(a, b)
    await room.close()
    return [
        f"{e['feature']}.{e['method']}: {e['error']}"
        for s in (a, b)
        for e in s.named("plugin-error")
    ]


@pytest.mark.parametrize("index", range(len(plugin_examples())))
async def test_docs_examples_run_as_plugins(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each example loads as a plugin; its features run through every method they override."""
    module = load_example(plugin_examples()[index], f"docs_example_{index}")
    pm = load("")
    pm.register(module)
    pm.check_pending()
    assert pm.get_hookcallers(module), "the example implements no hook"
    if hasattr(module, "avacollab_add_commands"):
        app = typer.Typer()
        pm.hook.avacollab_add_commands(app=app)
        assert app.registered_commands
    classes = features(pm)[1:]  # the built-in one comes first
    if not classes:
        assert not hasattr(module, "avacollab_register_features")
        return
    calls = Calls(classes, monkeypatch)
    assert await two_sessions_through_everything(classes) == []
    assert calls.overridden <= calls.called, f"never called: {calls.overridden - calls.called}"


def test_the_docs_model_is_the_example_plugin(docs: str) -> None:
    """The plugin shown first in the docs is examples/hello-plugin, word for word."""
    assert next(python_blocks(docs)) == MODEL.read_text(encoding="utf-8")


@pytest.fixture
def hello_from_the_docs(docs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """``avacollab_hello.plugin`` importable, built from the docs' model."""
    package = types.ModuleType("avacollab_hello")
    package.__path__ = []
    plugin = load_example(next(python_blocks(docs)), "avacollab_hello.plugin")
    package.plugin = plugin  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "avacollab_hello", package)
    monkeypatch.setitem(sys.modules, "avacollab_hello.plugin", plugin)


def example_tests(docs: str, marker: str) -> list[Callable[..., Any]]:
    block = next(b for b in python_blocks(docs) if marker in b)
    namespace: dict[str, Any] = {}
    exec(compile(textwrap.dedent(block), "docs/plugins.md test", "exec"), namespace)
    return [fn for name, fn in namespace.items() if name.startswith("test_")]


async def test_the_docs_testing_example_passes(
    docs: str, hello_from_the_docs: None, avacollab_sessions: SessionFactory
) -> None:
    [test] = example_tests(docs, "avacollab_sessions")
    await test(avacollab_sessions)


async def test_the_docs_memoryroom_example_passes(docs: str, hello_from_the_docs: None) -> None:
    [test] = example_tests(docs, "memoryroom import")
    await test()
