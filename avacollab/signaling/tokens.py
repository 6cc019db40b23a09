"""Join tokens (signed JWTs) and resume tokens.

Join tokens let an application decide who may enter which room without the
signaling server knowing its users: the application signs
``{room, sub: identity, exp, perms}`` with a secret it shares with the server.
PyJWT does the signing and checking (HS256 only: accepting whatever
algorithm a token names is the classic JWT mistake).

Resume tokens are the server's own: an HMAC over the room and a payload of
peer id, issue time and, on a server that requires join tokens, the join
grant (identity, permissions, expiry) the peer was admitted with. Because
they verify without server state, a peer can keep its id across a reconnect
*and* across a server restart, which is what keeps established peer-to-peer
connections meaningful. Carrying the grant is what keeps them from being a
way around join tokens: a resume is refused once the join token it stands
for has expired, and the signing key is derived from the join secret too,
so rotating that secret voids every resume token issued under the old one.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
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
    # Strings only, as documented: the grant travels on inside resume tokens,
    # which must never come out longer than the join token they stand for.
    strings = isinstance(perms, list) and all(isinstance(p, str) for p in perms)
    if not isinstance(identity, str) or not strings:
        raise ProtocolError(ErrorCode.TOKEN_INVALID, "join token claims have the wrong types")
    return Grant(room, identity, float(exp), tuple(perms))


@dataclass(frozen=True, slots=True)
class Resume:
    """What a valid resume token stands for."""

    peer: str
    issued: int
    grant: Grant | None  # the join grant the peer was admitted with, if any


def resume_key(server_secret: bytes, join_secret: str | None) -> bytes:
    """The key resume tokens are signed with.

    Without join tokens it is the server secret. With them it depends on the
    join secret too, so that rotating the join secret, the way to lock out
    everyone who holds a join token, also voids the resume tokens they got.
    """
    if join_secret is None:
        return server_secret
    message = b"avacollab resume key\0" + join_secret.encode("utf-8", "surrogatepass")
    return hmac.new(server_secret, message, hashlib.sha256).digest()


def issue_resume_token(key: bytes, room: str, peer: str, now: float, grant: Grant | None) -> str:
    """Sign ``r2.<payload>.<mac>``: the payload is base64url JSON, the MAC covers room too."""
    claims: dict[str, object] = {"p": peer, "t": int(now)}
    if grant is not None:
        # Rounded down: a resume may end a fraction of a second early, never late.
        claims["x"] = math.floor(grant.expires)
        claims["s"] = grant.identity
        if grant.permissions:
            claims["m"] = list(grant.permissions)
    # Raw UTF-8 (surrogates passed through, as the JSON they came from allows):
    # never longer than the join token's own payload, so it fits where it does.
    text = json.dumps(claims, separators=(",", ":"), ensure_ascii=False)
    payload = base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).rstrip(b"=")
    body = payload.decode()
    return f"r2.{body}.{_mac(key, room, body)}"


def verify_resume_token(
    key: bytes, token: str, room: str, now: float, max_age: float
) -> Resume | None:
    """What a resume token for ``room`` stands for, or None if it is not good.

    Not good: another format, a bad MAC (another room, another key), issued
    more than ``max_age`` seconds ago, or carrying a grant that has expired.
    """
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != "r2":
        return None
    _, body, mac = parts
    if not hmac.compare_digest(mac, _mac(key, room, body)):
        return None
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        claims = json.loads(raw.decode("utf-8", "surrogatepass"))
        peer, issued = str(claims["p"]), int(claims["t"])
        grant = None
        if "x" in claims:
            perms = tuple(str(p) for p in claims.get("m", []))
            grant = Grant(room, str(claims["s"]), float(claims["x"]), perms)
    except (binascii.Error, ValueError, KeyError, TypeError):
        return None  # authentic, so only a bug of ours gets here; still no crash
    if not 0 <= now - issued <= max_age:
        return None
    if grant is not None and grant.expires <= now:
        return None  # the join token it stands for has expired
    return Resume(peer, issued, grant)


def _mac(key: bytes, room: str, body: str) -> str:
    message = f"{room}\n{body}".encode()
    digest = hmac.new(key, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()
