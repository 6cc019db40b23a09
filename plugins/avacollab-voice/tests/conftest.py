"""Real-session fixtures from avacollab (also a pytest11 plugin once that is registered)."""

from avacollab.testing import avacollab_server, avacollab_sessions

__all__ = ["avacollab_server", "avacollab_sessions"]
