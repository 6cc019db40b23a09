"""Plugin loading, selection and errors, ``avacollab plugins``, the built-in plugin, the fixtures.

Entry-point discovery is tested for real: each test writes small
distributions (a ``dist-info`` with ``entry_points.txt`` and a module) into a
temporary directory put on ``sys.path``, which ``importlib.metadata`` reads
like any installed package.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from avacollab import __version__, testing
from avacollab.cli.plugins import add_plugin_commands, register
from avacollab.hookspecs import AvacollabSpec, JoinCommand, hookimpl
from avacollab.peer.signaling_client import SignalingError
from avacollab.plugins import (
    BUILTIN,
    ENV,
    PluginError,
    PluginInfo,
    describe,
    installed,
    join_commands,
    load,
    select,
)
from avacollab.signaling.server import SignalingServer
from avacollab.testing import RecordedSession, SessionFactory, start_sessions

from .conftest import ServerFactory

# The fixtures plugin authors get through the pytest11 entry point, named here
# too so this file does not depend on how avacollab was installed.
avacollab_server = testing.avacollab_server
avacollab_sessions = testing.avacollab_sessions

STATUS_PLUGIN = """
from avacollab.hookspecs import hookimpl

@hookimpl
def avacollab_status(session):
    return ["acme: ok"]
"""

COMMAND_PLUGIN = """
import typer
from avacollab.hookspecs import hookimpl

def greet(name: str) -> None:
    typer.echo(f"hello {name}")

@hookimpl
def avacollab_add_commands(app):
    app.command()(greet)
"""


class Site:
    """A directory on ``sys.path`` to install throwaway distributions into."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.modules: list[str] = []

    def install(self, dist: str, plugins: dict[str, str], version: str = "1.2.3") -> None:
        """Write distribution ``dist`` with one module per plugin (name to source)."""
        package = dist.replace("-", "_")
        lines = ["[avacollab]"]
        for name, source in plugins.items():
            module = f"{package}_{name}"
            (self.root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
            lines.append(f"{name} = {module}")
            self.modules.append(module)
        info = self.root / f"{package}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    site = Site(root)
    yield site
    for module in site.modules:
        sys.modules.pop(module, None)


def names(pm: Any) -> list[str]:
    return [info.name for info in describe(pm)]


# -- loading and selection -----------------------------------------------------


def test_entry_point_plugins_load_after_the_builtin_one(site: Site) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    pm = load("acme")
    assert names(pm) == [BUILTIN, "acme"]
    assert describe(pm) == [
        PluginInfo(
            BUILTIN, "avacollab", __version__, ("avacollab_join_commands", "avacollab_status")
        ),
        PluginInfo("acme", "acme-tools", "1.2.3", ("avacollab_status",)),
    ]


def test_unset_selection_loads_every_installed_plugin(site: Site) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "extra": STATUS_PLUGIN})
    assert names(load()) == [BUILTIN, *installed()]
    assert {"acme", "extra"} <= set(installed())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", [BUILTIN]),
        ("acme", [BUILTIN, "acme"]),
        (" extra , acme ", [BUILTIN, "acme", "extra"]),
        ("-acme", [BUILTIN, "extra"]),
        ("-builtin,-acme", ["extra"]),
        ("acme,-builtin", ["acme"]),
    ],
)
def test_the_environment_variable_selects(
    site: Site, monkeypatch: pytest.MonkeyPatch, value: str, expected: list[str]
) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "extra": STATUS_PLUGIN})
    # Other installed plugins (of this checkout) are excluded to keep the test exact.
    others = [f"-{n}" for n in installed() if n not in ("acme", "extra")]
    if value.startswith("-"):
        value = ",".join([value, *others])
    monkeypatch.setenv(ENV, value)
    assert names(load()) == expected


def test_an_explicit_selection_wins_over_the_environment(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    monkeypatch.setenv(ENV, "acme")
    assert names(load("")) == [BUILTIN]


def test_select_keeps_the_available_order() -> None:
    assert select("c,a", ["builtin", "a", "b", "c"]) == ["builtin", "a", "c"]
    assert select(None, ["builtin", "a"]) == ["builtin", "a"]
    assert select(" , ", ["builtin", "a"]) == ["builtin"]


@pytest.mark.parametrize("selection", ["acm", "-acm", "acme,acm"])
def test_an_unknown_name_is_a_clear_error(site: Site, selection: str) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    with pytest.raises(PluginError) as error:
        load(selection)
    message = str(error.value)
    assert message.startswith("unknown plugin 'acm' (did you mean 'acme'?); installed plugins: ")
    assert "acme" in message and BUILTIN in message


def test_an_unknown_name_far_from_any_gets_no_suggestion(site: Site) -> None:
    with pytest.raises(PluginError, match=r"^unknown plugin 'zzzzzz'; installed plugins: "):
        load("zzzzzz")


def test_a_plugin_that_fails_to_import_is_named_with_its_error(site: Site) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "broken": "raise RuntimeError('boom')\n"})
    with pytest.raises(PluginError) as error:
        load("acme,broken")
    assert str(error.value) == (
        "plugin 'broken' (acme_tools_broken, from acme-tools) failed to import: RuntimeError: boom"
    )
    # A broken plugin that is not selected costs nothing.
    assert names(load("acme")) == [BUILTIN, "acme"]


def test_a_misspelled_hook_is_reported_with_a_suggestion(site: Site) -> None:
    site.install(
        "acme-tools",
        {
            "typo": """
                from avacollab.hookspecs import hookimpl

                @hookimpl
                def avacollab_peer_join(session, peer_id, name):
                    pass
            """
        },
    )
    with pytest.raises(PluginError) as error:
        load("typo")
    assert str(error.value).startswith(
        "plugin 'typo': unknown hook 'avacollab_peer_join' "
        "(did you mean 'avacollab_peer_joined'?); hooks: avacollab_add_commands, "
    )


def test_a_hook_with_an_unknown_argument_is_reported(site: Site) -> None:
    site.install(
        "acme-tools",
        {
            "badarg": """
                from avacollab.hookspecs import hookimpl

                @hookimpl
                def avacollab_status(sesion):
                    return []
            """
        },
    )
    with pytest.raises(PluginError, match=r"^plugin 'badarg' cannot be registered: .*sesion"):
        load("badarg")


def test_two_distributions_claiming_one_name_is_an_error(site: Site) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    site.install("other-tools", {"acme": STATUS_PLUGIN})
    with pytest.raises(PluginError, match="'acme' is provided by both"):
        load("")


def test_a_plugin_may_not_take_the_builtin_name(site: Site) -> None:
    site.install("acme-tools", {"builtin": STATUS_PLUGIN})
    with pytest.raises(PluginError, match=r"may not be called 'builtin'.*acme-tools"):
        load("")


# -- the CLI -------------------------------------------------------------------


def cli_app() -> typer.Typer:
    app = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)

    @app.callback()
    def main() -> None:
        """A root callback keeps typer from collapsing a one-command app."""

    register(app)
    return app


def test_plugins_lists_name_version_distribution_and_hooks(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    monkeypatch.setenv(ENV, "acme")
    result = CliRunner().invoke(cli_app(), ["plugins"])
    assert result.exit_code == 0, result.output
    header, builtin_row, acme_row = result.output.splitlines()
    assert header.split() == ["NAME", "VERSION", "DISTRIBUTION", "HOOKS"]
    assert builtin_row.split() == [
        BUILTIN,
        __version__,
        "avacollab",
        "avacollab_join_commands,",
        "avacollab_status",
    ]
    assert acme_row.split() == ["acme", "1.2.3", "acme-tools", "avacollab_status"]
    # Columns line up.
    assert header.index("HOOKS") == acme_row.index("avacollab_status")


def test_plugins_json(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN})
    monkeypatch.setenv(ENV, "acme,-builtin")
    result = CliRunner().invoke(cli_app(), ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {
            "name": "acme",
            "distribution": "acme-tools",
            "version": "1.2.3",
            "hooks": ["avacollab_status"],
        }
    ]


def test_plugins_reports_a_loading_error_without_a_traceback(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, "nope")
    result = CliRunner().invoke(cli_app(), ["plugins"])
    assert result.exit_code == 2
    assert result.output.startswith("error: unknown plugin 'nope'")
    assert "Traceback" not in result.output


def test_plugins_add_their_commands(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.install("acme-tools", {"greeter": COMMAND_PLUGIN})
    monkeypatch.setenv(ENV, "greeter")
    app = cli_app()
    add_plugin_commands(app)
    result = CliRunner().invoke(app, ["greet", "world"])
    assert result.exit_code == 0, result.output
    assert result.output == "hello world\n"


def test_a_broken_plugin_does_not_take_the_cli_down(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    site.install("acme-tools", {"broken": "import no_such_module_here\n"})
    monkeypatch.setenv(ENV, "broken")
    app = cli_app()
    add_plugin_commands(app)
    warning = capsys.readouterr().err
    assert warning == (
        "warning: plugins not loaded: plugin 'broken' (acme_tools_broken, from acme-tools) "
        "failed to import: ModuleNotFoundError: No module named 'no_such_module_here'\n"
    )
    result = CliRunner().invoke(app, ["plugins"])
    assert result.exit_code == 2
    assert result.output == "error: " + warning.removeprefix("warning: plugins not loaded: ")


# -- hooks through pm.hook -----------------------------------------------------


class AllHooks:
    """Implements every hook with every documented argument, recording the calls."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    @hookimpl
    def avacollab_add_commands(self, app: typer.Typer) -> None:
        self.calls["avacollab_add_commands"] = {"app": app}

    @hookimpl
    def avacollab_session_started(self, session: Any) -> None:
        self.calls["avacollab_session_started"] = {"session": session}

    @hookimpl
    def avacollab_bus_topics(self, session: Any) -> dict[str, Any]:
        self.calls["avacollab_bus_topics"] = {"session": session}
        return {"all.hooks": print}

    @hookimpl
    async def avacollab_peer_joined(self, session: Any, peer_id: str, name: str) -> None:
        self.calls["avacollab_peer_joined"] = {"session": session, "peer_id": peer_id, "name": name}

    @hookimpl
    def avacollab_peer_connected(self, session: Any, peer_id: str) -> None:
        self.calls["avacollab_peer_connected"] = {"session": session, "peer_id": peer_id}

    @hookimpl
    def avacollab_peer_left(self, session: Any, peer_id: str, reason: str) -> None:
        self.calls["avacollab_peer_left"] = {
            "session": session,
            "peer_id": peer_id,
            "reason": reason,
        }

    @hookimpl
    async def avacollab_session_closing(self, session: Any) -> None:
        self.calls["avacollab_session_closing"] = {"session": session}

    @hookimpl
    def avacollab_media_tracks(self, session: Any, peer_id: str) -> list[Any]:
        self.calls["avacollab_media_tracks"] = {"session": session, "peer_id": peer_id}
        return []

    @hookimpl
    def avacollab_track_received(self, session: Any, peer_id: str, track: Any) -> None:
        self.calls["avacollab_track_received"] = {
            "session": session,
            "peer_id": peer_id,
            "track": track,
        }

    @hookimpl
    def avacollab_join_commands(self, session: Any) -> list[JoinCommand]:
        self.calls["avacollab_join_commands"] = {"session": session}
        return [JoinCommand("ping", "Answer pong.", lambda _: "pong")]

    @hookimpl
    def avacollab_status(self, session: Any) -> list[str]:
        self.calls["avacollab_status"] = {"session": session}
        return ["all hooks: fine"]


def spec_hooks() -> dict[str, list[str]]:
    """Hook name to argument names, read from the specs."""
    return {
        name: [p for p in inspect.signature(fn).parameters if p != "self"]
        for name, fn in vars(AvacollabSpec).items()
        if name.startswith("avacollab_")
    }


async def test_every_hook_is_callable_with_its_documented_arguments(
    avacollab_sessions: SessionFactory,
) -> None:
    (session,) = await avacollab_sessions(1)
    pm = load("")
    plugin = AllHooks()
    pm.register(plugin)
    values: dict[str, Any] = {
        "app": typer.Typer(),
        "session": session,
        "peer_id": "p1",
        "name": "bob",
        "reason": "left",
        "track": object(),
    }
    for hook, argnames in spec_hooks().items():
        results = getattr(pm.hook, hook)(**{a: values[a] for a in argnames})
        for result in results:
            if inspect.isawaitable(result):
                await result
        assert plugin.calls[hook] == {a: values[a] for a in argnames}, hook
    assert set(plugin.calls) == set(spec_hooks())


# -- the built-in plugin and join commands ------------------------------------


async def test_who_help_and_status(avacollab_sessions: SessionFactory) -> None:
    alice, bob = await avacollab_sessions(2, name=lambda i: ["alice", "bob"][i])
    commands = join_commands(alice.plugins, alice)
    assert list(commands) == ["help", "who"]
    assert commands["who"].run("") == (f"alice {alice.peer_id} (you)\nbob {bob.peer_id}")
    assert commands["help"].run("") == "/help  List the commands.\n/who   List who is in the room."
    assert alice.plugins.hook.avacollab_status(session=alice) == [
        [f"room {alice.room}: 1 other peer"]
    ]


async def test_help_lists_every_plugins_commands(avacollab_sessions: SessionFactory) -> None:
    (session,) = await avacollab_sessions(1, plugins=[AllHooks()], name="")
    commands = join_commands(session.plugins, session)
    assert list(commands) == ["help", "who", "ping"]
    listing = commands["help"].run("")
    assert isinstance(listing, str) and "/ping  Answer pong." in listing.splitlines()
    assert commands["who"].run("") == f"(no name) {session.peer_id} (you)"
    statuses = session.plugins.hook.avacollab_status(session=session)
    assert ["all hooks: fine"] in statuses and [f"room {session.room}: 0 other peers"] in statuses


class Clash:
    def __init__(self, name: str) -> None:
        self.name = name

    @hookimpl
    def avacollab_join_commands(self) -> list[JoinCommand]:
        return [JoinCommand(self.name, "", lambda _: None)]


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("who", r"^plugin '.+': command /who is already defined by another plugin$"),
        ("Say", r"^plugin '.+': invalid command name 'Say' \(lowercase"),
        ("", r"invalid command name ''"),
        ("-x", r"invalid command name '-x'"),
    ],
)
async def test_bad_or_clashing_command_names_are_errors(
    avacollab_sessions: SessionFactory, name: str, error: str
) -> None:
    (session,) = await avacollab_sessions(1, plugins=[Clash(name)])
    with pytest.raises(PluginError, match=error):
        join_commands(session.plugins, session)


# -- the fixtures for plugin authors ---------------------------------------------


async def test_sessions_fixture_gives_a_full_mesh_with_recorded_events(
    avacollab_server: SignalingServer, avacollab_sessions: SessionFactory
) -> None:
    group = await avacollab_sessions(3)
    ids = {s.peer_id for s in group}
    for session in group:
        assert isinstance(session, RecordedSession)
        assert set(session.connected) == ids - {session.peer_id}
        assert session.config.server == avacollab_server.url
        assert session.name == f"peer{group.index(session)}"
        assert {e["peer"] for e in session.events.named("peer-connected")} == set(session.connected)
    # Each call is a new room.
    (other,) = await avacollab_sessions(1)
    assert other.room != group[0].room and not other.peers


async def test_start_sessions_rejects_zero(avacollab_server: SignalingServer) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        await start_sessions(avacollab_server.url, 0, room="r")


async def test_start_sessions_closes_what_it_started_on_failure(
    make_server: ServerFactory,
) -> None:
    # A room of one: the first session joins, the second is refused.
    server = await make_server(max_room_size=1)
    with pytest.raises(SignalingError) as error:
        await start_sessions(server.url, 2, room="small", timeout=5.0)
    assert error.value.code == "room-full"
    # The first session was closed and left the room.
    async with asyncio.timeout(5.0):
        await server.until(lambda: server.core.peer_count == 0)
