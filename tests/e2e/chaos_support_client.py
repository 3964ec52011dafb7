"""What a caller of the mesh does in the e2e, chaos and load tests: upload, submit, wait, read.

Every call carries a request_id and is retried on UNAVAILABLE / DEADLINE_EXCEEDED until a
deadline, because replicas die under the chaos test; the request_id makes the retry safe.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from contracts.streams import Namespace

T = TypeVar("T")
RETRIED = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}
TOPICS = ("rivers", "cities", "winter", "music", "friendship", "science", "travel", "books")
PRICED_JUDGE = common_pb2.JudgeConfig(provider="simulated", model="simulated-priced")
RUNNING = (cj_pb2.ASSESSMENT_STATE_RUNNING, cj_pb2.ASSESSMENT_STATE_UNSPECIFIED)


def essay_text(batch: str, i: int) -> str:
    """A distinct text per (batch, i), so every essay gets its own latent quality."""
    topic = TOPICS[i % len(TOPICS)]
    return f"Essay {batch}-{i} on {topic}. " + f"Paragraph {i} reflects on {topic}. " * 3


async def retrying(call: Callable[[], Awaitable[T]], *, deadline_s: float = 120.0) -> T:
    """``call()`` until it does not fail with a retryable code, for up to ``deadline_s``."""
    deadline = time.monotonic() + deadline_s
    delay = 0.2
    while True:
        try:
            return await call()
        except grpc.aio.AioRpcError as err:
            if err.code() not in RETRIED or time.monotonic() > deadline:
                raise
        await asyncio.sleep(delay)
        delay = min(delay * 2, 2.0)


@dataclass
class Caller:
    """Stubs for content and cj on the given channels."""

    content_channel: grpc.aio.Channel
    cj_channel: grpc.aio.Channel
    rpc_timeout_s: float = 30.0
    content: Any = field(init=False)
    cj: Any = field(init=False)

    def __post_init__(self) -> None:
        self.content = content_service_pb2_grpc.ContentServiceStub(self.content_channel)
        self.cj = cj_service_pb2_grpc.CJAssessmentServiceStub(self.cj_channel)

    async def put(self, text: str) -> str:
        request = content_pb2.PutContentRequest(
            request_id=uuid.uuid4().hex, content=text.encode()
        )
        reply = await retrying(lambda: self.content.PutContent(request, timeout=self.rpc_timeout_s))
        return reply.metadata.content_id

    async def upload(self, texts: Sequence[str], *, concurrency: int = 32) -> list[str]:
        gate = asyncio.Semaphore(concurrency)

        async def one(text: str) -> str:
            async with gate:
                return await self.put(text)

        return list(await asyncio.gather(*(one(t) for t in texts)))

    async def submit(
        self, content_ids: Sequence[str], *, stopping: cj_pb2.StoppingOptions,
        judge: common_pb2.JudgeConfig = PRICED_JUDGE, correlation_id: str = "", seed: int = 0,
    ) -> str:
        request = cj_pb2.SubmitAssessmentRequest(
            request_id=uuid.uuid4().hex, correlation_id=correlation_id or uuid.uuid4().hex,
            essays=[cj_pb2.EssayInput(essay_id=f"e{i:04d}", content_id=cid)
                    for i, cid in enumerate(content_ids)],
            judge=judge, instructions_text="Rank the essays by overall quality.",
            stopping=stopping, seed=seed,
        )
        reply = await retrying(
            lambda: self.cj.SubmitAssessment(request, timeout=self.rpc_timeout_s)
        )
        return reply.assessment.assessment_id

    async def assessment(self, batch_id: str) -> cj_pb2.Assessment:
        request = cj_pb2.GetAssessmentRequest(assessment_id=batch_id)
        reply = await retrying(lambda: self.cj.GetAssessment(request, timeout=self.rpc_timeout_s))
        return reply.assessment

    async def wait_finished(
        self, batch_ids: Sequence[str], *, timeout_s: float, interval_s: float = 0.5,
        on_finish: Callable[[str, cj_pb2.Assessment], None] | None = None,
    ) -> dict[str, cj_pb2.Assessment]:
        """Poll until every batch left RUNNING; fail with the stragglers' progress if not."""
        deadline = time.monotonic() + timeout_s
        done: dict[str, cj_pb2.Assessment] = {}
        while True:
            for batch_id in [b for b in batch_ids if b not in done]:
                found = await self.assessment(batch_id)
                if found.state not in RUNNING:
                    done[batch_id] = found
                    if on_finish is not None:
                        on_finish(batch_id, found)
            if len(done) == len(batch_ids):
                return done
            if time.monotonic() > deadline:
                waiting = [b for b in batch_ids if b not in done]
                progress = [(await self.assessment(b)).progress for b in waiting[:3]]
                raise AssertionError(f"{len(waiting)} batches still running: {progress}")
            await asyncio.sleep(interval_s)


async def read_stream(
    nc: nats.NATS, *, stream: str, subject: str, idle_s: float = 2.0, batch: int = 1_000,
    attempts: int = 5,
) -> list[tuple[str, dict[str, str], bytes]]:
    """Every message of ``stream`` on ``subject`` (ephemeral, unacked): (subject, headers, data).

    Read again from the start when JetStream answers 503 or similar, as it does for a while
    after a cluster node comes back and consumer leaders move.
    """
    for attempt in range(1, attempts + 1):
        try:
            return await _read_once(nc, stream=stream, subject=subject, idle_s=idle_s,
                                    batch=batch)
        except nats.errors.Error:
            if attempt == attempts:
                raise
            await asyncio.sleep(attempt)
    raise AssertionError("unreachable")


async def _read_once(
    nc: nats.NATS, *, stream: str, subject: str, idle_s: float, batch: int
) -> list[tuple[str, dict[str, str], bytes]]:
    js = nc.jetstream()
    sub = await js.pull_subscribe(
        subject, stream=stream,
        config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE,
                              inactive_threshold=60.0),
    )
    found: list[tuple[str, dict[str, str], bytes]] = []
    try:
        while True:
            msgs = await sub.fetch(batch, timeout=idle_s)
            found += [(m.subject, dict(m.headers or {}), m.data) for m in msgs]
    except (nats.errors.TimeoutError, TimeoutError):
        pass
    finally:
        await sub.unsubscribe()
    return found


async def cj_events(nc: nats.NATS, ns: Namespace) -> list[tuple[str, Any]]:
    """Every event on the CJ events stream, decoded by its huleedu-schema header."""
    raw = await read_stream(
        nc, stream=ns.name("HULEEDU_CJ_EVENTS"), subject=ns.subject(subjects.CJ_EVENTS_ALL)
    )
    return [(subject, headers.decode(data, hdrs)) for subject, hdrs, data in raw]
