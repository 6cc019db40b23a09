"""Tables and lines that fit 100 columns (issue 16, item 11)."""

from __future__ import annotations

from rich.cells import cell_len

from avacollab.tables import ELLIPSIS, WIDTH, ellipsize, render


def test_a_short_table_is_padded_not_cut() -> None:
    rows = [("NAME", "STATUS"), ("ada (3f9a1c)", "active"), ("bob", "idle")]
    assert render(rows) == ["NAME          STATUS", "ada (3f9a1c)  active", "bob           idle"]


def test_a_wide_table_gives_way_at_its_widest_columns() -> None:
    rows = [("NAME", "COLOR", "SELECTION"), ("A" * 70, "#12ab34", "Buy, " * 20)]
    lines = render(rows)
    assert all(cell_len(line) <= WIDTH for line in lines), lines
    assert "#12ab34" in lines[1]  # the narrow column is left whole
    assert lines[1].startswith("A" * 40) and lines[1].count(ELLIPSIS) == 2
    # Headings stay readable: no column is cut below its heading.
    assert lines[0].split() == ["NAME", "COLOR", "SELECTION"]


def test_wide_characters_count_as_two_columns() -> None:
    lines = render([("NAME", "X"), ("名" * 80, "y")])
    assert max(cell_len(line) for line in lines) <= WIDTH
    assert ellipsize("名" * 60) == "名" * 49 + ELLIPSIS  # 98 cells, then the ellipsis


def test_help_text_wraps_under_itself_instead() -> None:
    lines = render([("OPTION", "HELP"), ("doc", "word " * 40)], wrap_last=True)
    assert len(lines) > 2 and all(cell_len(line) <= WIDTH for line in lines)
    assert all(line.startswith(" " * 5) for line in lines[2:])
    assert ELLIPSIS not in "".join(lines)


def test_ellipsize_leaves_what_fits() -> None:
    assert ellipsize("x" * WIDTH) == "x" * WIDTH
    assert ellipsize("x" * (WIDTH + 1)) == "x" * (WIDTH - 1) + ELLIPSIS
