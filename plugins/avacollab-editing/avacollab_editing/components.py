"""The JSON exchange format: a tree of ``{id, type, properties, children}``.

``export()`` writes an envelope ``{"format": "avacollab-editing", "version": 1,
"components": [...]}``; import also takes a bare component or a list of them,
so a file in the seed's ``ComponentNode`` shape loads as is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from .layout import MAX_DEPTH
from .schema import JSON, ValidationError, check_id, check_prop_name, check_type, check_value

FORMAT = "avacollab-editing"
VERSION = 1

_COMPONENT_KEYS = {"id", "type", "properties", "children"}
_ENVELOPE_KEYS = {"format", "version", "components"}


@dataclass(frozen=True)
class Component:
    """One component of the tree: the unit of ``tree()``, export and import."""

    id: str
    type: str
    properties: dict[str, JSON] = field(default_factory=dict)
    children: tuple[Component, ...] = ()

    def to_json(self) -> dict[str, JSON]:
        """This component and its subtree as ``ComponentNode`` JSON."""
        return {
            "id": self.id,
            "type": self.type,
            "properties": dict(self.properties),
            "children": [child.to_json() for child in self.children],
        }


def walk(components: tuple[Component, ...] | list[Component]) -> Iterator[Component]:
    """Every component of the forest, parents before children."""
    stack = list(reversed(components))
    while stack:
        component = stack.pop()
        yield component
        stack.extend(reversed(component.children))


def to_export(components: tuple[Component, ...] | list[Component]) -> dict[str, JSON]:
    """The export envelope for a forest of components."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "components": [component.to_json() for component in components],
    }


def parse_export(data: object) -> list[Component]:
    """Validate exported JSON (envelope, single component or list) into components.

    Raises ``ValidationError`` naming the offending path, e.g.
    ``components[0].children[2].type``. Ids must be unique within ``data``.
    """
    seen: set[str] = set()
    if isinstance(data, dict) and "components" not in data:
        return [_parse(data, "component", seen, 0)]
    if isinstance(data, dict):
        unknown = set(data) - _ENVELOPE_KEYS
        if unknown:
            raise ValidationError(f"unknown keys in document: {sorted(unknown)}")
        if data.get("format", FORMAT) != FORMAT:
            raise ValidationError(f"format must be {FORMAT!r}, got {data.get('format')!r:.80}")
        if data.get("version", VERSION) != VERSION:
            raise ValidationError(f"unsupported version {data.get('version')!r:.80}")
        items, where = data["components"], "components"
    else:
        items, where = data, "components"
    if not isinstance(items, list):
        raise ValidationError(f"{where} must be a list of components")
    return [_parse(item, f"{where}[{i}]", seen, 0) for i, item in enumerate(items)]


def _parse(raw: object, where: str, seen: set[str], depth: int) -> Component:
    if depth > MAX_DEPTH:
        raise ValidationError(f"{where}: the tree is nested more than {MAX_DEPTH} deep")
    if not isinstance(raw, dict):
        raise ValidationError(f"{where} must be an object")
    unknown = set(raw) - _COMPONENT_KEYS
    if unknown:
        raise ValidationError(f"{where} has unknown keys {sorted(unknown)}")
    try:
        node_id = check_id(raw.get("id"))
        node_type = check_type(raw.get("type"))
    except ValidationError as exc:
        raise ValidationError(f"{where}: {exc}") from None
    if node_id in seen:
        raise ValidationError(f"{where}: duplicate id {node_id!r}")
    seen.add(node_id)
    props_raw = raw.get("properties", {})
    if not isinstance(props_raw, dict):
        raise ValidationError(f"{where}.properties must be an object")
    properties: dict[str, JSON] = {}
    for name, value in props_raw.items():
        try:
            properties[check_prop_name(name)] = check_value(value, f"property {name!r}")
        except ValidationError as exc:
            raise ValidationError(f"{where}.properties: {exc}") from None
    children_raw = raw.get("children", [])
    if not isinstance(children_raw, list):
        raise ValidationError(f"{where}.children must be a list")
    children = tuple(
        _parse(child, f"{where}.children[{i}]", seen, depth + 1)
        for i, child in enumerate(children_raw)
    )
    return Component(node_id, node_type, properties, children)
