"""Join tokens (signed JWTs) and resume tokens.

Join tokens let an application decide who may enter which room without the
signaling server knowing its users: the application signs
``{room, sub: identity, exp, perms}`` with a secret it shares with the server.
PyJWT does the signing and checking (HS256 only: accepting whatever
algorithm a token names is the classic JWT mistake).

Resume tokens are the server's own: an HMAC over (room, peer id, issue time)
with the server secret. Because they verify without server state, a peer
can keep its id across a reconnect *and* across a server restart, which is
what keeps established peer-to-peer connections meaningful.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

import jwt

from .protocol import ErrorCode, ProtocolError

ALGORITHM = "HS256"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a valid join token allows."""

    room: str
    identity: str
    expires: float
    permissions: tuple[str, ...] = field(default=())


def issue_join_token(
    secret: str,
    room: str,
    identity: str,
    ttl: float,
    now: float,
    permissions: tuple[str, ...] = (),
) -> str:
    """Sign a token that admits ``identity`` to ``room`` until ``now + ttl``."""
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    claims = {
        "room": room,
        "sub": identity,
        "iat": int(now),
        "exp": int(now + ttl),
        "perms": list(permissions),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def verify_join_token(secret: str, token: str | None, room: str, now: float) -> Grant:
    """Check a join token for ``room``; raise ProtocolError with the reason."""
    if not token:
        raise ProtocolError(ErrorCode.TOKEN_REQUIRED, "this server needs a join token")
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            options={"require": ["exp", "room", "sub"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, f"join token rejected: {exc}") from None
    exp = claims["exp"]
    # Expiry is checked against our clock (not PyJWT's) so tests and the
    # server agree on "now"; a token valid for 0 more seconds is expired.
    if not isinstance(exp, int | float) or exp <= now:
        raise ProtocolError(ErrorCode.TOKEN_EXPIRED, "join token has expired")
    if claims["room"] != room:
        raise ProtocolError(ErrorCode.TOKEN_WRONG_ROOM, "join token is for another room")
    identity, perms = claims["sub"], claims.get("perms", [])
    if not isinstance(identity, str) or not isinstance(perms, list):
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "join token claims have the wrong types")
    return Grant(room, identity, float(exp), tuple(str(p) for p in perms))


def issue_resume_token(secret: bytes, room: str, peer: str, now: float) -> str:
    issued = str(int(now))
    return f"r1.{peer}.{issued}.{_mac(secret, room, peer, issued)}"


def verify_resume_token(
    secret: bytes, token: str, room: str, now: float, max_age: float
) -> str | None:
    """Return the peer id a resume token stands for, or None if it is not good."""
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != "r1" or not parts[2].isdigit():
        return None
    _, peer, issued, mac = parts
    if not hmac.compare_digest(mac, _mac(secret, room, peer, issued)):
        return None
    if not 0 <= now - int(issued) <= max_age:
        return None
    return peer


def _mac(secret: bytes, room: str, peer: str, issued: str) -> str:
    digest = hmac.new(secret, f"{room}\n{peer}\n{issued}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()
