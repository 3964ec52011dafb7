"""The LLMProviderService servicer: proto in, handler call, proto out; errors as rich status."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from contracts import errors
from contracts.huleedu.llm.v1 import llm_pb2, llm_service_pb2_grpc
from llm_provider.adapters.queue import WorkQueue
from llm_provider.domain.manifest import Manifest
from llm_provider.metrics import Metrics
from llm_provider.service import catalog
from llm_provider.service.cancellation import CancelledGroups, cancel_comparisons
from llm_provider.service.catalog import DOMAIN
from llm_provider.service.clock import Clock
from llm_provider.service.registry import ProviderSlot
from llm_provider.service.submit import Intake, QueueFullError, submit_comparisons

T = TypeVar("T")


def queue_full_status(error: errors.ServiceError, retry_after_s: float) -> grpc.Status:
    """RESOURCE_EXHAUSTED with ErrorInfo plus google.rpc.RetryInfo (the standard hint)."""
    info, hint = any_pb2.Any(), any_pb2.Any()
    info.Pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=DOMAIN,
                                          metadata=dict(error.metadata)))
    delay = duration_pb2.Duration()
    delay.FromNanoseconds(int(retry_after_s * 1e9))
    hint.Pack(error_details_pb2.RetryInfo(retry_delay=delay))
    status = status_pb2.Status(code=error.code.value[0], message=error.message,
                               details=[info, hint])
    return rpc_status.to_status(status)


@dataclass
class LLMProviderServicer(llm_service_pb2_grpc.LLMProviderServiceServicer):
    intake: Intake
    manifest: Manifest
    slots: Mapping[str, ProviderSlot]
    queue: WorkQueue
    max_depth: int
    clock: Clock
    metrics: Metrics
    cancellations: CancelledGroups

    async def SubmitComparisons(
        self, request: llm_pb2.SubmitComparisonsRequest, context: grpc.aio.ServicerContext,
    ) -> llm_pb2.SubmitComparisonsResponse:
        try:
            outcomes = await submit_comparisons(request, self.intake)
        except QueueFullError as full:
            self.metrics.submissions.labels("rejected", "QUEUE_FULL").inc(len(request.requests))
            await context.abort_with_status(queue_full_status(full.error, full.retry_after_s))
            raise AssertionError("unreachable") from full
        except errors.ServiceError as error:
            await errors.abort(context, error, domain=DOMAIN)
        for outcome in outcomes:
            kind = ("duplicate" if outcome.duplicate
                    else "accepted" if outcome.accepted else "rejected")
            self.metrics.submissions.labels(kind, outcome.rejection_reason).inc()
        return llm_pb2.SubmitComparisonsResponse(outcomes=outcomes)

    async def ListModels(self, request: llm_pb2.ListModelsRequest,
                         context: grpc.aio.ServicerContext) -> llm_pb2.ListModelsResponse:
        return await _guarded(context, lambda: catalog.list_models(self.manifest, request))

    async def ListProviders(self, request: llm_pb2.ListProvidersRequest,
                            context: grpc.aio.ServicerContext) -> llm_pb2.ListProvidersResponse:
        return catalog.list_providers(self.slots, self.manifest, now=self.clock.mono())

    async def TestProvider(self, request: llm_pb2.TestProviderRequest,
                           context: grpc.aio.ServicerContext) -> llm_pb2.TestProviderResponse:
        return await _guarded(
            context, lambda: catalog.test_provider(self.slots, self.manifest, request))

    async def GetQueueStats(self, request: llm_pb2.GetQueueStatsRequest,
                            context: grpc.aio.ServicerContext) -> llm_pb2.GetQueueStatsResponse:
        return await _guarded(
            context, lambda: catalog.queue_stats(self.queue, max_depth=self.max_depth))

    async def CancelComparisons(
        self, request: llm_pb2.CancelComparisonsRequest, context: grpc.aio.ServicerContext,
    ) -> llm_pb2.CancelComparisonsResponse:
        return await _guarded(context, lambda: cancel_comparisons(self.cancellations, request))


async def _guarded(context: grpc.aio.ServicerContext, call: Callable[[], Awaitable[T]]) -> T:
    try:
        return await call()
    except errors.ServiceError as error:
        await errors.abort(context, error, domain=DOMAIN)
