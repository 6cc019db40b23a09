"""Short ids for people to read and type, git-style.

Peer ids (16 characters) and component ids (32) are random: nobody reads them whole, and
nobody should have to type them. :func:`short_ids` gives each id the
shortest prefix no other id shares, at least ``minimum`` characters long, so
what is printed can always be typed back; :func:`resolve` turns what a
person typed (a whole id, a unique prefix, or a display name) into one id,
or raises :class:`IdError` with one line saying why not (no match, or the
candidates when several match).

Pure code, shared by the ``join`` terminal and the plugins (editing's
component ids, presence's selections, voice and screen-share notes): one
implementation, so a peer reads the same short id in every line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .feature import Session

__all__ = [
    "COMPONENT_SHORT",
    "PEER_SHORT",
    "IdError",
    "label",
    "peer_label",
    "resolve",
    "resolve_peer",
    "short_id",
    "short_ids",
]

PEER_SHORT = 6
"""Characters of a peer id shown at least: a room holds few peers, and six hex
characters tell a thousand of them apart with a collision rarer than 1 in 30."""
COMPONENT_SHORT = 8
"""Characters of a component id shown at least: a document holds thousands of
components, so two more characters keep prefixes from growing in most trees."""


class IdError(ValueError):
    """What was typed names no id, or more than one."""


def short_ids(ids: Iterable[str], minimum: int) -> dict[str, str]:
    """Each id's shortest prefix of at least ``minimum`` characters that no other id has.

    An id that is a prefix of another is shown whole. Sorting puts the ids
    that share the longest prefix with an id next to it, so this is
    ``O(n log n)`` rather than comparing every pair.
    """
    ordered = sorted(set(ids))
    shown: dict[str, str] = {}
    for index, node_id in enumerate(ordered):
        length = minimum
        for neighbour in ordered[max(0, index - 1) : index] + ordered[index + 1 : index + 2]:
            length = max(length, _common(node_id, neighbour) + 1)
        shown[node_id] = node_id[:length]
    return shown


def short_id(node_id: str, ids: Iterable[str], minimum: int) -> str:
    """The short form of ``node_id`` among ``ids`` (``node_id`` need not be among them)."""
    return short_ids([node_id, *ids], minimum)[node_id]


def _common(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length


def label(short: str, name: str | None) -> str:
    """How a person reads an id: ``ada (3f9a1c)``, or the short id alone without a name."""
    return f"{name} ({short})" if name else short


def resolve(word: str, names: Mapping[str, str | None], what: str, minimum: int) -> str:
    """The one id ``word`` names among ``names`` (id to display name, or ``None``).

    A whole id wins, then a display name (exactly, else ignoring case), then
    a unique prefix of an id. Raises :class:`IdError`: ``no peer 'zz'``, or
    ``'a' is ambiguous: ada (3f9a1c), alan (a07b2e)``.
    """
    word = word.strip()
    if word in names:
        return word
    matches = [i for i, name in names.items() if name and name == word]
    if not matches:
        matches = [i for i, name in names.items() if name and name.casefold() == word.casefold()]
    if not matches:
        matches = [i for i in names if word and i.startswith(word)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise IdError(f"no {what} {word!r}")
    shown = short_ids(names, minimum)
    candidates = sorted(label(shown[i], names[i]) for i in matches)
    raise IdError(f"{word!r} is ambiguous, it could be: {', '.join(candidates)}")


def _room(session: Session) -> dict[str, str | None]:
    return {**session.peers, session.peer_id: session.name}


def peer_label(session: Session, peer_id: str, name: str | None = None) -> str:
    """``ada (3f9a1c)``: ``peer_id``'s display name (``name``, else the session's) and
    its short id among the room's peers. A peer that has left keeps a short id."""
    room = _room(session)
    if name is None:
        name = room.get(peer_id)
    return label(short_id(peer_id, room, PEER_SHORT), name)


def resolve_peer(session: Session, word: str) -> str:
    """The peer id ``word`` names in the session's room (an id, unique prefix or display
    name, this peer's own included); :class:`IdError` if none or several."""
    try:
        return resolve(word, _room(session), "peer", PEER_SHORT)
    except IdError as exc:
        raise IdError(f"{exc}; /who lists who is here") from None
