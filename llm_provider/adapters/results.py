"""Publishes each final ComparisonResult and its LLMUsageRecorded event to JetStream.

Both go out concurrently and are awaited together, so a result costs one round trip;
`Nats-Msg-Id` (request_id, and request_id + ":usage") makes a republish after a crash a no-op.
"""

from __future__ import annotations

import asyncio

from nats.js import JetStreamContext

from contracts import headers, subjects
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import Namespace


class ResultPublisher:
    def __init__(self, js: JetStreamContext, ns: Namespace):
        self._js = js
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
        ack, _ = await asyncio.gather(
            self._js.publish(self.results_subject(key), data, headers=hdrs),
            self._js.publish(self._usage_subject, usage_data, headers=usage_hdrs),
        )
        return not ack.duplicate
