"""A callback-driven pull consumer on a durable JetStream consumer.

nats-py's `fetch()` waits for each message with its own timer and task; at thousands of
messages a second that is a good share of the worker's CPU. Here pull requests ask for
messages into one inbox subscription and each message goes straight to a callback. The pool
keeps track of how many messages its open pull requests may still bring ("credit"), so it
asks for exactly the slots it has free.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

STATUS, PENDING = "Status", "Nats-Pending-Messages"
HEARTBEAT = "100"


class PullFeed:
    def __init__(self, nc: Client, *, stream: str, durable: str,
                 on_message: Callable[[Msg], None], on_status: Callable[[], None],
                 expires: float = 2.0):
        self._nc = nc
        self._next = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._on_message = on_message
        self._on_status = on_status
        self._expires = expires
        self._inbox = ""
        self._sub: Subscription | None = None
        self.credit = 0  # messages the open pull requests may still deliver
        self._last_request = 0.0

    async def start(self) -> PullFeed:
        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(self._inbox, cb=self._deliver)
        return self

    async def request(self, batch: int) -> None:
        """Ask for up to `batch` more messages (the request lives for `expires` seconds)."""
        if batch <= 0:
            return
        self.credit += batch
        self._last_request = time.monotonic()
        body = json.dumps({"batch": batch, "expires": int(self._expires * 1e9)}).encode()
        await self._nc.publish(self._next, body, reply=self._inbox)

    def stale(self) -> bool:
        """True when open requests must have expired server-side without telling us (e.g. a
        reconnect lost them); the caller then resets credit and asks again."""
        return self.credit > 0 and time.monotonic() - self._last_request > self._expires + 1.0

    def drain_by(self) -> float:
        """Monotonic time by which every open pull request has expired."""
        return self._last_request + self._expires + 0.5

    def reset(self) -> None:
        self.credit = 0

    async def _deliver(self, msg: Msg) -> None:
        headers = msg.headers
        status = headers.get(STATUS) if headers else None
        if status is None:
            self.credit = max(0, self.credit - 1)
            self._on_message(msg)
            return
        if status == HEARTBEAT:
            return
        # 408 request expired / 409 max bytes or leadership change: the rest of that request
        # will not come; Nats-Pending-Messages says how much of it was still open.
        pending = headers.get(PENDING) if headers else None
        self.credit = max(0, self.credit - int(pending)) if pending else 0
        self._on_status()

    async def stop(self) -> None:
        if self._sub is not None:
            with contextlib.suppress(Exception):  # the connection may already be closing
                await self._sub.unsubscribe()
