"""The body each request_id was first submitted with, in a JetStream KV bucket every replica
shares, so a reused id is caught across calls, replicas and restarts.

Intake claims an id by creating its key (sha256 of the id: ids may hold characters KV keys
may not) with the request's fingerprint. The creates go through the publisher's pipelined
PubAcks, one round trip for a whole SubmitComparisons call like the queue's publishes; a
create of a key that exists fails, and the stored fingerprint then tells the same request
again (a duplicate) from another one under a reused id (a conflict). The bucket's TTL (a
day) outlives the work queue's one-hour duplicate window and any request's life (23 h).
"""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext
from nats.js.errors import APIError, KeyNotFoundError
from nats.js.kv import KeyValue

from llm_provider.adapters.jetstream import AckedPublisher
from llm_provider.adapters.kv import key_of, open_bucket

WRONG_LAST_SEQUENCE = 10071  # JetStream error code: the key already has a value
EXPECT_NEW = {"Nats-Expected-Last-Subject-Sequence": "0"}


class RequestIdStore:
    def __init__(self, kv: KeyValue, publisher: AckedPublisher, *, bucket: str):
        self._kv, self._publisher = kv, publisher
        self._subject_prefix = f"$KV.{bucket}."

    @classmethod
    async def open(cls, js: JetStreamContext, publisher: AckedPublisher, bucket: str, *,
                   ttl: float, replicas: int = 1) -> RequestIdStore:
        kv = await open_bucket(js, bucket, ttl=ttl, replicas=replicas)
        return cls(kv, publisher, bucket=bucket)

    async def claim(self, claims: list[tuple[str, bytes]]) -> list[bool]:
        """For each (request_id, fingerprint): True when the id is new or holds this very
        fingerprint, False when it holds another one (the id was reused)."""
        futures = [await self._publisher.publish(self._subject_prefix + key_of(request_id),
                                                 fingerprint, dict(EXPECT_NEW))
                   for request_id, fingerprint in claims]
        acks = await asyncio.gather(*futures, return_exceptions=True)
        return [await self._settle(request_id, fingerprint, ack)
                for (request_id, fingerprint), ack in zip(claims, acks, strict=True)]

    async def _settle(self, request_id: str, fingerprint: bytes, ack: object) -> bool:
        if not isinstance(ack, BaseException):
            return True
        if not (isinstance(ack, APIError) and ack.err_code == WRONG_LAST_SEQUENCE):
            raise ack
        key = key_of(request_id)
        try:
            entry = await self._kv.get(key)
        except KeyNotFoundError:  # expired since the create failed: claim it afresh
            await self._kv.put(key, fingerprint)
            return True
        return entry.value == fingerprint
