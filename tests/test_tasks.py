"""TaskSet: what callbacks return runs as tracked tasks, failures reported."""

from __future__ import annotations

import asyncio

from avacollab.tasks import TaskSet


async def test_awaitables_run_failures_are_reported_and_plain_results_ignored() -> None:
    errors: list[BaseException] = []
    tasks = TaskSet(errors.append)
    done = asyncio.Event()

    async def works() -> None:
        done.set()

    async def fails() -> None:
        raise RuntimeError("callback bug")

    assert tasks.spawn(None) is None and tasks.spawn(42) is None
    ran, failed = tasks.spawn(works()), tasks.spawn(fails())
    assert ran is not None and failed is not None
    await asyncio.wait_for(asyncio.gather(ran, failed, return_exceptions=True), 5)
    assert done.is_set()
    assert [str(e) for e in errors] == ["callback bug"]
    assert list(tasks) == []  # finished tasks are let go


async def test_cancel_ends_every_running_task_without_reporting_it() -> None:
    errors: list[BaseException] = []
    tasks = TaskSet(errors.append)
    started = asyncio.Event()

    async def forever() -> None:
        started.set()
        await asyncio.Event().wait()

    running = [tasks.spawn(forever()) for _ in range(3)]
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(tasks.cancel(), 5)
    assert all(t is not None and t.cancelled() for t in running)
    assert errors == [] and list(tasks) == []
