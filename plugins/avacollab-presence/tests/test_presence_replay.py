"""Scripted cursor positions: parsing, bad lines with line numbers, streaming, replay."""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from avacollab_presence import Cursor, Presence, PresenceConfig
from avacollab_presence.replay import (
    MAX_DELAY_MS,
    MAX_LINE_BYTES,
    CursorStep,
    ReplayError,
    load_steps,
    parse_step,
    parse_steps,
    replay,
    stream_steps,
)
from presence_fakes import FakeScheduler


def test_lines_become_steps() -> None:
    lines: list[str | bytes] = [
        '{"x": 1, "y": 2}',
        "",
        '  {"x": -3.5, "y": 4, "component": "btn-1", "delay_ms": 250}  ',
        b'{"x": 0, "y": 0, "component": null, "delay_ms": 0}',
    ]
    assert parse_steps(lines) == [
        CursorStep(1, 2),
        CursorStep(-3.5, 4, "btn-1", 0.25),
        CursorStep(0, 0),
    ]
    assert parse_step("   ", 9) is None


BAD_LINES = [
    ("not json", "not JSON"),
    ('{"x": 1, "y": NaN}', "not JSON (NaN is not JSON)"),
    ("[1, 2]", "must be a JSON object"),
    ('{"x": 1}', "needs both x and y"),
    ('{"x": 1, "y": 2, "delay": 5}', "unknown key 'delay'"),
    ('{"x": "1", "y": 2}', "x must be a number, not a string"),
    ('{"x": 1, "y": 1e20}', "y must be finite"),
    ('{"x": 1, "y": 2, "component": 3}', "component must be a string"),
    ('{"x": 1, "y": 2, "component": "a\\u001b"}', "component contains control characters"),
    ('{"x": 1, "y": 2, "delay_ms": -1}', f"delay_ms must be a number from 0 to {MAX_DELAY_MS}"),
    ('{"x": 1, "y": 2, "delay_ms": true}', "delay_ms must be a number"),
    ('{"x": 1, "y": 2, "delay_ms": 1e10}', "delay_ms must be a number"),
    (b'{"x": 1, "y": "\xff"}', "not valid UTF-8"),
    (b'{"x": 1, "y": 2, "pad": "' + b"a" * MAX_LINE_BYTES + b'"}', "longer than 4096 bytes"),
]


@pytest.mark.parametrize(("line", "reason"), BAD_LINES)
def test_a_bad_line_is_reported_with_its_number(line: str | bytes, reason: str) -> None:
    with pytest.raises(ReplayError) as caught:
        parse_step(line, 7)
    ((number, message),) = caught.value.problems
    assert number == 7
    assert message.startswith(reason)
    assert str(caught.value) == f"line 7: {message}"


def test_a_file_reports_every_bad_line_at_once(tmp_path: Path) -> None:
    script = tmp_path / "moves.jsonl"
    script.write_bytes(b'{"x": 1, "y": 1}\nnope\n\n{"x": 2}\r\n{"x": 3, "y": 3}\n')
    with pytest.raises(ReplayError) as caught:
        load_steps(script)
    assert caught.value.problems == [
        (2, "not JSON (Expecting value: line 1 column 1 (char 0))"),
        (4, "needs both x and y"),
    ]
    assert str(caught.value).splitlines()[1] == "line 4: needs both x and y"


def test_a_good_file_loads(tmp_path: Path) -> None:
    script = tmp_path / "moves.jsonl"
    script.write_text('{"x": 1, "y": 1}\r\n{"x": 2, "y": 2, "delay_ms": 10}\n')
    assert load_steps(script) == [CursorStep(1, 1), CursorStep(2, 2, None, 0.01)]


async def _collect(stream: io.BufferedIOBase) -> list[CursorStep]:
    return [step async for step in stream_steps(stream)]  # type: ignore[arg-type]


async def test_steps_stream_from_a_pipe_as_they_arrive() -> None:
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as reader, os.fdopen(write_fd, "wb") as writer:
        steps = stream_steps(reader)
        writer.write(b'{"x": 1, "y": 1}\n')
        writer.flush()
        # The first step is available while the writer is still open.
        first = await asyncio.wait_for(anext(steps), timeout=5)
        assert first == CursorStep(1, 1)
        writer.write(b'\n{"x": 2, "y": 2, "delay_ms": 5}\n')
        writer.close()
        rest = [step async for step in steps]
    assert rest == [CursorStep(2, 2, None, 0.005)]


async def test_a_stream_stops_at_the_first_bad_line() -> None:
    stream = io.BytesIO(b'{"x": 1, "y": 1}\n\n{"x": 1}\n{"x": 2, "y": 2}\n')
    seen: list[CursorStep] = []
    with pytest.raises(ReplayError) as caught:
        async for step in stream_steps(stream):
            seen.append(step)
    assert seen == [CursorStep(1, 1)]
    assert caught.value.problems == [(3, "needs both x and y")]


async def test_an_over_long_streamed_line_is_refused() -> None:
    stream = io.BytesIO(b'{"x": 1, "y": 1, "p": "' + b"a" * (2 * MAX_LINE_BYTES) + b'"}\n')
    with pytest.raises(ReplayError, match="line 1: longer than 4096 bytes"):
        await _collect(stream)


async def test_a_line_at_the_limit_streams() -> None:
    line = b'{"x": 1, "y": 1, "p": "'
    line += b"a" * (MAX_LINE_BYTES - len(line) - 2) + b'"}'
    assert len(line) == MAX_LINE_BYTES
    with pytest.raises(ReplayError, match="unknown key 'p'"):
        await _collect(io.BytesIO(line + b"\n"))


async def test_read_errors_reach_the_consumer() -> None:
    class Broken(io.RawIOBase):
        def readline(self, size: int | None = -1) -> bytes:
            raise OSError("device gone")

    with pytest.raises(OSError, match="device gone"):
        await _collect(Broken())  # type: ignore[arg-type]


async def test_replay_moves_the_cursor_after_each_delay() -> None:
    clock = FakeScheduler()
    sent: list[bytes] = []
    presence = Presence(
        "peer-a",
        PresenceConfig("Ada"),
        lambda data, reliable: sent.append(data),
        scheduler=clock,
    )
    waits: list[float] = []
    positions: list[Cursor | None] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        positions.append(presence.states()["peer-a"].state.cursor)

    steps = [CursorStep(1, 1), CursorStep(2, 2, "c", 0.5), CursorStep(3, 3, None, 0.25)]
    assert await replay(steps, presence, sleep=sleep) == 3
    assert waits == [0.5, 0.25]
    assert positions == [Cursor(1, 1), Cursor(2, 2, "c")]
    assert presence.states()["peer-a"].state.cursor == Cursor(3, 3)


async def test_replay_takes_an_async_stream_and_real_sleeps() -> None:
    clock = FakeScheduler()
    presence = Presence("peer-a", PresenceConfig("Ada"), lambda d, r: None, scheduler=clock)

    async def steps() -> AsyncIterator[CursorStep]:
        yield CursorStep(5, 6, None, 0.001)
        yield CursorStep(7, 8)

    assert await asyncio.wait_for(replay(steps(), presence), timeout=5) == 2
    assert presence.states()["peer-a"].state.cursor == Cursor(7, 8)
