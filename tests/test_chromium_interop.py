"""A Chromium peer and an avacollab PeerLink: the bus's channels interoperate.

Headless Chromium (Debian's ``chromium`` driven by Playwright; no browser is
downloaded) runs in a network namespace of its own, started through a small
wrapper given to Playwright as the executable. A veth pair made by the test
joins that namespace to this one (10.79.x.2 there, 10.79.x.1 here), and the
PeerLink gathers ICE candidates only on 10.79.x.1, so the two reach each
other over that pair alone; Chromium ignores loopback and cannot run on it.

The page creates the bus's two negotiated channels, offers, and echoes
whatever arrives. Traffic both ways exercises avacollab's delayed SCTP
acknowledgements (:mod:`avacollab.peer.sctp`) against Chromium's SCTP stack:
SACKs bundled with data, SACKs held back, large messages in many chunks.
Needs root, ``ip``, ``chromium`` and Playwright; skipped otherwise, except
under CI=true, where it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from avacollab.peer.link import LinkConfig, PeerLink
from avacollab.peer.sctp import DelayedAckTransport

from .chromium import CHROMIUM, chromium_unavailable
from .linkkit import DATA, SACK, Inbox, chunk_types, watch_packets

FLAGS = [
    "--no-sandbox",  # root in a container: the sandbox cannot start
    "--disable-features=WebRtcHideLocalIpsWithMdns",  # plain host candidates, no mDNS names
]
WAIT = 30.0

PAGE_OFFER = """async () => {
  const pc = new RTCPeerConnection({ iceServers: [] });
  const reliable = pc.createDataChannel("bus", { negotiated: true, id: 0 });
  const unordered = pc.createDataChannel("bus-unordered",
    { negotiated: true, id: 1, ordered: false, maxRetransmits: 0 });
  for (const channel of [reliable, unordered]) {
    channel.binaryType = "arraybuffer";
    channel.onmessage = (event) => channel.send(event.data);  // echo
  }
  window.pc = pc;
  window.reliable = reliable;
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((done) => {
    const check = () => pc.iceGatheringState === "complete" && done();
    pc.onicegatheringstatechange = check;
    check();
  });
  return pc.localDescription.sdp;
}"""


def _unavailable() -> str | None:
    if reason := chromium_unavailable():
        return reason
    if shutil.which("ip") is None:
        return "needs the ip command (iproute2)"
    if os.geteuid() != 0:
        return "needs root to create a network namespace"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@pytest.fixture
def chromium_netns(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A wrapper that starts Chromium in a private namespace, and our address facing it."""
    reason = _unavailable()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the Chromium interop test: {reason}")
        pytest.skip(reason)
    tag = os.getpid() % 250 + 1
    ns, here, there = f"avcchr{tag}", f"vchr{tag}a", f"vchr{tag}b"
    ours, theirs = f"10.79.{tag}.1", f"10.79.{tag}.2"
    _ip("netns", "add", ns)
    try:
        _ip("link", "add", here, "type", "veth", "peer", "name", there)
        _ip("link", "set", there, "netns", ns)
        _ip("addr", "add", f"{ours}/24", "dev", here)
        _ip("link", "set", here, "up")
        for args in (
            ("link", "set", "lo", "up"),
            ("addr", "add", f"{theirs}/24", "dev", there),
            ("link", "set", there, "up"),
            # Without a default route Chromium finds no usable network.
            ("route", "add", "default", "via", ours),
        ):
            _ip("netns", "exec", ns, "ip", *args)
        wrapper = tmp_path / "chromium-in-netns"
        wrapper.write_text(f'#!/bin/sh\nexec ip netns exec {ns} {CHROMIUM} "$@"\n')
        wrapper.chmod(0o755)
        yield wrapper, ours
    finally:
        # Deleting the namespace deletes the veth pair, both ends.
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=10)
        subprocess.run(["ip", "link", "del", here], capture_output=True, timeout=10)


@pytest.fixture
async def page(chromium_netns: tuple[Path, str]) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    wrapper, _ = chromium_netns
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=str(wrapper), args=FLAGS)
        try:
            yield await browser.new_page()
        finally:
            await browser.close()


async def test_chromium_echoes_everything_over_delayed_acks(
    page: Any, chromium_netns: tuple[Path, str]
) -> None:
    _, ours = chromium_netns
    link = PeerLink(
        "chromium", offerer=False, config=LinkConfig(host_addresses=[ours], open_timeout=WAIT)
    )
    try:
        offer = await page.evaluate(PAGE_OFFER)
        answer = await link.accept_offer(offer)
        await page.evaluate("(sdp) => pc.setRemoteDescription({ type: 'answer', sdp })", answer)
        await link.wait_open()
        assert link.pc.sctp is not None and isinstance(link.pc.sctp, DelayedAckTransport)
        packets = watch_packets(link.pc.sctp)

        # Sizes from one byte to many chunks, sent without pause, echoed as they come.
        sizes = [1, 30, 200, 1000, 1161, 1200, 5000, 60_000]
        messages = [bytes([i % 251]) * sizes[i % len(sizes)] + b"#%d" % i for i in range(240)]
        reliable = Inbox(link.reliable, WAIT)
        for message in messages:
            link.reliable.send(message)
        assert await reliable.count(len(messages)) == messages

        # Small messages one at a time: each SACK waits for the echo to carry it.
        unordered = Inbox(link.unordered, WAIT)
        for i in range(50):
            link.unordered.send(b"cursor %d" % i)
            await unordered.count(i + 1)
        assert unordered.items == [b"cursor %d" % i for i in range(50)]

        # Chromium's own burst the other way, acknowledged every second packet.
        before = len(reliable.items)
        await page.evaluate(
            "() => { const text = new TextEncoder();"
            " for (let i = 0; i < 100; i++) reliable.send(text.encode(`from chromium ${i}`)); }"
        )
        burst = (await reliable.count(before + 100))[before:]
        assert burst == [b"from chromium %d" % i for i in range(100)]
        state = await page.evaluate("() => pc.connectionState")
        assert state == "connected"
        # What Chromium took: SACKs that rode with data, and SACKs sent alone.
        kinds = {chunk_types(packet) for packet in packets}
        assert (SACK, DATA) in kinds and (SACK,) in kinds, kinds
    finally:
        await link.close()
