"""DatabaseProbe: reports only changes, treats slowness as failure."""

from __future__ import annotations

import asyncio

from content_service.entrypoints.health_probe import DatabaseProbe


class Database:
    def __init__(self) -> None:
        self.up = True
        self.hang = False

    async def ping(self) -> None:
        if self.hang:
            await asyncio.Event().wait()
        if not self.up:
            raise ConnectionRefusedError("down")


async def test_the_probe_reports_each_change_once():
    database, changes = Database(), []

    async def record(healthy: bool) -> None:
        changes.append(healthy)

    probe = DatabaseProbe(database.ping, on_change=record, interval_s=0, timeout_s=1)
    for up in (True, True, False, False, True):
        database.up = up
        await probe.check_once()

    assert changes == [True, False, True]
    assert probe.runs == 5


async def test_a_database_that_does_not_answer_in_time_is_unhealthy():
    database, changes = Database(), []
    database.hang = True

    async def record(healthy: bool) -> None:
        changes.append(healthy)

    probe = DatabaseProbe(database.ping, on_change=record, interval_s=0, timeout_s=0.01)

    assert await probe.check_once() is False
    assert changes == [False]


async def test_a_stopped_probe_ends_its_loop():
    database = Database()

    async def ignore(healthy: bool) -> None:
        return None

    probe = DatabaseProbe(database.ping, on_change=ignore, interval_s=0, timeout_s=1)
    task = asyncio.create_task(probe.run_forever())
    while probe.runs < 3:
        await asyncio.sleep(0)

    probe.stop()

    async with asyncio.timeout(5):
        await task
    assert task.done() and not task.cancelled()


async def test_cancelling_a_probe_mid_ping_cancels_it():
    database = Database()
    database.hang = True

    async def ignore(healthy: bool) -> None:
        return None

    probe = DatabaseProbe(database.ping, on_change=ignore, interval_s=0, timeout_s=30)
    task = asyncio.create_task(probe.run_forever())
    await asyncio.sleep(0.01)

    task.cancel()

    async with asyncio.timeout(5):
        await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
