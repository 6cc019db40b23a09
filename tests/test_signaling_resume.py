"""Resume tokens against join tokens, in SignalingCore itself with a fake clock.

No sockets: a "restart" is a new core with the same secrets, a "drop" is
``closed(left=False)``, and time is whatever number the test passes.
"""

from __future__ import annotations

import json
from typing import Any

import jwt as pyjwt
import pytest

from avacollab.signaling.protocol import MAX_TOKEN, ProtocolError
from avacollab.signaling.tokens import issue_join_token, issue_resume_token, verify_join_token

from .corekit import JOIN_SECRET, T0, join, make_core


def token(identity: str, expires: float, secret: str = JOIN_SECRET, *perms: str) -> str:
    """A join token for room "room" that expires at ``expires``."""
    return issue_join_token(secret, "room", identity, expires - T0, T0, perms)


def test_a_resume_ends_when_its_join_token_expires() -> None:
    core = make_core()
    conn, welcome = join(core, T0, token=token("alice", T0 + 60))
    assert welcome["type"] == "welcome"
    # Dropped and back within the grace: resumed, and handed a fresh token.
    core.closed(conn, T0 + 10, left=False)
    conn, again = join(core, T0 + 20, resume=welcome["resume"])
    assert again["resumed"] is True and again["peer"] == welcome["peer"]
    # The fresh token does not outlive the join token: 1 s after its expiry
    # (still well inside resume grace and max age) it admits nobody.
    core.closed(conn, T0 + 50, left=False)
    _, refused = join(core, T0 + 61, resume=again["resume"])
    assert refused["type"] == "error" and refused["code"] == "token-required"
    # Nor does a server restart revive it.
    _, refused = join(make_core(), T0 + 61, resume=again["resume"])
    assert refused["type"] == "error" and refused["code"] == "token-required"
    _, refused = join(make_core(), T0 + 61, resume=again["resume"], token=token("alice", T0 + 60))
    assert refused["code"] == "token-expired"


def test_a_restarted_server_restores_the_identity_a_resume_stands_for() -> None:
    first = make_core()
    _, alice = join(first, T0, token=token("alice", T0 + 3600, JOIN_SECRET, "edit", "admin"))
    _, bob = join(first, T0, token=token("bob", T0 + 3600))
    # After a restart the resume token alone brings back the verified
    # identity and permissions, not a bare peer the others cannot place.
    second = make_core()
    _, welcome = join(second, T0 + 100, resume=alice["resume"])
    assert welcome["resumed"] is True and welcome["peer"] == alice["peer"]
    _, bob_back = join(second, T0 + 100, resume=bob["resume"])
    assert bob_back["peers"] == [
        {
            "peer": alice["peer"],
            "name": "alice",
            "identity": "alice",
            "permissions": ["edit", "admin"],
        }
    ]
    # ... and the token it hands out still carries alice's grant.
    third = make_core()
    _, welcome = join(third, T0 + 200, resume=welcome["resume"])
    assert third.rooms["room"].peers[alice["peer"]].permissions == ("edit", "admin")


def test_rotating_the_join_secret_voids_resume_tokens() -> None:
    first = make_core()
    _, welcome = join(first, T0, token=token("alice", T0 + 3600))
    rotated = make_core(token_secret="a-new-join-secret-after-rotation")
    _, refused = join(rotated, T0 + 5, resume=welcome["resume"])
    assert refused["type"] == "error" and refused["code"] == "token-required"
    # With a join token under the new secret it is an ordinary join: a new id.
    fresh = token("alice", T0 + 3600, "a-new-join-secret-after-rotation")
    _, rejoined = join(rotated, T0 + 5, resume=welcome["resume"], token=fresh)
    assert rejoined["resumed"] is False and rejoined["peer"] != welcome["peer"]


def test_a_peer_that_left_does_not_resume() -> None:
    core = make_core()
    conn, alice = join(core, T0, token=token("alice", T0 + 3600))
    _, bob = join(core, T0, token=token("bob", T0 + 3600))
    core.receive(conn, json.dumps({"type": "leave"}), T0 + 1)
    _, refused = join(core, T0 + 2, resume=alice["resume"])
    assert refused["code"] == "token-required"
    # Closing the socket on purpose is a leave too.
    conn, carol = join(core, T0 + 3, token=token("carol", T0 + 3600))
    core.closed(conn, T0 + 4, left=True)
    _, refused = join(core, T0 + 5, resume=carol["resume"])
    assert refused["code"] == "token-required"
    assert list(core.rooms["room"].peers) == [bob["peer"]]


def test_without_join_tokens_resume_works_as_before() -> None:
    first = make_core(token_secret=None)
    conn, welcome = join(first, T0)
    first.closed(conn, T0 + 1, left=False)
    _, back = join(first, T0 + 2, resume=welcome["resume"])
    assert back["resumed"] is True
    # Across a restart, for up to resume_max_age after the last welcome.
    _, back = join(make_core(token_secret=None), T0 + 24 * 3600, resume=back["resume"])
    assert back["resumed"] is True and back["peer"] == welcome["peer"]
    _, late = join(make_core(token_secret=None), T0 + 48 * 3600 + 3, resume=back["resume"])
    assert late["resumed"] is False
    # A tokenless server's resume token is no good on one that needs tokens.
    _, refused = join(make_core(), T0 + 10, resume=welcome["resume"])
    assert refused["code"] == "token-required"


@pytest.mark.parametrize("perms", [[1, 2], ["edit", None], "edit"])
def test_join_token_permissions_must_be_strings(perms: object) -> None:
    claims = {"room": "room", "sub": "alice", "exp": int(T0) + 60, "perms": perms}
    jwt = pyjwt.encode(claims, JOIN_SECRET, algorithm="HS256")
    with pytest.raises(ProtocolError) as info:
        verify_join_token(JOIN_SECRET, jwt, "room", T0)
    assert info.value.code == "token-invalid"


class RawUtf8(json.JSONEncoder):
    """Claims as raw UTF-8, not \\u escapes: how other JWT libraries may sign."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**{**options, "ensure_ascii": False})


@pytest.mark.parametrize("encoder", [None, RawUtf8])
def test_a_resume_token_is_never_longer_than_its_join_token(
    encoder: type[json.JSONEncoder] | None,
) -> None:
    # The longest join token the protocol accepts (within 64 bytes), mostly
    # identity and permissions: the resume token carrying its grant must fit.
    perms = [f"perm-é{i}" for i in range(40)]
    jwt, size = "", 0
    while True:
        claims = {"room": "room", "sub": "ü" * size, "exp": int(T0) + 3600, "perms": perms}
        longer = pyjwt.encode(claims, JOIN_SECRET, algorithm="HS256", json_encoder=encoder)
        if len(longer) > MAX_TOKEN:
            break
        jwt, size = longer, size + 16
    assert len(jwt) > MAX_TOKEN - 64
    grant = verify_join_token(JOIN_SECRET, jwt, "room", T0)
    resume = issue_resume_token(b"k", "room", "p" * 16, T0, grant)
    assert len(resume) < len(jwt)
