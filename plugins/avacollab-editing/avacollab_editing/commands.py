"""The interactive ``join`` commands of the editing plugin, as pure functions of a Document.

Each command takes the rest of the typed line and returns the text to print.
A mistake (bad syntax, unknown node, invalid value) is answered with a line
starting ``error:`` and changes nothing; the commands never raise for user
input.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable

from avacollab import shortids, tables

from .components import Component, walk
from .model import Document, EditError
from .schema import JSON, ValidationError

TOP = "-"
"""Written for PARENT to mean the top level of the tree."""


class UsageError(ValueError):
    """The command line does not match the command's syntax."""


def resolve(document: Document, word: str) -> str:
    """The id of the visible component whose id is ``word`` or starts with it (git-style)."""
    if document.node(word) is not None:
        return word  # a whole id, even of a deleted node: the document says what is wrong
    ids = {component.id: None for component in walk(document.tree())}
    try:
        return shortids.resolve(word, ids, "component", shortids.COMPONENT_SHORT)
    except shortids.IdError as exc:
        raise UsageError(f"{exc}; /tree lists them") from None


def component_label(component: Component, short: str) -> str:
    """How a person reads a component: its ``name`` or ``label`` property, else its short id."""
    for key in ("name", "label"):
        text = component.properties.get(key)
        if isinstance(text, str) and text:
            return text
    return short


def render_tree(components: tuple[Component, ...]) -> str:
    """The tree as indented lines: ``id Type {"prop": value}``, ids shortened, each line
    cut to :data:`avacollab.tables.WIDTH` columns (``/tree --json`` has everything)."""
    lines: list[str] = []
    shown = shortids.short_ids(
        (component.id for component in walk(components)), shortids.COMPONENT_SHORT
    )

    def visit(component: Component, depth: int) -> None:
        props = json.dumps(component.properties, ensure_ascii=False, sort_keys=True)
        # Cut at the table width: a long property must not wrap over the tree's shape.
        line = f"{'  ' * depth}{shown[component.id]} {component.type} {props}"
        lines.append(tables.ellipsize(line))
        for child in component.children:
            visit(child, depth + 1)

    for component in components:
        visit(component, 0)
    return "\n".join(lines) if lines else "(empty document)"


def parse_assignments(words: list[str]) -> dict[str, JSON]:
    """``k=v`` words as properties; ``v`` is JSON when it parses, else a plain string."""
    props: dict[str, JSON] = {}
    for word in words:
        name, sep, raw = word.partition("=")
        if not sep or not name:
            raise UsageError(f"expected NAME=VALUE, got {word!r}")
        try:
            value: JSON = json.loads(raw)
        except ValueError:
            value = raw  # `label=Buy` is friendlier to type than `label='"Buy"'`
        props[name] = value
    return props


def tree(document: Document, line: str) -> str:
    """``/tree [--json]``: print the visible tree, or the same as ``ComponentNode`` JSON."""
    words = split(line)
    if words == ["--json"]:
        return json.dumps([c.to_json() for c in document.tree()], ensure_ascii=False)
    if words:
        raise UsageError("usage: /tree [--json]")
    return render_tree(document.tree())


def add(document: Document, line: str) -> str:
    """``/add PARENT TYPE [NAME=VALUE ...]``: add a component, print its id."""
    words = split(line)
    if len(words) < 2:
        raise UsageError("usage: /add PARENT|- TYPE [NAME=VALUE ...]")
    parent, node_type, *rest = words
    node_id = document.add(node_type, parse_assignments(rest), parent=_parent(document, parent))
    return f"added {node_id}"


def set_(document: Document, line: str) -> str:
    """``/set ID NAME=VALUE [...]``: set properties in one step (one undo)."""
    words = split(line)
    if len(words) < 2:
        raise UsageError("usage: /set ID NAME=VALUE [...]")
    node_id, *rest = words
    node_id = resolve(document, node_id)
    props = parse_assignments(rest)
    with document.batch():
        for name, value in props.items():
            document.set_prop(node_id, name, value)
    return f"set {', '.join(props)} on {node_id}"


def unset(document: Document, line: str) -> str:
    """``/unset ID NAME``: remove one property."""
    words = split(line)
    if len(words) != 2:
        raise UsageError("usage: /unset ID NAME")
    node_id = resolve(document, words[0])
    document.remove_prop(node_id, words[1])
    return f"removed {words[1]} from {node_id}"


def move(document: Document, line: str) -> str:
    """``/move ID PARENT|- [INDEX]``: move a component (appended without INDEX)."""
    words = split(line)
    if len(words) not in (2, 3):
        raise UsageError("usage: /move ID PARENT|- [INDEX]")
    index: int | None = None
    if len(words) == 3:
        try:
            index = int(words[2])
        except ValueError:
            raise UsageError(f"INDEX must be an integer, got {words[2]!r}") from None
    node_id = resolve(document, words[0])
    document.move(node_id, _parent(document, words[1]), index)
    return f"moved {node_id}"


def delete(document: Document, line: str) -> str:
    """``/delete ID``: delete a component and its subtree (undo brings it back)."""
    words = split(line)
    if len(words) != 1:
        raise UsageError("usage: /delete ID")
    node_id = resolve(document, words[0])
    document.delete(node_id)
    return f"deleted {node_id}"


def undo(document: Document, line: str) -> str:
    """``/undo``: undo this peer's last edit."""
    if split(line):
        raise UsageError("/undo takes no arguments")
    return "undone" if document.undo() else "nothing to undo"


def redo(document: Document, line: str) -> str:
    """``/redo``: redo the last undone edit."""
    if split(line):
        raise UsageError("/redo takes no arguments")
    return "redone" if document.redo() else "nothing to redo"


def split(line: str) -> list[str]:
    """Shell-like words, so a value with spaces can be quoted."""
    try:
        return shlex.split(line)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def guarded(command: Callable[[], str]) -> str:
    """Run a command, turning a mistake into an ``error:`` line."""
    try:
        return command()
    except (UsageError, EditError, ValidationError) as exc:
        return f"error: {exc}"


def _parent(document: Document, word: str) -> str | None:
    return None if word == TOP else resolve(document, word)


DOCUMENT_COMMANDS: dict[str, tuple[Callable[[Document, str], str], str]] = {
    "tree": (tree, "print the component tree (--json: as JSON)"),
    "add": (add, "/add PARENT|- TYPE [NAME=VALUE ...]: add a component"),
    "set": (set_, "/set ID NAME=VALUE [...]: set properties (any unique ID prefix will do)"),
    "unset": (unset, "/unset ID NAME: remove a property"),
    "move": (move, "/move ID PARENT|- [INDEX]: move a component"),
    "delete": (delete, "/delete ID: delete a component and its subtree"),
    "undo": (undo, "undo your last edit (others' edits stay)"),
    "redo": (redo, "redo your last undone edit"),
}
"""Command name -> (function, help line); ``/save`` needs the session and lives there."""
