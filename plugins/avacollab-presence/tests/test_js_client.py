"""The browser client's presence (js/src/presence) and this plugin read each other's bytes.

js/scripts/presence-peer.mjs runs the client's ``Presence`` on a hand-driven
clock; its awareness updates go into a ``Presence`` here and this side's go
back. Needs Node and ``npm ci`` in js/; skipped without them, except under
CI=true.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from avacollab_presence import Presence, PresenceConfig
from avacollab_presence.wire import Entry, encode_update
from presence_fakes import FakeScheduler, node_or_skip

CLIENT = Path(__file__).resolve().parents[3] / "js"
PEER = CLIENT / "scripts" / "presence-peer.mjs"


def _run_js(node: str, steps: list[dict[str, Any]]) -> dict[str, Any]:
    result = subprocess.run(
        [node, str(PEER)],
        input=json.dumps({"peer": "js", "name": "Js", "steps": steps}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    out: dict[str, Any] = json.loads(result.stdout)
    return out


def _python() -> tuple[Presence, list[tuple[bytes, bool]]]:
    sent: list[tuple[bytes, bool]] = []
    presence = Presence(
        "py",
        PresenceConfig("Py"),
        lambda data, reliable: sent.append((data, reliable)),
        scheduler=FakeScheduler(),
        wall_clock=lambda: 1_700_000_000.0,
    )
    return presence, sent


def test_a_js_peer_and_a_python_peer_see_each_other() -> None:
    node = node_or_skip(CLIENT, "y-protocols")
    py, py_sent = _python()
    py.start()
    py.set_cursor(10, 20, "panel")
    start, reliable = py_sent[0]
    assert reliable
    out = _run_js(
        node,
        [
            {"op": "receive", "peer": "py", "data": start.hex()},
            {"op": "start"},
            {"op": "advance", "ms": 10},
            {"op": "cursor", "x": 1, "y": 1},
            {"op": "cursor", "x": 3.5, "y": 4, "component": "btn"},
            {"op": "advance", "ms": 50},
            {"op": "select", "ids": ["a", "b", "a"]},
            {"op": "leave"},
        ],
    )
    assert out["refused"] == []
    seen = out["states"]["py"]
    assert seen["user"] == {"name": "Py", "color": py.state_of("py").user.color}  # type: ignore[union-attr]
    assert seen["clientId"] == py.client_id and seen["status"] == "active"
    # start, one throttled cursor update (the newest position), the selection, the leave
    assert [m["reliable"] for m in out["sent"]] == [True, False, True, True]
    for i, message in enumerate(out["sent"][:-1]):
        assert py.receive("js", bytes.fromhex(message["data"])) == [], i
    state = py.state_of("js")
    assert state is not None
    assert (state.cursor.x, state.cursor.y, state.cursor.component) == (3.5, 4, "btn")  # type: ignore[union-attr]
    assert state.selection == ("a", "b")
    assert state.user.name == "Js" and state.user.color == out["local"]["user"]["color"]
    assert py.states()["js"].client_id == out["clientId"]
    assert py.receive("js", bytes.fromhex(out["sent"][-1]["data"])) == []
    assert py.state_of("js") is None  # the null state removed it
    py.leave()


def test_both_refuse_the_same_entries() -> None:
    node = node_or_skip(CLIENT, "y-protocols")
    py, py_sent = _python()
    py.start()
    [(start, _)] = py_sent
    good = '{"user":{"name":"M","color":"#123456"}}'
    bad = [
        encode_update([Entry(77, 1, '{"user":{"name":"","color":"#123456"}}')]),  # empty name
        encode_update([Entry(77, 1, '{"user":{"name":"M","color":"#123456"},"status":"x"}')]),
        encode_update([Entry(py.client_id, 50, good)]),  # py's client id, from another peer
        encode_update([Entry(78, 1, "null")]),  # removes an id it does not own
        encode_update([Entry(79, 1, good)])[:-1],  # cut short
    ]
    steps: list[dict[str, Any]] = [{"op": "receive", "peer": "py", "data": start.hex()}]
    steps += [{"op": "receive", "peer": "mallory", "data": data.hex()} for data in bad]
    out = _run_js(node, steps)
    assert len(out["refused"]) == len(bad), out["refused"]
    assert set(out["states"]) == {"js", "py"}
    other, _ = _python()
    other.receive("py", start)
    for data in bad:
        assert len(other.receive("mallory", data)) == 1, data
    assert set(other.states()) == {"py"}
    other.leave()
    py.leave()
