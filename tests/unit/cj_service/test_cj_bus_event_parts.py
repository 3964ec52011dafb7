"""Events cut to fit one NATS message: result parts and growable fields left out (pure)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from cj_service.adapters import event_parts
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.events.v1 import events_pb2


def essay(rank: int, name_bytes: int = 20) -> cj_pb2.EssayResult:
    return cj_pb2.EssayResult(
        essay_id=f"e{rank}", display_name="n" * name_bytes, rank=rank, score=-rank / 10,
        se=0.3, grade="C",
        grade_probabilities=[cj_pb2.GradeProbability(grade=g, probability=0.25) for g in "ABCD"],
    )


def head(metadata_bytes: int = 0) -> events_pb2.AssessmentResultPublished:
    metadata = {"blob": "x" * metadata_bytes} if metadata_bytes else {}
    return events_pb2.AssessmentResultPublished(
        assessment=cj_pb2.Assessment(assessment_id="batch-1", metadata=metadata, detail="done"),
        calibration=cj_pb2.GradeCalibration(available=True, grade_scale_id="s"),
        fit=cj_pb2.FitStatistics(reliability=0.9),
        anchor_ids=["a1"],
        cost_usd=1.5,
    )


def reassembled(parts) -> list[cj_pb2.EssayResult]:
    return [e for p in parts for e in p.essays]


def test_a_result_that_fits_is_one_part_saying_so():
    essays = [essay(r) for r in range(1, 11)]
    (part,) = event_parts.result_parts(head(), essays, 1024 * 1024)
    assert (part.part, part.part_count) == (1, 1)
    assert list(part.essays) == essays and part.fit.reliability == 0.9
    assert not part.omitted_fields


def test_a_large_result_is_split_in_rank_order_and_every_part_fits():
    essays = [essay(r) for r in range(1, 2001)]
    room = 16 * 1024
    parts = event_parts.result_parts(head(), essays, room)
    assert len(parts) > 5
    assert all(p.ByteSize() <= room for p in parts)
    assert [(p.part, p.part_count) for p in parts] == [(n, len(parts)) for n in
                                                       range(1, len(parts) + 1)]
    assert reassembled(parts) == essays
    assert parts[0].cost_usd == 1.5 and parts[0].calibration.grade_scale_id == "s"
    later = parts[1]
    assert later.assessment == cj_pb2.Assessment(assessment_id="batch-1")
    assert not later.HasField("fit") and not later.anchor_ids


def test_a_head_too_large_for_one_message_leaves_out_the_metadata_and_names_it():
    room = 8 * 1024
    parts = event_parts.result_parts(head(metadata_bytes=20_000), [essay(1), essay(2)], room)
    assert len(parts) == 1 and parts[0].ByteSize() <= room
    assert list(parts[0].omitted_fields) == ["assessment.metadata"]
    assert parts[0].assessment.detail == "done" and reassembled(parts) == [essay(1), essay(2)]


def test_an_event_that_fits_is_written_as_it_is():
    event = events_pb2.AssessmentFailed(assessment_id="b", metadata={"k": "v"}, detail="d")
    assert event_parts.fitted(event, 1024) is event


def test_growable_fields_go_in_order_only_as_far_as_needed():
    event = events_pb2.AssessmentFailed(
        assessment_id="b", metadata={"k": "v" * 3000}, detail="d" * 3000
    )
    only_metadata = event_parts.fitted(event, 4000)
    assert list(only_metadata.omitted_fields) == ["metadata"]
    assert only_metadata.detail == event.detail and not only_metadata.metadata
    both = event_parts.fitted(event, 1000)
    assert list(both.omitted_fields) == ["metadata", "detail"]
    assert both.assessment_id == "b" and both.ByteSize() <= 1000
    assert event.metadata["k"]  # the original is left as it was


def test_an_empty_field_is_not_named_as_left_out():
    event = events_pb2.AssessmentCancelled(assessment_id="b", reason="r" * 5000)
    assert list(event_parts.fitted(event, 1000).omitted_fields) == ["reason"]


def test_an_event_with_nothing_to_leave_out_is_returned_over_its_room():
    """The caller logs it and the relay dead-letters the row (docs/events.md)."""
    event = events_pb2.ResourceConsumption(assessment_id="b" * 2000)
    assert event_parts.fitted(event, 100) == event


@settings(max_examples=60, deadline=None)
@given(
    names=st.lists(st.integers(0, 3000), min_size=0, max_size=120),
    room=st.integers(4000, 40_000),
    metadata_bytes=st.integers(0, 50_000),
)
def test_any_result_reassembles_and_only_an_essay_larger_than_a_part_overflows(
    names, room, metadata_bytes
):
    essays = [essay(r, n) for r, n in enumerate(names, start=1)]
    parts = event_parts.result_parts(head(metadata_bytes), essays, room)
    assert reassembled(parts) == essays
    assert {p.part_count for p in parts} == {len(parts)}
    for p in parts:
        assert p.ByteSize() <= room or (len(p.essays) == 1 and p.part > 1)
