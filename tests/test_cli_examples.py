"""Every example in every ``--help`` text and in README.md works (issue 16, item 10).

An example names options a reader will copy. Each one is parsed by the real
command (an option that does not exist, or a value of the wrong type, fails
here), and the examples of commands that finish by themselves are run.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.core
import typer.main
from typer.testing import CliRunner

from avacollab.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
COMMAND_EXAMPLE = re.compile(r"Example: ((?:[A-Z_]+=\S+ )*avacollab .+)")
OPTION_EXAMPLE = re.compile(r"(?:Example:|e\.g\.) (-{1,2}[\w-]+(?: (?!\(env)[^\s(]+)?)")
# Commands that finish by themselves and touch only the (test's) config directory.
RUNNABLE = ("token", "config", "plugins", "turn-config")


def commands() -> Iterator[tuple[str, Any]]:
    """Every leaf command of the CLI with its full name (``config show``)."""

    def walk(group: Any, prefix: str) -> Iterator[tuple[str, Any]]:
        for name, sub in getattr(group, "commands", {}).items():
            if hasattr(sub, "commands"):
                yield from walk(sub, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", sub

    yield from walk(typer.main.get_command(app), "")


def help_examples() -> list[tuple[str, list[str], dict[str, str]]]:
    """(where, avacollab argv, environment) for each example in a help text."""
    found = []
    for name, command in commands():
        whole = []
        for text in COMMAND_EXAMPLE.findall(command.help or ""):
            for part in text.split("&&"):
                whole.append((f"{name} help", *_argv(part)))
        found += whole
        # An option's example completes the command's own (which has its arguments).
        base = whole[0][1] if whole else name.split()
        for param in command.params:
            if isinstance(param, typer.core.TyperOption):
                for example in OPTION_EXAMPLE.findall(param.help or ""):
                    argv = [*base, *shlex.split(example.rstrip("."))]
                    found.append((f"{name} {param.opts[-1]} help", argv, {}))
    return [f for f in found if f[1]]


def readme_examples() -> list[tuple[str, list[str], dict[str, str]]]:
    found = []
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    for block in blocks:
        for line in block.splitlines():
            line = line.split("#")[0].strip()
            if re.match(r"(\S*/)?avacollab ", line):
                found.append(("README.md", *_argv(line)))
    return found


def _argv(text: str) -> tuple[list[str], dict[str, str]]:
    """An example's arguments after ``avacollab`` and its ``NAME=value`` environment."""
    words = shlex.split(text.strip())
    env = {}
    while words and re.fullmatch(r"[A-Z_]+=.*", words[0]):
        key, _, value = words.pop(0).partition("=")
        env[key] = value
    if not words or not words[0].endswith("avacollab"):
        return [], env  # e.g. `$EDITOR "$(avacollab config path)"`
    return words[1:], env


EXAMPLES = help_examples() + readme_examples()


def test_examples_are_found() -> None:
    # Enough to know the patterns above still match the help texts.
    where = {w for w, _, _ in EXAMPLES}
    assert len(EXAMPLES) > 40 and "serve help" in where and "README.md" in where


@pytest.mark.parametrize(("where", "argv", "env"), EXAMPLES, ids=lambda v: str(v)[:60])
def test_every_example_parses(where: str, argv: list[str], env: dict[str, str]) -> None:
    table = dict(commands())
    words = 2 if " ".join(argv[:2]) in table else 1
    command = table.get(" ".join(argv[:words]))
    assert command is not None, (where, argv)
    # Parsing converts and checks every value, and runs no command.
    command.make_context(" ".join(argv[:words]), list(argv[words:]))


@pytest.mark.parametrize(
    ("where", "argv", "env"),
    [e for e in EXAMPLES if e[1] and e[1][0] in RUNNABLE],
    ids=lambda v: str(v)[:60],
)
def test_every_finite_example_runs(
    where: str,
    argv: list[str],
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # files an example names land here
    args = list(argv)
    if "--check" in args:  # check a config the command itself wrote
        out = CliRunner().invoke(app, ["turn-config", "-o", "turn.conf"])
        assert out.exit_code == 0, out.output
        args[args.index("--check") + 1] = "turn.conf"
    for flag, partner in (("--cert", "--pkey"), ("--pkey", "--cert")):
        if flag in args and partner not in args:  # the two go together, as --pkey's help says
            args += [partner, f"/etc/{partner[2:]}.pem"]
    # Files under /etc/ are made here, as the example's reader would have them.
    args = [a if not a.startswith("/etc/") else str(tmp_path / Path(a).name) for a in args]
    for flag, text in (("--cert", "PEM\n"), ("--pkey", "PEM\n"), ("--secret-file", "s" * 32)):
        if flag in args and args[0] == "turn-config":
            made = Path(args[args.index(flag) + 1])
            made.write_text(text)
            made.chmod(0o600)
    result = CliRunner().invoke(app, args, env=env)
    assert result.exit_code == 0, (where, argv, result.output)
    assert "Traceback" not in result.output
