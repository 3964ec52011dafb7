"""huleedu.content.v1.ContentService over gRPC: proto -> command -> handler -> proto."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

import grpc
import structlog

from content_service import DOMAIN
from content_service.domain.content import ContentMeta, Limits, PutResult, StoredContent
from content_service.domain.errors import (
    ContentError,
    ContentNotFound,
    ContentTooLarge,
    RequestIdConflict,
    StorageUnavailable,
)
from content_service.metrics import Metrics, Observation
from content_service.service import handlers
from content_service.service.ports import ContentRepository
from contracts.errors import ServiceError, abort
from contracts.huleedu.content.v1 import content_pb2 as pb
from contracts.huleedu.content.v1 import content_service_pb2_grpc as pb_grpc

T = TypeVar("T")
_log = structlog.get_logger("content_service")

# Everything not listed is the caller's fault: INVALID_ARGUMENT.
# A reused request_id is refused with ALREADY_EXISTS: the id exists, bound to other bytes;
# resending the same request can never succeed, and nothing about the new bytes is invalid.
# Size over a limit is RESOURCE_EXHAUSTED in every service of the mesh (gRPC's own answer to
# an oversized message).
_CODES: dict[type[ContentError], grpc.StatusCode] = {
    ContentTooLarge: grpc.StatusCode.RESOURCE_EXHAUSTED,
    ContentNotFound: grpc.StatusCode.NOT_FOUND,
    RequestIdConflict: grpc.StatusCode.ALREADY_EXISTS,
    StorageUnavailable: grpc.StatusCode.UNAVAILABLE,
}


def to_service_error(error: ContentError) -> ServiceError:
    code = _CODES.get(type(error), grpc.StatusCode.INVALID_ARGUMENT)
    return ServiceError(code, error.reason, error.message, error.details)


def fill_meta(target: pb.ContentMetadata, meta: ContentMeta) -> None:
    """Write ``meta`` into a message in place (3x faster than nested constructors)."""
    target.content_id = target.sha256 = meta.content_id
    target.size_bytes = meta.size_bytes
    target.content_type = meta.content_type
    created = meta.created_at
    target.created_at.seconds = int(created.timestamp())
    target.created_at.nanos = created.microsecond * 1000


def meta_to_pb(meta: ContentMeta) -> pb.ContentMetadata:
    message = pb.ContentMetadata()
    fill_meta(message, meta)
    return message


def fill_item(target: pb.ContentItem, item: StoredContent) -> None:
    target.content = item.data
    fill_meta(target.metadata, item.meta)


class ContentServicer(pb_grpc.ContentServiceServicer):
    def __init__(self, repo: ContentRepository, *, limits: Limits, metrics: Metrics) -> None:
        self._repo = repo
        self._limits = limits
        self._metrics = metrics

    async def PutContent(  # noqa: N802 (generated name)
        self, request: pb.PutContentRequest, context: grpc.aio.ServicerContext
    ) -> pb.PutContentResponse:
        cmd = handlers.PutContent(request.content, request.content_type, request.request_id)
        with self._metrics.observe("put") as seen:
            result = await _run(handlers.put_content(cmd, repo=self._repo, limits=self._limits),
                                context, seen)
            seen.outcome = _put_outcome(result)
        if seen.outcome == "created":
            self._metrics.bytes_stored.inc(result.meta.size_bytes)
        return pb.PutContentResponse(metadata=meta_to_pb(result.meta), created=result.created)

    async def GetContent(  # noqa: N802
        self, request: pb.GetContentRequest, context: grpc.aio.ServicerContext
    ) -> pb.GetContentResponse:
        with self._metrics.observe("get") as seen:
            item = await _run(handlers.get_content(request.content_id, repo=self._repo),
                              context, seen)
        self._metrics.bytes_served.inc(item.meta.size_bytes)
        response = pb.GetContentResponse()
        fill_item(response.item, item)
        return response

    async def BatchGetContent(  # noqa: N802
        self, request: pb.BatchGetContentRequest, context: grpc.aio.ServicerContext
    ) -> pb.BatchGetContentResponse:
        call = handlers.batch_get_content(
            request.content_ids, repo=self._repo, limits=self._limits
        )
        with self._metrics.observe("batch_get") as seen:
            result = await _run(call, context, seen)
        self._metrics.bytes_served.inc(sum(i.meta.size_bytes for i in result.items))
        self._metrics.missing_ids.inc(len(result.missing_ids))
        response = pb.BatchGetContentResponse(missing_ids=result.missing_ids)
        add = response.items.add
        for item in result.items:
            fill_item(add(), item)
        return response

    async def StatContent(  # noqa: N802
        self, request: pb.StatContentRequest, context: grpc.aio.ServicerContext
    ) -> pb.StatContentResponse:
        with self._metrics.observe("stat") as seen:
            meta = await _run(handlers.stat_content(request.content_id, repo=self._repo),
                              context, seen)
        return pb.StatContentResponse(metadata=meta_to_pb(meta))


def _put_outcome(result: PutResult) -> str:
    if result.replayed:
        return "replayed"
    return "created" if result.created else "deduplicated"


async def _run(call: Awaitable[T], context: grpc.aio.ServicerContext, seen: Observation) -> T:
    """Await a handler; a refusal becomes a rich status and labels the metric with its reason."""
    try:
        return await call
    except ContentError as error:
        seen.outcome = error.reason.lower()
        if isinstance(error, StorageUnavailable):
            _log.warning("database unavailable", error=str(error.__cause__ or error))
        await abort(context, to_service_error(error), domain=DOMAIN)
