"""JetStream KV buckets llm_provider keeps state in: opened (or made) once, keyed by sha256."""

from __future__ import annotations

import hashlib

from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BucketNotFoundError
from nats.js.kv import KeyValue


def key_of(identifier: str) -> str:
    """A KV key for any caller id (ids may hold characters KV keys may not)."""
    return hashlib.sha256(identifier.encode("utf-8")).hexdigest()


async def open_bucket(js: JetStreamContext, bucket: str, *, ttl: float,
                      replicas: int = 1) -> KeyValue:
    """The bucket, created (one value per key, on file) if it does not exist yet."""
    try:
        return await js.key_value(bucket)
    except BucketNotFoundError:
        return await js.create_key_value(KeyValueConfig(
            bucket=bucket, history=1, ttl=ttl, storage=StorageType.FILE, replicas=replicas))
