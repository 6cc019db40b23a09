"""Joining a room from a web page against joining from Python: time to an open bus.

Starts a signaling server on a free port of 127.0.0.1 and one ``avacollab
join`` process (the *anchor*) in a room, then, in the same run and
interleaved, ``--rounds`` times each:

* **page**: headless Chromium (Debian's ``chromium`` driven by Playwright; no
  browser is downloaded) opens a fresh page, as a web editor's would be:
  served from a second origin on 127.0.0.1 (the editor's own site), its
  module script imports ``/client/avacollab.js`` from the signaling server
  and joins with its ``Session`` at once; measured from the page's
  navigation start (``performance.now()`` is 0 there) to the
  ``peer-connected`` event for the anchor, when both channels are open. It
  includes loading the page and the bundle, the welcome and the connection.
  ``--evaluate`` joins as runs before 2026-12-05 did: the server's own page
  loads, then Playwright runs the join in it, which adds a round trip
  between Playwright and the browser (most of 100 to 200 ms under load).
  The page trickles its candidates (the ``Session`` default), so its
  description does not wait for ICE gathering; ``--no-trickle`` measures
  complete descriptions (``trickle: false``), which do.
  ``welcome_p50_ms`` is the part until the welcome (page and bundle load
  included).
* **python**: an in-process ``avacollab.peer.session.Session`` (gathering on
  127.0.0.1) joins; measured from the call to ``start()`` to its
  ``peer-connected`` event for the anchor. Interpreter start-up and imports
  are not included (a page has no equivalent of them once the browser runs).

Each joiner leaves before the next one comes. Chromium gathers no candidate
on loopback; its host candidate is an address of this machine, so nothing
leaves it. The offerer of each pair is whichever id sorts first; the
anchor's id is picked so that both roles occur, and the counts are reported.

    .venv/bin/python bench/web_join.py                  # 30 rounds, prints JSON and a table row
    .venv/bin/python bench/web_join.py --rounds 5       # smoke
    .venv/bin/python bench/web_join.py --no-trickle     # the page sends complete SDP
    .venv/bin/python bench/web_join.py --evaluate       # the join run through Playwright
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import string
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from machine_info import cpu_model, versions, write_json

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-features=WebRtcHideLocalIpsWithMdns"]
ROOM = "bench-web-join"
WAIT = 30.0
SLOW_MS = 2000  # a page join slower than this has its events printed
# Peer ids are token_urlsafe; in this order the first character decides most comparisons.
ALPHABET = "".join(sorted("-_" + string.ascii_letters + string.digits))

# The page a web editor would serve (here from a second origin on
# 127.0.0.1, as an editor's own site would): its module script imports the
# client from the signaling server and joins at once; window.joined
# resolves when the anchor's channels are open.
PAGE = """<!doctype html>
<meta charset="utf-8">
<title>join</title>
<script type="module">
import { Session } from "BUNDLE";
const q = new URLSearchParams(location.search);
window.events = [];
window.joined = new Promise((resolve, reject) => {
  const anchor = q.get("anchor");
  const session = new Session(q.get("url"), q.get("room"), {
    name: "page",
    trickle: q.get("trickle") === "1",
    onEvent: (e) => {
      window.events.push({ ...e, at: Math.round(performance.now()) });
      if (e.event === "joined") window.welcomed = performance.now();
      if (e.event === "peer-connected" && e.peer === anchor) {
        resolve({ ms: performance.now(), welcome: window.welcomed, offerer: e.offerer });
      }
    },
  });
  window.session = session;
  session.start().catch(reject);
});
</script>
"""

# --evaluate: the server's own page, then this script run through Playwright.
JOIN = """([bundle, url, room, anchor, trickle]) => new Promise(async (resolve, reject) => {
  const client = await import(bundle);
  window.events = [];
  const session = new client.Session(url, room, {
    name: "page",
    trickle,
    onEvent: (e) => {
      window.events.push({ ...e, at: Math.round(performance.now()) });
      if (e.event === "joined") window.welcomed = performance.now();
      if (e.event === "peer-connected" && e.peer === anchor) {
        resolve({ ms: performance.now(), welcome: window.welcomed, offerer: e.offerer });
      }
    },
  });
  window.session = session;
  session.start().catch(reject);
})"""


def progress(what: str) -> None:
    print(f"bench: {what}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


async def anchor(url: str) -> tuple[asyncio.subprocess.Process, str]:
    """The ``join`` process every joiner connects to, and its peer id.

    One whose id starts in the middle of the alphabet of ids, so that the
    joiners' random ids make them offerer about as often as answerer."""
    for _ in range(20):
        proc, peer = await join_process(url)
        if 0.3 <= ALPHABET.index(peer[0]) / len(ALPHABET) <= 0.7:
            return proc, peer
        proc.kill()
        await proc.wait()
    raise RuntimeError("no anchor id in the middle of the order after 20 joins")


async def join_process(url: str) -> tuple[asyncio.subprocess.Process, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "avacollab.cli.join", ROOM, "--server", url, "--name", "anchor",
        "--ice-address", "127.0.0.1", "--events", "-",
        cwd=ROOT, env={**os.environ, "AVACOLLAB_PLUGINS": ""},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    async with asyncio.timeout(WAIT):
        async for line in proc.stdout:
            event = json.loads(line)
            if event["event"] == "joined":
                return proc, str(event["peer"])
    raise RuntimeError("the anchor never joined")


async def page_round(
    browser: Any, origin: str, url: str, anchor_id: str, trickle: bool, site: str | None
) -> dict[str, Any]:
    """One page join; ``site`` is the origin of the editor's page (None: --evaluate)."""
    from avacollab.signaling.bundle import CLIENT_PATH

    page = await browser.new_page()
    try:
        async with asyncio.timeout(WAIT):
            if site is not None:
                query = urlencode(
                    {"url": url, "room": ROOM, "anchor": anchor_id, "trickle": int(trickle)}
                )
                await page.goto(f"{site}/join.html?{query}")
                result: dict[str, Any] = await page.evaluate("window.joined")
            else:
                await page.goto(origin + "/")
                result = await page.evaluate(
                    JOIN, [origin + CLIENT_PATH, url, ROOM, anchor_id, trickle]
                )
        if result["ms"] > SLOW_MS:
            # What the page saw, for the report: a retry, a failed link, ...
            events = await page.evaluate(
                "events.map(({ event, at, reason, error, offerer }) =>"
                " ({ event, at, reason, error, offerer }))"
            )
            progress(f"slow page join ({result['ms']:.0f} ms): {json.dumps(events)}")
        await page.evaluate("session.close()")
    finally:
        await page.close()
    return {
        "seconds": result["ms"] / 1000,
        "welcome": result["welcome"] / 1000,
        "offerer": result["offerer"],
    }


async def python_round(url: str, anchor_id: str) -> dict[str, Any]:
    from avacollab.peer.session import Session, SessionConfig

    connected = asyncio.Event()
    offerer = [False]
    welcome = [0.0]

    def sink(event: dict[str, Any]) -> None:
        if event["event"] == "joined":
            welcome[0] = time.perf_counter() - started
        if event["event"] == "peer-connected" and event["peer"] == anchor_id:
            offerer[0] = bool(event["offerer"])
            connected.set()

    session = Session(
        SessionConfig(url, ROOM, name="python", ice_addresses=["127.0.0.1"]), events=sink
    )
    started = time.perf_counter()
    try:
        await session.start()
        async with asyncio.timeout(WAIT):
            await connected.wait()
        seconds = time.perf_counter() - started
    finally:
        await session.close()
    return {"seconds": seconds, "welcome": welcome[0], "offerer": offerer[0]}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    seconds = [r["seconds"] for r in rounds]
    return {
        "rounds": len(seconds),
        "p50_ms": round(percentile(seconds, 50) * 1000, 1),
        "p99_ms": round(percentile(seconds, 99) * 1000, 1),
        "min_ms": round(min(seconds) * 1000, 1),
        "max_ms": round(max(seconds) * 1000, 1),
        # To the welcome (the rest is the peer connection: gathering, ICE, DTLS, SCTP).
        "welcome_p50_ms": round(percentile([r["welcome"] for r in rounds], 50) * 1000, 1),
        "as_offerer": sum(1 for r in rounds if r["offerer"]),
    }


async def editor_site(bundle: str) -> tuple[Any, str]:
    """A second HTTP server on 127.0.0.1 serving :data:`PAGE`; its runner and origin."""
    from aiohttp import web

    body = PAGE.replace("BUNDLE", bundle)

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=body, content_type="text/html")

    app = web.Application()
    app.router.add_get("/join.html", page)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"http://127.0.0.1:{port}"


async def measure(rounds: int, trickle: bool = True, evaluate: bool = False) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from avacollab.settings import Settings
    from avacollab.signaling.bundle import CLIENT_PATH
    from avacollab.signaling.server import SignalingServer

    settings = replace(Settings(), host="127.0.0.1", port=0)
    server = SignalingServer(settings, resume_secret=os.urandom(32))
    await server.start()
    origin = f"http://127.0.0.1:{server.port}"
    runner, editor = await editor_site(origin + CLIENT_PATH)
    site = None if evaluate else editor
    proc, anchor_id = await anchor(server.url)
    page_rounds: list[dict[str, Any]] = []
    python_rounds: list[dict[str, Any]] = []
    try:
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
            try:
                # One unmeasured round each: the first page starts Chromium's
                # network and renderer processes, the first session imports aiortc.
                await page_round(browser, origin, server.url, anchor_id, trickle, site)
                await python_round(server.url, anchor_id)
                for i in range(rounds):
                    progress(f"round {i + 1}/{rounds}")
                    page_rounds.append(
                        await page_round(browser, origin, server.url, anchor_id, trickle, site)
                    )
                    python_rounds.append(await python_round(server.url, anchor_id))
                version = browser.version
            finally:
                await browser.close()
    finally:
        if proc.stdin is not None:
            proc.stdin.write(b"/quit\n")
        try:
            async with asyncio.timeout(10):
                await proc.wait()
        except TimeoutError:
            proc.kill()
        await server.stop()
        await runner.cleanup()
    return {
        "page": summary(page_rounds),
        "python": summary(python_rounds),
        "trickle": trickle,
        "driven_by": "evaluate" if evaluate else "page",
        "bundle_bytes": len(load_bundle_bytes()),
        "chromium": version,
        "machine": {
            "cores": str(os.cpu_count()),
            "cpu": cpu_model(),
            **versions("aiortc", "aioice"),
        },
    }


def load_bundle_bytes() -> bytes:
    from avacollab.signaling.bundle import load_bundle

    bundle = load_bundle()
    return b"" if bundle is None else bundle.body


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="joins of each kind (30)")
    parser.add_argument(
        "--no-trickle",
        dest="trickle",
        action="store_false",
        help="the page sends complete descriptions (Session option trickle: false)",
    )
    parser.add_argument(
        "--evaluate",
        action="store_true",
        help="join from a script Playwright runs in the server's own page once it has"
        " loaded (how runs before 2026-12-05 measured), not from the page's own module",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not Path(CHROMIUM).is_file():
        sys.exit("needs Debian's chromium package (no browser is downloaded)")
    result = asyncio.run(measure(args.rounds, args.trickle, args.evaluate))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json is not None:
        write_json(args.json, result)
    page, python = result["page"], result["python"]
    print(
        f"| {args.rounds} | {page['p50_ms']:,} | {page['p99_ms']:,} "
        f"| {python['p50_ms']:,} | {python['p99_ms']:,} |"
    )


if __name__ == "__main__":
    main()
