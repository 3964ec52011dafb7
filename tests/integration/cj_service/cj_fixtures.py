"""A real cj_service (bootstrap.start) on port 0 with its own database and NATS namespace.

llm_provider is played by `RecordingProvider`, a real gRPC LLMProviderService on loopback
that accepts requests and remembers them; the tests then publish the ComparisonResults the
real llm_provider would publish (same subject, schema and headers), which lets them choose
the order, duplicates and lateness exactly. The content service is the real one.
Import into a test module with ``from tests.integration.cj_service.cj_fixtures import *``.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import grpc
import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from cj_service import bootstrap
from cj_service.adapters import migrate
from cj_service.config import BatchDefaults, Config, PipelineSettings
from content_service import bootstrap as content_bootstrap
from content_service.config import Config as ContentConfig
from contracts import channels, headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc
from contracts.streams import Namespace
from deploy.local import pg_infra
from deploy.local.procs import run_sync
from tests.fixtures import unique_name, wait_until

__all__ = [
    "cj",
    "cj_content",
    "cj_database",
    "cj_template_db",
    "content_db",
    "start_cj",
]

JUDGE = common_pb2.JudgeConfig(provider="simulated", model="sim-judge")
MODELS = (("simulated", "sim-judge"), ("anthropic", "claude-haiku-4-5"))
UNREACHABLE = "127.0.0.1:1"  # content address of tests that never fetch texts


class RecordingProvider(llm_service_pb2_grpc.LLMProviderServiceServicer):
    """Accepts every request (or rejects the ids in `reject`), remembering each one once."""

    def __init__(self) -> None:
        self.requests: dict[str, llm_pb2.ComparisonRequest] = {}
        self.submissions = 0
        self.reject: dict[str, str] = {}
        self.unavailable = False

    async def SubmitComparisons(self, request, context):
        self.submissions += 1
        if self.unavailable:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "provider switched off")
        outcomes = []
        for r in request.requests:
            if r.request_id in self.reject:
                outcomes.append(
                    llm_pb2.SubmissionOutcome(
                        request_id=r.request_id,
                        rejection_reason=self.reject[r.request_id],
                        rejection_message="refused by test",
                    )
                )
                continue
            duplicate = r.request_id in self.requests
            self.requests.setdefault(r.request_id, r)
            outcomes.append(
                llm_pb2.SubmissionOutcome(
                    request_id=r.request_id, accepted=True, duplicate=duplicate
                )
            )
        return llm_pb2.SubmitComparisonsResponse(outcomes=outcomes)

    async def ListModels(self, request, context):
        return llm_pb2.ListModelsResponse(
            models=[llm_pb2.ModelInfo(provider=p, model_id=m) for p, m in MODELS]
        )


@dataclass
class CJ:
    app: bootstrap.App
    provider: RecordingProvider
    ns: Namespace
    nc: Any
    js: Any
    content_stub: content_service_pb2_grpc.ContentServiceStub
    channel: grpc.aio.Channel
    answered: set[str] = field(default_factory=set)

    @property
    def stub(self) -> cj_service_pb2_grpc.CJAssessmentServiceStub:
        return cj_service_pb2_grpc.CJAssessmentServiceStub(self.channel)

    @property
    def metrics(self):
        return self.app.deps.metrics

    async def submit(self, essays: Iterable[cj_pb2.EssayInput] | int = 4, **kwargs: Any):
        if isinstance(essays, int):
            essays = [text_essay(f"e{i}", f"Essay number {i}. " * (i + 1)) for i in range(essays)]
        kwargs.setdefault("request_id", unique_name("req"))
        kwargs.setdefault("judge", JUDGE)
        request = cj_pb2.SubmitAssessmentRequest(essays=list(essays), **kwargs)
        return await self.stub.SubmitAssessment(request, timeout=30)

    async def get(self, assessment_id: str) -> cj_pb2.Assessment:
        response = await self.stub.GetAssessment(
            cj_pb2.GetAssessmentRequest(assessment_id=assessment_id), timeout=10
        )
        return response.assessment

    async def put_text(self, text: str) -> str:
        response = await self.content_stub.PutContent(
            content_pb2.PutContentRequest(request_id=unique_name("put"), content=text.encode()),
            timeout=10,
        )
        return response.metadata.content_id

    def requests_of(self, batch_id: str) -> list[llm_pb2.ComparisonRequest]:
        return [r for r in self.provider.requests.values() if r.metadata["batch_id"] == batch_id]

    async def wait_requests(self, batch_id: str, n: int, *, timeout: float = 10) -> list:
        await wait_until(
            lambda: len(self.requests_of(batch_id)) >= n,
            timeout=timeout,
            message=f"{n} requests of {batch_id}",
        )
        return self.requests_of(batch_id)

    async def publish(self, result: llm_pb2.ComparisonResult, *, msg_id: str | None = None) -> None:
        payload, hdrs = headers.encode(result, msg_id=msg_id or result.request_id)
        subject = self.ns.subject(subjects.results_subject(subjects.CJ_RESULTS_KEY))
        await self.js.publish(subject, payload, headers=hdrs)

    async def answer(
        self,
        requests: Iterable[llm_pb2.ComparisonRequest],
        winner: Callable[[llm_pb2.ComparisonRequest], int] = lambda r: 1,
    ) -> int:
        n = 0
        for r in requests:
            if r.request_id not in self.answered:
                self.answered.add(r.request_id)
                await self.publish(verdict(r.request_id, winner(r)))
                n += 1
        return n

    async def events(self, *, timeout: float = 1.0) -> list[tuple[str, Any]]:
        """Every event on the namespace's CJ subjects so far, decoded: (subject, message)."""
        stream = self.ns.name("HULEEDU_CJ_EVENTS")
        sub = await self.js.pull_subscribe(
            self.ns.subject(subjects.CJ_EVENTS_ALL),
            stream=stream,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.NONE),
        )
        found = []
        try:
            while True:
                msgs = await sub.fetch(100, timeout=timeout)
                found += [(m.subject, headers.decode(m.data, m.headers)) for m in msgs]
        except (nats.errors.TimeoutError, TimeoutError):  # no more events
            pass
        finally:
            await sub.unsubscribe()
        return found


def text_essay(essay_id: str, text: str, **kwargs: Any) -> cj_pb2.EssayInput:
    return cj_pb2.EssayInput(essay_id=essay_id, text=text, **kwargs)


def verdict(
    request_id: str, winner: int = 1, *, cost: float = 0.001, probability_a: float | None = None
) -> llm_pb2.ComparisonResult:
    v = llm_pb2.ComparisonVerdict(winner=winner, confidence=3, justification="because")
    if probability_a is not None:
        v.probability_a = probability_a
    return llm_pb2.ComparisonResult(
        request_id=request_id,
        verdict=v,
        provider="simulated",
        model="sim-judge",
        cost_usd=cost,
        attempts=1,
        usage=common_pb2.TokenUsage(prompt_tokens=100, completion_tokens=10),
    )


def error_result(request_id: str, *, retryable: bool = True) -> llm_pb2.ComparisonResult:
    return llm_pb2.ComparisonResult(
        request_id=request_id,
        provider="simulated",
        model="sim-judge",
        attempts=5,
        error=llm_pb2.ComparisonError(
            reason=llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_ERROR,
            message="500 from provider",
            retryable=retryable,
        ),
    )


async def _delete_streams(js: Any, ns: Namespace) -> None:
    for name in ("HULEEDU_LLM_RESULTS", "HULEEDU_CJ_EVENTS"):
        with contextlib.suppress(Exception):  # already gone: nothing to clean
            await js.delete_stream(ns.name(name))


@pytest.fixture(scope="session")
def cj_template_db(postgres_admin_url: str) -> Iterator[str]:
    """A migrated database that each test's database is copied from (CREATE ... TEMPLATE),
    which is several times faster than migrating a fresh one per test."""
    name = unique_name("cjtmpl")
    url = run_sync(lambda: pg_infra.create_database(postgres_admin_url, name))
    migrate.upgrade_sync(url)
    yield name
    run_sync(lambda: pg_infra.drop_database(postgres_admin_url, name))


@pytest.fixture
def cj_database(postgres_admin_url: str, cj_template_db: str) -> Iterator[Callable[[], str]]:
    """Factory for a migrated database private to one test (dropped afterwards)."""
    names: list[str] = []

    def create() -> str:
        names.append(unique_name("cj"))
        run_sync(
            lambda: _admin(
                postgres_admin_url, f'CREATE DATABASE "{names[-1]}" TEMPLATE "{cj_template_db}"'
            )
        )
        return pg_infra.to_sqlalchemy(pg_infra.with_database(postgres_admin_url, names[-1]))

    yield create
    for name in names:
        run_sync(lambda name=name: pg_infra.drop_database(postgres_admin_url, name))


async def _admin(admin_url: str, sql: str) -> None:
    conn = await asyncpg.connect(pg_infra.to_asyncpg(pg_infra.with_database(admin_url, "postgres")))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def content_db(database_url: str) -> str:
    """The content service's tables live in the session database (content ids dedupe)."""
    return database_url


@pytest.fixture
async def start_cj(
    content_db: str,
    cj_database: Callable[[], str],
    nats_url: str,
    grpc_server: Callable[..., Any],
) -> AsyncIterator[Callable[..., Any]]:
    """``cj = await start_cj(defaults=..., pipeline=..., content=True)``: a fresh service.

    The real content service is started only for tests that need it (``content=True``).
    """
    cleanups: list[Callable[[], Any]] = []

    async def start_content() -> str:
        app = await content_bootstrap.start(
            ContentConfig(
                database_url=content_db, grpc_port=0, metrics_port=0, shutdown_grace_s=0.2
            )
        )
        cleanups.append(lambda: app.stop(grace=0))
        return app.address

    async def start(
        *,
        defaults: BatchDefaults | None = None,
        pipeline: PipelineSettings | None = None,
        env: dict | None = None,
        replica_of: CJ | None = None,
        content: bool = False,
    ) -> CJ:
        """A new service; `replica_of` shares that one's database, namespace and provider."""
        provider = replica_of.provider if replica_of else RecordingProvider()
        llm_addr = (
            replica_of.app.config.llm_provider_addr
            if replica_of
            else await grpc_server(
                (llm_service_pb2_grpc.add_LLMProviderServiceServicer_to_server, provider)
            )
        )
        ns = replica_of.ns if replica_of else Namespace(unique_name("cj"))
        database = replica_of.app.config.database_url if replica_of else cj_database()
        content_addr = await start_content() if content else UNREACHABLE
        config = Config(
            database_url=database,
            nats_url=nats_url,
            nats_namespace=ns.prefix,
            grpc_port=0,
            metrics_port=0,
            content_addr=content_addr,
            llm_provider_addr=llm_addr,
            instance_id=unique_name("cj"),
            defaults=defaults or BatchDefaults(),
            pipeline=pipeline or dataclasses.replace(PipelineSettings(), bootstrap_rounds=20),
            env=env or {},
        )
        app = await bootstrap.start(config)
        cleanups.append(lambda: app.stop(grace=0))
        nc = await nats.connect(nats_url)
        cleanups.append(nc.close)
        if replica_of is None:
            cleanups.append(lambda: _delete_streams(nc.jetstream(), ns))
        channel = grpc.aio.insecure_channel(app.address)
        cleanups.append(channel.close)
        content_ch = channels.insecure_channel(content_addr, [channels.CONTENT_SERVICE])
        cleanups.append(content_ch.close)
        return CJ(
            app,
            provider,
            ns,
            nc,
            nc.jetstream(),
            content_service_pb2_grpc.ContentServiceStub(content_ch),
            channel,
        )

    yield start
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def cj(start_cj: Callable[..., Any]) -> CJ:
    return await start_cj()


@pytest.fixture
async def cj_content(start_cj: Callable[..., Any]) -> CJ:
    """A cj service wired to a real content service."""
    return await start_cj(content=True)
