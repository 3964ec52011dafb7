"""Events that fit one NATS message (pure): a result too large for one is split into parts,
and an event that still does not fit leaves out its variable-size fields and names them.

Sizes are the serialized protobuf bytes; the caller passes the room its headers leave under
the server's max_payload (outbox_repo.wire_size). docs/events.md "Sizes" is the contract.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from google.protobuf.message import Message

from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.events.v1 import events_pb2

M = TypeVar("M", bound=Message)
Result = events_pb2.AssessmentResultPublished

# What grows with caller input or the batch, left out in this order until the event fits;
# everything left out stays readable through GetAssessment / GetAssessmentResults.
GROWABLE = {
    "AssessmentCompleted": ("metadata",),
    "AssessmentFailed": ("metadata", "detail"),
    "AssessmentCancelled": ("metadata", "reason"),
    "AssessmentResultPublished": (
        "assessment.metadata",
        "assessment.detail",
        "assessment.warnings",
        "calibration.inversions",
        "anchor_ids",
    ),
}
# part and part_count: a one-byte tag and at most a five-byte varint each
_PART_FIELDS = 12


def fitted(message: M, room: int) -> M:
    """`message` when it fits `room` bytes, else a copy without its growable fields (listed
    in its omitted_fields), left out one by one until it fits. What still does not fit has
    nothing left to leave out; the caller reports it (the relay dead-letters such a row)."""
    if message.ByteSize() <= room:
        return message
    thin = type(message)()
    thin.CopyFrom(message)
    for path in GROWABLE.get(message.DESCRIPTOR.name, ()):
        if thin.ByteSize() <= room:
            break
        if _clear(thin, path):
            thin.omitted_fields.append(path)  # type: ignore[attr-defined]
    return thin


def _clear(message: Message, path: str) -> bool:
    """Clear the field at a dotted path; False when it held nothing."""
    *parents, name = path.split(".")
    for parent in parents:
        message = getattr(message, parent)
    value = getattr(message, name)
    if not value or (isinstance(value, Message) and not value.ByteSize()):
        return False
    message.ClearField(name)
    return True


def result_parts(head: Result, essays: Sequence[cj_pb2.EssayResult], room: int) -> list[Result]:
    """The result as parts of at most `room` bytes: part 1 is `head` (everything but the
    essays, fitted) with the first essays by rank, each later part the assessment id and the
    next essays. Only an essay larger than a whole part makes a part over `room`."""
    first = fitted(head, room - _PART_FIELDS)
    later = Result(assessment=cj_pb2.Assessment(assessment_id=head.assessment.assessment_id))
    slices = _slices(essays, room - _PART_FIELDS, first.ByteSize(), later.ByteSize())
    parts = []
    for number, chunk in enumerate(slices, start=1):
        part = Result()
        part.CopyFrom(first if number == 1 else later)
        part.essays.extend(chunk)
        part.part, part.part_count = number, len(slices)
        parts.append(part)
    return parts


def _slices(
    essays: Sequence[cj_pb2.EssayResult], room: int, first: int, later: int
) -> list[list[cj_pb2.EssayResult]]:
    """Consecutive essays per part; `first` / `later` are the bytes a part holds before its
    essays. Part 1 may hold none (its head filled it); a later part holds at least one."""
    slices: list[list[cj_pb2.EssayResult]] = [[]]
    used = first
    for essay in essays:
        size = _entry_size(essay)
        if used + size > room and (slices[-1] or len(slices) == 1):
            slices.append([])
            used = later
        slices[-1].append(essay)
        used += size
    return slices


def _entry_size(essay: cj_pb2.EssayResult) -> int:
    """Bytes one element adds to `essays`: its tag, its length varint, itself."""
    n = essay.ByteSize()
    return 1 + max(1, (n.bit_length() + 6) // 7) + n
