"""``join --help`` lists the plugins' options; an unknown command or option is one line
(issue 16). Drives the real CLI: ``CliRunner``, and a real process where the
program name and streams matter."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from avacollab.cli.app import app
from avacollab.cli.join import load_plugins

from .clikit import ROOT, environment
from .conftest import stray_entries

ALL = "builtin,editing,presence,screenshare,voice"


def invoke(*args: str, plugins: str = ALL) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"AVACOLLAB_PLUGINS": plugins})
    return result.exit_code, result.output


# -- join --help lists the installed plugins' options -------------------------


def test_join_help_lists_every_option_of_the_loaded_plugins(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out = invoke("join", "--help")
    assert code == 0, out
    listed = out[out.index("Plugin options (--set") :]
    monkeypatch.setenv("AVACOLLAB_PLUGINS", ALL)
    declared = [(cls.name, option) for cls in load_plugins([]) for option in cls.options]
    assert len(declared) > 20
    for feature, option in declared:  # generated from the declared Options: all of them
        assert f"  {feature}.{option.name}=" in listed, (feature, option.name)
    # Each with its value's placeholder, its help and its default.
    assert "editing.doc=FILE" in listed and "A JSON file kept in sync" in listed
    assert "voice.muted=on|off" in listed and "screenshare.fps=N" in listed
    assert "(default: active)" in listed  # presence.status
    assert listed.count("(default:") >= len(declared) - 3  # a few say it in their own words


def test_join_help_follows_the_plugins_chosen() -> None:
    code, out = invoke("join", "--help", plugins="presence")
    assert code == 0 and "presence.color=TEXT" in out and "editing.doc=FILE" not in out
    code, out = invoke("join", "--help", plugins="")
    assert code == 0 and "none: no loaded plugin declares options" in out


def test_join_help_with_a_plugin_that_does_not_load_still_helps() -> None:
    code, out = invoke("join", "--help", plugins="edting")
    assert code == 0 and "Join ROOM and connect directly" in out
    assert "Plugin options: not listed, a plugin did not load: unknown plugin 'edting'" in out
    assert "Traceback" not in out


# -- an unknown command or option is one line, status 2 -----------------------


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["nosuch"], "error: No such command 'nosuch'; commands: config, join, plugins,"),
        (["serv"], "error: No such command 'serv'. Did you mean 'serve'? (see --help)"),
        (["config", "shwo"], "error: No such command 'shwo'. Did you mean 'show'? (see --help)"),
        (["--nope"], "error: No such option: --nope (see --help)"),
        (["join", "r", "--nmae", "x"], "error: No such option: --nmae. Did you mean --name?"),
        (
            ["join", "r", "--plugins", "x"],
            "error: No such option: --plugins. Did you mean --plugin?",
        ),
        # Click would suggest --pkey here: nothing that unlike is offered.
        (["turn-config", "--nope"], "error: No such option: --nope (see --help)"),
    ],
)
def test_an_unknown_command_or_option_is_one_line(args: list[str], line: str) -> None:
    code, out = invoke(*args)
    assert code == 2 and out.startswith(line) and len(out.splitlines()) == 1, out


def test_an_unknown_command_in_a_real_process(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "avacollab", "nosuch"],
        cwd=tmp_path, env=environment(AVACOLLAB_PLUGINS=""), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2 and proc.stdout == "", proc
    assert proc.stderr.startswith("error: No such command 'nosuch'; commands: config, join")
    assert len(proc.stderr.splitlines()) == 1 and "Usage:" not in proc.stderr


# -- CLI tests never write into the checkout ----------------------------------


def test_cli_tests_run_in_a_temporary_directory() -> None:
    assert not Path.cwd().is_relative_to(ROOT)
    # A file named by a relative path lands there, not in the checkout.
    code, out = invoke("turn-config", "--output", "turn.conf")
    assert code == 0, out
    assert (Path.cwd() / "turn.conf").is_file() and not (ROOT / "turn.conf").exists()


def test_the_guard_names_what_a_test_left_in_the_checkout() -> None:
    before = {"README.md", "tests"}
    after = before | {"0.json", ".hypothesis", "x y"}
    assert stray_entries(before, after) == ["0.json", "x y"]
    assert stray_entries(before, before | {".pytest_cache"}) == []
