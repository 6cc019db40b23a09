"""Plain-text tables and lines that fit a terminal :data:`WIDTH` columns wide.

The ``join`` commands' tables (``/presence``), ``/tree`` and ``avacollab
plugins`` print through here. Columns are padded to their widest cell; when
the row is too wide the widest columns give way first, and a cell that no
longer fits ends in ``…``, so one long name or selection does not wrap every
row of the table. Help text is better wrapped than cut: ``wrap_last`` wraps
the last column under itself instead.

Widths are counted in terminal cells (a CJK character takes two), with rich,
which the CLI depends on already.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

__all__ = ["ELLIPSIS", "GAP", "WIDTH", "ellipsize", "render"]

WIDTH = 100
"""Columns every table and line fits in: wide enough for a table of six
columns, narrow enough for a split terminal or a pasted bug report."""
GAP = 2
"""Spaces between columns."""
ELLIPSIS = "…"
MIN_COLUMN = 6
"""No column is cut narrower than this (or its heading): it must stay readable."""


def ellipsize(text: str, width: int = WIDTH) -> str:
    """``text`` cut to ``width`` cells, ending in ``…`` when something was cut."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, max(0, width - 1)).rstrip() + ELLIPSIS


def render(
    rows: Sequence[Sequence[str]], width: int = WIDTH, *, wrap_last: bool = False
) -> list[str]:
    """``rows`` (the first is the heading) as lines at most ``width`` cells wide.

    Without ``wrap_last`` the widest columns are narrowed until the row fits,
    each cut cell ending in ``…``; with it, the other columns keep their width
    and the last column wraps under itself (help text).
    """
    if not rows:
        return []
    count = len(rows[0])
    widths = [max(cell_len(row[col]) for row in rows) for col in range(count)]
    if wrap_last:
        return _wrapped(rows, widths, width)
    floors = [max(MIN_COLUMN, cell_len(rows[0][col])) for col in range(count)]
    excess = sum(widths) + GAP * (count - 1) - width
    while excess > 0:
        shrinkable = [col for col in range(count) if widths[col] > floors[col]]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda col: widths[col])
        widths[widest] -= 1
        excess -= 1
    return [
        (" " * GAP)
        .join(_pad(ellipsize(cell, w), w) for cell, w in zip(row, widths, strict=True))
        .rstrip()
        for row in rows
    ]


def _pad(text: str, width: int) -> str:
    return text + " " * (width - cell_len(text))


def _wrapped(rows: Sequence[Sequence[str]], widths: list[int], width: int) -> list[str]:
    indent = sum(widths[:-1]) + GAP * (len(widths) - 1)
    lines = []
    for row in rows:
        cells = [_pad(cell, w) for cell, w in zip(row[:-1], widths, strict=False)]
        last = textwrap.wrap(row[-1], max(20, width - indent)) or [""]
        lines.append((" " * GAP).join([*cells, last[0]]).rstrip())
        lines.extend(" " * indent + more for more in last[1:])
    return lines
