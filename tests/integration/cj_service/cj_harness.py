"""The stand-ins cj_fixtures' tests talk to: `RecordingProvider` (a real gRPC
LLMProviderService on loopback that accepts comparison requests and remembers them), the `CJ`
handle on a running cj_service, and builders of essays and of the ComparisonResults the real
llm_provider would publish.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import grpc
import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from cj_service import bootstrap
from contracts import headers, subjects
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc
from contracts.streams import Namespace
from tests.fixtures import unique_name, wait_until

JUDGE = common_pb2.JudgeConfig(provider="simulated", model="sim-judge")
MODELS = (("simulated", "sim-judge"), ("anthropic", "claude-haiku-4-5"))
DEFAULT_JUDGE = "simulated/sim-judge"  # the CJ_DEFAULT_JUDGE of the services under test
UNREACHABLE = "127.0.0.1:1"  # content address of tests that never fetch texts


class RecordingProvider(llm_service_pb2_grpc.LLMProviderServiceServicer):
    """Accepts every request (or rejects the ids in `reject`), remembering each one once;
    records every CancelComparisons call (refused while `cancel_unavailable`)."""

    def __init__(self) -> None:
        self.requests: dict[str, llm_pb2.ComparisonRequest] = {}
        self.submissions = 0
        self.reject: dict[str, str] = {}
        self.unavailable = False
        self.cancels: list[llm_pb2.CancelComparisonsRequest] = []
        self.cancel_unavailable = False
        self.catalog_unavailable = False  # ListModels / ListProviders answer UNAVAILABLE
        # provider -> configured (credentials present); anthropic has no key here
        self.configured = {"simulated": True, "anthropic": False}

    async def CancelComparisons(self, request, context):
        if self.cancel_unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "queue down")
        self.cancels.append(request)
        return llm_pb2.CancelComparisonsResponse(cancelled=True)

    def cancelled_groups(self) -> list[str]:
        return [c.group_id for c in self.cancels]

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
        if self.catalog_unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "llm_provider restarting")
        return llm_pb2.ListModelsResponse(
            models=[
                llm_pb2.ModelInfo(  # as llm_provider's manifest states them
                    provider=p, model_id=m, max_output_tokens=8192, supports_temperature=True,
                    max_temperature=1.0 if p == "anthropic" else 2.0,
                )
                for p, m in MODELS
            ]
        )

    async def ListProviders(self, request, context):
        if self.catalog_unavailable:
            await context.abort(grpc.StatusCode.UNAVAILABLE, "llm_provider restarting")
        return llm_pb2.ListProvidersResponse(
            providers=[
                llm_pb2.ProviderInfo(provider=p, enabled=True, configured=ok)
                for p, ok in self.configured.items()
            ]
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

    def sample(self, name: str, **labels: str) -> float:
        """A metric's current value (0 before its first sample)."""
        return self.metrics.registry.get_sample_value(name, labels) or 0.0

    async def ended(self, batch_id: str) -> cj_pb2.Assessment | None:
        """The batch once it is no longer running (for wait_until), else None."""
        a = await self.get(batch_id)
        return a if a.state != cj_pb2.ASSESSMENT_STATE_RUNNING else None

    def counted(self, outcome: str) -> float:
        """Results the consumer counted with this outcome (judged, duplicate, late...)."""
        return self.sample("huleedu_cj_comparisons_total", outcome=outcome)

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


def error_result(
    request_id: str,
    *,
    retryable: bool = True,
    reason: int = llm_pb2.COMPARISON_ERROR_REASON_PROVIDER_ERROR,
    message: str = "500 from provider",
    failed_attempts: dict[str, int] | None = None,
    cost: float = 0.0,
) -> llm_pb2.ComparisonResult:
    return llm_pb2.ComparisonResult(
        request_id=request_id,
        provider="simulated",
        model="sim-judge",
        attempts=5,
        cost_usd=cost,
        failed_attempts=failed_attempts or {},
        error=llm_pb2.ComparisonError(reason=reason, message=message, retryable=retryable),
    )
