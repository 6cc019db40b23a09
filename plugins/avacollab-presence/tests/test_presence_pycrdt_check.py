"""The start-up check on the private parts of pycrdt's Awareness the plugin builds on."""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

import pytest
from avacollab_presence.awareness import check_pycrdt
from pycrdt import Awareness

from avacollab.internals import DependencyError, declared_versions


def expected(problem: str) -> str:
    declared = declared_versions("avacollab-presence", "pycrdt")
    return f"avacollab-presence needs pycrdt{declared}: {problem}; installed pycrdt " + version(
        "pycrdt"
    )


def test_the_pin_is_declared_and_the_installed_pycrdt_passes() -> None:
    assert declared_versions("avacollab-presence", "pycrdt") == "<0.15,>=0.14.13"
    check_pycrdt()


def test_states_kept_under_another_name_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # PresenceAwareness's _states property would no longer be what states reads.
    def states(self: Awareness) -> dict[int, dict[str, Any]]:
        return dict(self._client_states)  # type: ignore[attr-defined]

    monkeypatch.setattr(Awareness, "states", property(states))
    with pytest.raises(DependencyError) as error:
        check_pycrdt()
    assert str(error.value) == expected("Awareness.states no longer uses _states")


def test_a_missing_emit_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(Awareness, "_emit")
    with pytest.raises(DependencyError) as error:
        check_pycrdt()
    assert str(error.value) == expected("Awareness._emit is missing")
