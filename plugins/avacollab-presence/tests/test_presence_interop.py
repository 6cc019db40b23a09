"""Python and the npm y-protocols awareness module read each other's updates."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

from avacollab_presence import Cursor, Presence, PresenceConfig, PresenceState, User
from presence_fakes import FakeScheduler, node_or_skip

JS = Path(__file__).parent / "js"


def _run_node(payload: dict[str, str]) -> Any:
    result = subprocess.run(
        [node_or_skip(JS, "y-protocols"), str(JS / "awareness.mjs")],
        input=json.dumps(payload).encode(),
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 0, result.stderr.decode()
    return json.loads(result.stdout)


def test_awareness_updates_interoperate_with_y_protocols() -> None:
    clock = FakeScheduler()
    sent: list[bytes] = []
    presence = Presence(
        "peer-py",
        PresenceConfig("Zoë 🐍", color="#2273c3"),
        lambda data, reliable: sent.append(data),
        scheduler=clock,
        wall_clock=lambda: 1_718_000_000.5,
    )
    presence.start()
    presence.set_selection(["n1", "n2"])
    presence.set_cursor(12.25, -3, "n1")
    clock.advance(1)
    presence.leave()
    update, removal = sent[-2], sent[-1]

    out = _run_node(
        {
            "update": base64.b64encode(update).decode(),
            "removal": base64.b64encode(removal).decode(),
        }
    )

    client = str(presence.client_id)
    assert out["decoded"] == {
        client: {
            "user": {"name": "Zoë 🐍", "color": "#2273c3"},
            "cursor": {"x": 12.25, "y": -3, "component": "n1"},
            "selection": ["n1", "n2"],
            "status": "active",
            "lastSeen": 1_718_000_000_500,
        }
    }
    assert out["clocks"][client] > 0
    assert out["afterRemoval"] == []

    reader = Presence("peer-reader", PresenceConfig("R"), lambda d, r: None, scheduler=clock)
    assert reader.receive("peer-js", base64.b64decode(out["jsUpdate"])) == []
    seen = reader.states()["peer-js"]
    assert seen.client_id == out["jsClientId"]
    assert seen.state == PresenceState(
        user=User("Grâce 🎨", "#22c373"),
        cursor=Cursor(1.5, -2, "btn-1"),
        selection=("btn-1", "panel-2"),
        status="idle",
        last_seen=1_718_000_000_000,
    )
    assert reader.receive("peer-js", base64.b64decode(out["jsRemoval"])) == []
    assert "peer-js" not in reader.states()
