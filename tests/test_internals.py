"""The start-up checks on aiortc's and aioice's private parts (avacollab.internals).

Each test takes away, on the real installed library, one private part the
code relies on, the way a release that renamed it would, and checks that the
check stops with a message naming the library, the versions avacollab
declares, the missing part and the installed version.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import version

import aioice.ice
import pytest
from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtcsctptransport import RTCSctpTransport, parse_packet

from avacollab.internals import DependencyError, declared_versions
from avacollab.peer.ice import check_aioice
from avacollab.peer.sctp import _STATE, check_aiortc


def expected(dependency: str, problem: str) -> str:
    declared = declared_versions("avacollab", dependency)
    return f"avacollab needs {dependency}{declared}: {problem}; installed {dependency} " + version(
        dependency
    )


def test_the_pins_are_declared_and_the_installed_releases_pass() -> None:
    assert declared_versions("avacollab", "aiortc") == "<1.17,>=1.16"
    assert declared_versions("avacollab", "aioice") == "<0.14,>=0.13"
    assert declared_versions("avacollab", "pytest") == ""  # only in the test extra
    assert declared_versions("no-such-distribution", "aiortc") == ""
    check_aiortc()
    check_aioice()


@pytest.mark.parametrize(
    "method", ["_send_sack", "_send_chunk", "_receive_data_chunk", "_receive_forward_tsn_chunk"]
)
def test_an_overridden_method_that_is_gone_is_reported(
    monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    monkeypatch.delattr(RTCSctpTransport, method)
    with pytest.raises(DependencyError) as error:
        check_aiortc()
    assert str(error.value) == expected("aiortc", f"RTCSctpTransport.{method} is missing")


def test_an_override_aiortc_no_longer_calls_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # A release that sends its SACKs inline would bypass DelayedAckTransport._send_sack.
    async def handle_data(self: RTCSctpTransport, data: bytes) -> None:
        for chunk in parse_packet(data)[3]:
            await self._receive_chunk(chunk)

    monkeypatch.setattr(RTCSctpTransport, "_handle_data", handle_data)
    with pytest.raises(DependencyError) as error:
        check_aiortc()
    assert str(error.value) == expected(
        "aiortc", "RTCSctpTransport._handle_data no longer uses _send_sack"
    )


@pytest.mark.parametrize("renamed", _STATE)
def test_state_aiortc_no_longer_keeps_is_reported(
    monkeypatch: pytest.MonkeyPatch, renamed: str
) -> None:
    # An __init__ that sets up all the state DelayedAckTransport uses but one.
    kept = "".join(f"    self.{name} = None\n" for name in _STATE if name != renamed)
    namespace: dict[str, object] = {}
    exec(f"def __init__(self, transport, port=5000):\n{kept}", namespace)
    monkeypatch.setattr(RTCSctpTransport, "__init__", namespace["__init__"])
    with pytest.raises(DependencyError) as error:
        check_aiortc()
    assert str(error.value) == expected(
        "aiortc", f"RTCSctpTransport.__init__ no longer uses {renamed}"
    )


def test_the_dtls_send_sctp_packets_go_through_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(RTCDtlsTransport, "_send_data")
    with pytest.raises(DependencyError, match=r"RTCDtlsTransport\._send_data is missing"):
        check_aiortc()


def test_a_missing_host_address_hook_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(aioice.ice, "get_host_addresses")
    with pytest.raises(DependencyError) as error:
        check_aioice()
    assert str(error.value) == expected("aioice", "aioice.ice.get_host_addresses is missing")


def test_the_nominated_pair_route_reads_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    def init(self: aioice.ice.Connection) -> None:
        vars(self)["_selected_pairs"] = {}  # _nominated under another name

    monkeypatch.setattr(aioice.ice.Connection, "__init__", init)
    with pytest.raises(DependencyError) as error:
        check_aioice()
    assert str(error.value) == expected("aioice", "Connection.__init__ no longer uses _nominated")


def test_an_aiortc_without_the_sctp_constants_stops_the_import_with_a_clear_message() -> None:
    # aiortc 1.9 to 1.15 have no SCTP_MAX_PACKET_LENGTH: importing the link
    # module then used to end in a bare ImportError.
    script = (
        "import aiortc.rtcsctptransport as sctp\n"
        "del sctp.SCTP_MAX_PACKET_LENGTH\n"
        "import avacollab.peer.link\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert re.fullmatch(
        r"avacollab\.internals\.DependencyError: avacollab needs aiortc<1\.17,>=1\.16: "
        r"cannot import name 'SCTP_MAX_PACKET_LENGTH' from 'aiortc\.rtcsctptransport' .*; "
        + re.escape(f"installed aiortc {version('aiortc')}"),
        last,
    ), last
