"""The durable pull consumer of ComparisonResults (shared by every cj replica).

Each fetch takes many messages; results are grouped per batch and each group is applied in
one transaction under the batch's row lock. Messages are acked only after that commit.

No message can hold up another: a group that fails while the database is up is applied again
one message at a time, and a message that still fails alone is applied as a failed comparison
(incoming.unusable), logged, counted (outcome "poisoned") and term()'ed. Only the database
being unavailable nak's (redelivery; applying twice is a no-op). Payloads that are no
ComparisonResult with a request id cj could have made, and results of comparisons cj never
made, are term()'ed, logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import nats.errors
import structlog
from nats.aio.msg import Msg
from nats.js import JetStreamContext

from cj_service.adapters import incoming
from cj_service.adapters.db_errors import is_unavailable
from cj_service.service.workflow import apply, effects
from cj_service.service.workflow.contexts import Applying, Ending
from cj_service.service.workflow.model import StepOutcome
from contracts import headers, text
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import ConsumerSpec

log = structlog.get_logger("cj_service.results")
Item = tuple[Msg, llm_pb2.ComparisonResult]
RETRY_DELAY_S = 1.0
GROUPS_IN_PARALLEL = 8  # below the engine's pool (10 + 10 overflow)
KEEPALIVES_PER_ACK_WAIT = 3
STOP_GRACE_S = 5.0
# cj's comparison ids are short and printable: anything else cannot name one (and a NUL
# would make the lookup itself fail)
REQUEST_ID = text.Rule(256, required=True, one_line=True)


class ResultsConsumer:
    def __init__(self, js: JetStreamContext, ctx: Ending, spec: ConsumerSpec) -> None:
        self._js = js
        self._ctx = ctx
        self._spec = spec
        self._task: asyncio.Task | None = None
        self._sub: Any = None
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        self._sub = await self._js.pull_subscribe_bind(
            durable=self._spec.durable, stream=self._spec.stream
        )
        self._task = asyncio.create_task(self._loop(), name="cj-results-consumer")

    async def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Finish the fetch being applied (its acks follow its commit), then unsubscribe."""
        self._stopping.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), grace)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        if self._sub is not None:
            with contextlib.suppress(Exception):
                await self._sub.unsubscribe()

    async def _loop(self) -> None:
        p = self._ctx.pipeline
        while not self._stopping.is_set():
            try:
                msgs = await self._sub.fetch(p.fetch_batch, timeout=p.fetch_timeout_s)
            except (nats.errors.TimeoutError, TimeoutError):  # an empty fetch
                continue
            except (nats.errors.ConnectionClosedError, nats.errors.ConnectionDrainingError):
                return
            except Exception:
                log.exception("fetch_failed")
                await asyncio.sleep(RETRY_DELAY_S)
                continue
            await handle(self._ctx, msgs)


async def handle(ctx: Ending, msgs: list[Msg]) -> None:
    """Decode, route, apply per batch, then ack (or nak on failure)."""
    items = [item for item in [await _decode(ctx, m) for m in msgs] if item is not None]
    if not items:
        return
    every = ctx.pipeline.ack_wait_s / KEEPALIVES_PER_ACK_WAIT
    keepalive = asyncio.create_task(_keep_alive([m for m, _ in items], every))
    try:
        await _process(ctx, items)
    finally:
        keepalive.cancel()


async def _keep_alive(msgs: list[Msg], every: float) -> None:
    """in_progress() while a fetch is being applied, a few times per ack wait, so a slow
    refit does not turn into a redelivery of the whole fetch. (The first ack wait is the
    consumer's ack_wait, contracts.streams; every 0.4 s was sized for a 1 s one.)"""
    while True:
        await asyncio.sleep(every)
        for msg in msgs:
            if not msg.is_acked:
                with contextlib.suppress(Exception):
                    await msg.in_progress()


async def _process(ctx: Ending, items: list[Item]) -> None:
    try:
        groups, unknown = await apply.route(ctx, items, key=lambda i: i[1].request_id)
    except Exception:
        log.exception("route_failed", messages=len(items))
        await _settle(ctx, items, ok=False)
        return
    if unknown:
        ctx.metrics.comparisons.labels(outcome="unknown").inc(len(unknown))
        log.warning("unknown_comparisons", count=len(unknown), example=unknown[0][1].request_id)
        await _terminate(ctx, unknown)
    # Each batch's group is its own transaction under its own row lock, so groups of one
    # fetch can be applied side by side: one slow refit no longer holds up every other batch.
    gate = asyncio.Semaphore(GROUPS_IN_PARALLEL)

    async def apply_one(batch_id: str, group: list[Item]) -> None:
        async with gate:
            await _apply_group(ctx, batch_id, group)

    await asyncio.gather(*(apply_one(b, g) for b, g in groups.items()))


async def apply_results(
    ctx: Applying, batch_id: str, results: list[llm_pb2.ComparisonResult]
) -> StepOutcome:
    """The results, cleaned and read at the edge, applied to their assessment."""
    return await apply.apply_results(ctx, batch_id, [incoming.read(r) for r in results])


async def _apply_group(ctx: Ending, batch_id: str, group: list[Item]) -> None:
    try:
        out = await apply_results(ctx, batch_id, [r for _, r in group])
    except Exception as err:
        await _failed(ctx, batch_id, group, err)
        return
    effects.after_commit(ctx, out)
    await _settle(ctx, group, ok=True)
    log.info(
        "results_applied",
        batch_id=batch_id,
        received=len(group),
        applied=out.applied,
        duplicates=out.duplicates,
        late=out.late,
        planned=out.planned,
        finished=out.finished or None,
    )


async def _failed(ctx: Ending, batch_id: str, group: list[Item], err: Exception) -> None:
    """The database is away: nak, the group comes back. Else one message may be to blame:
    apply each alone, and a message that fails alone is poisoned."""
    if is_unavailable(err):
        log.warning("apply_unavailable", batch_id=batch_id, results=len(group),
                    error=text.clip(repr(err), 300))
        await _settle(ctx, group, ok=False)
    elif len(group) > 1:
        log.warning("apply_failed_retry_alone", batch_id=batch_id, results=len(group),
                    error=text.clip(repr(err), 300))
        for item in group:
            await _apply_group(ctx, batch_id, [item])
    else:
        await _poisoned(ctx, batch_id, group[0], err)


async def _poisoned(ctx: Ending, batch_id: str, item: Item, err: Exception) -> None:
    """A result that cannot be applied: its comparison fails instead (the pair may be asked
    again) and the message is terminated. When even that clean failure cannot be written,
    the fault is not this message's: nak, it comes back."""
    msg, result = item
    log.error("result_poisoned", batch_id=batch_id, request_id=result.request_id,
              error=text.clip(repr(err), 300))
    try:
        out = await apply_results(ctx, batch_id, [incoming.unusable(result, err)])
    except Exception:
        log.exception("poisoned_result_not_recorded", batch_id=batch_id)
        await _settle(ctx, [item], ok=False)
        return
    effects.after_commit(ctx, out)
    ctx.metrics.messages.labels(outcome="poisoned").inc()
    with contextlib.suppress(Exception):
        await msg.term()


async def _decode(ctx: Ending, msg: Msg) -> Item | None:
    try:
        result = headers.decode_as(llm_pb2.ComparisonResult, msg.data, msg.headers)
        bad = text.problem("request_id", result.request_id, REQUEST_ID)
        if bad is not None:
            raise headers.UndecodableMessage(f"ComparisonResult: {bad.message}")
    except headers.UndecodableMessage as err:
        ctx.metrics.messages.labels(outcome="undecodable").inc()
        log.warning("undecodable_result", subject=msg.subject, error=str(err))
        await msg.term()
        return None
    return msg, result


async def _terminate(ctx: Ending, items: list[Item]) -> None:
    ctx.metrics.messages.labels(outcome="terminated").inc(len(items))
    for msg, _ in items:
        with contextlib.suppress(Exception):  # a lost term only means one more redelivery
            await msg.term()


async def _settle(ctx: Ending, items: list[Item], *, ok: bool) -> None:
    outcome = "acked" if ok else "nacked"
    ctx.metrics.messages.labels(outcome=outcome).inc(len(items))
    for msg, _ in items:
        with contextlib.suppress(Exception):  # a lost ack only means a harmless redelivery
            await (msg.ack() if ok else msg.nak(delay=RETRY_DELAY_S))
