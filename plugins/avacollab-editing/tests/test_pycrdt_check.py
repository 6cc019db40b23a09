"""The start-up check on the pycrdt private parts the editing plugin reads."""

from __future__ import annotations

from importlib.metadata import version

import pytest
from avacollab.internals import DependencyError, declared_versions
from pycrdt import _pycrdt as raw

from avacollab_editing.snapshot import check_pycrdt


def expected(problem: str) -> str:
    declared = declared_versions("avacollab-editing", "pycrdt")
    return f"avacollab-editing needs pycrdt{declared}: {problem}; installed pycrdt " + version(
        "pycrdt"
    )


def test_the_pin_is_declared_and_the_installed_pycrdt_passes() -> None:
    assert declared_versions("avacollab-editing", "pycrdt") == "<0.15,>=0.14.13"
    check_pycrdt()


@pytest.mark.parametrize("name", ["XmlText", "Transaction"])
def test_a_missing_yrs_class_is_reported(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.delattr(raw, name)
    with pytest.raises(DependencyError) as error:
        check_pycrdt()
    assert str(error.value) == expected(f"pycrdt._pycrdt.{name} is missing")
