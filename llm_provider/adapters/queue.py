"""The JetStream work queue of accepted comparison requests.

`Nats-Msg-Id = request_id` makes a resubmission a no-op inside the stream's duplicate
window; the stream's max_msgs (discard NEW) is the hard depth limit behind the soft check.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from nats.js import JetStreamContext
from nats.js.errors import APIError

MAX_MSGS_EXCEEDED = 10077  # JetStream error code: "maximum messages exceeded"


class QueueFull(Exception):
    """The stream refused a message because it is at max_msgs."""


@dataclass(frozen=True)
class Enqueued:
    request_id: str
    duplicate: bool = False
    queue_full: bool = False


@dataclass(frozen=True)
class QueueStats:
    pending: int
    in_flight: int
    redelivered: int
    waiting_pulls: int


class WorkQueue:
    def __init__(self, js: JetStreamContext, *, stream: str, subject: str, durable: str):
        self._js = js
        self.stream, self.subject, self.durable = stream, subject, durable

    async def depth(self) -> int:
        info = await self._js.stream_info(self.stream)
        return int(info.state.messages)

    async def publish(self, items: list[tuple[str, bytes, dict[str, str]]]) -> list[Enqueued]:
        """Publish (request_id, payload, headers) items concurrently; one outcome each.

        Plain request/reply publishes rather than publish_async: nats-py leaves an async
        publish's future unresolved when the server answers 503 (e.g. max_msgs reached).
        """
        acks = await asyncio.gather(
            *(self._js.publish(self.subject, payload, headers=hdrs) for _, payload, hdrs in items),
            return_exceptions=True,
        )
        return [_outcome(rid, ack) for (rid, _, _), ack in zip(items, acks, strict=True)]

    async def stats(self) -> QueueStats:
        info = await self._js.consumer_info(self.stream, self.durable)
        return QueueStats(
            pending=int(info.num_pending or 0), in_flight=int(info.num_ack_pending or 0),
            redelivered=int(info.num_redelivered or 0), waiting_pulls=int(info.num_waiting or 0),
        )


def _outcome(request_id: str, ack: object) -> Enqueued:
    if isinstance(ack, APIError) and ack.err_code == MAX_MSGS_EXCEEDED:
        return Enqueued(request_id, queue_full=True)
    if isinstance(ack, BaseException):
        raise ack
    return Enqueued(request_id, duplicate=bool(getattr(ack, "duplicate", False)))
