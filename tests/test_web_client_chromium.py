"""The shipped client bundle in a real browser: loaded from ``avacollab serve``.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) opens the signaling server's own page, imports
``/client/avacollab.js`` from it, and checks the conformance vectors there:
the browser's DecompressionStream is the one a web peer uses (Node's accepts
bytes after the end of a DEFLATE stream; browsers refuse them), and its
CompressionStream output must inflate in Python. No WebRTC here, so no
network namespace is needed. Skipped without Chromium or Playwright, except
under CI=true, where it fails instead.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from avacollab.bus.wire import inflate
from avacollab.signaling.bundle import CLIENT_PATH

from .chromium import launched
from .conftest import ServerFactory

CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance"

# Runs in the page: every vector, the failures returned as strings.
CHECK_VECTORS = """async ([url, frames, order, colors]) => {
  const client = await import(url);
  const { wire } = client;
  const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
  const toHex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const failures = [];
  const expect = (ok, what) => { if (!ok) failures.push(what); };
  for (const c of frames.refused) {
    try { wire.decodeFrame(hex(c.hex)); failures.push(`accepted ${c.name}`); }
    catch (e) { expect(e.code === c.reason, `${c.name}: ${e.code} != ${c.reason}`); }
  }
  for (const c of frames.frames) {
    const f = wire.decodeFrame(hex(c.hex));
    expect(f.kind === c.frame.kind, `${c.name}: kind ${f.kind}`);
    if (f.kind === "batch") {
      const got = f.entries.map(
        (e) => ({ topic: e.topic, flags: e.flags, payload: toHex(e.payload) }));
      expect(JSON.stringify(got) === JSON.stringify(c.frame.entries), `${c.name}: entries`);
    }
  }
  const inflated = {};
  for (const c of frames.inflate) {
    try {
      const out = toHex(await wire.inflate(hex(c.hex), c.limit));
      expect(out === c.payload, `${c.name}: inflated to other bytes`);
    } catch (e) {
      const codes = c.reason === "deflate-incomplete"
        ? ["deflate-truncated", "deflate-trailing"] : [c.reason];
      expect(codes.includes(e.code), `${c.name}: ${e.code} (${e.message}) for ${c.reason}`);
      inflated[c.name] = e.code;
    }
  }
  for (const c of order.between) {
    const key = client.order.keyBetween(c.low, c.high, c.salt);
    expect(key === c.key, `key between ${c.low} ${c.high}`);
  }
  for (const c of colors.pick) {
    expect(client.colors.pickColor(c.peer, c.taken) === c.color, `color of ${c.peer}`);
  }
  const state = new TextEncoder().encode('{"id":"button","props":{"label":"OK"}},'.repeat(1000));
  const packed = toHex(await wire.deflate(state));
  return { failures, inflated, packed, plain: toHex(state) };
}"""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async with launched(["--no-sandbox"], "the browser client test") as chromium:
        yield chromium


def _load(name: str) -> Any:
    return json.loads((CONFORMANCE / name).read_text("utf-8"))


async def test_the_served_bundle_passes_the_vectors_in_chromium(
    browser: Any, make_server: ServerFactory
) -> None:
    server = await make_server()
    origin = server.url.replace("ws://", "http://").removesuffix("/ws")
    page = await browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(origin + "/")
    result = await page.evaluate(
        CHECK_VECTORS,
        [
            origin + CLIENT_PATH,
            _load("bus_frames.json"),
            _load("order_keys.json"),
            _load("presence_colors.json"),
        ],
    )
    assert result["failures"] == []
    assert errors == []
    # The vector Node cannot check: Chromium refuses bytes after the stream's end.
    assert result["inflated"]["bytes after the end"] == "deflate-trailing"
    # What a browser compresses, Python inflates.
    plain = bytes.fromhex(result["plain"])
    assert inflate(bytes.fromhex(result["packed"]), len(plain)) == plain


async def served_page(browser: Any, make_server: ServerFactory) -> tuple[Any, str]:
    """A page open at a new server's own origin, and that origin."""
    server = await make_server()
    origin = server.url.replace("ws://", "http://").removesuffix("/ws")
    page = await browser.new_page()
    await page.goto(origin + "/")
    return page, origin


# Runs in the page: a DEFLATE bomb (64 MiB of zeros in 64 KiB) inflated under a
# 1 MiB limit, with the decompressor's input counted.
INFLATE_BOMB = """async (url) => {
  const { wire } = await import(url);
  const packed = await wire.deflate(new Uint8Array(64 << 20));
  const Real = globalThis.DecompressionStream;
  const writes = [];
  globalThis.DecompressionStream = class {
    constructor(format) {
      const real = new Real(format);
      const writer = real.writable.getWriter();
      this.readable = real.readable;
      this.writable = new WritableStream({
        write: (chunk) => { writes.push(chunk.length); return writer.write(chunk); },
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      });
    }
  };
  let code = null;
  try {
    await wire.inflate(packed, 1 << 20);
  } catch (e) {
    code = e.code;
  } finally {
    globalThis.DecompressionStream = Real;
  }
  return { code, writes, packed: packed.length, slice: wire.INFLATE_SLICE };
}"""


async def test_a_deflate_bomb_reaches_chromiums_decompressor_a_slice_at_a_time(
    browser: Any, make_server: ServerFactory
) -> None:
    # Chromium inflates each chunk written to a DecompressionStream whole
    # before the first read: fed the 64 KiB at once, it would hold 64 MiB
    # before the limit is checked. Fed by slices, it stops a few slices in.
    page, origin = await served_page(browser, make_server)
    result = await page.evaluate(INFLATE_BOMB, origin + CLIENT_PATH)
    assert result["code"] == "deflate-too-large"
    assert max(result["writes"]) <= result["slice"]
    assert sum(result["writes"]) <= 4 * result["slice"] < result["packed"] / 2, result


# Runs in the page: which ICE server entries Chromium refuses, alone and together.
ICE_SERVERS = """async ([url, servers]) => {
  const { session } = await import(url);
  let together = null;
  try {
    new RTCPeerConnection({ iceServers: servers }).close();
  } catch (e) {
    together = e.name;
  }
  return { together, accepted: session.acceptedIceServers(RTCPeerConnection, servers) };
}"""


async def test_chromium_refuses_a_whole_configuration_for_one_bad_ice_server(
    browser: Any, make_server: ServerFactory
) -> None:
    # What PeerLink falls back on: the entries Chromium takes, each tried alone.
    page, origin = await served_page(browser, make_server)
    stun = {"urls": ["stun:127.0.0.1:3478"]}
    turn = {"urls": ["turn:127.0.0.1:3478"], "username": "u", "credential": "c"}
    bare_turn = {"urls": ["turn:127.0.0.1:3478"]}  # no credentials
    typo = {"urls": ["stun;127.0.0.1"]}
    result = await page.evaluate(ICE_SERVERS, [origin + CLIENT_PATH, [stun, bare_turn, turn, typo]])
    assert result["together"] is not None  # one bad entry and no link could be made
    assert result["accepted"] == [stun, turn]
