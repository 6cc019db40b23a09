"""Checking an existing coturn config against the hardening ``turn-config`` writes."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass

from .coturn import DENIED_RANGES, DeniedRange, IpAddress
from .credentials import MIN_SECRET_LENGTH

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
