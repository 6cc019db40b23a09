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
