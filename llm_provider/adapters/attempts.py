"""Retry state of requests that failed at least once, in a JetStream KV bucket.

A nak(delay) cannot carry state, so attempts made and tokens billed so far are stored here
(as a partial ComparisonResult) on each retryable failure and read back only on redelivery;
the happy path never touches the bucket. Keys are sha256(request_id): request ids may hold
characters KV keys may not. A record that does not parse (anyone who can write the bucket can
put one there) is skipped and counted: the request starts its count afresh rather than fail
every redelivery for ever.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import structlog
from google.protobuf.message import DecodeError
from nats.js import JetStreamContext
from nats.js.errors import KeyNotFoundError
from nats.js.kv import KeyValue

from contracts.huleedu.llm.v1 import llm_pb2
from contracts.text import clip
from llm_provider.adapters.kv import key_of, open_bucket

log = structlog.get_logger("llm_provider.attempts")


class AttemptStore:
    def __init__(self, kv: KeyValue, *, unreadable: Callable[[], None]):
        self._kv = kv
        self._unreadable = unreadable

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, *, ttl: float, replicas: int = 1,
                   unreadable: Callable[[], None]) -> AttemptStore:
        kv = await open_bucket(js, bucket, ttl=ttl, replicas=replicas)
        return cls(kv, unreadable=unreadable)

    async def load(self, request_id: str) -> llm_pb2.ComparisonResult | None:
        try:
            entry = await self._kv.get(key_of(request_id))
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        state = llm_pb2.ComparisonResult()
        try:
            state.ParseFromString(entry.value)
        except DecodeError:
            self._unreadable()
            log.error("unreadable retry record skipped", request_id=clip(request_id))
            return None
        return state

    async def save(self, state: llm_pb2.ComparisonResult) -> None:
        await self._kv.put(key_of(state.request_id), state.SerializeToString())

    async def forget(self, request_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.purge(key_of(request_id))
