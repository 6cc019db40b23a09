"""Short ids, resolving what a person typed, and ``Feature.peer_color`` (issue 16, item 7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from avacollab.feature import Feature
from avacollab.memoryroom import Room
from avacollab.shortids import (
    COMPONENT_SHORT,
    PEER_SHORT,
    IdError,
    label,
    peer_label,
    resolve,
    resolve_peer,
    short_id,
    short_ids,
)

HEX = st.text("0123456789abcdef", min_size=1, max_size=12)


def test_short_ids_have_the_minimum_and_grow_where_ids_share_it() -> None:
    ids = ["6ff9a1b2c3", "6ff9a1b2d4", "0123456789abcdef"]
    assert short_ids(ids, COMPONENT_SHORT) == {
        "6ff9a1b2c3": "6ff9a1b2c",
        "6ff9a1b2d4": "6ff9a1b2d",
        "0123456789abcdef": "01234567",
    }
    # An id that is the start of another is shown whole; a short id stays whole.
    assert short_ids(["abcdef01", "abcdef0123"], PEER_SHORT) == {
        "abcdef01": "abcdef01",
        "abcdef0123": "abcdef012",
    }
    assert short_id("p1", [], PEER_SHORT) == "p1"


@given(st.lists(HEX, max_size=30), st.integers(1, 8))
def test_every_short_id_names_its_own_id_only(ids: list[str], minimum: int) -> None:
    shown = short_ids(ids, minimum)
    assert set(shown) == set(ids)
    for node_id, short in shown.items():
        assert node_id.startswith(short) and len(short) >= min(minimum, len(node_id))
        # Typed back, the short id resolves to the id it was printed for.
        assert resolve(short, dict.fromkeys(ids), "node", minimum) == node_id


NAMES: dict[str, str | None] = {
    "3f9a1c0000": "ada",
    "3f9a77aaaa": "alan",
    "b0b0b0b0b0": None,
    "cafecafe00": "Ada Lovelace",
}


@pytest.mark.parametrize(
    ("word", "peer"),
    [
        ("3f9a1c0000", "3f9a1c0000"),  # a whole id
        ("3f9a1", "3f9a1c0000"),  # a unique prefix
        ("b", "b0b0b0b0b0"),
        ("alan", "3f9a77aaaa"),  # a display name
        ("ADA", "3f9a1c0000"),  # ignoring case when nothing matches exactly
        (" ada ", "3f9a1c0000"),
    ],
)
def test_resolve_takes_an_id_a_prefix_or_a_name(word: str, peer: str) -> None:
    assert resolve(word, NAMES, "peer", PEER_SHORT) == peer


@pytest.mark.parametrize(
    ("word", "message"),
    [
        ("3f9a", "'3f9a' is ambiguous, it could be: ada (3f9a1c), alan (3f9a77)"),
        ("zz", "no peer 'zz'"),
        ("", "no peer ''"),
    ],
)
def test_resolve_refuses_none_or_several_in_one_line(word: str, message: str) -> None:
    with pytest.raises(IdError) as caught:
        resolve(word, NAMES, "peer", PEER_SHORT)
    assert str(caught.value) == message


def test_two_people_of_one_name_are_ambiguous_by_name() -> None:
    names: dict[str, str | None] = {"aaaaaa11": "sam", "bbbbbb22": "sam"}
    with pytest.raises(IdError, match=r"^'sam' is ambiguous, it could be: sam \(aaaaaa\), sam"):
        resolve("sam", names, "peer", PEER_SHORT)
    assert resolve("bb", names, "peer", PEER_SHORT) == "bbbbbb22"


def test_label_is_the_name_then_the_short_id() -> None:
    assert label("3f9a1c", "ada") == "ada (3f9a1c)"
    assert label("3f9a1c", "") == "3f9a1c"


class Painter(Feature):
    """Gives every peer a colour: its name's, or a bad one for ``bad``, or raises."""

    name = "painter"

    def peer_color(self, peer_id: str) -> str | None:
        name = self.session.peers.get(peer_id, self.session.name)
        if name == "bad":
            return "blue"  # not #rrggbb: ignored
        if name == "boom":
            raise RuntimeError("no paint")
        return "#12ab34" if name else None


class Later(Feature):
    """A second feature whose colour loses to the first's."""

    name = "later"

    def peer_color(self, peer_id: str) -> str | None:
        return "#000000"


async def test_peer_labels_and_colours_in_a_room() -> None:
    room = Room(Painter, Later)
    try:
        ada = await room.join("a", "ada")
        bob = await room.join("b", "bad")
        boom = await room.join("c", "boom")
        await room.mesh(ada, bob, boom)
        for session in (ada, bob, boom):
            assert set(session.peers) | {session.peer_id} == {"a", "b", "c"}
        assert peer_label(ada, "b") == "bad (b)" and peer_label(ada, "a") == "ada (a)"
        assert resolve_peer(ada, "bad") == "b" and resolve_peer(ada, "c") == "c"
        with pytest.raises(IdError, match=r"^no peer 'dan'; /who lists who is here$"):
            resolve_peer(ada, "dan")
        # The first feature that answers wins; a bad answer or a failure gives none.
        assert ada.features.peer_color("a") == "#12ab34"
        assert ada.features.peer_color("b") == "#000000"  # Painter's "blue" is ignored
        assert ada.features.peer_color("c") == "#000000"
        assert [e["method"] for e in ada.named("plugin-error")] == ["peer_color"]
    finally:
        await room.close()
