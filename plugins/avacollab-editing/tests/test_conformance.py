"""The editing conformance vectors against fractional.py and schema.py.

conformance/order_keys.json and conformance/node_records.json (at the
repository root) are shared with the JavaScript client, whose tests in js/
check the same files, so a browser peer orders siblings and screens node
records exactly as this plugin does.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pycrdt import Doc, Map

from avacollab_editing import fractional, schema
from avacollab_editing.model import Document

CONFORMANCE = Path(__file__).resolve().parents[3] / "conformance"


def _load(name: str) -> Any:
    return json.loads((CONFORMANCE / name).read_text("utf-8"))


ORDER = _load("order_keys.json")
RECORDS = _load("node_records.json")


def expand(value: Any) -> Any:
    """A vector's value with its ``$repeat`` and ``$nest`` markers written out."""
    if isinstance(value, dict):
        if set(value) == {"$repeat"}:
            text, times = value["$repeat"]
            return text * times
        if set(value) == {"$nest"}:
            depth, leaf = value["$nest"]
            out = expand(leaf)
            for _ in range(depth):
                out = [out]
            return out
        return {key: expand(item) for key, item in value.items()}
    if isinstance(value, list):
        return [expand(item) for item in value]
    return value


def test_digits_and_salts() -> None:
    assert ORDER["digits"] == fractional.DIGITS
    for case in ORDER["salts"]:
        assert fractional.salt_for(case["clientId"]) == case["salt"], case


def test_is_key() -> None:
    for case in ORDER["isKey"]:
        assert fractional.is_key(case["key"]) == case["valid"], case


def test_key_between() -> None:
    for case in ORDER["between"]:
        key = fractional.key_between(case["low"], case["high"], case["salt"])
        assert key == case["key"], case
    for case in ORDER["refused"]:
        with pytest.raises(fractional.OrderKeyError):
            fractional.key_between(case["low"], case["high"], case["salt"])


@pytest.mark.parametrize("case", ORDER["sequences"], ids=lambda c: c["name"])
def test_sequences(case: dict[str, Any]) -> None:
    keys: list[str] = []
    for i in range(len(case["keys"])):
        salt = fractional.salt_for(i % 3)
        if case["name"] == "append":
            keys.append(fractional.key_between(keys[-1] if keys else None, None, salt))
        elif case["name"] == "prepend":
            keys.insert(0, fractional.key_between(None, keys[0] if keys else None, salt))
        else:
            low = keys[0] if keys else None
            high = keys[1] if len(keys) > 1 else None
            keys.insert(1 if keys else 0, fractional.key_between(low, high, salt))
    assert keys == case["keys"]


@pytest.mark.parametrize(
    "case", ORDER["runs"], ids=lambda c: f"{c['end']}-{c['salt']}-{c['count']}"
)
def test_runs(case: dict[str, Any]) -> None:
    key: str | None = None
    longest = 0
    for _ in range(case["count"]):
        if case["end"] == "append":
            key = fractional.key_between(key, None, case["salt"])
        else:
            key = fractional.key_between(None, key, case["salt"])
        longest = max(longest, len(key))
    assert (key, longest) == (case["last"], case["longest"])


def test_keys_between() -> None:
    for case in ORDER["bulk"]:
        keys = fractional.keys_between(case["low"], case["high"], case["count"], case["salt"])
        assert keys == case["keys"], case


CHECKS: dict[str, Callable[[object], object]] = {
    "ids": schema.check_id,
    "propNames": schema.check_prop_name,
    "values": schema.check_value,
    "pythonIntegers": schema.check_value,
    "entries": schema.parse_entry,
}


@pytest.mark.parametrize("group", list(CHECKS))
def test_node_records(group: str) -> None:
    check = CHECKS[group]
    assert RECORDS[group], "no vectors"
    for case in RECORDS[group]:
        value = expand(case["value"])
        if case["valid"]:
            check(value)
        else:
            with pytest.raises(schema.ValidationError):
                check(value)


def test_limits() -> None:
    assert RECORDS["limits"] == {
        "maxIdLength": schema.MAX_ID_LENGTH,
        "maxPropNameLength": schema.MAX_PROP_NAME_LENGTH,
        "maxValueBytes": schema.MAX_VALUE_BYTES,
        "maxValueDepth": schema.MAX_VALUE_DEPTH,
    }


TREES = _load("tree_cases.json")


@pytest.mark.parametrize("case", TREES["cases"], ids=lambda c: c["name"])
def test_tree_cases(case: dict[str, Any]) -> None:
    """The tree the model reads from each node map (the JavaScript model must read the same)."""
    doc: Doc[Map[object]] = Doc()
    nodes = doc.get("nodes", type=Map)
    with doc.transaction():
        for record in case["records"]:
            fields = {"type": record["type"], "props": Map(record["props"])}
            fields.update({key: record[key] for key in ("pos", "deleted") if key in record})
            nodes[record["id"]] = Map(fields)
    document = Document(doc)
    assert [component.to_json() for component in document.tree()] == case["tree"]
    for node_id, expected in case["nodes"].items():
        state = document.node(node_id)
        got = (
            None
            if state is None
            else {
                "parent": state.parent,
                "deleted": state.deleted,
                "visible": state.visible,
            }
        )
        assert got == expected, node_id
    document.close()


def test_tree_cases_cover_the_rules() -> None:
    names = " ".join(case["name"] for case in TREES["cases"])
    rules = ("ties on order", "deleted", "missing parent", "cycle", "no position", "prev", "deep")
    for rule in rules:
        assert rule in names, rule
