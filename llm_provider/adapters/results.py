"""Publishes each final ComparisonResult and its LLMUsageRecorded event to JetStream.

The usage event goes first without asking for an ack, then the result with one: both land
in the same stream, which stores one connection's messages in the order they arrive, so the
result's PubAck also vouches for the usage event, at one ack per result instead of two.
`Nats-Msg-Id` (request_id, and request_id + ":usage") makes a republish after a crash a
no-op within the results stream's duplicate window.
"""

from __future__ import annotations

from contracts import headers, subjects
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import Namespace
from llm_provider.adapters.jetstream import AckedPublisher


class ResultPublisher:
    def __init__(self, publisher: AckedPublisher, ns: Namespace):
        self._publisher = publisher
        self._ns = ns
        self._usage_subject = ns.subject(subjects.LLM_USAGE)
        self._subjects: dict[str, str] = {}

    def results_subject(self, key: str) -> str:
        subject = self._subjects.get(key)
        if subject is None:
            subject = self._subjects[key] = self._ns.subject(subjects.results_subject(key))
        return subject

    async def publish(self, key: str, result: llm_pb2.ComparisonResult,
                      usage: events_pb2.LLMUsageRecorded) -> bool:
        """Publish both; True when the result was new (False: a duplicate of an earlier one)."""
        data, hdrs = headers.encode(result, msg_id=result.request_id,
                                    correlation_id=result.correlation_id)
        usage_data, usage_hdrs = headers.encode(usage, msg_id=f"{result.request_id}:usage",
                                                correlation_id=result.correlation_id)
        await self._publisher.publish_unacked(self._usage_subject, usage_data, usage_hdrs)
        ack = await self._publisher.publish(self.results_subject(key), data, hdrs)
        return not await ack
