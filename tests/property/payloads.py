"""Payloads for every NATS subject a service consumes: the durable consumers declared in
``contracts.streams`` (llm_provider's work queue, cj's results) and llm_provider's cancelled-
groups KV bucket, which every replica watches.

For a protobuf subject a delivery is random bytes, a valid message of the wrong type, a
wholly random message of the right type, or a valid template with hostile fields (NUL, a 1 MB
justification, unknown or live ids), under a right, wrong or missing schema header, sometimes
published twice: the same message (same or new Nats-Msg-Id) or another body with the same
request_id.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass

from google.protobuf import timestamp_pb2
from google.protobuf.message import Message
from hypothesis import strategies as st

from contracts import headers, streams
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import Namespace
from llm_provider.bootstrap import CANCELLED_BUCKET
from tests.property import values
from tests.property.messages import FRESH, Overrides, mutated, random_message
from tests.property.rpcs import RESULTS_KEY, comparison_request

KNOWN = "\ue000known"  # replaced when sent by the id of a comparison a targeted canary awaits
ASCII = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=80)
WRONG_TYPES = (cj_pb2.SubmitAssessmentRequest, events_pb2.AssessmentCompleted,
               llm_pb2.ComparisonRequest, llm_pb2.QueuedComparison, llm_pb2.ComparisonResult)
REPEATS = ("same-id", "new-id")  # Delivery.repeat: the same bytes again, same or new msg id


@dataclass(frozen=True)
class Delivery:
    body: Message | bytes
    schema: str | None  # the huleedu-schema header; None = no header at all
    repeat: Message | str | None = None  # one of REPEATS, or another body, same request_id


@dataclass(frozen=True)
class Target:
    name: str
    service: str  # the consumer
    subject: Callable[[Namespace], str]
    deliveries: Callable[[int], st.SearchStrategy[Delivery]]  # by the largest payload


def consumers() -> set[str]:
    """Every durable consumer contracts.streams declares (the name of its factory)."""
    return {name for name, fn in inspect.getmembers(streams, inspect.isfunction)
            if inspect.signature(fn).return_annotation in ("ConsumerSpec", streams.ConsumerSpec)}


def queued_template() -> llm_pb2.QueuedComparison:
    return llm_pb2.QueuedComparison(
        request=comparison_request(), queued_at=timestamp_pb2.Timestamp(seconds=1_750_000_000),
        expires_at=timestamp_pb2.Timestamp(seconds=4_100_000_000))


def result_template() -> llm_pb2.ComparisonResult:
    return llm_pb2.ComparisonResult(
        request_id=KNOWN, provider="simulated", model="simulated-judge", attempts=1,
        verdict=llm_pb2.ComparisonVerdict(winner=llm_pb2.WINNER_ESSAY_A, confidence=3,
                                          justification="Essay A argues its case better."),
        usage={"prompt_tokens": 900, "completion_tokens": 40}, correlation_id="property")


IDS = values.weighted((2, st.just(FRESH)), (2, values.hostile_text()),
                      (1, st.text("0123456789abcdef", min_size=32, max_size=32)))
OVERRIDES: Overrides = {"results_subject_key": RESULTS_KEY, "request_id": IDS}


def protobuf_deliveries(template: Callable[[], Message], *, known: bool = False
                        ) -> Callable[[int], st.SearchStrategy[Delivery]]:
    def build(ceiling: int) -> st.SearchStrategy[Delivery]:
        message = template()
        ids = st.one_of(st.just(KNOWN), IDS) if known else IDS
        overrides = {**OVERRIDES, "request_id": ids}
        right = message.DESCRIPTOR.full_name
        others = st.sampled_from([t.DESCRIPTOR.full_name for t in WRONG_TYPES])
        schema = values.weighted((6, st.just(right)), (1, st.none()), (1, others), (1, ASCII))
        wrong = st.sampled_from(WRONG_TYPES).flatmap(
            lambda t: random_message(t.DESCRIPTOR, ceiling=ceiling, depth=1))
        body = values.weighted(
            (1, st.binary(max_size=256)), (2, wrong),
            (6, mutated(message, ceiling=ceiling, overrides=overrides)),
            (2, random_message(message.DESCRIPTOR, ceiling=ceiling, overrides=overrides)))
        repeat = values.weighted((6, st.none()), (2, st.sampled_from(REPEATS)),
                                 (1, mutated(message, ceiling=ceiling, overrides=overrides)))
        return st.builds(Delivery, body, schema, repeat)

    return build


def _cancellation_records(ceiling: int) -> st.SearchStrategy[Delivery]:
    text = values.hostile_text(ceiling)
    record = st.fixed_dictionaries({"group_id": st.one_of(text, values.json_values),
                                    "reason": st.one_of(text, values.json_values)})
    body = values.weighted((1, st.binary(max_size=256)), (1, values.json_values),
                           (4, record)).map(
        lambda v: v if isinstance(v, bytes) else json.dumps(v).encode())
    return st.builds(Delivery, body, st.none(), st.sampled_from([None, *REPEATS]))


TARGETS = {  # cj's results first: a round's targeted canary is still judging then
    "cj_results_consumer": Target(
        "cj_results_consumer", "cj", lambda ns: streams.cj_results_consumer(ns).filter_subject,
        protobuf_deliveries(result_template, known=True)),
    "llm_workers_consumer": Target(
        "llm_workers_consumer", "llm_provider",
        lambda ns: streams.llm_workers_consumer(ns).filter_subject,
        protobuf_deliveries(queued_template)),
    "llm_cancellations": Target(
        "llm_cancellations", "llm_provider",
        # a KV put: the key is one subject token (hex, as CancelledGroupStore writes them)
        lambda ns: f"$KV.{ns.name(CANCELLED_BUCKET)}.{FRESH}", _cancellation_records),
}


def schema_headers(delivery: Delivery, msg_id: str) -> dict[str, str]:
    found = {headers.MSG_ID: msg_id}
    if delivery.schema is not None:
        found[headers.SCHEMA] = delivery.schema
    return found
