"""Web pages editing the tree with ``avacollab join`` peers: ``joinRoom`` in Chromium.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) opens the signaling server's own page, imports the shipped
``/client/avacollab.js`` and joins with ``joinRoom``; the other member is a
real ``python -m avacollab.cli.join`` process with the editing and presence
plugins and an ``editing.doc`` file. Edits go both ways and must converge to
one tree in every page, in the Python peer's ``/tree`` and in its doc file;
cursors go both ways with the sender's name and color. Each role is tested
on each side (tests/test_web_session_chromium.py says how). The README's web
page snippet runs here too, against the real server.

One Chromium serves the whole module (the machine is small): the module's
tests and fixtures share one event loop. Skipped without Chromium or
Playwright, except under CI=true, where it fails instead.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from avacollab.signaling.bundle import CLIENT_PATH
from avacollab.signaling.server import SignalingServer

from . import conftest, test_join_e2e
from .chromium import in_module_loop, launched
from .sessionkit import WAIT
from .test_join_e2e import ROOT, JoinProcess, Spawn
from .test_web_session_chromium import FLAGS, Page, python_peer

pytestmark = pytest.mark.asyncio(loop_scope="module")


make_server = in_module_loop(conftest.make_server)
server = in_module_loop(conftest.server)
spawn = in_module_loop(test_join_e2e.spawn)

PLUGINS = ("--plugin", "avacollab_editing.plugin", "--plugin", "avacollab_presence.plugin")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Any]:
    async with launched(FLAGS, "the browser editing tests") as chromium:
        yield chromium


# Runs in the page: joinRoom, leaving and joining again (a new id) until the
# offerer rule gives the page `role` toward `other` (null: either).
JOIN = """async ([bundle, url, room, name, role, other]) => {
  const client = await import(bundle);
  for (let attempt = 0; attempt < 40; attempt++) {
    const events = [];
    const joined = await client.joinRoom(url, room, {
      name, connectTimeout: 10, onEvent: (e) => events.push(e),
    });
    const offerer = client.session.isOfferer(joined.peerId, other);
    if (role === null || (role === "offerer") === offerer) {
      // `session` and `events` as the session tests' Page has them.
      Object.assign(window, { client, room: joined, session: joined.session, events });
      return { peer: joined.peerId, offerer };
    }
    await joined.leave();
  }
  throw new Error("no id in the wanted order after 40 joins");
}"""


class WebPeer(Page):
    """A page of the server's own origin in the room through ``joinRoom``."""

    def __init__(self, page: Any, server: SignalingServer, name: str) -> None:
        super().__init__(page, server)
        self.name = name

    async def join(self, room: str, role: str | None, other: str) -> bool:
        await self.page.goto(self.origin + "/")
        async with asyncio.timeout(WAIT * 2):
            joined = await self.page.evaluate(
                JOIN, [self.origin + CLIENT_PATH, self.url, room, self.name, role, other]
            )
        self.id = joined["peer"]
        return bool(joined["offerer"])

    async def run(self, script: str, arg: Any = None) -> Any:
        async with asyncio.timeout(WAIT):
            return await self.page.evaluate(script, arg)

    async def until(self, predicate: str, arg: Any = None) -> Any:
        """Wait until the page function ``predicate(arg)`` returns something truthy; return it."""
        return await self.run(
            f"async (arg) => {{ const check = {predicate}; let found;"
            " while (!(found = check(arg))) await new Promise((r) => setTimeout(r, 20));"
            " return found; }",
            arg,
        )

    async def tree(self) -> list[dict[str, Any]]:
        tree: list[dict[str, Any]] = await self.run("() => room.doc.tree()")
        return tree


async def reply(peer: JoinProcess, line: str) -> str:
    """Run a ``join`` command and return its reply (the newest of that command)."""
    before = sum(1 for e in peer.events.named("reply") if e["command"] == line)
    await peer.command(line)
    await peer.events.wait(
        lambda: sum(1 for e in peer.events.named("reply") if e["command"] == line) > before
    )
    output: str = [e for e in peer.events.named("reply") if e["command"] == line][-1]["output"]
    return output


async def python_tree(peer: JoinProcess) -> list[dict[str, Any]]:
    tree: list[dict[str, Any]] = json.loads(await reply(peer, "/tree --json"))
    return tree


async def eventually(check: Callable[[], Awaitable[bool]], what: str) -> None:
    """Poll ``check`` (each call is a round trip to a page or a process) within WAIT."""
    try:
        async with asyncio.timeout(WAIT):
            # The condition spans processes and pages: nothing announces it.
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {WAIT} s: {what}") from None


async def converged(pages: list[WebPeer], python: JoinProcess) -> list[dict[str, Any]]:
    """Wait until every page and the Python peer show one tree; return it."""
    trees: list[Any] = []

    async def same() -> bool:
        trees[:] = [await p.tree() for p in pages] + [await python_tree(python)]
        return all(t == trees[0] for t in trees)

    try:
        await eventually(same, "one tree everywhere")
    except AssertionError:
        raise AssertionError(f"trees differ: {trees}") from None
    return list(trees[0])


async def doc_file_matches(page: WebPeer, path: Path) -> None:
    """The Python peer's doc file holds what the page exports (written shortly after a change)."""
    exported = await page.run("() => room.doc.export()")

    async def same() -> bool:
        try:
            return bool(json.loads(await asyncio.to_thread(path.read_text)) == exported)
        except (OSError, ValueError):  # not written yet, or being replaced
            return False

    await eventually(same, f"{path.name} holds {exported}")


def shape(tree: list[dict[str, Any]]) -> list[Any]:
    """Ids and nesting only: [id, {id: [...children]}]."""
    return [{c["id"]: shape(c["children"])} if c["children"] else c["id"] for c in tree]


def cursor_of(peer: JoinProcess, sender: str) -> Callable[[], dict[str, Any] | None]:
    """The newest cursor of ``sender`` in the Python peer's presence.updated events."""

    def newest() -> dict[str, Any] | None:
        for event in reversed(peer.events.named("presence.updated")):
            state = event["peers"].get(sender)
            if state is not None:
                cursor: dict[str, Any] | None = state["cursor"]
                return cursor
        return None

    return newest


async def spawn_editor(spawn: Spawn, tmp_path: Path, *, middle: bool) -> tuple[JoinProcess, Path]:
    doc = tmp_path / "py.json"
    extra = (*PLUGINS, "--set", f"editing.doc={doc}")
    python = await python_peer(spawn, *extra) if middle else await spawn("py", *extra, room="web")
    return python, doc


async def cursors_both_ways(page: WebPeer, python: JoinProcess, x: int) -> None:
    """Python's cursor in the page with its name and color; the page's in Python's presence."""
    await python.command(f"/cursor {x} {x + 1}")
    seen = await page.until(
        "([peer, x]) => { const p = room.presence.states().get(peer);"
        " return p?.state.cursor?.x === x && p; }",
        [python.id, x],
    )
    # (A cursor's component is optional: the page leaves out what Python sends as null.)
    assert seen["state"]["cursor"] == {"x": x, "y": x + 1}
    me = next(p for p in json.loads(await reply(python, "/presence --json")) if p["you"])
    assert seen["state"]["user"] == me["user"] == {"name": "py", "color": me["user"]["color"]}

    await page.run("(x) => room.presence.setCursor(x, 7)", x + 100)
    newest = cursor_of(python, page.id)
    await python.events.wait(lambda: (newest() or {}).get("x") == x + 100)
    listed = {p["peer"]: p for p in json.loads(await reply(python, "/presence --json"))}
    assert listed[page.id]["cursor"] in (
        {"x": x + 100, "y": 7},
        {"x": x + 100, "y": 7, "component": None},
    )
    assert listed[page.id]["user"] == await page.run("() => room.presence.state.user")
    assert listed[page.id]["user"]["name"] == page.name
    assert listed[page.id]["user"]["color"] != me["user"]["color"]


@pytest.mark.parametrize("role", ["offerer", "answerer"])
async def test_a_page_and_a_python_peer_edit_one_tree_in_either_role(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path, role: str
) -> None:
    python, doc = await spawn_editor(spawn, tmp_path, middle=True)
    page = WebPeer(await browser.new_page(), server, "page")
    try:
        assert await page.join("web", role, python.id) == (role == "offerer")
        await page.connected_to(python.id)
        await python.events.wait_for("peer-connected", peer=page.id)
        listed = await page.run("(peer) => room.peers.get(peer)", python.id)
        assert listed == {"id": python.id, "name": "py", "connected": True}

        # The page adds; the Python peer sees the page's edit.
        frame = await page.run("() => room.doc.add('Frame', { title: 'Main' })")
        button = await page.run(
            "(frame) => room.doc.add('Button', { label: 'Buy' }, { parent: frame })", frame
        )
        await python.events.wait_for("editing.changed", origin=page.id)
        assert shape(await converged([page], python)) == [{frame: [button]}]

        # Python adds, sets and moves; the page sees it all.
        label = (await reply(python, "/add - Label text=Hi")).removeprefix("added ")
        await python.command(f"/set {button} label=Pay width=120")
        await python.command(f"/move {button} - 0")
        tree = await converged([page], python)
        assert shape(tree) == [button, frame, label]
        assert tree[0]["properties"] == {"label": "Pay", "width": 120}

        # The page sets, moves and deletes, then undoes its own delete.
        await page.run(
            "([label, frame, button]) => { room.doc.set(label, { text: 'Hello' });"
            " room.doc.move(label, frame); room.doc.delete(button); }",
            [label, frame, button],
        )
        tree = await converged([page], python)
        assert shape(tree) == [{frame: [label]}]
        assert tree[0]["children"][0]["properties"] == {"text": "Hello"}
        assert await page.run("() => room.doc.undo()") is True
        assert shape(await converged([page], python)) == [button, {frame: [label]}]

        # Python deletes and undoes its own delete.
        await python.command(f"/delete {label}")
        assert shape(await converged([page], python)) == [button, frame]
        assert await reply(python, "/undo") == "undone"
        assert shape(await converged([page], python)) == [button, {frame: [label]}]
        await doc_file_matches(page, doc)

        await cursors_both_ways(page, python, 11)
        # Selections both ways (Python's /select takes any unique id prefix).
        # The reply names the component as people read it: its label and short id.
        chosen = await reply(python, f"/select {button[:8]}")
        assert chosen.startswith("selected Pay (") and button.startswith(chosen[14:-1]), chosen
        await page.until(
            "([peer, id]) => room.presence.states().get(peer)?.state.selection[0] === id",
            [python.id, button],
        )
        await page.run("(ids) => room.presence.setSelection(ids)", [frame, label])

        async def selected() -> bool:
            listed = {p["peer"]: p for p in json.loads(await reply(python, "/presence --json"))}
            return bool(listed[page.id]["selection"] == [frame, label])

        await eventually(selected, "the page's selection at the Python peer")
        assert page.errors == []

        # Leaving removes the page's presence from the Python peer at once.
        await page.run("() => room.leave()")
        await python.events.wait_for("peer-left", peer=page.id, reason="left")
        await python.events.wait(
            lambda: any(page.id in e["removed"] for e in python.events.named("presence.updated"))
        )
        assert page.id not in {
            p["peer"] for p in json.loads(await reply(python, "/presence --json"))
        }
    finally:
        await page.page.close()
    await python.command("/quit")
    assert await python.exited() == 0
    assert not python.events.named("editing.rejected")
    assert not python.events.named("presence.rejected")


async def test_two_pages_and_a_python_peer_edit_one_tree(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path
) -> None:
    python, doc = await spawn_editor(spawn, tmp_path, middle=False)
    first = WebPeer(await browser.new_page(), server, "first")
    second = WebPeer(await browser.new_page(), server, "second")
    try:
        await first.join("web", None, python.id)
        # The Python peer edits before the second page comes: it gets the tree on joining.
        panel = (await reply(python, "/add - Panel")).removeprefix("added ")
        await second.join("web", None, python.id)
        for page, others in ((first, [python.id, second.id]), (second, [python.id, first.id])):
            for other in others:
                await page.connected_to(other)
        await python.connected_to(2)
        assert shape(await converged([first, second], python)) == [panel]

        # Each page edits, the other page and Python see it.
        ok = await first.run(
            "(panel) => room.doc.add('Button', { label: 'OK' }, { parent: panel })", panel
        )
        cancel = await second.run("() => room.doc.add('Button', { label: 'Cancel' })")
        await converged([first, second], python)
        await second.run("([ok, panel]) => room.doc.move(ok, null, 0)", [ok, panel])
        await first.run("(cancel) => room.doc.set(cancel, { label: 'Back' })", cancel)
        tree = await converged([first, second], python)
        assert shape(tree) == [ok, panel, cancel]
        assert tree[2]["properties"] == {"label": "Back"}
        await python.command(f"/delete {panel}")
        assert shape(await converged([first, second], python)) == [ok, cancel]
        # The first page's undo takes back its own last edit only (the label).
        assert await first.run("() => room.doc.undo()") is True
        tree = await converged([first, second], python)
        assert shape(tree) == [ok, cancel] and tree[1]["properties"] == {"label": "Cancel"}
        await doc_file_matches(first, doc)

        # Cursors: page to page, and both ways with Python.
        await first.run("() => room.presence.setCursor(1, 2)")
        # Until the cursor is there: the state itself (the name) came earlier.
        seen = await second.until(
            "(peer) => { const s = room.presence.states().get(peer)?.state;"
            " return s?.cursor ? s : null }",
            first.id,
        )
        assert seen["user"]["name"] == "first" and seen["cursor"]["x"] == 1
        await cursors_both_ways(first, python, 20)
        await cursors_both_ways(second, python, 30)

        # Three peers, three colors: a clash is resolved without talking
        # (the smaller id keeps it), whatever the palette gave first.
        async def distinct() -> bool:
            listed = json.loads(await reply(python, "/presence --json"))
            return len({p["user"]["color"] for p in listed}) == 3

        await eventually(distinct, "three peers with three colors")
        assert first.errors == second.errors == []
    finally:
        await first.page.close()
        await second.page.close()
    await python.command("/quit")
    assert await python.exited() == 0


async def test_a_reloaded_page_gets_the_tree_back_and_its_old_presence_goes(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path
) -> None:
    python, doc = await spawn_editor(spawn, tmp_path, middle=False)
    page = WebPeer(await browser.new_page(), server, "page")
    try:
        await page.join("web", None, python.id)
        await page.connected_to(python.id)
        frame = await page.run("() => room.doc.add('Frame', { title: 'kept' })")
        await page.run("(frame) => room.doc.add('Button', {}, { parent: frame })", frame)
        await page.run("() => room.presence.setCursor(3, 4)")
        before = await converged([page], python)
        await python.events.wait(lambda: cursor_of(python, page.id)() is not None)
        old = page.id

        await page.page.reload()
        # The old page's link is gone at once, its presence with it.
        await python.events.wait_for("peer-left", peer=old)
        await python.events.wait(
            lambda: any(old in e["removed"] for e in python.events.named("presence.updated"))
        )
        await page.join("web", None, python.id)
        assert page.id == old  # resumed: the same peer (tests/test_web_reload_chromium.py)
        await page.connected_to(python.id)
        # A new replica: the tree comes back from the Python peer, with nothing to undo.
        assert await converged([page], python) == before
        assert await page.run("() => room.doc.canUndo") is False
        await page.run("(frame) => room.doc.set(frame, { title: 'again' })", frame)
        tree = await converged([page], python)
        assert tree[0]["properties"] == {"title": "again"}
        await doc_file_matches(page, doc)
        listed = json.loads(await reply(python, "/presence --json"))
        assert sorted(p["peer"] for p in listed) == sorted([python.id, page.id])
        assert page.errors == []
    finally:
        await page.page.close()
    await python.command("/quit")
    assert await python.exited() == 0


def readme_page() -> str:
    """The web page of README.md's "In a web page" section."""
    section = (ROOT / "README.md").read_text().split("## In a web page", 1)[1]
    match = re.search(r"```html\n(.*?)```", section, re.S)
    assert match is not None, "README.md shows no web page"
    return match.group(1)


async def test_the_readme_page_joins_a_room_and_edits_the_tree(
    browser: Any, server: SignalingServer, spawn: Spawn, tmp_path: Path
) -> None:
    html = readme_page()
    room = re.search(r'joinRoom\([^,]+, "([^"]+)"', html)
    assert room is not None
    python = await spawn(
        "py", *PLUGINS, "--set", f"editing.doc={tmp_path / 'py.json'}", room=room.group(1)
    )
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    origin = f"http://127.0.0.1:{server.port}"
    try:
        # The snippet as a page of the server's origin (a page fulfilled by
        # Playwright itself would be a public one, barred from loopback);
        # not "/", whose policy allows no inline script.
        await page.goto(origin + "/healthz")
        await page.set_content(html)
        await python.events.wait_for("peer-connected")
        # The page's edits reach Python, and its rendering shows the shared tree.
        await python.events.wait(lambda: bool(python.events.named("editing.changed")))

        async def rendered() -> Any:
            text: str = await page.evaluate("() => document.querySelector('pre')?.textContent")
            return json.loads(text or "null")

        tree = await python_tree(python)

        async def same() -> bool:
            nonlocal tree
            tree = await python_tree(python)
            return bool(tree) and await rendered() == tree

        await eventually(same, "the README page renders the Python peer's tree")
        # An edit from Python is rendered too.
        await python.command(f"/add {tree[0]['id']} Label text=from-python")

        async def has_label() -> bool:
            return "from-python" in json.dumps(await rendered()) and await same()

        await eventually(has_label, "the README page renders Python's edit")
        assert errors == []
    finally:
        await page.close()
    await python.command("/quit")
    assert await python.exited() == 0
