"""The worker pool: pulls from the shared durable consumer and runs bounded concurrent calls.

Every replica binds to the same durable pull consumer, so JetStream hands each request to
exactly one worker at a time. Pull requests ask for as many messages as there are free
slots (refilled in chunks, not one per completion). One heartbeat loop sends in_progress()
for every message held longer than a third of ack_wait (long provider calls, budget waits),
instead of one timer task per message.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import headers
from contracts.errors import ServiceError
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.pull import PullFeed
from llm_provider.config import WorkerSettings
from llm_provider.metrics import Metrics
from llm_provider.service.judging import Judge
from llm_provider.service.validation import check_address

log = structlog.get_logger("llm_provider.worker")
IDLE_CHECK_S = 1.0


class WorkerPool:
    def __init__(self, nc: Client, *, stream: str, durable: str, judge: Judge,
                 settings: WorkerSettings, metrics: Metrics):
        self._nc = nc
        self._stream, self._durable = stream, durable
        self._judge = judge
        self._settings = settings
        self._metrics = metrics
        self._inflight: dict[asyncio.Task[None], list] = {}
        self._wake = asyncio.Event()
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._low_water = max(1, min(settings.fetch_batch, settings.concurrency) // 4)

    @property
    def in_flight(self) -> int:
        return len(self._inflight)

    async def start(self) -> None:
        self._feed = await PullFeed(self._nc, stream=self._stream, durable=self._durable,
                                    on_message=self._spawn, on_status=self._wake.set).start()
        self._loops = [asyncio.create_task(self._pull_loop(), name="llm-pull"),
                       asyncio.create_task(self._heartbeat_loop(), name="llm-heartbeat")]

    def _wanted(self) -> int:
        return self._settings.concurrency - len(self._inflight) - self._feed.credit

    async def _pull_loop(self) -> None:
        while not self._stopping:
            wanted = self._wanted()
            if wanted >= self._low_water or (wanted > 0 and self._feed.credit == 0):
                try:
                    await self._feed.request(min(wanted, self._settings.fetch_batch))
                except Exception as exc:  # disconnected: nats-py reconnects, we ask again
                    log.warning("pull request failed", error=repr(exc))
                    self._feed.reset()
                    await asyncio.sleep(IDLE_CHECK_S)
                continue
            if self._feed.stale():
                self._feed.reset()
                continue
            self._wake.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_CHECK_S)

    def _spawn(self, msg: Msg) -> None:
        if self._stopping:  # a late delivery after stop(): hand it straight back
            asyncio.create_task(_quietly(msg.nak()))
            return
        task = asyncio.create_task(self._process(msg))
        self._inflight[task] = [msg, time.monotonic()]
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.pop(task, None)
        if self._wanted() >= self._low_water:
            self._metrics.in_flight.set(len(self._inflight))
            self._wake.set()

    async def _process(self, msg: Msg) -> None:
        try:
            queued = _decoded(msg)
        except headers.UndecodableMessage as exc:
            self._metrics.undecodable.inc()
            log.error("unusable work-queue message terminated", error=str(exc),
                      subject=msg.subject, size=len(msg.data))
            await _quietly(msg.term())
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
        self._wake.set()
        deadline = time.monotonic() + grace
        if self._inflight:
            await asyncio.wait(list(self._inflight), timeout=grace)
        # Open pull requests may still deliver; nak those (see _spawn) until they expire,
        # rather than leave them to wait out ack_wait on a closed subscription.
        while self._feed.credit and time.monotonic() < min(deadline, self._feed.drain_by()):
            await asyncio.sleep(0.05)
        leftover = [(task, entry[0]) for task, entry in self._inflight.items()]
        for task, _ in leftover:
            task.cancel()
        for _, msg in leftover:
            await _quietly(msg.nak())
        await self._shutdown()

    async def abort(self) -> None:
        """Die like kill -9 would: no acks or naks; JetStream redelivers after ack_wait."""
        self._stopping = True
        for task in list(self._inflight):
            task.cancel()
        await self._shutdown()

    async def _shutdown(self) -> None:
        for loop in self._loops:
            loop.cancel()
        for loop in self._loops:
            with contextlib.suppress(asyncio.CancelledError):
                await loop
        await self._feed.stop()


def _decoded(msg: Msg) -> llm_pb2.QueuedComparison:
    """Decode and check that the request can be answered: protobuf parses many byte strings,
    so one without a valid request_id and results subject is as unusable as garbage (and
    retrying cannot fix it). Its other limits are the judge's to check: it answers them."""
    queued = headers.decode_as(llm_pb2.QueuedComparison, msg.data, msg.headers)
    try:
        check_address(queued.request)
    except ServiceError as error:
        raise headers.UndecodableMessage(f"cannot be answered: {error.message}") from error
    return queued


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

