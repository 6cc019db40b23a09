"""Every numeric setting is a bound a user may need to look up: each must have
a row in the Limits table at the end of docs/protocol.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from avacollab.settings import DEFAULTS, SETTINGS

LIMITS = Path(__file__).parents[1] / "docs" / "protocol.md"
# Addresses and file paths are not bounds; port and turn_ttl are choices.
NOT_BOUNDS = frozenset({"port", "turn_ttl"})


def limits_section() -> str:
    text = LIMITS.read_text(encoding="utf-8")
    return text[text.index("\n# Limits\n") :]


NUMERIC = sorted(
    name
    for name in SETTINGS
    if type(getattr(DEFAULTS, name)) in (int, float) and name not in NOT_BOUNDS
)


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_setting_has_a_row_in_the_limits_table(name: str) -> None:
    assert f"`{name}`" in limits_section(), f"docs/protocol.md # Limits has no row for {name}"


def test_the_table_names_only_settings_that_exist() -> None:
    named = set(re.findall(r"settings? `([a-z_]+)`(?:, `([a-z_]+)`)?", limits_section()))
    for pair in named:
        for name in pair:
            if name:
                assert name in SETTINGS, f"the Limits table names an unknown setting {name}"
