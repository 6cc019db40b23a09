"""People and components as ``join`` shows them (issue 16, items 7 and 11).

Real ``avacollab join`` processes in one room of a real signaling server on
127.0.0.1: peers are named by display name and short id in every line, any
unique prefix or the display name is accepted where a peer is typed, the
presence table shows component labels and fits 100 columns, and on a
terminal each person is drawn in their presence colour (never in a pipe,
never with ``NO_COLOR``).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from avacollab.shortids import PEER_SHORT
from avacollab.signaling.server import SignalingServer

from .clikit import Joiner

PLUGINS = {"AVACOLLAB_PLUGINS": "builtin,editing,presence"}
BOB_COLOR = "#12ab34"
BOB_SGR = "38;2;18;171;52"  # #12ab34 as a truecolor foreground

COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-8]|9[0-7])(?:;[0-9]+)*m")
"""An SGR sequence that sets a foreground colour (16, 256 or truecolor)."""

Start = Callable[..., Awaitable[Joiner]]


@pytest.fixture
async def start(server: SignalingServer, tmp_path: Path) -> AsyncIterator[Start]:
    """``join`` processes in room ``peers``, all stopped at the end."""
    started: list[Joiner] = []

    async def factory(*args: str, terminal: bool = False, **env: str) -> Joiner:
        joiner = await Joiner.start(
            server.url, "peers", *args, cwd=tmp_path, terminal=terminal, **{**PLUGINS, **env}
        )
        started.append(joiner)
        return joiner

    yield factory
    for joiner in started:
        await joiner.stop()


async def test_peers_are_named_and_typed_by_short_id_or_name(start: Start) -> None:
    bob = await start("--name", "bob", "--set", f"presence.color={BOB_COLOR}")
    await bob.expect(r"^\* joined peers as bob \([\w-]+\) \(alone so far\)$")
    ada = await start("--name", "Bob")  # another Bob: a name is matched exactly first
    seen = await ada.expect(r"^\* bob \(([\w-]+)\) connected")
    short = seen[1]
    assert len(short) == PEER_SHORT, short
    mine = (await ada.expect(r"^\* joined peers as Bob \(([\w-]+)\) \(1 other peer\)$"))[1]
    await bob.expect(rf"^\* Bob \({mine}\) connected")

    # /who names everyone by name and short id; /links takes a prefix or a name.
    await ada.ask("/who", rf"^Bob \({mine}\) \(you\)\nbob \({short}\)$")
    for typed in (short, short[:3], "bob"):
        await ada.ask(f"/links {typed}", rf"^you: Bob \({mine}\) in peers\n  bob \({short}\): ")
    await ada.ask("/links BOB", r"^error: 'BOB' is ambiguous, it could be: Bob \([\w-]+\), bob \(")
    await ada.ask("/links nobody", r"^error: no peer 'nobody'; /who lists who is here$")
    await ada.ask("/lnks", r"^unknown command /lnks \(did you mean /links\?\); try /help$")

    # bob's edit is one line naming him; ada selects the component by a prefix.
    bob.send("/add - Button label=Buy")
    await ada.expect(rf"^\* bob \({short}\) edited 1 component$")
    tree = await ada.ask("/tree", r'^(\w{8}) Button \{"label": "Buy"\}$')
    await ada.ask(f"/select {tree[1][:5]}", rf"^selected Buy \({tree[1]}\)$")
    await ada.ask("/select zzz", r"^error: no component 'zzz'; /tree lists them$")
    # The presence table: short ids, the component's label rather than its id.
    table = await ada.ask("/presence", rf"^bob \({short}\) +{BOB_COLOR} ")
    rows = ada.output[table.start() - 200 : table.end() + 200]
    assert re.search(rf"^Bob \({mine}\) \(you\) +#\w{{6}} +active +- +Buy ", rows, re.M), rows
    assert "\x1b" not in ada.output  # a pipe gets no colour
    assert await ada.stop() == 0
    await bob.expect(rf"^\* Bob \({mine}\) left$")


async def test_presence_table_and_tree_fit_a_hundred_columns(start: Start) -> None:
    long = "A" * 60
    ada = await start("--name", long)
    await ada.expect(r"^\* joined")
    for index in range(4):
        ada.send(f"/add - Panel label={'Q' * 30}{index}")
    await ada.ask("/tree", r"^\w{8} Panel .*3\"\}$")
    ids = re.findall(r"^(\w{8}) Panel", ada.output, re.M)
    table = await ada.ask(f"/select {' '.join(ids)}", r"^selected ")
    table = await ada.ask("/presence", r"^A+… \+#\w{6}|^A+…")
    lines = ada.output[table.start() :].splitlines()[:1]
    heading = ada.output[: table.start()].splitlines()[-1]
    assert heading.startswith("NAME ") and "SELECTION" in heading
    for line in [heading, *lines]:
        assert len(line) <= 100, line
    assert "…" in lines[0]
    # /tree cuts a long line too (its --json has everything).
    ada.send(f"/add - Card label={'W' * 150}")
    card = await ada.ask("/tree", r"^\w{8} Card .*$")
    assert len(card[0]) == 100 and card[0].endswith("W…"), card[0]


# -- 11: colour on a terminal ------------------------------------------------


async def colour_of_bob(start: Start, **env: str) -> str:
    """Everything a terminal showed ``ada`` once bob's presence arrived."""
    bob = await start("--name", "bob", "--set", f"presence.color={BOB_COLOR}")
    await bob.expect(r"^\* joined")
    ada = await start(
        "--name", "ada", terminal=True, TERM="xterm-256color", COLORTERM="truecolor", **env
    )
    await ada.ask("/presence", BOB_COLOR)
    ada.send("/who")
    await ada.expect(r"\(you\)")
    await ada.expect(r"bob \([\w-]+\)", since=ada.output.rindex("(you)"))
    assert await ada.stop() == 0
    await bob.stop()
    return ada.output


async def test_people_in_their_presence_colours_on_a_terminal(start: Start) -> None:
    shown = await colour_of_bob(start)
    # bob's name in /who and /presence is drawn in the colour bob shows to everyone.
    assert re.search(rf"\x1b\[[0-9;]*{BOB_SGR}m[^\x1b]*bob \([\w-]+\)", shown), shown


async def test_no_colour_with_no_color(start: Start) -> None:
    shown = await colour_of_bob(start, NO_COLOR="1")
    # Bold may stay (NO_COLOR is about colour); no foreground colour at all.
    assert BOB_SGR not in shown and not COLOUR.search(shown), shown
    assert "bob (" in shown
