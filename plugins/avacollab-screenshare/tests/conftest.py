"""Real-session fixtures from avacollab, and a log of the colors viewers see."""

from collections.abc import Iterator

import pytest
from avacollab.testing import avacollab_server, avacollab_sessions

from avacollab_screenshare import add_frame_handler

from .helpers import ColorLog

__all__ = ["avacollab_server", "avacollab_sessions", "colors"]


@pytest.fixture
def colors() -> Iterator[ColorLog]:
    """Every viewer's sequence of colors per sharer, through the public frame-handler API."""
    log = ColorLog()
    remove = add_frame_handler(log)
    yield log
    remove()
