"""The editing plugin in real sessions: a signaling server and aiortc peers on loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from avacollab.testing import RecordedSession, SessionFactory

from avacollab_editing import Document, plugin
from avacollab_editing.session import EditingSession

WAIT = 20.0


def doc(session: RecordedSession) -> Document:
    return session.features.get(EditingSession).document


async def each(sessions: list[RecordedSession], condition: Callable[[Document], bool]) -> None:
    """Wait until ``condition`` holds for every session's document.

    A document only changes with an ``editing.changed`` event of its own
    session, so waiting on that session's events is enough.
    """
    for session in sessions:
        await session.events.wait(lambda s=session: condition(doc(s)), timeout=WAIT)  # type: ignore[misc]


def props(document: Document, node_id: str) -> dict[str, object] | None:
    node = document.node(node_id)
    return None if node is None else dict(node.props)


async def test_three_peers_edit_concurrently_and_a_late_joiner_gets_everything(
    avacollab_sessions: SessionFactory,
) -> None:
    a, b, c = await avacollab_sessions(3, plugins=[plugin], room="edit")
    doc(a).add("App", id="app")
    await each([a, b, c], lambda d: d.node("app") is not None)
    doc(a).set_prop("app", "title", "from a")
    doc(b).set_prop("app", "color", "red")
    doc(c).add("Button", {"label": "Buy"}, parent="app", id="buy")

    def done(d: Document) -> bool:
        return props(d, "app") == {"color": "red", "title": "from a"} and d.node("buy") is not None

    await each([a, b, c], done)
    assert doc(a).export() == doc(b).export() == doc(c).export()

    [late] = await avacollab_sessions(1, plugins=[plugin], room="edit")
    await each([late], done)
    assert doc(late).export() == doc(a).export()
    assert "editing: 2 components" in late.features.status()


async def test_doc_file_round_trip_through_a_real_session(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "design.json"
    path.write_text(json.dumps({"id": "app", "type": "App", "properties": {"v": 1}}))
    [a] = await avacollab_sessions(
        1, plugins=[plugin], room="doc", options={"editing.doc": str(path)}
    )
    [b] = await avacollab_sessions(1, plugins=[plugin], room="doc")
    await b.events.wait(lambda: doc(b).node("app") is not None, timeout=WAIT)
    doc(b).set_prop("app", "v", 2)
    await a.events.wait_for("editing.changed", origin=b.peer_id, timeout=WAIT)
    await a.close()
    saved = json.loads(path.read_text())
    assert saved["components"][0]["properties"] == {"v": 2}
    assert a.events.named("editing.saved")[-1]["path"] == str(path)


async def test_a_restarted_peer_brings_its_offline_edits(
    avacollab_sessions: SessionFactory, tmp_path: Path
) -> None:
    path = tmp_path / "design.json"
    options = {"editing.doc": str(path)}
    [a] = await avacollab_sessions(1, plugins=[plugin], room="restart", options=options)
    [b] = await avacollab_sessions(1, plugins=[plugin], room="restart")
    doc(a).add("App", {"title": "v1"}, id="app")
    await each([b], lambda d: d.node("app") is not None)
    await a.close()

    # While a is down: b edits the shared document, and a's file is edited by hand.
    doc(b).set_prop("app", "by_b", True)
    data = json.loads(path.read_text())
    data["components"][0]["properties"]["title"] = "edited offline"
    path.write_text(json.dumps(data))

    [again] = await avacollab_sessions(1, plugins=[plugin], room="restart", options=options)
    assert again.events.named("editing.loaded")[0]["state"] is True
    want = {"by_b": True, "title": "edited offline"}
    await each([again, b], lambda d: props(d, "app") == want)
