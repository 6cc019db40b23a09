"""Plugin loading, selection and errors, the features plugins register, ``avacollab plugins``,
the built-in feature, the fixtures.

Entry-point discovery is tested for real: each test writes small
distributions (a ``dist-info`` with ``entry_points.txt`` and a module) into a
temporary directory put on ``sys.path``, which ``importlib.metadata`` reads
like any installed package.
"""

from __future__ import annotations

import asyncio
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
from avacollab.builtin import Builtin
from avacollab.cli.plugins import add_plugin_commands, register
from avacollab.feature import Feature, JoinCommand, Option
from avacollab.hookspecs import Register, hookimpl
from avacollab.peer.session import PluginStartError
from avacollab.peer.signaling_client import SignalingError
from avacollab.plugins import (
    BUILTIN,
    ENV,
    FeatureInfo,
    PluginError,
    PluginInfo,
    PluginManager,
    describe,
    features,
    installed,
    load,
    select,
)
from avacollab.shortids import PEER_SHORT, short_ids
from avacollab.signaling.server import SignalingServer
from avacollab.testing import RecordedSession, SessionFactory, start_sessions

from .conftest import ServerFactory

# The fixtures plugin authors get through the pytest11 entry point, named here
# too so this file does not depend on how avacollab was installed.
avacollab_server = testing.avacollab_server
avacollab_sessions = testing.avacollab_sessions


def feature_plugin(name: str) -> str:
    """The source of a plugin registering one feature called ``name``."""
    return f"""
from avacollab.feature import Feature
from avacollab.hookspecs import hookimpl

class F(Feature):
    name = "{name}"

    def status(self):
        return ["{name}: ok"]

@hookimpl
def avacollab_register_features(register):
    register(F)
"""


STATUS_PLUGIN = feature_plugin("acme")
BUILTIN_INFO = PluginInfo(
    BUILTIN,
    "avacollab",
    __version__,
    ("avacollab_register_features",),
    (FeatureInfo("builtin", ()),),
)

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
        BUILTIN_INFO,
        PluginInfo(
            "acme",
            "acme-tools",
            "1.2.3",
            ("avacollab_register_features",),
            (FeatureInfo("acme", ()),),
        ),
    ]
    assert [cls.name for cls in features(pm)] == ["builtin", "acme"]


def test_unset_selection_loads_every_installed_plugin(site: Site) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "extra": feature_plugin("extra")})
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
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "extra": feature_plugin("extra")})
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
                def avacollab_register_feature(register):
                    pass
            """
        },
    )
    with pytest.raises(PluginError) as error:
        load("typo")
    assert str(error.value) == (
        "plugin 'typo': unknown hook 'avacollab_register_feature' "
        "(did you mean 'avacollab_register_features'?); hooks: avacollab_add_commands, "
        "avacollab_register_features"
    )


def test_a_per_session_hook_of_earlier_versions_points_to_features(site: Site) -> None:
    site.install(
        "acme-tools",
        {
            "old": """
                from avacollab.hookspecs import hookimpl

                @hookimpl
                def avacollab_session_started(session):
                    pass
            """
        },
    )
    with pytest.raises(PluginError, match=r"per-session hooks became Feature methods"):
        load("old")


def test_a_hook_with_an_unknown_argument_is_reported(site: Site) -> None:
    site.install(
        "acme-tools",
        {
            "badarg": """
                from avacollab.hookspecs import hookimpl

                @hookimpl
                def avacollab_register_features(registr):
                    pass
            """
        },
    )
    with pytest.raises(PluginError, match=r"^plugin 'badarg' cannot be registered: .*registr"):
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


OPTIONS_PLUGIN = """
from pathlib import Path

from avacollab.feature import Feature, Option
from avacollab.hookspecs import hookimpl


class Paint(Feature):
    name = "paint"
    options = (
        Option("color", str, "red", "Brush color."),
        Option("size", int, 3, "Brush size in pixels."),
        Option("smooth", bool, True, "Smooth the strokes."),
        Option("save", Path, None, "Where to save the canvas."),
        Option("note", str, "", "A note."),
    )


class Plain(Feature):
    name = "plain"


@hookimpl
def avacollab_register_features(register):
    register(Paint)
    register(Plain)
"""


def test_plugins_lists_name_version_distribution_features_and_hooks(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site.install("acme-tools", {"acme": STATUS_PLUGIN, "paint": OPTIONS_PLUGIN})
    monkeypatch.setenv(ENV, "acme,paint")
    result = CliRunner().invoke(cli_app(), ["plugins"])
    assert result.exit_code == 0, result.output
    header, builtin_row, acme_row, paint_row = result.output.splitlines()
    assert header.split() == ["NAME", "VERSION", "DISTRIBUTION", "FEATURES", "HOOKS"]
    hook = "avacollab_register_features"
    assert builtin_row.split() == [BUILTIN, __version__, "avacollab", "builtin", hook]
    assert acme_row.split() == ["acme", "1.2.3", "acme-tools", "acme", hook]
    assert paint_row.split() == ["paint", "1.2.3", "acme-tools", "paint,", "plain", hook]
    # Columns line up.
    assert header.index("FEATURES") == builtin_row.index("builtin", 1) == paint_row.index("paint,")
    assert header.index("HOOKS") == acme_row.index(hook) == paint_row.index(hook)


def test_plugins_lists_each_features_options(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.install("acme-tools", {"paint": OPTIONS_PLUGIN})
    monkeypatch.setenv(ENV, "paint,-builtin")
    result = CliRunner().invoke(cli_app(), ["plugins", "--options"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[2:] == [
        "",
        "paint options (--set paint.OPTION=VALUE):",
        "  OPTION  TYPE  DEFAULT  HELP",
        "  color   str   red      Brush color.",
        "  size    int   3        Brush size in pixels.",
        "  smooth  bool  on       Smooth the strokes.",
        "  save    Path  -        Where to save the canvas.",
        '  note    str   ""       A note.',
        "",
        "plain: no options",
    ]


def test_plugins_json(site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    site.install("acme-tools", {"paint": OPTIONS_PLUGIN})
    monkeypatch.setenv(ENV, "paint,-builtin")
    result = CliRunner().invoke(cli_app(), ["plugins", "--json"])
    assert result.exit_code == 0, result.output
    [paint] = json.loads(result.output)
    assert paint["name"] == "paint" and paint["version"] == "1.2.3"
    assert paint["distribution"] == "acme-tools"
    assert paint["hooks"] == ["avacollab_register_features"]
    assert [f["name"] for f in paint["features"]] == ["paint", "plain"]
    assert paint["features"][0]["options"][1] == {
        "name": "size",
        "type": "int",
        "default": "3",
        "help": "Brush size in pixels.",
    }
    assert paint["features"][1]["options"] == []


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


# -- the hooks and the features they register -------------------------------------


class AllHooks:
    """Implements both hooks with every documented argument, recording the calls."""

    def __init__(self) -> None:
        self.calls: dict[str, dict[str, Any]] = {}

    @hookimpl
    def avacollab_add_commands(self, app: typer.Typer) -> None:
        self.calls["avacollab_add_commands"] = {"app": app}

    @hookimpl
    def avacollab_register_features(self, register: Register) -> None:
        self.calls["avacollab_register_features"] = {"register": register}
        register(Ping)
        register(Pong)


class Ping(Feature):
    """Two features from one plugin: /ping and a status line..."""

    name = "ping"

    def commands(self) -> list[JoinCommand]:
        return [JoinCommand("ping", "Answer pong.", lambda _: "pong")]

    def status(self) -> list[str]:
        return ["ping: fine"]


class Pong(Feature):
    """...and /pong."""

    name = "pong"

    def commands(self) -> list[JoinCommand]:
        return [JoinCommand("pong", "Answer ping.", lambda _: "ping")]


def test_both_hooks_are_called_with_their_documented_arguments() -> None:
    pm = load("")
    plugin = AllHooks()
    pm.register(plugin, name="all")
    app = typer.Typer()
    pm.hook.avacollab_add_commands(app=app)
    assert plugin.calls["avacollab_add_commands"] == {"app": app}
    assert features(pm) == [Builtin, Ping, Pong]
    assert callable(plugin.calls["avacollab_register_features"]["register"])
    assert describe(pm)[1].features == (FeatureInfo("ping", ()), FeatureInfo("pong", ()))


def test_describing_the_plugins_calls_register_features_once() -> None:
    pm = load("")
    calls: list[None] = []

    class Counting:
        @hookimpl
        def avacollab_register_features(self, register: Register) -> None:
            calls.append(None)
            register(Ping)

    pm.register(Counting(), name="counting")
    assert describe(pm)[1].features == (FeatureInfo("ping", ()),)
    assert len(calls) == 1  # as documented: a hook with side effects sees one call


async def test_two_features_of_one_plugin_run_in_each_session(
    avacollab_sessions: SessionFactory,
) -> None:
    (session,) = await avacollab_sessions(1, plugins=[AllHooks()], name="")
    assert [type(f) for f in session.features.running] == [Builtin, Ping, Pong]
    assert list(session.features.commands) == ["help", "who", "ping", "pong"]
    assert await session.features.execute("/ping") == "pong"
    assert await session.features.execute("/pong") == "ping"
    assert session.features.status() == [f"room {session.room}: 0 other peers", "ping: fine"]


class Named(Feature):
    name = "named"


def registering(*items: object) -> object:
    """A plugin object whose register hook registers ``items``."""

    class Plugin:
        @hookimpl
        def avacollab_register_features(self, register: Register) -> None:
            for item in items:
                register(item)  # type: ignore[arg-type]

    return Plugin()


def renamed(name: object) -> type[Feature]:
    return type("Renamed", (Feature,), {"name": name})


@pytest.mark.parametrize(
    ("registered", "error"),
    [
        ((object,), r"^plugin '.+': <class 'object'> is not a subclass of .*Feature$"),
        ((Named(None, {}),), r"is not a subclass of avacollab.feature.Feature"),  # type: ignore[arg-type]
        ((Feature,), r"^plugin '.+': Feature.name must be a lowercase name"),
        ((renamed("Bad Name"),), r"Renamed.name must be a lowercase name .*'Bad Name'"),
        ((renamed(5),), r"Renamed.name must be a lowercase name .*not 5$"),
        ((renamed("session"),), r"the feature name 'session' is reserved"),
        ((Named, Named), r"^plugin '.+': feature 'named' is already registered by plugin '.+'$"),
        ((Builtin,), r"feature 'builtin' is already registered by plugin 'builtin'"),
        (
            (type("Twice", (Feature,), {"name": "twice", "options": (Option("a"), Option("a"))}),),
            r"feature 'twice': option 'a' is declared twice",
        ),
        (
            (type("NotOpt", (Feature,), {"name": "notopt", "options": ("a",)}),),
            r"feature 'notopt': 'a' is not an avacollab.feature.Option",
        ),
    ],
)
def test_bad_or_clashing_features_are_errors(registered: tuple[object, ...], error: str) -> None:
    pm = load("")
    pm.register(registering(*registered))
    with pytest.raises(PluginError, match=error):
        features(pm)
    with pytest.raises(PluginError, match=error):
        describe(pm)


@pytest.mark.parametrize(
    ("option", "error"),
    [
        (lambda: Option("Bad"), r"invalid option name 'Bad'"),
        (lambda: Option("x", list), r"option 'x': type must be str, int, float, bool or Path"),
    ],
)
def test_bad_options_are_errors_where_they_are_declared(option: Any, error: str) -> None:
    with pytest.raises(ValueError, match=error):
        option()


def test_feature_classes_may_be_given_directly() -> None:
    assert features(PluginManager(), [Ping, registering(Pong)]) == [Pong, Ping]
    with pytest.raises(PluginError, match="is a feature instance: give its class"):
        features(PluginManager(), [Ping(None, {})])  # type: ignore[arg-type]
    with pytest.raises(PluginError, match=r"^plugin '\(given\)': feature 'ping' is already"):
        features(PluginManager(), [Ping, Ping])


# -- the built-in feature and join commands -------------------------------------


async def test_who_help_and_status(avacollab_sessions: SessionFactory) -> None:
    alice, bob = await avacollab_sessions(2, name=lambda i: ["alice", "bob"][i])
    assert list(alice.features.commands) == ["help", "who"]
    shown = short_ids([alice.peer_id, bob.peer_id], PEER_SHORT)
    assert len(shown[alice.peer_id]) >= PEER_SHORT and alice.peer_id.startswith(
        shown[alice.peer_id]
    )
    assert await alice.features.execute("/who") == (
        f"alice ({shown[alice.peer_id]}) (you)\nbob ({shown[bob.peer_id]})"
    )
    assert await alice.features.execute("/help") == (
        "/help  List the commands.\n/who   List who is in the room."
    )
    assert alice.features.status() == [f"room {alice.room}: 1 other peer"]


async def test_help_lists_every_features_commands(avacollab_sessions: SessionFactory) -> None:
    (session,) = await avacollab_sessions(1, plugins=[Ping], name="")
    listing = await session.features.execute("/help")
    assert isinstance(listing, str) and "/ping  Answer pong." in listing.splitlines()
    short = short_ids([session.peer_id], PEER_SHORT)[session.peer_id]
    assert await session.features.execute("/who") == f"{short} (you)"


def clash(name: str) -> type[Feature]:
    class Clash(Feature):
        def commands(self) -> list[JoinCommand]:
            return [JoinCommand(name, "", lambda _: None)]

    Clash.name = "clash"
    return Clash


@pytest.mark.parametrize(
    ("name", "error"),
    [
        ("who", r"^clash: command /who is already defined$"),
        ("help", r"^clash: command /help is already defined$"),
        ("Say", r"^clash: invalid command name 'Say' \(lowercase"),
        ("", r"invalid command name ''"),
        ("-x", r"invalid command name '-x'"),
    ],
)
async def test_bad_or_clashing_command_names_stop_the_session(
    avacollab_server: SignalingServer, name: str, error: str
) -> None:
    with pytest.raises(PluginStartError, match=error):
        await start_sessions(avacollab_server.url, 1, room="clash", plugins=[clash(name)])
    async with asyncio.timeout(5.0):  # it left the room again
        await avacollab_server.until(lambda: avacollab_server.core.peer_count == 0)


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
