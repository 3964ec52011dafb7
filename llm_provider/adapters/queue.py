"""The JetStream work queue of accepted comparison requests.

`Nats-Msg-Id = request_id` makes a resubmission a no-op inside the stream's duplicate
window; the stream's max_msgs (discard NEW) is the hard depth limit behind the soft check.
A message the server could never take (over max_payload) is that item's outcome, never an
error of the whole call: intake checks sizes first, and this covers a server whose limit
changed in between (a reconnect to another node).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from nats.errors import MaxPayloadError
from nats.js import JetStreamContext
from nats.js.errors import APIError

from llm_provider.adapters.jetstream import AckedPublisher

MAX_MSGS_EXCEEDED = 10077  # JetStream error code: "maximum messages exceeded"


class QueueFull(Exception):
    """The stream refused a message because it is at max_msgs."""


@dataclass(frozen=True)
class Enqueued:
    request_id: str
    duplicate: bool = False
    queue_full: bool = False
    too_large: bool = False


@dataclass(frozen=True)
class QueueStats:
    pending: int
    in_flight: int
    redelivered: int
    waiting_pulls: int


class WorkQueue:
    def __init__(self, js: JetStreamContext, publisher: AckedPublisher, *, stream: str,
                 subject: str, durable: str):
        self._js = js
        self._publisher = publisher
        self.stream, self.subject, self.durable = stream, subject, durable

    async def depth(self) -> int:
        info = await self._js.stream_info(self.stream)
        return int(info.state.messages)

    @property
    def max_payload(self) -> int:
        return self._publisher.max_payload

    async def publish(self, items: list[tuple[str, bytes, dict[str, str]]]) -> list[Enqueued]:
        """Publish (request_id, payload, headers) items back to back; one outcome each."""
        futures = [await self._send(payload, hdrs) for _, payload, hdrs in items]
        acks = await asyncio.gather(*futures, return_exceptions=True)
        return [_outcome(rid, ack) for (rid, _, _), ack in zip(items, acks, strict=True)]

    async def _send(self, payload: bytes, hdrs: dict[str, str]) -> asyncio.Future[bool]:
        try:
            return await self._publisher.publish(self.subject, payload, hdrs)
        except MaxPayloadError as exc:
            refused: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
            refused.set_exception(exc)
            return refused

    async def stats(self) -> QueueStats:
        info = await self._js.consumer_info(self.stream, self.durable)
        return QueueStats(
            pending=int(info.num_pending or 0), in_flight=int(info.num_ack_pending or 0),
            redelivered=int(info.num_redelivered or 0), waiting_pulls=int(info.num_waiting or 0),
        )


def _outcome(request_id: str, ack: object) -> Enqueued:
    if isinstance(ack, APIError) and ack.err_code == MAX_MSGS_EXCEEDED:
        return Enqueued(request_id, queue_full=True)
    if isinstance(ack, MaxPayloadError):
        return Enqueued(request_id, too_large=True)
    if isinstance(ack, BaseException):
        raise ack
    return Enqueued(request_id, duplicate=bool(ack))
