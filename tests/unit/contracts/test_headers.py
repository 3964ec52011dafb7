import pytest

from contracts import headers
from contracts.huleedu.events.v1 import events_pb2
from contracts.huleedu.llm.v1 import llm_pb2


def test_an_event_encodes_with_dedupe_schema_and_correlation_headers():
    event = events_pb2.AssessmentCompleted(assessment_id="b1", comparisons_made=3)
    data, hdrs = headers.encode(event, msg_id="outbox-1", correlation_id="corr-1")
    assert hdrs == {
        "Nats-Msg-Id": "outbox-1",
        "huleedu-schema": "huleedu.events.v1.AssessmentCompleted",
        "huleedu-correlation-id": "corr-1",
    }
    assert headers.decode(data, hdrs) == event


def test_encoding_without_a_message_id_is_refused():
    with pytest.raises(ValueError):
        headers.encode(events_pb2.AssessmentFailed(), msg_id="")


def test_a_message_without_a_schema_header_is_undecodable():
    with pytest.raises(headers.UndecodableMessage, match="missing"):
        headers.decode(b"", {})


def test_an_unknown_schema_is_undecodable():
    with pytest.raises(headers.UndecodableMessage, match="unknown schema"):
        headers.decode(b"", {headers.SCHEMA: "huleedu.nope.v1.Thing"})


def test_corrupt_bytes_are_undecodable():
    with pytest.raises(headers.UndecodableMessage, match="bad"):
        headers.decode_as(llm_pb2.ComparisonResult, b"\xff\xff\xff", None)


def test_decode_as_refuses_a_payload_of_another_schema():
    data, hdrs = headers.encode(events_pb2.AssessmentCompleted(), msg_id="m")
    with pytest.raises(headers.UndecodableMessage, match="expected"):
        headers.decode_as(llm_pb2.ComparisonResult, data, hdrs)
