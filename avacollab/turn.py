"""TURN: time-limited credentials, ICE server entries and a hardened coturn config.

Credentials follow the TURN REST API scheme that coturn implements with
``use-auth-secret``: the username is ``<expiry>:<peer id>`` and the password
is base64(HMAC-SHA1(secret, username)). The signaling server and coturn share
only the secret, so no password is ever stored or written into a client, and
a leaked credential stops working at its expiry.

Everything here is pure except the last section (the secret file and the
installed coturn's version), which does the little I/O the CLI needs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import re
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from . import secretfile
from .secretfile import SecretFileError
from .settings import config_dir

DEFAULT_TTL = 3600
"""Seconds a credential stays valid."""

SECRET_FILE_NAME = "turn-secret"
MIN_SECRET_LENGTH = 16

MAPPED_BYPASS_FIXED = (4, 9, 0)
"""First coturn release whose deny list also catches IPv4-mapped IPv6 peers."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TurnError(ValueError):
    """Bad TURN input (a URL, an option, a secret): the message says what to fix."""


# --- credentials -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TurnCredentials:
    """One peer's TURN username and password, valid until ``expires`` (Unix time)."""

    username: str
    password: str
    expires: int


def turn_credentials(
    secret: str, peer_id: str, now: float, ttl: float = DEFAULT_TTL
) -> TurnCredentials:
    """Credentials for ``peer_id`` that coturn accepts until ``now + ttl``."""
    if not secret:
        raise TurnError("the TURN secret is empty")
    # coturn splits the username at the first ':' to find the expiry.
    if not peer_id or ":" in peer_id:
        raise TurnError(f"a TURN peer id must be non-empty and contain no ':': {peer_id!r}")
    if ttl <= 0:
        raise TurnError(f"the credential lifetime must be positive, not {ttl}")
    expires = int(now + ttl)
    username = f"{expires}:{peer_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return TurnCredentials(username, base64.b64encode(digest).decode("ascii"), expires)


@dataclass(frozen=True, slots=True)
class TurnUrl:
    """A parsed ``turn:``/``turns:`` URL (RFC 7065)."""

    scheme: str
    host: str
    port: int
    transport: str | None

    @property
    def stun_url(self) -> str | None:
        """The STUN URL of the same server, which answers Binding on its plain port."""
        if self.scheme != "turn":
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"stun:{host}:{self.port}"


_DEFAULT_PORTS = {"turn": 3478, "turns": 5349}
_URL = re.compile(
    r"^(?P<scheme>turns?):(?P<host>\[[^\]]+\]|[^:?\[\]]+)(?::(?P<port>\d+))?"
    r"(?:\?(?P<query>.*))?$"
)
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


def parse_turn_url(url: str) -> TurnUrl:
    """Parse and check a TURN URL such as ``turn:turn.example.org:3478?transport=udp``."""
    match = _URL.match(url.strip())
    if match is None:
        raise TurnError(f"not a TURN URL: {url!r} (expected turn:HOST[:PORT] or turns:HOST[:PORT])")
    scheme, host = match["scheme"], match["host"]
    if host.startswith("["):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            raise TurnError(f"bad IPv6 address in TURN URL {url!r}") from None
    elif not _HOSTNAME.fullmatch(host):
        raise TurnError(f"bad host in TURN URL {url!r}")
    port = int(match["port"]) if match["port"] else _DEFAULT_PORTS[scheme]
    if not 1 <= port <= 65535:
        raise TurnError(f"bad port in TURN URL {url!r}")
    transport = None
    if match["query"] is not None:
        query = parse_qs(match["query"], keep_blank_values=True)
        values = query.pop("transport", [])
        if query or len(values) != 1 or values[0] not in ("udp", "tcp"):
            raise TurnError(f"bad query in TURN URL {url!r} (only transport=udp|tcp)")
        transport = values[0]
    return TurnUrl(scheme, host, port, transport)


def ice_servers(
    turn_urls: Sequence[str], secret: str, peer_id: str, now: float, ttl: float = DEFAULT_TTL
) -> list[dict[str, Any]]:
    """The ``iceServers`` for one peer: a STUN entry and a TURN entry with its credentials.

    The entries use the browser's ``RTCIceServer`` shape (``urls``, ``username``,
    ``credential``), which aiortc's ``RTCIceServer`` takes as keyword arguments.
    """
    if not turn_urls:
        return []
    parsed = [parse_turn_url(url) for url in turn_urls]
    creds = turn_credentials(secret, peer_id, now, ttl)
    stun = list(dict.fromkeys(u.stun_url for u in parsed if u.stun_url is not None))
    servers: list[dict[str, Any]] = [{"urls": stun}] if stun else []
    servers.append(
        {
            "urls": [url.strip() for url in turn_urls],
            "username": creds.username,
            "credential": creds.password,
        }
    )
    return servers


def ice_servers_provider(
    turn_urls: Sequence[str], secret: str, ttl: float = DEFAULT_TTL
) -> Callable[[str, float], list[dict[str, Any]]]:
    """A ``(peer_id, now) -> iceServers`` function for the signaling server.

    The URLs and secret are checked here, once, so a bad ``--turn-url`` fails at
    start-up rather than at the first join.
    """
    urls = tuple(turn_urls)
    for url in urls:
        parse_turn_url(url)
    turn_credentials(secret, "check", 0.0, ttl)
    return lambda peer_id, now: ice_servers(urls, secret, peer_id, now, ttl)


# --- the address ranges a relay must never reach ---------------------------------


@dataclass(frozen=True, slots=True)
class DeniedRange:
    """A peer address range coturn must refuse, and why."""

    first: IpAddress
    last: IpAddress
    why: str

    @property
    def directive(self) -> str:
        """The value coturn's ``denied-peer-ip`` takes (coturn 4.6 has no CIDR form)."""
        first, last = _show(self.first), _show(self.last)
        return first if first == last else f"{first}-{last}"


def _show(ip: IpAddress) -> str:
    # Python before 3.13 prints ::ffff:127.0.0.1 as ::ffff:7f00:1, which hides what it is.
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}"
    return str(ip)


def _net(cidr: str, why: str) -> DeniedRange:
    net = ipaddress.ip_network(cidr)
    return DeniedRange(net.network_address, net.broadcast_address, why)


def _span(first: str, last: str, why: str) -> DeniedRange:
    return DeniedRange(ipaddress.ip_address(first), ipaddress.ip_address(last), why)


def _mapped(r: DeniedRange) -> DeniedRange:
    return _span(f"::ffff:{r.first}", f"::ffff:{r.last}", f"{r.why}, IPv4-mapped")


# IANA's special-purpose registries, minus the blocks marked globally reachable.
DENIED_IPV4: tuple[DeniedRange, ...] = (
    _net("0.0.0.0/8", "'this network' (RFC 791)"),
    _net("10.0.0.0/8", "private (RFC 1918)"),
    _net("100.64.0.0/10", "carrier-grade NAT (RFC 6598)"),
    _net("127.0.0.0/8", "loopback (RFC 1122)"),
    _net("169.254.0.0/16", "link-local (RFC 3927)"),
    _net("172.16.0.0/12", "private (RFC 1918)"),
    _net("192.0.0.0/24", "IETF protocol assignments (RFC 6890)"),
    _net("192.0.2.0/24", "documentation TEST-NET-1 (RFC 5737)"),
    _net("192.88.99.0/24", "deprecated 6to4 relay anycast (RFC 7526)"),
    _net("192.168.0.0/16", "private (RFC 1918)"),
    _net("198.18.0.0/15", "benchmarking (RFC 2544)"),
    _net("198.51.100.0/24", "documentation TEST-NET-2 (RFC 5737)"),
    _net("203.0.113.0/24", "documentation TEST-NET-3 (RFC 5737)"),
    _net("224.0.0.0/4", "multicast (RFC 5771)"),
    _net("240.0.0.0/4", "reserved and limited broadcast (RFC 1112, RFC 919)"),
)

# No line for the unspecified address: coturn refuses 0.0.0.0 and :: itself
# since 4.5.2, and coturn 4.6 matches *every* IPv4 peer against a range that
# starts at ::, so `denied-peer-ip=::` would stop all IPv4 relaying.
DENIED_IPV6: tuple[DeniedRange, ...] = (
    _net("::1/128", "loopback (RFC 4291)"),
    _span("::0.0.0.2", "::255.255.255.255", "IPv4-compatible, deprecated (RFC 4291)"),
    _net("64:ff9b::/96", "NAT64 well-known prefix, embeds IPv4 (RFC 6052)"),
    _net("64:ff9b:1::/48", "local-use NAT64 (RFC 8215)"),
    _net("100::/64", "discard-only (RFC 6666)"),
    _net("2001::/32", "Teredo, embeds IPv4 (RFC 4380)"),
    _net("2001:2::/48", "benchmarking (RFC 5180)"),
    _net("2001:db8::/32", "documentation (RFC 3849)"),
    _net("2002::/16", "6to4, embeds IPv4 (RFC 3056)"),
    _net("3fff::/20", "documentation (RFC 9637)"),
    _net("5f00::/16", "segment routing SIDs (RFC 9602)"),
    _net("fc00::/7", "unique local (RFC 4193)"),
    _net("fe80::/10", "link-local (RFC 4291)"),
    _net("fec0::/10", "site-local, deprecated (RFC 3879)"),
    _net("ff00::/8", "multicast (RFC 4291)"),
)

# coturn before 4.9 compares an IPv4-mapped peer (::ffff:127.0.0.1) only with
# IPv6 ranges, so every IPv4 range is repeated in its mapped form.
DENIED_MAPPED: tuple[DeniedRange, ...] = tuple(_mapped(r) for r in DENIED_IPV4)

DENIED_RANGES: tuple[DeniedRange, ...] = DENIED_IPV4 + DENIED_IPV6 + DENIED_MAPPED


# --- coturn config generation ----------------------------------------------------


def parse_ip(text: str, what: str) -> IpAddress:
    """An IP address, or a TurnError naming the option it came from."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        raise TurnError(f"{what}: {text!r} is not an IP address") from None


@dataclass(frozen=True, slots=True)
class ExternalIp:
    """coturn's ``external-ip``: the public address, and the private one it maps to."""

    public: IpAddress
    private: IpAddress | None = None

    @classmethod
    def parse(cls, text: str) -> ExternalIp:
        """Parse ``PUBLIC`` or ``PUBLIC/PRIVATE``, e.g. ``203.0.113.7/10.0.0.5``."""
        public, sep, private = text.partition("/")
        pub = parse_ip(public, "--external-ip")
        if not sep:
            return cls(pub)
        priv = parse_ip(private, "--external-ip private part")
        if pub.version != priv.version:
            raise TurnError(f"--external-ip: {text!r} mixes IPv4 and IPv6")
        return cls(pub, priv)

    def __str__(self) -> str:
        return str(self.public) if self.private is None else f"{self.public}/{self.private}"


def parse_port_range(text: str) -> tuple[int, int]:
    """Parse ``MIN-MAX`` (e.g. ``49152-65535``) into a checked pair."""
    low, sep, high = text.partition("-")
    if not sep or not low.strip().isdigit() or not high.strip().isdigit():
        raise TurnError(f"--relay-ports: {text!r} is not MIN-MAX, e.g. 49152-65535")
    first, last = int(low), int(high)
    if not (1024 <= first <= 65535 and 1024 <= last <= 65535):
        raise TurnError(f"--relay-ports: {text!r} must lie within 1024-65535")
    if first > last:
        raise TurnError(f"--relay-ports: {text!r} is upside down (MIN must not exceed MAX)")
    return first, last


_SAFE_VALUE = re.compile(r"[!$-~]+")  # printable ASCII, no space, '"' or '#'


def _check_value(value: str, what: str) -> None:
    # A newline or a quote in a value would smuggle extra directives into the file.
    if not _SAFE_VALUE.fullmatch(value):
        raise TurnError(f"{what}: {value!r} must be printable ASCII without spaces, '\"' or '#'")


@dataclass(frozen=True, slots=True)
class CoturnOptions:
    """Everything that varies between coturn deployments; the rest is fixed policy."""

    secret: str
    realm: str = "avacollab"
    listening_ips: tuple[IpAddress, ...] = ()
    port: int = 3478
    tls_port: int = 5349
    cert: str | None = None
    pkey: str | None = None
    external_ip: ExternalIp | None = None
    min_port: int = 49152
    max_port: int = 65535
    user_quota: int = 12
    total_quota: int = 1200
    stale_nonce: int = 600

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_SECRET_LENGTH:
            raise TurnError(f"the TURN secret must have at least {MIN_SECRET_LENGTH} characters")
        _check_value(self.secret, "the TURN secret")
        _check_value(self.realm, "--realm")
        for name, port in (("--port", self.port), ("--tls-port", self.tls_port)):
            if not 1 <= port <= 65535:
                raise TurnError(f"{name}: {port} is not a port number (1-65535)")
        if (self.cert is None) != (self.pkey is None):
            raise TurnError("--cert and --pkey go together: give both or neither")
        for name, path in (("--cert", self.cert), ("--pkey", self.pkey)):
            if path is not None:
                _check_value(path, name)
        if self.cert is not None and self.port == self.tls_port:
            raise TurnError("--port and --tls-port must differ")
        if not 1024 <= self.min_port <= self.max_port <= 65535:
            raise TurnError(
                f"--relay-ports: {self.min_port}-{self.max_port} must be MIN-MAX within 1024-65535"
            )
        for name, port in (("--port", self.port), ("--tls-port", self.tls_port)):
            if self.min_port <= port <= self.max_port and (name == "--port" or self.cert):
                raise TurnError(f"{name} {port} lies inside the relay port range")
        for name, value in (
            ("--user-quota", self.user_quota),
            ("--total-quota", self.total_quota),
            ("--stale-nonce", self.stale_nonce),
        ):
            if value < 1:
                raise TurnError(f"{name} must be at least 1, not {value}")
        if self.user_quota > self.total_quota:
            raise TurnError("--user-quota must not exceed --total-quota")


def _lines(opts: CoturnOptions) -> Iterable[tuple[str, str]]:
    """(why, directive) pairs; an empty directive is a section heading."""
    yield "", "Authentication"
    yield (
        "clients use time-limited credentials the signaling server derives from the secret",
        "use-auth-secret",
    )
    yield (
        "shared with `avacollab serve`; never give it to a client",
        (f"static-auth-secret={opts.secret}"),
    )
    yield "part of the credential check; any fixed name works", f"realm={opts.realm}"
    yield (
        "a nonce lives 600 s by default, which limits replay of captured requests",
        f"stale-nonce={opts.stale_nonce}",
    )

    yield "", "Listeners"
    for ip in opts.listening_ips:
        yield "listen only where clients reach the server", f"listening-ip={ip}"
    yield "STUN and TURN over UDP and TCP", f"listening-port={opts.port}"
    if opts.cert is not None:
        yield (
            "TURN over TLS, for networks that block everything but HTTPS-like traffic",
            (f"tls-listening-port={opts.tls_port}"),
        )
        yield "certificate chain for the TLS listener (PEM)", f"cert={opts.cert}"
        yield "private key of that certificate (PEM)", f"pkey={opts.pkey}"
        yield "TLS 1.0 is broken; only TLS 1.2 and later are allowed", "no-tlsv1"
        yield "TLS 1.1 is deprecated (RFC 8996)", "no-tlsv1_1"
    else:
        yield "no certificate given, so no TLS or DTLS listener", "no-tls"
        yield "no certificate given, so no TLS or DTLS listener", "no-dtls"
        yield "kept so TLS stays 1.2+ if a certificate is added later", "no-tlsv1"
        yield "kept so TLS stays 1.2+ if a certificate is added later", "no-tlsv1_1"
    if opts.external_ip is not None:
        yield (
            "behind NAT: tell clients the public address (PUBLIC/PRIVATE maps the private one)",
            f"external-ip={opts.external_ip}",
        )
    yield "relay ports; open this UDP range in the firewall", f"min-port={opts.min_port}"
    yield "end of the relay port range", f"max-port={opts.max_port}"

    yield "", "Protocol hardening"
    yield "WebRTC clients always send fingerprints; require the integrity check", "fingerprint"
    yield "the telnet admin console is an attack surface nobody here needs", "no-cli"
    yield (
        "NAT behaviour discovery helps attackers map the network (off by default from 4.7)",
        ("no-rfc5780"),
    )
    yield (
        "RFC 3489 STUN replies amplify reflection attacks (off by default from 4.7)",
        ("no-stun-backward-compatibility"),
    )
    yield (
        "WebRTC relays over UDP only; TCP relaying (RFC 6062) is unneeded surface",
        ("no-tcp-relay"),
    )
    yield "do not advertise the coturn version to scanners", "no-software-attribute"
    yield (
        "a credential holds at most this many allocations (one per peer with max-bundle)",
        (f"user-quota={opts.user_quota}"),
    )
    yield "limit on allocations for the whole server", f"total-quota={opts.total_quota}"
    yield (
        "no bandwidth cap by default: max-bps caps one session (bytes/s each way; 10 Mbit/s)",
        "#max-bps=1250000",
    )
    yield (
        "bps-capacity caps the whole server (here 1 Gbit/s); size both to the uplink",
        "#bps-capacity=125000000",
    )

    yield "", "Peers the relay must never reach (the operator's own networks)"
    yield "multicast and broadcast peers", "no-multicast-peers"
    for r in DENIED_RANGES:
        yield r.why, f"denied-peer-ip={r.directive}"


def render_config(opts: CoturnOptions) -> str:
    """A complete coturn ``turnserver.conf`` for ``opts``.

    Comments sit on their own lines: coturn reads anything after a value as part
    of it, so ``fingerprint # why`` would be a config error.
    """
    out = [
        "# coturn config written by `avacollab turn-config`.",
        "# Check a config with `avacollab turn-config --check FILE`.",
        "# It contains the TURN secret: keep it readable by coturn only.",
    ]
    for why, directive in _lines(opts):
        if not why:
            out += ["", f"# --- {directive} ---"]
        else:
            out += [f"# {why}", directive]
    return "\n".join(out) + "\n"


# --- checking an existing config -------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing a coturn config lacks or gets wrong."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


_FALSE = {"0", "off", "no", "false"}


def parse_config(text: str) -> list[tuple[str, str]]:
    """(name, value) pairs of a coturn config, in order; flags have value ''.

    coturn accepts ``name=value``, ``name value`` and a leading ``--``.
    """
    entries = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^(?:--)?([A-Za-z0-9_-]+)\s*(?:=|\s)?\s*(.*)$", line)
        if match is None:
            continue
        value = match[2].strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        entries.append((match[1].lower(), value))
    return entries


def _flag_on(entries: list[tuple[str, str]], name: str) -> bool:
    values = [v for n, v in entries if n == name]
    return bool(values) and values[-1].lower() not in _FALSE


def _value(entries: list[tuple[str, str]], name: str) -> str | None:
    values = [v for n, v in entries if n == name]
    return values[-1] if values else None


def _positive(entries: list[tuple[str, str]], name: str) -> bool:
    value = _value(entries, name)
    return value is not None and value.isdigit() and int(value) > 0


def _parse_range(value: str) -> tuple[IpAddress, IpAddress] | None:
    first, sep, last = value.partition("-")
    try:
        a = ipaddress.ip_address(first.strip())
        b = ipaddress.ip_address(last.strip()) if sep else a
    except ValueError:
        return None
    if a.version != b.version or int(a) > int(b):
        return None
    return a, b


def _covered(spans: list[tuple[IpAddress, IpAddress]], r: DeniedRange) -> bool:
    """Whether the union of ``spans`` covers all of ``r``."""
    need = int(r.first)
    for a, b in sorted(
        (s for s in spans if s[0].version == r.first.version), key=lambda s: int(s[0])
    ):
        if int(a) > need:
            break
        need = max(need, int(b) + 1)
        if need > int(r.last):
            return True
    return False


def _overlaps(span: tuple[IpAddress, IpAddress], r: DeniedRange) -> bool:
    a, b = span
    return a.version == r.first.version and int(a) <= int(r.last) and int(r.first) <= int(b)


@dataclass(frozen=True, slots=True)
class Rule:
    """One hardening requirement: a name, the message when it fails, and the test."""

    name: str
    message: str
    holds: Callable[[list[tuple[str, str]]], bool]


def _flag_rule(name: str, why: str) -> Rule:
    return Rule(name, f"missing `{name}` ({why})", lambda e: _flag_on(e, name))


def _deny_rule(r: DeniedRange) -> Rule:
    def holds(entries: list[tuple[str, str]]) -> bool:
        spans = [s for n, v in entries if n == "denied-peer-ip" and (s := _parse_range(v))]
        return _covered(spans, r)

    return Rule(
        f"denied-peer-ip={r.directive}",
        f"peers in {r.directive} ({r.why}) are not denied",
        holds,
    )


def _tls_holds(entries: list[tuple[str, str]]) -> bool:
    if _value(entries, "tls-listening-port") is None or _flag_on(entries, "no-tls"):
        return True
    return _value(entries, "cert") is not None and _value(entries, "pkey") is not None


def _no_loose_allow(entries: list[tuple[str, str]]) -> bool:
    spans = [_parse_range(v) for n, v in entries if n == "allowed-peer-ip"]
    return not any(s is None or _overlaps(s, r) for s in spans for r in DENIED_RANGES)


def _ranges_parse(entries: list[tuple[str, str]]) -> bool:
    return all(_parse_range(v) is not None for n, v in entries if n == "denied-peer-ip")


def _no_catch_all(entries: list[tuple[str, str]]) -> bool:
    spans = [_parse_range(v) for n, v in entries if n == "denied-peer-ip"]
    return not any(s is not None and int(s[0]) == 0 and s[0].version == 6 for s in spans)


def _metrics_private(entries: list[tuple[str, str]]) -> bool:
    """The exporter is off, on every address (a rule of its own) or on loopback only."""
    address = _prometheus_address(entries)
    if not address or address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _prometheus_address(entries: list[tuple[str, str]]) -> str | None:
    """Where coturn's metrics exporter listens when on, or None when it is off.

    It has no authentication and listens on every address unless
    ``prometheus-address`` (newer coturn) names one: then "" stands for every.
    """
    if not _flag_on(entries, "prometheus"):
        return None
    address = (_value(entries, "prometheus-address") or "").strip().strip("[]")
    return "" if address in ("", "0.0.0.0", "::") else address


def _relay_range(entries: list[tuple[str, str]]) -> bool:
    low, high = _value(entries, "min-port"), _value(entries, "max-port")
    return (
        low is not None
        and high is not None
        and low.isdigit()
        and high.isdigit()
        and int(low) <= int(high)
    )


RULES: tuple[Rule, ...] = (
    _flag_rule("use-auth-secret", "time-limited REST API credentials"),
    Rule(
        "static-auth-secret",
        "missing or short `static-auth-secret` (the shared TURN secret)",
        lambda e: len(_value(e, "static-auth-secret") or "") >= MIN_SECRET_LENGTH,
    ),
    Rule("realm", "missing `realm`", lambda e: bool(_value(e, "realm"))),
    Rule(
        "no-static-users",
        "`user=` gives a password that never expires; use the secret",
        lambda e: _value(e, "user") is None,
    ),
    Rule(
        "no-auth",
        "`no-auth` turns authentication off: anyone can relay through the server",
        lambda e: not _flag_on(e, "no-auth"),
    ),
    Rule(
        "no-web-admin",
        "`web-admin` opens an admin console over HTTPS, an attack surface nobody here "
        "needs (like the telnet one, `no-cli`)",
        lambda e: not _flag_on(e, "web-admin"),
    ),
    Rule(
        "prometheus-address",
        "`prometheus` serves unauthenticated metrics on every address, the public one "
        "included; bind it with `prometheus-address=127.0.0.1` and scrape it from there",
        lambda e: _prometheus_address(e) != "",
    ),
    Rule(
        "no-prometheus-username-labels",
        "`prometheus-username-labels` makes a metric series per credential (they expire "
        "and never recur, so coturn's memory grows without end) and publishes peer ids",
        lambda e: not _flag_on(e, "prometheus-username-labels"),
    ),
    Rule(
        "no-allow-loopback-peers",
        "`allow-loopback-peers` lets clients reach the server's "
        "own services; only tests may use it",
        lambda e: not _flag_on(e, "allow-loopback-peers"),
    ),
    Rule(
        "relay-ports",
        "missing or inverted `min-port`/`max-port` (the relay range to open)",
        _relay_range,
    ),
    Rule("tls-cert", "`tls-listening-port` without `cert` and `pkey`", _tls_holds),
    _flag_rule("fingerprint", "integrity check on every message"),
    _flag_rule("no-cli", "the telnet admin console"),
    _flag_rule("no-multicast-peers", "relaying to multicast"),
    _flag_rule("no-rfc5780", "NAT discovery helps attackers; default only from coturn 4.7"),
    _flag_rule(
        "no-stun-backward-compatibility", "RFC 3489 amplification; default only from coturn 4.7"
    ),
    _flag_rule("no-tlsv1", "TLS 1.0 is broken"),
    _flag_rule("no-tlsv1_1", "TLS 1.1 is deprecated"),
    _flag_rule("no-tcp-relay", "TCP relaying is unneeded attack surface"),
    Rule(
        "user-quota",
        "missing `user-quota` (allocations per credential)",
        lambda e: _positive(e, "user-quota"),
    ),
    Rule(
        "total-quota",
        "missing `total-quota` (allocations per server)",
        lambda e: _positive(e, "total-quota"),
    ),
    Rule(
        "stale-nonce",
        "missing `stale-nonce` (nonce lifetime limits replay)",
        lambda e: _flag_on(e, "stale-nonce"),
    ),
    Rule(
        "denied-peer-ip-format",
        "a `denied-peer-ip` value is not IP or IP-IP (coturn has no "
        "CIDR form and ignores the line)",
        _ranges_parse,
    ),
    Rule(
        "denied-peer-ip-catch-all",
        "a `denied-peer-ip` range starting at :: makes coturn 4.6 "
        "refuse every IPv4 peer (coturn refuses :: by itself)",
        _no_catch_all,
    ),
    Rule("allowed-peer-ip", "an `allowed-peer-ip` reopens a denied range", _no_loose_allow),
    *(_deny_rule(r) for r in DENIED_RANGES),
)


WARNINGS: tuple[Rule, ...] = (
    Rule(
        "prometheus-address",
        "`prometheus` serves unauthenticated metrics to whoever reaches that address: "
        "let only your Prometheus server through the firewall to it",
        _metrics_private,
    ),
)
"""Settings a deployment may need but should look at again: ``--check`` still passes."""


def check_config(text: str) -> list[Problem]:
    """Every hardening rule ``text`` (a coturn config) breaks; empty when it passes."""
    entries = parse_config(text)
    return [Problem(rule.name, rule.message) for rule in RULES if not rule.holds(entries)]


def config_warnings(text: str) -> list[Problem]:
    """What in ``text`` deserves a second look without failing the check (:data:`WARNINGS`)."""
    entries = parse_config(text)
    return [Problem(rule.name, rule.message) for rule in WARNINGS if not rule.holds(entries)]


# --- coturn versions -------------------------------------------------------------


def parse_coturn_version(text: str) -> tuple[int, ...] | None:
    """The version in ``turnserver --version`` output (``4.6.1``), or None."""
    match = re.search(r"(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?", text)
    return None if match is None else tuple(int(g) for g in match.groups() if g is not None)


def version_warning(version: tuple[int, ...]) -> str | None:
    """A warning when ``version`` predates the fix for the IPv4-mapped deny-list bypass."""
    if version >= MAPPED_BYPASS_FIXED:
        return None
    shown = ".".join(map(str, version))
    fixed = ".".join(map(str, MAPPED_BYPASS_FIXED))
    return (
        f"coturn {shown} is older than {fixed}: its denied-peer-ip ranges do not match "
        "IPv4-mapped IPv6 peers such as ::ffff:127.0.0.1. Keep the ::ffff: denied-peer-ip "
        "lines of the generated config, and upgrade coturn when you can."
    )


# --- I/O: the installed coturn and the secret file -------------------------------


def installed_coturn_version(binary: str = "turnserver") -> tuple[int, ...] | None:
    """The installed coturn's version, or None when it is not installed."""
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_coturn_version(done.stdout + done.stderr)


def default_secret_dir() -> Path:
    """Where the TURN secret lives by default: the user config directory."""
    return config_dir()


def read_secret(
    path: Path, *, allow_open: bool = False, warn: secretfile.Warn = secretfile.log_warning
) -> str:
    """The TURN secret stored in ``path`` (surrounding whitespace ignored).

    On top of :func:`avacollab.secretfile.read_secret` (which also refuses a
    file others can access, unless ``allow_open``), the secret must be long
    enough and one word of printable ASCII, because coturn reads it unquoted
    from its config file.
    """
    try:
        secret = secretfile.read_secret(path, allow_open=allow_open, warn=warn)
    except SecretFileError as exc:
        if "is empty" not in str(exc):
            raise TurnError(f"TURN {exc}") from None
        secret = ""
    if len(secret) < MIN_SECRET_LENGTH:
        raise TurnError(f"TURN secret file {path} holds fewer than {MIN_SECRET_LENGTH} characters")
    if not _SAFE_VALUE.fullmatch(secret):
        raise TurnError(
            f"TURN secret file {path} must hold one word of printable ASCII "
            "(no spaces, '\"' or '#')"
        )
    return secret


def load_or_create_secret(
    directory: Path | None = None,
    *,
    allow_open: bool = False,
    warn: secretfile.Warn = secretfile.log_warning,
) -> tuple[str, Path]:
    """The secret in ``directory/turn-secret``, created (mode 0600) on first use."""
    directory = default_secret_dir() if directory is None else directory
    path = directory / SECRET_FILE_NAME
    try:
        # Only creates it: the read below checks it (and warns) once.
        secretfile.load_or_create(path, allow_open=allow_open, warn=lambda _: None)
    except SecretFileError as exc:
        raise TurnError(str(exc)) from None
    return read_secret(path, allow_open=allow_open, warn=warn), path
