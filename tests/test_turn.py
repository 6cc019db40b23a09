"""TURN credentials, ICE server entries, coturn config generation and checking, the CLI."""

from __future__ import annotations

import ipaddress
import itertools
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
import typer
from typer.main import get_command
from typer.testing import CliRunner

from avacollab.cli import turn as turn_cli
from avacollab.turn.check import RULES, check_config, config_warnings, parse_config
from avacollab.turn.coturn import (
    DENIED_RANGES,
    MAPPED_BYPASS_FIXED,
    CoturnOptions,
    ExternalIp,
    installed_coturn_version,
    parse_coturn_version,
    parse_port_range,
    render_config,
    version_warning,
)
from avacollab.turn.credentials import (
    SECRET_FILE_NAME,
    TurnError,
    default_secret_dir,
    ice_servers,
    ice_servers_provider,
    load_or_create_secret,
    parse_turn_url,
    read_secret,
    turn_credentials,
)

SECRET = "north-wind-secret-0123456789"


# --- credentials ------------------------------------------------------------------


def test_credentials_follow_the_turn_rest_api_scheme() -> None:
    # Expected password from: printf %s 1000003600:alice |
    #   openssl dgst -sha1 -hmac north-wind-secret -binary | base64
    creds = turn_credentials("north-wind-secret", "alice", now=1_000_000_000.7, ttl=3600)
    assert creds.username == "1000003600:alice"
    assert creds.password == "7/HASm3XHIsli6pklnglSvFGVJQ="
    assert creds.expires == 1_000_003_600


def test_credentials_differ_per_peer_and_secret() -> None:
    base = turn_credentials(SECRET, "alice", 0.0)
    assert turn_credentials(SECRET, "bob", 0.0).password != base.password
    assert turn_credentials(SECRET + "x", "alice", 0.0).password != base.password


@pytest.mark.parametrize(
    ("secret", "peer", "ttl", "message"),
    [
        ("", "alice", 60, "secret is empty"),
        (SECRET, "", 60, "peer id"),
        (SECRET, "a:b", 60, "peer id"),
        (SECRET, "alice", 0, "lifetime"),
        (SECRET, "alice", -5, "lifetime"),
    ],
)
def test_bad_credential_input_is_refused(secret: str, peer: str, ttl: int, message: str) -> None:
    with pytest.raises(TurnError, match=message):
        turn_credentials(secret, peer, 0.0, ttl)


# --- TURN URLs and iceServers ------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "scheme", "host", "port", "transport", "stun"),
    [
        (
            "turn:turn.example.org",
            "turn",
            "turn.example.org",
            3478,
            None,
            "stun:turn.example.org:3478",
        ),
        ("turns:turn.example.org", "turns", "turn.example.org", 5349, None, None),
        (
            "turn:203.0.113.7:3479?transport=tcp",
            "turn",
            "203.0.113.7",
            3479,
            "tcp",
            "stun:203.0.113.7:3479",
        ),
        (
            "turn:[2001:db8::1]:3478?transport=udp",
            "turn",
            "2001:db8::1",
            3478,
            "udp",
            "stun:[2001:db8::1]:3478",
        ),
    ],
)
def test_turn_urls_parse(
    url: str, scheme: str, host: str, port: int, transport: str | None, stun: str | None
) -> None:
    parsed = parse_turn_url(url)
    assert (parsed.scheme, parsed.host, parsed.port, parsed.transport) == (
        scheme,
        host,
        port,
        transport,
    )
    assert parsed.stun_url == stun


@pytest.mark.parametrize(
    "url",
    [
        "stun:turn.example.org",
        "turn:",
        "turn:host:0",
        "turn:host:70000",
        "turn:host:port",
        "turn:[::zz]:3478",
        "turn:bad_host",
        "turn:host?transport=sctp",
        "turn:host?transport=udp&transport=tcp",
        "turn:host?foo=bar",
        "http://turn.example.org",
    ],
)
def test_bad_turn_urls_are_refused(url: str) -> None:
    with pytest.raises(TurnError, match="TURN URL"):
        parse_turn_url(url)


def test_ice_servers_hold_a_stun_entry_and_the_credentials() -> None:
    urls = ["turn:turn.example.org:3478", "turns:turn.example.org:5349"]
    servers = ice_servers(urls, SECRET, "alice", now=1000.0, ttl=60)
    creds = turn_credentials(SECRET, "alice", 1000.0, 60)
    assert servers == [
        {"urls": ["stun:turn.example.org:3478"]},
        {"urls": urls, "username": creds.username, "credential": creds.password},
    ]


def test_ice_servers_without_turn_urls_are_empty() -> None:
    assert ice_servers([], SECRET, "alice", 0.0) == []


def test_ice_servers_provider_checks_urls_up_front() -> None:
    with pytest.raises(TurnError):
        ice_servers_provider(["turn:ok.example", "stun:nope"], SECRET)
    with pytest.raises(TurnError):
        ice_servers_provider(["turn:ok.example"], "")
    provider = ice_servers_provider(["turn:ok.example"], SECRET, ttl=60)
    servers = provider("bob", 5000.0)
    assert servers[1]["username"] == "5060:bob"


# --- option parsing and validation --------------------------------------------------


def test_external_ip_forms() -> None:
    assert str(ExternalIp.parse("203.0.113.7")) == "203.0.113.7"
    mapped = ExternalIp.parse("203.0.113.7/10.0.0.5")
    assert (str(mapped.public), str(mapped.private)) == ("203.0.113.7", "10.0.0.5")
    assert str(mapped) == "203.0.113.7/10.0.0.5"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("203.0.113", "not an IP address"),
        ("turn.example.org", "not an IP address"),
        ("203.0.113.7/", "not an IP address"),
        ("203.0.113.7/10.0.0", "not an IP address"),
        ("203.0.113.7/fd00::1", "mixes IPv4 and IPv6"),
    ],
)
def test_bad_external_ip_is_refused(text: str, message: str) -> None:
    with pytest.raises(TurnError, match=message):
        ExternalIp.parse(text)


def test_port_range_parses() -> None:
    assert parse_port_range("49152-65535") == (49152, 65535)
    assert parse_port_range("50000-50000") == (50000, 50000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("60000-50000", "upside down"),
        ("50000", "MIN-MAX"),
        ("a-b", "MIN-MAX"),
        ("-5-10", "MIN-MAX"),
        ("80-90", "1024-65535"),
        ("50000-70000", "1024-65535"),
    ],
)
def test_bad_port_range_is_refused(text: str, message: str) -> None:
    with pytest.raises(TurnError, match=message):
        parse_port_range(text)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"secret": "short"}, "at least 16"),
        ({"secret": "has a space in it, long enough"}, "printable ASCII"),
        ({"secret": "x" * 20 + "\nallow-loopback-peers"}, "printable ASCII"),
        ({"realm": "example.org\nallow-loopback-peers"}, "--realm"),
        ({"realm": 'a"b'}, "--realm"),
        ({"realm": "example.org\n"}, "--realm"),
        ({"secret": "x" * 20 + "\n"}, "printable ASCII"),
        ({"cert": "/tmp/cert.pem"}, "go together"),
        ({"pkey": "/tmp/key.pem"}, "go together"),
        ({"cert": "/tmp/c.pem", "pkey": "/tmp/k.pem", "tls_port": 3478}, "must differ"),
        ({"cert": "/tmp/c d.pem", "pkey": "/tmp/k.pem"}, "--cert"),
        ({"port": 0}, "--port"),
        ({"tls_port": 70000}, "--tls-port"),
        ({"port": 50000}, "inside the relay port range"),
        ({"min_port": 60000, "max_port": 50000}, "--relay-ports"),
        ({"user_quota": 0}, "--user-quota"),
        ({"total_quota": 0}, "--total-quota"),
        ({"user_quota": 20, "total_quota": 10}, "must not exceed"),
        ({"stale_nonce": 0}, "--stale-nonce"),
    ],
)
def test_bad_coturn_options_are_refused(overrides: dict[str, object], message: str) -> None:
    options: dict[str, object] = {"secret": SECRET, **overrides}
    with pytest.raises(TurnError, match=message):
        CoturnOptions(**options)  # type: ignore[arg-type]


# --- config generation ---------------------------------------------------------------


def _directives(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


@pytest.mark.parametrize(
    "options",
    [
        CoturnOptions(secret=SECRET),
        CoturnOptions(
            secret=SECRET,
            realm="turn.example.org",
            listening_ips=(ipaddress.ip_address("10.0.0.5"), ipaddress.ip_address("fd00::5")),
            cert="/etc/ssl/turn/fullchain.pem",
            pkey="/etc/ssl/turn/privkey.pem",
            external_ip=ExternalIp.parse("203.0.113.7/10.0.0.5"),
            min_port=40000,
            max_port=40999,
        ),
    ],
)
def test_generated_config_passes_its_own_check(options: CoturnOptions) -> None:
    text = render_config(options)
    assert check_config(text) == []


def test_every_directive_has_a_comment_on_the_line_above() -> None:
    lines = render_config(CoturnOptions(secret=SECRET)).splitlines()
    for before, line in itertools.pairwise(lines):
        if line and not line.startswith("#"):
            assert before.startswith("# ") and len(before) > 4, line
            # coturn reads an inline comment as part of the value.
            assert "#" not in line


def test_config_without_certificate_turns_tls_off() -> None:
    directives = _directives(render_config(CoturnOptions(secret=SECRET)))
    assert "no-tls" in directives and "no-dtls" in directives
    assert not any(d.startswith(("tls-listening-port", "cert=", "pkey=")) for d in directives)


def test_config_with_everything() -> None:
    options = CoturnOptions(
        secret=SECRET,
        realm="turn.example.org",
        listening_ips=(ipaddress.ip_address("10.0.0.5"),),
        port=3478,
        tls_port=5349,
        cert="/etc/ssl/turn/fullchain.pem",
        pkey="/etc/ssl/turn/privkey.pem",
        external_ip=ExternalIp.parse("203.0.113.7/10.0.0.5"),
        min_port=40000,
        max_port=40999,
        user_quota=5,
        total_quota=50,
        stale_nonce=300,
    )
    directives = _directives(render_config(options))
    for expected in [
        "use-auth-secret",
        f"static-auth-secret={SECRET}",
        "realm=turn.example.org",
        "listening-ip=10.0.0.5",
        "listening-port=3478",
        "tls-listening-port=5349",
        "cert=/etc/ssl/turn/fullchain.pem",
        "pkey=/etc/ssl/turn/privkey.pem",
        "external-ip=203.0.113.7/10.0.0.5",
        "min-port=40000",
        "max-port=40999",
        "user-quota=5",
        "total-quota=50",
        "stale-nonce=300",
        "fingerprint",
        "no-cli",
        "no-multicast-peers",
        "no-rfc5780",
        "no-stun-backward-compatibility",
        "no-tlsv1",
        "no-tlsv1_1",
        "denied-peer-ip=127.0.0.0-127.255.255.255",
        "denied-peer-ip=::1",
        "denied-peer-ip=::ffff:127.0.0.0-::ffff:127.255.255.255",
        "denied-peer-ip=100.64.0.0-100.127.255.255",
        "denied-peer-ip=fc00::-fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]:
        assert expected in directives
    assert "no-tls" not in directives
    assert not any(d.startswith("allow-loopback-peers") for d in directives)


def test_denied_ranges_spare_public_addresses_and_cover_special_ones() -> None:
    def denied(address: str) -> bool:
        ip = ipaddress.ip_address(address)
        return any(
            r.first.version == ip.version and int(r.first) <= int(ip) <= int(r.last)
            for r in DENIED_RANGES
        )

    for public in ["8.8.8.8", "1.1.1.1", "192.31.196.1", "2606:4700::1111", "::ffff:8.8.8.8"]:
        assert not denied(public), public
    for special in [
        "127.0.0.1",
        "10.9.8.7",
        "172.20.0.1",
        "192.168.0.1",
        "100.100.0.1",
        "169.254.169.254",
        "0.0.0.1",
        "224.0.0.1",
        "255.255.255.255",
        "::1",
        "fe80::1",
        "fd12::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "64:ff9b::7f00:1",
        "2002:7f00:1::1",
        "ff02::1",
        "2001:db8::1",
    ]:
        assert denied(special), special


def test_no_denied_range_starts_at_the_unspecified_ipv6_address() -> None:
    # coturn 4.6 matches every IPv4 peer against such a range (checked against
    # the real coturn in test_turn_coturn).
    assert all(not (r.first.version == 6 and int(r.first) == 0) for r in DENIED_RANGES)


# --- config checking ----------------------------------------------------------------


GOOD = render_config(CoturnOptions(secret=SECRET))


def _drop(*names: str) -> Callable[[str], str]:
    def mutate(text: str) -> str:
        return (
            "\n".join(
                line
                for line in text.splitlines()
                if not any(line == n or line.startswith(f"{n}=") for n in names)
            )
            + "\n"
        )

    return mutate


def _add(*lines: str) -> Callable[[str], str]:
    return lambda text: text + "\n".join(lines) + "\n"


BREAKS: dict[str, Callable[[str], str]] = {
    "relay-ports": _drop("min-port"),
    "no-static-users": _add("user=alice:password"),
    "no-allow-loopback-peers": _add("allow-loopback-peers"),
    "tls-cert": lambda text: _add("tls-listening-port=5349")(_drop("no-tls")(text)),
    "denied-peer-ip-format": _add("denied-peer-ip=10.0.0.0/8"),
    "denied-peer-ip-catch-all": _add("denied-peer-ip=::-::1"),
    "allowed-peer-ip": _add("allowed-peer-ip=192.168.1.10"),
    "no-auth": _add("no-auth"),
    "no-web-admin": _add("web-admin"),
    "prometheus-address": _add("prometheus"),
    "no-prometheus-username-labels": _add("prometheus-username-labels"),
}


def _break(rule_name: str) -> Callable[[str], str]:
    if rule_name in BREAKS:
        return BREAKS[rule_name]
    # A flag or value rule is broken by removing its directive; a range rule
    # (named like the directive it wants) by removing that exact line.
    if rule_name.startswith("denied-peer-ip="):
        return lambda text: "\n".join(x for x in text.splitlines() if x != rule_name)
    return _drop(rule_name)


@pytest.mark.parametrize("rule", [r.name for r in RULES])
def test_check_finds_each_missing_hardening_line(rule: str) -> None:
    weakened = _break(rule)(GOOD)
    assert weakened != GOOD, f"no way to break rule {rule}"
    assert [p.rule for p in check_config(weakened)] == [rule]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("fingerprint=off", "fingerprint"),
        ("no-cli=0", "no-cli"),
        ("stale-nonce=false", "stale-nonce"),
        ("user-quota=0", "user-quota"),
        ("static-auth-secret=short", "static-auth-secret"),
        ("max-port=40000", "relay-ports"),
    ],
)
def test_a_later_line_can_undo_an_earlier_one(line: str, rule: str) -> None:
    assert [p.rule for p in check_config(GOOD + line + "\n")] == [rule]


def test_check_lists_everything_wrong_with_a_typical_weak_config() -> None:
    weak = "\n".join(
        [
            "# a config as often found in tutorials",
            "lt-cred-mech",
            "user=alice:password",
            "realm=example.org",
            "listening-port=3478",
            "tls-listening-port=5349",
            "allow-loopback-peers",
            "fingerprint",
            "denied-peer-ip=10.0.0.0/8",
            "denied-peer-ip=::",
            "denied-peer-ip=192.168.0.0-192.168.255.255",
            "allowed-peer-ip=192.168.1.10",
        ]
    )
    found = {p.rule for p in check_config(weak)}
    deny_rules = {f"denied-peer-ip={r.directive}" for r in DENIED_RANGES}
    assert found == {
        "use-auth-secret",
        "static-auth-secret",
        "no-static-users",
        "no-allow-loopback-peers",
        "relay-ports",
        "tls-cert",
        "no-cli",
        "no-multicast-peers",
        "no-rfc5780",
        "no-stun-backward-compatibility",
        "no-tlsv1",
        "no-tlsv1_1",
        "no-tcp-relay",
        "user-quota",
        "total-quota",
        "stale-nonce",
        "denied-peer-ip-format",
        "denied-peer-ip-catch-all",
        "allowed-peer-ip",
    } | (deny_rules - {"denied-peer-ip=192.168.0.0-192.168.255.255"})


@pytest.mark.parametrize(
    ("lines", "rules"),
    [
        (["no-auth"], ["no-auth"]),
        (["--no-auth=true"], ["no-auth"]),
        (["web-admin", "web-admin-ip=127.0.0.1"], ["no-web-admin"]),
        (["prometheus"], ["prometheus-address"]),
        (["prometheus=true", "prometheus-address=0.0.0.0"], ["prometheus-address"]),
        (["prometheus", "prometheus-address=::"], ["prometheus-address"]),
        (["prometheus", "prometheus-address=127.0.0.1"], []),
        (["prometheus", "prometheus-address=[::1]", "prometheus-port=9641"], []),
        (["prometheus", "prometheus-address=10.0.0.5"], []),  # a warning, below
        (["prometheus", "prometheus-address=::1", "prometheus-username-labels"],
         ["no-prometheus-username-labels"]),
        (["prometheus=off"], []),
        (["no-auth=false", "web-admin=0"], []),
    ],
)  # fmt: skip
def test_check_refuses_open_access_and_open_admin_or_metrics(
    lines: list[str], rules: list[str]
) -> None:
    assert [p.rule for p in check_config(GOOD + "\n".join(lines) + "\n")] == rules


@pytest.mark.parametrize(
    ("lines", "warned"),
    [
        (["prometheus", "prometheus-address=10.0.0.5"], True),
        (["prometheus", "prometheus-address=fd00::5"], True),
        (["prometheus", "prometheus-address=127.0.0.1"], False),
        (["prometheus", "prometheus-address=localhost"], False),
        (["prometheus"], False),  # refused instead
        (["prometheus-address=10.0.0.5"], False),  # the exporter is off
    ],
)
def test_metrics_on_a_private_address_get_a_warning(lines: list[str], warned: bool) -> None:
    warnings = config_warnings(GOOD + "\n".join(lines) + "\n")
    assert [w.rule for w in warnings] == (["prometheus-address"] if warned else [])
    assert config_warnings(GOOD) == []


def test_generated_config_mentions_bandwidth_caps_without_setting_them() -> None:
    text = render_config(CoturnOptions(secret=SECRET))
    assert "#max-bps=1250000" in text.splitlines()
    assert "#bps-capacity=125000000" in text.splitlines()
    assert not any(d.startswith(("max-bps", "bps-capacity")) for d in _directives(text))
    assert check_config(text.replace("#max-bps", "max-bps").replace("#bps-c", "bps-c")) == []


def test_check_accepts_ranges_split_across_lines() -> None:
    split = _drop("denied-peer-ip=10.0.0.0-10.255.255.255")(GOOD) + (
        "\ndenied-peer-ip=10.0.0.0-10.127.255.255\ndenied-peer-ip=10.128.0.0-10.255.255.255\n"
    )
    assert check_config(split) == []
    gap = _drop("denied-peer-ip=10.0.0.0-10.255.255.255")(GOOD) + (
        "\ndenied-peer-ip=10.0.0.0-10.127.255.255\ndenied-peer-ip=10.128.0.1-10.255.255.255\n"
    )
    assert [p.rule for p in check_config(gap)] == ["denied-peer-ip=10.0.0.0-10.255.255.255"]


def test_parse_config_reads_coturn_syntax() -> None:
    text = '# comment\n\n--realm=a\nfingerprint\nuser-quota 5\nstatic-auth-secret="q"\n  no-cli  \n'
    assert parse_config(text) == [
        ("realm", "a"),
        ("fingerprint", ""),
        ("user-quota", "5"),
        ("static-auth-secret", "q"),
        ("no-cli", ""),
    ]


# --- coturn versions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("4.6.1\n", (4, 6, 1)),
        ("Version Coturn-4.5.2 'dan Eider'", (4, 5, 2)),
        ("Coturn-4.5.1.3 'dan Eider'", (4, 5, 1, 3)),
        ("turnserver: unrecognized option", None),
        ("", None),
    ],
)
def test_coturn_version_parses(text: str, version: tuple[int, ...] | None) -> None:
    assert parse_coturn_version(text) == version


def test_old_coturn_gets_the_mapped_address_warning() -> None:
    warning = version_warning((4, 6, 1))
    assert warning is not None
    assert "4.6.1" in warning and "::ffff:127.0.0.1" in warning
    assert ".".join(map(str, MAPPED_BYPASS_FIXED)) in warning
    assert version_warning(MAPPED_BYPASS_FIXED) is None
    assert version_warning((4, 10, 0)) is None
    assert version_warning((5, 0, 0)) is None


def test_missing_coturn_has_no_version(tmp_path: Path) -> None:
    assert installed_coturn_version(str(tmp_path / "no-turnserver")) is None


# --- the secret file ----------------------------------------------------------------


def test_secret_is_created_once_with_private_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "config"
    secret, path = load_or_create_secret(directory)
    assert path == directory / SECRET_FILE_NAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert len(secret) >= 40
    assert load_or_create_secret(directory) == (secret, path)


def test_default_secret_dir_follows_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVACOLLAB_CONFIG_DIR", str(tmp_path))
    assert default_secret_dir() == tmp_path
    _, path = load_or_create_secret()
    assert path == tmp_path / SECRET_FILE_NAME
    monkeypatch.delenv("AVACOLLAB_CONFIG_DIR")
    assert default_secret_dir().name == "avacollab"


def test_secret_cannot_be_created_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TurnError, match="cannot create directory"):
        load_or_create_secret(blocker)


def test_read_secret_strips_the_newline(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    path.chmod(0o600)
    assert read_secret(path) == SECRET


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("dir", "is a directory"),
        (b"", "fewer than 16"),
        (b"short\n", "fewer than 16"),
        (b"two words in this secret file", "one word"),
        (b"\xff\xfe" + b"x" * 20, "not UTF-8"),
    ],
)
def test_bad_secret_files_are_refused(
    tmp_path: Path, content: bytes | str | None, message: str
) -> None:
    path = tmp_path / "secret"
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
        path.chmod(0o600)
    with pytest.raises(TurnError, match=message):
        read_secret(path)


def test_a_secret_file_others_can_read_is_refused_unless_allowed(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text(SECRET)
    path.chmod(0o644)
    with pytest.raises(TurnError, match="chmod 600"):
        read_secret(path)
    warnings: list[str] = []
    assert read_secret(path, allow_open=True, warn=warnings.append) == SECRET
    assert len(warnings) == 1 and "is open to its group and other users" in warnings[0]
    (tmp_path / SECRET_FILE_NAME).write_text(SECRET)
    (tmp_path / SECRET_FILE_NAME).chmod(0o640)
    with pytest.raises(TurnError, match="chmod 600"):
        load_or_create_secret(tmp_path)
    assert load_or_create_secret(tmp_path, allow_open=True, warn=warnings.append)[0] == SECRET
    assert len(warnings) == 2  # one warning per use, not one per read


# --- the turn-config command ----------------------------------------------------------


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., object]:
    monkeypatch.setenv("AVACOLLAB_CONFIG_DIR", str(tmp_path / "config"))
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Keeps turn-config a subcommand, as in the real CLI."""

    turn_cli.register(app)
    runner = CliRunner()

    def invoke(*args: str) -> object:
        return runner.invoke(app, ["turn-config", *args])

    return invoke


def _result(value: object) -> tuple[int, str, str]:
    return value.exit_code, value.stdout, value.stderr  # type: ignore[attr-defined]


def test_cli_writes_a_config_with_a_new_secret(run: Callable[..., object], tmp_path: Path) -> None:
    code, out, _ = _result(run())
    assert code == 0
    secret = (tmp_path / "config" / SECRET_FILE_NAME).read_text().strip()
    assert f"static-auth-secret={secret}" in out
    assert check_config(out) == []
    # The same secret the next time, so coturn and `serve` stay in step.
    assert _result(run())[1] == out


def test_cli_writes_a_private_file(run: Callable[..., object], tmp_path: Path) -> None:
    target = tmp_path / "turnserver.conf"
    target.write_text("old")
    target.chmod(0o644)
    code, out, err = _result(run("-o", str(target)))
    assert code == 0 and out == ""
    assert "wrote" in err
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert check_config(target.read_text()) == []


def test_cli_uses_a_given_secret_file(run: Callable[..., object], tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    os.chmod(secret_file, 0o600)
    code, out, _ = _result(run("--secret-file", str(secret_file)))
    assert code == 0
    assert f"static-auth-secret={SECRET}" in out
    assert not (tmp_path / "config" / SECRET_FILE_NAME).exists()


def test_cli_passes_every_option_through(run: Callable[..., object], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("cert")
    key.write_text("key")
    code, out, _ = _result(
        run(
            "--realm",
            "turn.example.org",
            "--listening-ip",
            "10.0.0.5",
            "--listening-ip",
            "fd00::5",
            "--port",
            "3479",
            "--tls-port",
            "5350",
            "--cert",
            str(cert),
            "--pkey",
            str(key),
            "--external-ip",
            "203.0.113.7/10.0.0.5",
            "--relay-ports",
            "40000-40999",
            "--user-quota",
            "4",
            "--total-quota",
            "40",
        )
    )
    assert code == 0
    directives = _directives(out)
    for expected in [
        "realm=turn.example.org",
        "listening-ip=10.0.0.5",
        "listening-ip=fd00::5",
        "listening-port=3479",
        "tls-listening-port=5350",
        f"cert={cert}",
        f"pkey={key}",
        "external-ip=203.0.113.7/10.0.0.5",
        "min-port=40000",
        "max-port=40999",
        "user-quota=4",
        "total-quota=40",
    ]:
        assert expected in directives
    assert check_config(out) == []


def test_cli_refuses_an_open_secret_file_unless_allowed(
    run: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    secret_file.chmod(0o644)
    code, out, err = _result(run("--secret-file", str(secret_file)))
    assert code == 2 and out == ""
    assert f"chmod 600 {secret_file}" in err and "allow_open_secret_files" in err
    code, out, err = _result(run("--secret-file", str(secret_file), "--allow-open-secret-files"))
    assert code == 0 and f"static-auth-secret={SECRET}" in out
    assert f"warning: secret file {secret_file} is open to its group and other users" in err
    # The setting, from the environment (or the config file), does the same.
    monkeypatch.setenv("AVACOLLAB_ALLOW_OPEN_SECRET_FILES", "1")
    code, out, err = _result(run("--secret-file", str(secret_file)))
    assert code == 0 and "warning: secret file" in err
    # The default secret, in the config directory, goes through the same check.
    monkeypatch.delenv("AVACOLLAB_ALLOW_OPEN_SECRET_FILES")
    assert _result(run())[0] == 0
    default = tmp_path / "config" / SECRET_FILE_NAME
    default.chmod(0o660)
    code, _, err = _result(run())
    assert code == 2 and f"chmod 600 {default}" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--listening-ip", "10.0.0"], "--listening-ip: '10.0.0' is not an IP address"),
        (["--external-ip", "203.0.113.7/nope"], "is not an IP address"),
        (
            ["--cert", "/nonexistent/cert.pem", "--pkey", "/nonexistent/key.pem"],
            "--cert: /nonexistent/cert.pem does not exist",
        ),
        (["--relay-ports", "60000-50000"], "upside down"),
        (["--relay-ports", "lots"], "MIN-MAX"),
        (["--port", "50000"], "inside the relay port range"),
        (["--realm", "two words"], "--realm"),
        (["--user-quota", "0"], "--user-quota"),
        (["--secret-file", "/nonexistent/secret"], "does not exist"),
    ],
)
def test_cli_bad_input_gives_a_clear_error(
    run: Callable[..., object], args: list[str], message: str
) -> None:
    code, out, err = _result(run(*args))
    assert code == 2
    assert out == ""
    assert message in err


def test_cli_check_passes_a_generated_config(run: Callable[..., object], tmp_path: Path) -> None:
    conf = tmp_path / "turnserver.conf"
    conf.write_text(GOOD)
    code, out, err = _result(run("--check", str(conf)))
    assert code == 0
    assert out == ""
    assert "all hardening rules pass" in err


def test_cli_check_lists_problems(run: Callable[..., object], tmp_path: Path) -> None:
    conf = tmp_path / "turnserver.conf"
    conf.write_text(_drop("no-cli", "denied-peer-ip=::ffff:127.0.0.0-::ffff:127.255.255.255")(GOOD))
    code, out, err = _result(run("--check", str(conf)))
    assert code == 1
    assert out.splitlines() == [
        "no-cli: missing `no-cli` (the telnet admin console)",
        "denied-peer-ip=::ffff:127.0.0.0-::ffff:127.255.255.255: peers in "
        "::ffff:127.0.0.0-::ffff:127.255.255.255 (loopback (RFC 1122), IPv4-mapped) are not "
        "denied",
    ]
    assert err.startswith(f"{conf}: 2 problems, fix each line below")


def test_cli_check_fails_on_open_access_and_warns_on_private_metrics(
    run: Callable[..., object], tmp_path: Path
) -> None:
    conf = tmp_path / "turnserver.conf"
    conf.write_text(GOOD + "no-auth\nweb-admin\nprometheus\n")
    code, out, err = _result(run("--check", str(conf)))
    assert code == 1
    assert [line.split(":")[0] for line in out.splitlines()] == [
        "no-auth",
        "no-web-admin",
        "prometheus-address",
    ]
    assert err.startswith(f"{conf}: 3 problems, fix each line below")
    conf.write_text(GOOD + "prometheus\nprometheus-address=10.0.0.5\n")
    code, out, err = _result(run("--check", str(conf)))
    assert code == 0 and out == ""
    assert "warning: prometheus-address: `prometheus` serves unauthenticated metrics" in err
    assert err.startswith(f"{conf}: all hardening rules pass")  # the verdict before warnings


def test_cli_check_of_a_missing_file_fails(run: Callable[..., object], tmp_path: Path) -> None:
    code, _, err = _result(run("--check", str(tmp_path / "nope.conf")))
    assert code == 2
    assert "cannot read" in err


def test_every_option_help_has_an_example() -> None:
    app = typer.Typer()

    @app.callback()
    def main() -> None:
        """Group."""

    turn_cli.register(app)
    command = get_command(app).commands["turn-config"]  # type: ignore[attr-defined]
    options = [p for p in command.params if p.name != "help"]
    assert len(options) == 14
    for option in options:
        assert "e.g." in (option.help or ""), option.name
