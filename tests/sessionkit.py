"""Helpers for session tests: the plugin-author event log, with this suite's bound."""

from __future__ import annotations

from avacollab.testing import EventLog

WAIT = 15.0


class Events(EventLog):
    """:class:`avacollab.testing.EventLog` (record events, bounded waits), as the
    event sink of sessions these tests build by hand."""
