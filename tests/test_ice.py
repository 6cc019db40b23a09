"""ICE host addresses restricted to a configured list, checked in real SDP."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection

from avacollab.peer import ice
from avacollab.peer.ice import (
    LOOPBACK,
    UDP_RECEIVE_BUFFER,
    configured_host_addresses,
    restrict_host_addresses,
)


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as sock:
            sock.bind(("::1", 0))
    except OSError:
        return False
    return True


async def offer_candidates() -> list[tuple[str, str]]:
    """(address, type) of every candidate in a fresh data-channel offer."""
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("probe")
        await pc.setLocalDescription(await pc.createOffer())
        sdp = pc.localDescription.sdp
    finally:
        await pc.close()
    return re.findall(r"a=candidate:\S+ \d+ udp \d+ (\S+) \d+ typ (\w+)", sdp)


async def test_only_configured_addresses_are_gathered() -> None:
    with restrict_host_addresses(LOOPBACK):
        candidates = await offer_candidates()
    assert candidates == [("127.0.0.1", "host")]


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback on this machine")
async def test_ipv6_loopback_can_be_configured() -> None:
    with restrict_host_addresses(["127.0.0.1", "::1"]):
        candidates = await offer_candidates()
    assert sorted(candidates) == [("127.0.0.1", "host"), ("::1", "host")]


async def test_empty_list_gathers_no_host_candidates() -> None:
    with restrict_host_addresses([]):
        assert await offer_candidates() == []


async def test_an_address_the_machine_lacks_is_skipped() -> None:
    with restrict_host_addresses(["192.0.2.1", "127.0.0.1"]):  # TEST-NET-1, never local
        assert await offer_candidates() == [("127.0.0.1", "host")]


async def test_restriction_is_scoped_to_the_block_and_the_task() -> None:
    with restrict_host_addresses(["127.0.0.1"]) as addresses:
        assert addresses == ("127.0.0.1",)
        assert configured_host_addresses() == ("127.0.0.1",)

        async def gather_with(addresses: list[str]) -> list[tuple[str, str]]:
            with restrict_host_addresses(addresses):
                return await offer_candidates()

        # Two connections gathering at the same time each see their own list.
        none, loopback = await asyncio.gather(gather_with([]), gather_with(["127.0.0.1"]))
        assert (none, loopback) == ([], [("127.0.0.1", "host")])
    assert configured_host_addresses() is None


def test_outside_any_block_aioice_decides() -> None:
    with restrict_host_addresses(LOOPBACK):
        pass
    original = ice._original
    assert original is not None and aioice.ice.get_host_addresses is not original
    assert aioice.ice.get_host_addresses(True, True) == original(True, True)
    assert aioice.ice.get_host_addresses(True, False) == original(True, False)


def test_families_follow_aioice_flags() -> None:
    with restrict_host_addresses(["127.0.0.1", "::1", "10.1.2.3"]):
        assert aioice.ice.get_host_addresses(use_ipv4=True, use_ipv6=False) == [
            "127.0.0.1",
            "10.1.2.3",
        ]
        assert aioice.ice.get_host_addresses(use_ipv4=False, use_ipv6=True) == ["::1"]


def test_addresses_are_normalized() -> None:
    with restrict_host_addresses(["0:0:0:0:0:0:0:1"]) as addresses:
        assert addresses == ("::1",)


@pytest.mark.parametrize("bad", ["localhost", "", "127.0.0.256", "eth0", "1.2.3.4:5"])
def test_non_addresses_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="IP address"), restrict_host_addresses([bad]):
        pass
    assert configured_host_addresses() is None


RMEM_MAX = Path("/proc/sys/net/core/rmem_max")


async def test_ice_sockets_ask_for_the_larger_receive_buffer() -> None:
    # aioice's 256 KiB overflowed under a browser's bursts (datagrams dropped).
    if not RMEM_MAX.is_file():  # noqa: ASYNC240 (a file of the kernel's)
        pytest.skip("needs Linux's net.core.rmem_max")
    rmem_max = int(RMEM_MAX.read_text())  # noqa: ASYNC240
    pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        pc.createDataChannel("probe")
        with restrict_host_addresses(LOOPBACK):
            await pc.setLocalDescription(await pc.createOffer())
        assert pc.sctp is not None
        protocols = pc.sctp.transport.transport._connection._protocols
        sockets = [p.transport.get_extra_info("socket") for p in protocols]
        granted = [s.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) for s in sockets]
    finally:
        await pc.close()
    assert granted
    # Linux grants up to rmem_max and reports twice that (its bookkeeping).
    assert min(granted) >= min(UDP_RECEIVE_BUFFER, rmem_max)
