"""Secret files: created private, refused when others can get at them (as ssh does)."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from avacollab.secretfile import SecretFileError, check_private, load_or_create, read_secret

SECRET = "a-secret-of-some-length-0123456789"


def _file(tmp_path: Path, mode: int) -> Path:
    path = tmp_path / "secret"
    path.write_text(SECRET + "\n")
    path.chmod(mode)
    return path


def test_a_created_secret_is_private_in_a_private_directory(tmp_path: Path) -> None:
    path = tmp_path / "new" / "dir" / "secret"
    secret = load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(secret) >= 40
    assert load_or_create(path) == read_secret(path) == secret  # and it passes the check


@pytest.mark.parametrize(
    ("mode", "who"),
    [
        (0o644, "its group and other users"),
        (0o640, "its group"),
        (0o604, "other users"),
        (0o620, "its group"),  # writable: anyone in the group could swap the secret
        (0o601, "other users"),
        (0o666, "its group and other users"),
    ],
)
def test_a_secret_file_open_to_others_is_refused(tmp_path: Path, mode: int, who: str) -> None:
    path = _file(tmp_path, mode)
    for read in (read_secret, load_or_create):
        with pytest.raises(SecretFileError) as caught:
            read(path)
        message = str(caught.value)
        assert f"is open to {who} (mode {mode:04o})" in message
        assert f"chmod 600 {path}" in message and "allow_open_secret_files" in message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_a_private_secret_file_is_read(tmp_path: Path, mode: int) -> None:
    warnings: list[str] = []
    assert read_secret(_file(tmp_path, mode), warn=warnings.append) == SECRET
    assert warnings == []


def test_allowed_open_secret_file_is_read_with_a_warning(tmp_path: Path) -> None:
    path = _file(tmp_path, 0o640)
    warnings: list[str] = []
    assert read_secret(path, allow_open=True, warn=warnings.append) == SECRET
    assert load_or_create(path, allow_open=True, warn=warnings.append) == SECRET
    expected = f"secret file {path} is open to its group (mode 0640): chmod 600 {path}"
    assert warnings == [expected, expected]


class _Records(logging.Handler):
    def __init__(self, level: int) -> None:
        super().__init__(level)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_the_default_warning_goes_to_the_log(tmp_path: Path) -> None:
    path = _file(tmp_path, 0o644)
    handler = _Records(logging.WARNING)
    logger = logging.getLogger("avacollab")
    logger.addHandler(handler)
    try:
        check_private(path, allow_open=True)
    finally:
        logger.removeHandler(handler)
    [record] = handler.records
    assert record.getMessage() == "secret-file-open" and record.levelno == logging.WARNING
    assert f"chmod 600 {path}" in record.fields["message"]  # type: ignore[attr-defined]


def test_a_missing_file_is_reported_by_the_read_not_the_check(tmp_path: Path) -> None:
    check_private(tmp_path / "missing")
    with pytest.raises(SecretFileError, match="does not exist"):
        read_secret(tmp_path / "missing")
