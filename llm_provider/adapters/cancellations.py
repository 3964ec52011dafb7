"""Cancelled request groups, in a JetStream KV bucket every replica watches.

CancelComparisons creates one key per group (sha256 of the group id: ids may hold
characters KV keys may not); creating an existing key fails, which is how a second cancel
learns it is a duplicate. Each replica replays the bucket at start and then follows it
with a watch, so checking a delivery's group is a dict lookup. Keys expire with the bucket's
TTL, chosen longer than any request can live.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable

import structlog
from nats.js import JetStreamContext
from nats.js.errors import KeyWrongLastSequenceError
from nats.js.kv import KV_DEL, KV_PURGE, KeyValue

from llm_provider.adapters.kv import key_of, open_bucket

log = structlog.get_logger("llm_provider.cancellations")
Listener = Callable[[str, str], object]
REPLAY_TIMEOUT_S = 10.0


class CancelledGroupStore:
    def __init__(self, kv: KeyValue, *, unreadable: Callable[[], None]):
        self._kv = kv
        self._unreadable = unreadable
        self._reasons: dict[str, str] = {}  # group_id -> reason
        self._groups: dict[str, str] = {}  # key -> group_id (to forget expired keys)
        self._listeners: list[Listener] = []
        self._watcher: KeyValue.KeyWatcher | None = None
        self._follow: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, js: JetStreamContext, bucket: str, *, ttl: float, replicas: int = 1,
                   unreadable: Callable[[], None]) -> CancelledGroupStore:
        kv = await open_bucket(js, bucket, ttl=ttl, replicas=replicas)
        store = cls(kv, unreadable=unreadable)
        await store._start()
        return store

    def subscribe(self, listener: Listener) -> None:
        """`listener(group_id, reason)` runs once for each group newly seen cancelled."""
        self._listeners.append(listener)

    def reason(self, group_id: str) -> str | None:
        return self._reasons.get(group_id)

    async def cancel(self, group_id: str, reason: str) -> bool:
        """Record the group; False when it already was (by any replica)."""
        value = json.dumps({"group_id": group_id, "reason": reason}).encode("utf-8")
        key = key_of(group_id)
        try:
            await self._kv.create(key, value)
        except KeyWrongLastSequenceError:
            return False
        self._learn(key, value)
        return True

    async def _start(self) -> None:
        """Replay what the bucket holds (before any delivery is checked), then follow it."""
        self._watcher = await self._kv.watchall()
        async with asyncio.timeout(REPLAY_TIMEOUT_S):
            while (entry := await self._watcher.updates(timeout=REPLAY_TIMEOUT_S)) is not None:
                self._apply(entry)
        self._follow = asyncio.create_task(self._follow_updates(), name="llm-cancellations")

    async def _follow_updates(self) -> None:
        assert self._watcher is not None
        async for entry in self._watcher:
            if entry is not None:
                self._apply(entry)

    def _apply(self, entry: KeyValue.Entry) -> None:
        if entry.operation in (KV_DEL, KV_PURGE):
            self._reasons.pop(self._groups.pop(entry.key, ""), None)
        elif entry.value:
            self._learn(entry.key, entry.value)

    def _learn(self, key: str, value: bytes) -> None:
        try:
            record = json.loads(value)
            group_id, reason = str(record["group_id"]), str(record.get("reason", ""))
        except (ValueError, KeyError, TypeError):  # a record this service never wrote
            self._unreadable()
            log.warning("unreadable cancellation record skipped", key=key)
            return
        if group_id in self._reasons:
            return
        self._reasons[group_id], self._groups[key] = reason, group_id
        for listener in self._listeners:
            listener(group_id, reason)

    async def close(self) -> None:
        if self._follow is not None:
            self._follow.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._follow
        if self._watcher is not None:
            with contextlib.suppress(Exception):
                await self._watcher.stop()
