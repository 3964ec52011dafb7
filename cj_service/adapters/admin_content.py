"""cj's client of the content service: store a text, fetch texts by id (admin and submit).

Content ids are the sha256 of the bytes, so re-uploading the same prompt, rubric or anchor
is a no-op there and the PutContent request_id is derived from the caller's request_id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

import grpc

from cj_service.service import limits
from cj_service.service.admin.ports import TextStore
from contracts import ids
from contracts.errors import ServiceError, invalid_argument, reason_of, unavailable
from contracts.huleedu.content.v1 import content_pb2, content_service_pb2_grpc

TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"
_FORWARDED_CODES = (grpc.StatusCode.INVALID_ARGUMENT,)


class ContentClient(TextStore):
    """Wraps a ContentService stub; gRPC failures become ServiceErrors the servicer can send."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 10.0) -> None:
        self._stub = content_service_pb2_grpc.ContentServiceStub(channel)
        self._timeout = timeout

    async def put_text(self, text: str, *, request_id: str) -> str:
        request = content_pb2.PutContentRequest(
            request_id=ids.derived_id("cj-admin-put", request_id),
            content=text.encode("utf-8"), content_type=TEXT_CONTENT_TYPE,
        )
        try:
            response = await self._stub.PutContent(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise _translate(err, "PutContent") from err
        return response.metadata.content_id

    async def fetch_texts(self, content_ids: Sequence[str]) -> Mapping[str, str]:
        """Texts of the ids that exist, any number of them; missing ids are left out.

        BatchGetContent takes at most 1000 ids and 48 MiB a call, so the ids go in chunks
        small enough for both (limits.CONTENT_IDS_PER_CALL), a few calls at a time.
        """
        unique = list(dict.fromkeys(content_ids))
        step = limits.CONTENT_IDS_PER_CALL
        chunks = [unique[i:i + step] for i in range(0, len(unique), step)]
        calls = asyncio.Semaphore(limits.CONTENT_CALLS_AT_ONCE)

        async def fetch(chunk: list[str]) -> dict[str, str]:
            async with calls:
                return await self._batch_get(chunk)

        texts: dict[str, str] = {}
        for found in await asyncio.gather(*(fetch(c) for c in chunks)):
            texts.update(found)
        return texts

    async def _batch_get(self, content_ids: list[str]) -> dict[str, str]:
        request = content_pb2.BatchGetContentRequest(content_ids=content_ids)
        try:
            response = await self._stub.BatchGetContent(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            raise _translate(err, "BatchGetContent") from err
        return {item.metadata.content_id: _text(item) for item in response.items}


def _text(item: content_pb2.ContentItem) -> str:
    """The blob as text; bytes that are not UTF-8 are refused, never replaced silently."""
    try:
        return item.content.decode("utf-8")
    except UnicodeDecodeError as err:
        content_id = item.metadata.content_id
        raise invalid_argument(
            "CONTENT_NOT_UTF8", f"content {content_id} is not UTF-8 text (byte {err.start})",
            content_id=content_id, offset=str(err.start)) from None


def _translate(err: grpc.aio.AioRpcError, method: str) -> ServiceError:
    reason = reason_of(err)
    if err.code() in _FORWARDED_CODES and reason:
        return invalid_argument(reason, f"content service refused {method}: {err.details()}")
    return unavailable("DEPENDENCY_UNAVAILABLE",
                       f"content service {method} failed: {err.code().name} {err.details()}")
