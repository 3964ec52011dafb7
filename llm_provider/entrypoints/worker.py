"""The worker pool: pulls from the shared durable consumer and runs bounded concurrent calls.

Every replica binds to the same durable pull consumer, so JetStream hands each request to
exactly one worker at a time. One heartbeat loop sends in_progress() for every message held
longer than a third of ack_wait (long provider calls, budget waits), instead of one timer
task per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from contracts import headers
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.config import WorkerSettings
from llm_provider.metrics import Metrics
from llm_provider.service.judging import Judge

log = structlog.get_logger("llm_provider.worker")
FETCH_TIMEOUT_S = 1.0


class WorkerPool:
    def __init__(self, js: JetStreamContext, *, stream: str, durable: str, judge: Judge,
                 settings: WorkerSettings, metrics: Metrics):
        self._js = js
        self._stream, self._durable = stream, durable
        self._judge = judge
        self._settings = settings
        self._metrics = metrics
        self._inflight: dict[asyncio.Task[None], list] = {}
        self._slot_free = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._low_water = max(1, min(settings.fetch_batch, settings.concurrency) // 4)

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def start(self) -> None:
        self._sub = await self._js.pull_subscribe_bind(self._durable, stream=self._stream)
        self._loops = [asyncio.create_task(self._fetch_loop(), name="llm-fetch"),
                       asyncio.create_task(self._heartbeat_loop(), name="llm-heartbeat")]

    async def _fetch_loop(self) -> None:
        while not self._stopping:
            free = self._settings.concurrency - len(self._inflight)
            # Refill in chunks, not one message per completion: fewer pull round trips.
            if free < self._low_water and self._inflight:
                self._slot_free.clear()
                await self._slot_free.wait()
                continue
            try:
                msgs = await self._sub.fetch(min(free, self._settings.fetch_batch),
                                             timeout=FETCH_TIMEOUT_S)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except Exception as exc:  # connection trouble: back off, nats-py reconnects
                log.warning("fetch failed", error=repr(exc))
                await asyncio.sleep(FETCH_TIMEOUT_S)
                continue
            for msg in msgs:
                task = asyncio.create_task(self._process(msg))
                self._inflight[task] = [msg, time.monotonic()]
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        if self._settings.concurrency - len(self._inflight) >= self._low_water:
            self._metrics.in_flight.set(len(self._inflight))
            self._slot_free.set()

    async def _process(self, msg: Msg) -> None:
        try:
            queued = headers.decode_as(llm_pb2.QueuedComparison, msg.data, msg.headers)
        except headers.UndecodableMessage as exc:
            self._metrics.undecodable.inc()
            log.error("undecodable work-queue message terminated", error=str(exc),
                      subject=msg.subject)
            await msg.term()
            return
        try:
            disposition = await self._judge.handle(queued, delivery=_delivery_count(msg))
        except Exception as exc:  # e.g. NATS down while publishing: try again later
            log.exception("delivery failed; will be redelivered",
                          request_id=queued.request.request_id, error=repr(exc))
            await _quietly(msg.nak(delay=self._settings.backoff_base_s))
            return
        if disposition.ack:
            await msg.ack()
        else:
            await msg.nak(delay=disposition.delay)

    async def _heartbeat_loop(self) -> None:
        interval = self._settings.ack_wait_s / 3
        while True:
            await asyncio.sleep(interval / 2)
            now = time.monotonic()
            for entry in list(self._inflight.values()):
                if now - entry[1] >= interval:
                    entry[1] = now
                    await _quietly(entry[0].in_progress())

    async def stop(self, grace: float) -> None:
        """Stop pulling, let calls in flight finish for `grace` s, hand the rest back."""
        self._stopping = True
        self._loops[0].cancel()
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=grace)
        leftover = [(task, entry[0]) for task, entry in self._inflight.items()]
        for task, _ in leftover:
            task.cancel()
        for _, msg in leftover:
            await _quietly(msg.nak())
        await self._cancel_loops()

    async def abort(self) -> None:
        """Die like kill -9 would: no acks or naks; JetStream redelivers after ack_wait."""
        self._stopping = True
        for task in list(self._inflight):
            task.cancel()
        await self._cancel_loops()

    async def _cancel_loops(self) -> None:
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()


def _delivery_count(msg: Msg) -> int:
    """num_delivered straight from the ack subject ($JS.ACK.<stream>.<consumer>.<delivered>...
    or the 12-token form with domain and account hash), without building full metadata."""
    tokens = msg.reply.split(".")
    if len(tokens) == 9:
        return int(tokens[4])
    if len(tokens) >= 12:
        return int(tokens[6])
    return msg.metadata.num_delivered


async def _quietly(coro: object) -> None:
    try:
        await coro  # type: ignore[misc]
    except Exception as exc:
        log.warning("ack/nak/in_progress failed", error=repr(exc))
