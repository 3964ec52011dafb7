"""Retry state of requests that failed at least once, in a JetStream KV bucket.

A nak(delay) cannot carry state, so attempts made and tokens billed so far are stored here
(as a partial ComparisonResult) on each retryable failure and read back only on redelivery;
the happy path never touches the bucket. Keys are sha256(request_id): request ids may hold
characters KV keys may not.
"""

from __future__ import annotations

import contextlib
import hashlib

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError, KeyNotFoundError
from nats.js.kv import KeyValue

from contracts.huleedu.llm.v1 import llm_pb2


def _key(request_id: str) -> str:
    return hashlib.sha256(request_id.encode("utf-8")).hexdigest()


class AttemptStore:
    def __init__(self, kv: KeyValue):
        self._kv = kv

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, *, ttl: float,
                   replicas: int = 1) -> AttemptStore:
        try:
            kv = await js.key_value(bucket)
        except BucketNotFoundError:
            kv = await js.create_key_value(KeyValueConfig(
                bucket=bucket, history=1, ttl=ttl, storage=StorageType.FILE, replicas=replicas))
        return cls(kv)

    async def load(self, request_id: str) -> llm_pb2.ComparisonResult | None:
        try:
            entry = await self._kv.get(_key(request_id))
        except KeyNotFoundError:
            return None
        if not entry.value:
            return None
        state = llm_pb2.ComparisonResult()
        state.ParseFromString(entry.value)
        return state

    async def save(self, state: llm_pb2.ComparisonResult) -> None:
        await self._kv.put(_key(state.request_id), state.SerializeToString())

    async def forget(self, request_id: str) -> None:
        with contextlib.suppress(KeyNotFoundError):
            await self._kv.purge(_key(request_id))
