"""JetStream publishing with asynchronous acks, done right for this service's hot path.

Why not nats-py's `publish_async`: its reply handler calls `APIError.from_error`, which
raises instead of returning, so a publish the server refuses (503, "maximum messages
exceeded", ...) leaves its future pending forever. And `js.publish` costs a timer and an
extra coroutine per message. Here every publish gets a future on one wildcard reply
subscription; replies resolve it (or fail it with the server's error), and a sweeper fails
any future still unanswered after `timeout` seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js.errors import APIError

NO_RESPONDERS = "503"


class PublishTimeout(APIError):
    """No PubAck within the publisher's timeout."""


class AckedPublisher:
    def __init__(self, nc: Client, *, timeout: float = 10.0):
        self._nc = nc
        self._timeout = timeout
        self._prefix = ""
        self._pending: dict[str, tuple[asyncio.Future[bool], float]] = {}
        self._ids = itertools.count()
        self._sweeper: asyncio.Task[None] | None = None

    async def start(self) -> AckedPublisher:
        self._prefix = self._nc.new_inbox()
        await self._nc.subscribe(f"{self._prefix}.*", cb=self._on_reply)
        self._sweeper = asyncio.create_task(self._sweep(), name="pubacks-sweeper")
        return self

    @property
    def max_payload(self) -> int:
        """The largest message (headers and payload) the connected server takes."""
        return self._nc.max_payload

    async def publish(self, subject: str, data: bytes,
                      headers: dict[str, str]) -> asyncio.Future[bool]:
        """Send now; the future resolves to `duplicate` (bool) or fails with an APIError."""
        token = str(next(self._ids))
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._pending[token] = (future, time.monotonic())
        try:
            await self._nc.publish(subject, data, reply=f"{self._prefix}.{token}",
                                   headers=headers)
        except BaseException:
            self._pending.pop(token, None)  # nothing was sent: no reply will come
            raise
        return future

    async def publish_unacked(self, subject: str, data: bytes, headers: dict[str, str]) -> None:
        """Store without a PubAck; callers must follow with an acked publish to the same
        stream on this connection, whose ack then also covers this message."""
        await self._nc.publish(subject, data, headers=headers)

    async def _on_reply(self, msg: Msg) -> None:
        entry = self._pending.pop(msg.subject[len(self._prefix) + 1:], None)
        if entry is None or entry[0].done():
            return
        future = entry[0]
        if msg.headers and msg.headers.get("Status") == NO_RESPONDERS:
            future.set_exception(APIError(code=503, description="no stream for subject"))
            return
        data = msg.data
        if b'"error"' in data:
            future.set_exception(_error(data))
            return
        # A PubAck is tiny JSON; only the duplicate flag matters, and it is usually absent.
        future.set_result(b'"duplicate"' in data and bool(json.loads(data).get("duplicate")))

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(min(1.0, self._timeout / 2))
            cutoff = time.monotonic() - self._timeout
            for token, (future, sent) in list(self._pending.items()):
                if sent < cutoff:
                    self._pending.pop(token, None)
                    if not future.done():
                        future.set_exception(PublishTimeout(description="no PubAck in time"))

    async def close(self) -> None:
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper


def _error(data: bytes) -> APIError:
    try:
        err = json.loads(data).get("error") or {}
    except ValueError:
        err = {}
    return APIError(code=err.get("code"), err_code=err.get("err_code"),
                    description=err.get("description") or data[:200].decode(errors="replace"))
