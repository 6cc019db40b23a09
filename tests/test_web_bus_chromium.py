"""The shipped bus in a real browser: when a published message reaches its channel.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) imports ``/client/avacollab.js`` from the signaling server and
puts a peer on a ``Bus`` whose channels are plain objects recording when
``send`` is called (no WebRTC, so no network is involved). Skipped without
Chromium or Playwright, except under CI=true, where it fails instead.
"""

from __future__ import annotations

from typing import Any

from avacollab.signaling.bundle import CLIENT_PATH

from .chromium import launched
from .conftest import ServerFactory

# Runs in the page: a chain of `depth` timers, each publishing one message
# (as an app driven by timers does); returns, for each, the ms from the
# publish to the frame reaching the channel, and the frames' message counts.
PUBLISH_FROM_TIMERS = """async ([url, depth]) => {
  const client = await import(url);
  const sent = [];
  const channel = () => ({
    readyState: "open", bufferedAmount: 0, bufferedAmountLowThreshold: 0,
    binaryType: "arraybuffer",
    send: (frame) => sent.push({ at: performance.now(), frame }),
    addEventListener() {}, removeEventListener() {},
  });
  const bus = new client.Bus();
  bus.addPeer("other", channel(), channel());
  const published = [];
  await new Promise((resolve) => {
    const step = (i) => {
      if (i === depth) return resolve();
      published.push(performance.now());
      bus.publish("test.timer", new Uint8Array([i]));
      bus.publish("test.timer", new Uint8Array([i]));  // the same task: the same frame
      setTimeout(() => step(i + 1), 0);
    };
    step(0);
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  bus.close();
  return {
    delays: sent.map((s, i) => s.at - published[i]),
    entries: sent.map((s) => client.wire.decodeFrame(s.frame).entries.length),
  };
}"""


async def test_a_message_published_from_nested_timers_leaves_without_the_timer_clamp(
    make_server: ServerFactory,
) -> None:
    # Browsers clamp setTimeout(0) to 4 ms from the fifth nested timer on (and
    # to 1 s in a background tab): a bus flushing on such a timer held every
    # message of a timer-driven page that long. The end of the task is what
    # batching needs, and a posted message gives it with no clamp.
    server = await make_server()
    origin = server.url.replace("ws://", "http://").removesuffix("/ws")
    async with launched(["--no-sandbox"], "the browser bus test") as browser:
        page: Any = await browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        await page.goto(origin + "/")
        result = await page.evaluate(PUBLISH_FROM_TIMERS, [origin + CLIENT_PATH, 30])
    assert errors == []
    assert result["entries"] == [2] * 30  # still one frame a task, both messages in it
    # The clamp holds every publish from the fifth timer on for at least 4 ms;
    # without it they leave at once (a few late ones under load are allowed).
    clamped = [d for d in result["delays"][5:] if d >= 4.0]
    assert len(clamped) < 5, result["delays"]
