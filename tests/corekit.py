"""Driving :class:`SignalingCore` directly: frames in, actions out, time as a number.

No sockets and no event loop. A :class:`Driver` owns one core and the
connections opened on it; every action the core returns is routed to the
:class:`Client` whose connection it names, so a test reads like a transcript:
what one client said, what it heard back, and what the others heard.
"""

from __future__ import annotations

import json
from typing import Any

from avacollab.signaling.core import (
    Action,
    Close,
    Connection,
    IceServers,
    Limits,
    Send,
    SignalingCore,
)

SERVER_SECRET = b"server-secret-for-core-tests"
JOIN_SECRET = "join-secret-for-the-core-tests-32bytes"
T0 = 1_700_000_000.0  # in the past: PyJWT refuses an iat in the future


def make_core(
    token_secret: str | None = JOIN_SECRET,
    *,
    ice_servers: IceServers | None = None,
    **limits: Any,
) -> SignalingCore:
    return SignalingCore(
        Limits(**limits),
        server_name="test",
        resume_secret=SERVER_SECRET,
        heartbeat=10.0,
        token_secret=token_secret,
        ice_servers=ice_servers,
    )


def join(core: SignalingCore, now: float, **fields: Any) -> tuple[Connection, dict[str, Any]]:
    """Open a connection, say hello and join "room"; return it and the reply."""
    conn = core.open(now)
    core.receive(conn, json.dumps({"type": "hello", "version": 1}), now)
    actions = core.receive(conn, json.dumps({"type": "join", "room": "room", **fields}), now)
    replies = sent_to(actions, conn)
    assert len(replies) == 1, replies
    return conn, replies[0]


def sent_to(actions: list[Action], conn: Connection) -> list[dict[str, Any]]:
    return [a.message for a in actions if isinstance(a, Send) and a.conn is conn]


class Client:
    """One connection: what it sends, and everything the core sent it or closed it with."""

    def __init__(self, driver: Driver, conn: Connection) -> None:
        self.driver = driver
        self.conn = conn
        self.inbox: list[dict[str, Any]] = []
        self.closes: list[tuple[int, str]] = []
        self.welcome: dict[str, Any] = {}  # the last one it received

    def say(self, frame: dict[str, Any] | str | bytes) -> list[dict[str, Any]]:
        """Send a frame (a dict is JSON-encoded) at the driver's time; return our replies.

        The replies are taken out of :attr:`inbox`; what the frame caused
        other clients to receive stays in theirs.
        """
        text = json.dumps(frame) if isinstance(frame, dict) else frame
        self.driver.route(self.driver.core.receive(self.conn, text, self.driver.now))
        return self.take()

    def take(self) -> list[dict[str, Any]]:
        """Everything received since the last take, oldest first."""
        messages, self.inbox = self.inbox, []
        return messages

    def hello(self) -> dict[str, Any]:
        (reply,) = self.say({"type": "hello", "version": 1})
        return reply

    def join(self, room: str = "room", **fields: Any) -> dict[str, Any]:
        """Join ``room``; return the single reply (a welcome or an error)."""
        (reply,) = self.say({"type": "join", "room": room, **fields})
        if reply["type"] == "welcome":
            self.welcome = reply
        return reply

    @property
    def id(self) -> str:
        """Its peer id, from its last welcome."""
        return str(self.welcome.get("peer", ""))

    def drop(self) -> None:
        """The socket is gone without a close frame: a network drop."""
        self.driver.route(self.driver.core.closed(self.conn, self.driver.now, left=False))

    def leave_by_closing(self) -> None:
        """The client closed its socket: a leave."""
        self.driver.route(self.driver.core.closed(self.conn, self.driver.now, left=True))


class Driver:
    """A core, its clients, and a clock that moves only when the test says so."""

    def __init__(self, core: SignalingCore | None = None, now: float = T0) -> None:
        self.core = core if core is not None else make_core(token_secret=None)
        self.now = now
        self.clients: dict[Connection, Client] = {}

    def open(self) -> Client:
        client = Client(self, self.core.open(self.now))
        self.clients[client.conn] = client
        return client

    def member(self, room: str = "room", **fields: Any) -> Client:
        """A client that said hello and joined ``room``, its replies taken."""
        client = self.open()
        client.hello()
        welcome = client.join(room, **fields)
        assert welcome["type"] == "welcome", welcome
        return client

    def at(self, now: float) -> Driver:
        """Move the clock to ``now`` (never back)."""
        assert now >= self.now, "time does not run backwards"
        self.now = now
        return self

    def route(self, actions: list[Action]) -> list[Action]:
        """Deliver actions to the clients they name; return them unchanged."""
        for action in actions:
            # A single-process core has no External actions.
            assert isinstance(action, Send | Close), action
            client = self.clients[action.conn]
            if isinstance(action, Send):
                # Through JSON, as the adapter sends it: what a client can see.
                client.inbox.append(json.loads(json.dumps(action.message)))
            else:
                assert isinstance(action, Close)
                client.closes.append((action.code, action.reason))
        return actions

    def expire(self) -> list[Action]:
        return self.route(self.core.expire(self.now))

    def shutdown(self) -> list[Action]:
        return self.route(self.core.shutdown())

    def silent(self, *clients: Client) -> bool:
        """Whether none of ``clients`` has received or been closed with anything."""
        return all(not c.inbox and not c.closes for c in clients)
