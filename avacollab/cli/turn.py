"""The ``avacollab turn-config`` command: write or check a coturn config."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ..secretfile import warn_on_stderr
from ..settings import SettingsError, load
from ..turn.check import check_config, config_warnings
from ..turn.coturn import (
    CoturnOptions,
    ExternalIp,
    installed_coturn_version,
    parse_ip,
    parse_port_range,
    render_config,
    version_warning,
)
from ..turn.credentials import TurnError, load_or_create_secret, read_secret
from .errors import fail
from .helptext import Command

_SECRET_HELP = (
    "File holding the TURN secret shared with `avacollab serve`, "
    "e.g. --secret-file /etc/avacollab/turn-secret. "
    "Default: turn-secret in the avacollab config directory, created on first use."
)


def turn_config(
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Write the config here (mode 0600) instead of stdout, "
            "e.g. -o /etc/turnserver.conf.",
        ),
    ] = None,
    secret_file: Annotated[Path | None, typer.Option("--secret-file", help=_SECRET_HELP)] = None,
    realm: Annotated[
        str, typer.Option(help="Realm of the TURN credentials, e.g. --realm turn.example.org.")
    ] = "avacollab",
    listening_ip: Annotated[
        list[str] | None,
        typer.Option(
            "--listening-ip",
            help="Address coturn listens on, repeatable, "
            "e.g. --listening-ip 10.0.0.5. Default: all addresses.",
        ),
    ] = None,
    port: Annotated[
        int, typer.Option(help="STUN/TURN port for UDP and TCP, e.g. --port 3478.")
    ] = 3478,
    tls_port: Annotated[
        int, typer.Option(help="TURN-over-TLS port, used with --cert, e.g. --tls-port 5349.")
    ] = 5349,
    cert: Annotated[
        Path | None,
        typer.Option(
            help="TLS certificate chain (PEM), enables TLS, "
            "e.g. --cert /etc/letsencrypt/live/turn.example.org/fullchain.pem."
        ),
    ] = None,
    pkey: Annotated[
        Path | None,
        typer.Option(
            help="Private key of --cert (PEM), "
            "e.g. --pkey /etc/letsencrypt/live/turn.example.org/privkey.pem."
        ),
    ] = None,
    external_ip: Annotated[
        str | None,
        typer.Option(
            help="Public address when coturn is behind NAT: PUBLIC or PUBLIC/PRIVATE, "
            "e.g. --external-ip 203.0.113.7/10.0.0.5."
        ),
    ] = None,
    relay_ports: Annotated[
        str,
        typer.Option(help="UDP port range for relayed traffic, e.g. --relay-ports 49152-65535."),
    ] = "49152-65535",
    user_quota: Annotated[
        int,
        typer.Option(
            help="Allocations one credential may hold at once (one per other "
            "peer in a room), e.g. --user-quota 12."
        ),
    ] = 12,
    total_quota: Annotated[
        int,
        typer.Option(
            help="Allocations the whole server may hold at once, e.g. --total-quota 1200."
        ),
    ] = 1200,
    allow_open_secret_files: Annotated[
        bool | None,
        typer.Option(
            help="Use a secret file that its group or other users can access, with a warning, "
            "instead of refusing it (setting allow_open_secret_files), "
            "e.g. --allow-open-secret-files."
        ),
    ] = None,
    check: Annotated[
        Path | None,
        typer.Option(
            help="Check an existing coturn config against the hardening rules instead of "
            "writing one, e.g. --check /etc/turnserver.conf. Exits 1 when a rule fails."
        ),
    ] = None,
) -> None:
    """Write a hardened coturn config that matches the signaling server's TURN secret."""
    if check is not None:
        _check(check)
        return
    try:
        # The layered setting (config file, environment), like every secret file reader.
        settings = load({"allow_open_secret_files": allow_open_secret_files}).settings
    except SettingsError as exc:
        fail(str(exc))
    try:
        relay = parse_port_range(relay_ports)
        options = CoturnOptions(
            secret=_secret(secret_file, settings.allow_open_secret_files),
            realm=realm,
            listening_ips=tuple(parse_ip(ip, "--listening-ip") for ip in listening_ip or ()),
            port=port,
            tls_port=tls_port,
            cert=_existing(cert, "--cert"),
            pkey=_existing(pkey, "--pkey"),
            external_ip=None if external_ip is None else ExternalIp.parse(external_ip),
            min_port=relay[0],
            max_port=relay[1],
            user_quota=user_quota,
            total_quota=total_quota,
        )
    except TurnError as exc:
        fail(str(exc))
    text = render_config(options)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        _write_private(output, text)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    typer.echo(f"wrote {output}", err=True)


def _secret(secret_file: Path | None, allow_open: bool) -> str:
    if secret_file is not None:
        return read_secret(secret_file, allow_open=allow_open, warn=warn_on_stderr)
    return load_or_create_secret(allow_open=allow_open, warn=warn_on_stderr)[0]


def _existing(path: Path | None, option: str) -> str | None:
    # coturn only logs a missing certificate and starts without TLS, so catch it here.
    if path is None:
        return None
    if not path.is_file():
        raise TurnError(f"{option}: {path} does not exist or is not a file")
    return str(path.resolve())


def _write_private(path: Path, text: str) -> None:
    # The config holds the secret: never let it exist with looser permissions.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


def _check(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}")
    problems = check_config(text)
    # The verdict first: it is what a reader wants, and the lines below explain it.
    if problems:
        count = f"{len(problems)} problem" + ("s" if len(problems) > 1 else "")
        typer.echo(f"{path}: {count}, fix each line below", err=True)
    else:
        typer.echo(f"{path}: all hardening rules pass", err=True)
    for problem in problems:
        typer.echo(str(problem))
    warnings = [str(w) for w in config_warnings(text)]
    version = installed_coturn_version()
    old_coturn = None if version is None else version_warning(version)
    for warning in [*warnings, *([old_coturn] if old_coturn else [])]:
        typer.echo(f"warning: {warning}", err=True)
    if problems:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ``turn-config`` command to the avacollab CLI."""
    app.command("turn-config", cls=Command)(turn_config)
