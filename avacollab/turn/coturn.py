"""A hardened coturn configuration: the ranges a relay must never reach, the
config file ``turn-config`` writes, and the installed coturn's version."""

from __future__ import annotations

import ipaddress
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass

from .credentials import MIN_SECRET_LENGTH, SAFE_VALUE, TurnError

MAPPED_BYPASS_FIXED = (4, 9, 0)
"""First coturn release whose deny list also catches IPv4-mapped IPv6 peers."""

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


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


def _check_value(value: str, what: str) -> None:
    # A newline or a quote in a value would smuggle extra directives into the file.
    if not SAFE_VALUE.fullmatch(value):
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


def installed_coturn_version(binary: str = "turnserver") -> tuple[int, ...] | None:
    """The installed coturn's version, or None when it is not installed."""
    try:
        done = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_coturn_version(done.stdout + done.stderr)
