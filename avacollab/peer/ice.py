"""Restricting the addresses ICE gathers host candidates on.

aioice (under aiortc) asks ``aioice.ice.get_host_addresses()`` for the local
addresses and binds a UDP socket on each: every interface of the machine,
except 127.0.0.1 and ::1, which it leaves out. Neither aioice nor aiortc takes
an address list, so a peer cannot be kept on loopback (tests, benchmarks) or
on one chosen interface without help.

The help is :func:`restrict_host_addresses`. On first use it replaces that
one module-level function with a wrapper (aioice looks the name up at call
time, in ``Connection.gather_candidates``); the wrapper returns the configured
list when one is set and falls back to aioice's own answer otherwise. The
list itself lives in a :class:`~contextvars.ContextVar`, not a global: aiortc
gathers inside ``setLocalDescription`` in tasks that inherit the caller's
context, so two peer connections in one process can use different lists, and
leaving the ``with`` block cannot leak a setting into the next test.
``tests/test_ice.py`` checks the candidates in a real SDP, so an aioice
release that gathers differently fails loudly instead of silently widening.

Importing this module also enlarges the receive buffer aioice asks for on
each ICE socket (:data:`UDP_RECEIVE_BUFFER`): aioice's 256 KiB overflows when
a browser sends a burst (a 1 MB message over the data channel), the kernel
drops the datagrams past it, and SCTP then waits for retransmissions.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import aioice.ice
import aioice.turn
from aiortc.rtcicetransport import RTCIceTransport

from ..internals import require_attributes, require_uses

__all__ = [
    "LOOPBACK",
    "UDP_RECEIVE_BUFFER",
    "check_aioice",
    "configured_host_addresses",
    "restrict_host_addresses",
]

UDP_RECEIVE_BUFFER = 4 << 20
"""Bytes of receive buffer asked for on every ICE socket (aioice asks for 256 KiB).

Linux grants at most ``net.core.rmem_max`` (often 208 KiB; raise it with
``sysctl net.core.rmem_max=4194304`` where peers receive much from browsers).
"""


def check_aioice() -> None:
    """Raise ``DependencyError`` unless aioice and aiortc have the private parts used here.

    Run when the module is imported. Besides the host-address hook, this
    covers what ``PeerLink.route`` reads (aiortc has no
    ``getSelectedCandidatePair()``): aiortc's ``RTCIceTransport._connection``
    and aioice's ``Connection._nominated``.
    """
    require_attributes("avacollab", "aioice", aioice.ice, ["get_host_addresses"], "aioice.ice")
    # aioice looks the function up at call time, which is what lets us replace it.
    require_uses(
        "avacollab", "aioice", aioice.ice.Connection, "gather_candidates", ["get_host_addresses"]
    )
    require_uses("avacollab", "aioice", aioice.ice.Connection, "__init__", ["_nominated"])
    require_uses("avacollab", "aiortc", RTCIceTransport, "__init__", ["_connection"])
    # The buffer size is read from aioice.turn at call time, when host sockets are bound.
    require_attributes(
        "avacollab", "aioice", aioice.turn, ["UDP_SOCKET_BUFFER_SIZE"], "aioice.turn"
    )
    require_uses(
        "avacollab", "aioice", aioice.ice.Connection, "get_component_candidates",
        ["UDP_SOCKET_BUFFER_SIZE"],
    )  # fmt: skip


check_aioice()
aioice.turn.UDP_SOCKET_BUFFER_SIZE = max(aioice.turn.UDP_SOCKET_BUFFER_SIZE, UDP_RECEIVE_BUFFER)

LOOPBACK: tuple[str, ...] = ("127.0.0.1",)
"""The list tests and benchmarks use."""

_addresses: ContextVar[tuple[str, ...] | None] = ContextVar("avacollab_ice_hosts", default=None)
_original: Callable[[bool, bool], list[str]] | None = None


def configured_host_addresses() -> tuple[str, ...] | None:
    """The list in force in the current context (``None``: aioice's default)."""
    return _addresses.get()


@contextmanager
def restrict_host_addresses(addresses: Iterable[str]) -> Iterator[tuple[str, ...]]:
    """Gather ICE host candidates only on ``addresses`` inside the block.

    Addresses are IP literals (IPv4 or IPv6, loopback allowed). An empty list
    means no host candidates at all (only TURN relays). An address the
    machine does not have is skipped by aioice at bind time. Raises
    ``ValueError`` for anything that is not an IP address.

    Applies to peer connections whose ``setLocalDescription`` runs inside the
    block (or in tasks created inside it).
    """
    normalized = tuple(_normalize(a) for a in addresses)
    _install()
    token = _addresses.set(normalized)
    try:
        yield normalized
    finally:
        _addresses.reset(token)


def _normalize(address: str) -> str:
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        raise ValueError(f"ICE host address must be an IP address, got {address!r}") from None


def _install() -> None:
    global _original
    if _original is not None:
        return
    _original = aioice.ice.get_host_addresses  # there: check_aioice ran at import
    aioice.ice.get_host_addresses = _host_addresses


def _host_addresses(use_ipv4: bool, use_ipv6: bool) -> list[str]:
    configured = _addresses.get()
    if configured is None:
        assert _original is not None
        return _original(use_ipv4, use_ipv6)
    return [
        address
        for address in configured
        if (use_ipv6 if ipaddress.ip_address(address).version == 6 else use_ipv4)
    ]
