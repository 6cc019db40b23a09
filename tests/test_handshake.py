"""handshake.py: which opening requests the server answers itself.

A clean upgrade is read into an Upgrade; anything unusual is OTHER and goes
to aiohttp (test_server_websocket.py checks that aiohttp then answers it).
"""

from __future__ import annotations

import pytest

from avacollab.signaling.handshake import (
    MAX_HEAD,
    MORE,
    OTHER,
    Upgrade,
    read_upgrade,
    switching_protocols,
)

KEY = "dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455 1.3's example key


def request(
    *fields: str, line: str = "GET /ws HTTP/1.1", host: str | None = "127.0.0.1:8765"
) -> bytes:
    """A clean upgrade request, with ``fields`` added after the usual ones."""
    lines = [line]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13",
        *fields,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def without(data: bytes, name: str) -> bytes:
    lines = data.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.lower().startswith(name.encode()))


def test_a_clean_request_is_read() -> None:
    read = read_upgrade(request("Origin: http://localhost:3000") + b"\x81\x85frame", "/ws")
    assert read == Upgrade(
        host="127.0.0.1:8765", origin="http://localhost:3000", key=KEY, rest=b"\x81\x85frame"
    )


def test_as_browsers_send_it() -> None:
    data = (
        b"GET /ws?room=a HTTP/1.1\r\nhost:  example.org \r\nuPGRADE: WebSocket\r\n"
        b"connection: keep-alive, Upgrade\r\nSec-WebSocket-Key:" + KEY.encode() + b"\t\r\n"
        b"sec-websocket-version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\nCookie: a=b; c=d\r\n\r\n"
    )
    read = read_upgrade(data, "/ws")
    assert isinstance(read, Upgrade)
    assert (read.host, read.origin, read.key, read.rest) == ("example.org", None, KEY, b"")


def test_an_incomplete_request_waits_for_more_only_if_it_may_be_an_upgrade() -> None:
    data = request()
    for end in (1, 3, 7, 8, 20, len(data) - 1):
        assert read_upgrade(data[:end], "/ws") is MORE, data[:end]
    assert read_upgrade(data, "/ws") != MORE
    # Other requests go to aiohttp at once.
    for start in (b"P", b"GET /h", b"GET /wsx", b"GET /ws/", b"HEAD /ws", b"GET /ws\t"):
        assert read_upgrade(start, "/ws") is OTHER, start


def test_a_head_past_the_bound_is_aiohttps() -> None:
    padding = "X-Pad: " + "a" * MAX_HEAD
    assert read_upgrade(request(padding), "/ws") is OTHER
    assert read_upgrade(request()[:-4] + b"\r\nX-Pad: " + b"a" * MAX_HEAD, "/ws") is OTHER


@pytest.mark.parametrize(
    "data",
    [
        request(line="GET /other HTTP/1.1"),
        request(line="GET /wsx HTTP/1.1"),
        request(line="POST /ws HTTP/1.1"),
        request(line="GET /ws HTTP/1.0"),
        request(line="GET http://127.0.0.1:8765/ws HTTP/1.1"),
        request(line="GET  /ws HTTP/1.1"),
        request(line="GET /ws#x HTTP/1.1"),
        request(host=None),
        request("Host: other.example"),
        request("Sec-WebSocket-Key: " + KEY),
        request("Origin: http://a.example", "Origin: http://b.example"),
        request("Content-Length: 0"),
        request("Transfer-Encoding: chunked"),
        request("X-Folded: a", " b"),
        request("No colon here"),
        request(" Leading: space"),
        request("Bad Name: x"),
        request("X-Control: a\x01b"),
        request("X-Bare: a\nb"),
        request("X-Bare: a\rb"),
        request("X-Utf8: caf\u00e9"),
        without(request(), "upgrade") + b"Upgrade: h2c\r\n\r\n",
        without(request(), "upgrade"),
        without(request(), "connection") + b"Connection: keep-alive\r\n\r\n",
        without(request(), "sec-websocket-version") + b"Sec-WebSocket-Version: 8\r\n\r\n",
        without(request(), "sec-websocket-version"),
        without(request(), "sec-websocket-key") + b"Sec-WebSocket-Key: short\r\n\r\n",
        without(request(), "sec-websocket-key"),
    ],
    ids=[
        "other-path",
        "longer-path",
        "post",
        "http-1.0",
        "absolute-form",
        "two-spaces",
        "fragment",
        "no-host",
        "two-hosts",
        "two-keys",
        "two-origins",
        "content-length",
        "chunked",
        "folded",
        "no-colon",
        "leading-space",
        "space-in-name",
        "control-byte",
        "bare-lf",
        "bare-cr",
        "not-ascii",
        "upgrade-h2c",
        "no-upgrade",
        "connection-keep-alive",
        "version-8",
        "no-version",
        "bad-key",
        "no-key",
    ],
)
def test_anything_unusual_is_aiohttps(data: bytes) -> None:
    assert read_upgrade(data, "/ws") is OTHER


def test_the_answer_is_rfc_6455s() -> None:
    answer = switching_protocols(KEY)
    assert answer.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert answer.endswith(b"\r\n\r\n")
    lines = answer.decode().split("\r\n")[1:-2]
    fields = {name.lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
    assert fields == {
        "upgrade": "websocket",
        "connection": "Upgrade",
        "sec-websocket-accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",  # RFC 6455 1.3
    }
