"""Read side: GetAssessment, ListAssessments, GetAssessmentResults, ListAssessmentComparisons."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cj_service.domain.assessment import Assessment, State
from cj_service.service import limits
from cj_service.service.workflow.ports import Store
from cj_service.service.workflow.records import Snapshot, StoredComparison
from contracts import text
from contracts.errors import ServiceError, failed_precondition, invalid_argument, not_found

LIST_DEFAULT, LIST_MAX = limits.ASSESSMENTS_PAGE
COMPARISONS_DEFAULT, COMPARISONS_MAX = limits.COMPARISONS_PAGE


async def get_batch(store: Store, assessment_id: str) -> Assessment:
    text.check("assessment_id", assessment_id, limits.REQUIRED_ID)
    async with store.read() as tx:
        batch = await tx.assessments.get(assessment_id)
    if batch is None:
        raise not_found("ASSESSMENT_NOT_FOUND", f"no assessment {text.clip(assessment_id)!r}",
                        assessment_id=text.clip(assessment_id))
    return batch


def page_size(requested: int, *, default: int, maximum: int) -> int:
    if requested < 0:
        raise invalid_argument(
            "INVALID_ARGUMENT", "page_size must not be negative", field="page_size"
        )
    return min(requested or default, maximum)


def encode_token(payload: dict) -> str:
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str, *, keys: tuple[str, ...]) -> dict:
    """The token's fields; their types and ranges are the caller's to check (bad_token)."""
    if len(token) > limits.PAGE_TOKEN_BYTES:
        raise bad_token()
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (ValueError, binascii.Error, RecursionError):
        raise bad_token() from None
    if not isinstance(payload, dict) or set(payload) != set(keys):
        raise bad_token()
    return payload


def bad_token(message: str = "page_token is not valid") -> ServiceError:
    return invalid_argument("INVALID_PAGE_TOKEN", message, field="page_token")


async def list_batches(
    store: Store, *, size: int, token: str, state: str
) -> tuple[Sequence[Assessment], str]:
    limit = page_size(size, default=LIST_DEFAULT, maximum=LIST_MAX)
    after = _batch_position(token, state) if token else None
    async with store.read() as tx:
        rows = await tx.assessments.page(limit=limit + 1, state=state, after=after)
    if len(rows) <= limit:
        return rows, ""
    last = rows[limit - 1]
    assert last.created_at is not None  # stored assessments all have one
    return rows[:limit], encode_token({"c": last.created_at.isoformat(), "i": last.id, "s": state})


def _batch_position(token: str, state: str) -> tuple[datetime, str]:
    """(created_at, id) of the last batch of the previous page."""
    t = decode_token(token, keys=("c", "i", "s"))
    if t["s"] != state:
        raise bad_token("page_token belongs to another filter")
    if not isinstance(t["i"], str) or text.problem("id", t["i"], limits.ID):
        raise bad_token()
    return _parse_time(t["c"]), t["i"]


# Every created_at lies here; the bounds keep a forged time from overflowing on its way to
# PostgreSQL (0001-01-01+05:00 is before year 1 in UTC).
_EARLIEST, _LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def _parse_time(value: object) -> datetime:
    try:
        parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None or not _EARLIEST <= parsed <= _LATEST:
        raise bad_token()
    return parsed


PARTIAL = frozenset({State.FAILED, State.CANCELLED})


@dataclass(frozen=True)
class Results:
    """An ended assessment's stored results (serialized), partial when it failed or was
    cancelled, and its fit history."""

    assessment: Assessment
    stored: bytes
    partial: bool
    history: Sequence[Snapshot]


async def results(store: Store, assessment_id: str) -> Results:
    """A completed assessment's results; a failed or cancelled one's, fitted on the verdicts
    paid for before it ended, marked partial."""
    batch = await get_batch(store, assessment_id)
    async with store.read() as tx:
        stored = None if batch.is_live else await tx.assessments.results(assessment_id)
        history = await tx.assessments.snapshots(assessment_id) if stored else []
    if stored is None:
        raise failed_precondition(
            "INVALID_STATE",
            f"assessment {assessment_id} is {batch.state}; results exist once it has ended"
            if batch.is_live
            else f"assessment {assessment_id} ended ({batch.state}) before results were kept",
            state=batch.state.value,
        )
    return Results(batch, stored, batch.state in PARTIAL, history)


async def comparisons(
    store: Store, assessment_id: str, *, size: int, token: str
) -> tuple[Sequence[StoredComparison], dict[int, str], str]:
    """A page of comparisons, the essay ids by idx, and the next page's token."""
    limit = page_size(size, default=COMPARISONS_DEFAULT, maximum=COMPARISONS_MAX)
    await get_batch(store, assessment_id)
    after = _comparison_position(token, assessment_id) if token else 0
    async with store.read() as tx:
        rows = await tx.comparisons.page(assessment_id, after_seq=after, limit=limit + 1)
        essays = {e.idx: e.essay_id for e in await tx.assessments.essays(assessment_id)}
    token_out = (
        encode_token({"a": assessment_id, "q": rows[limit - 1].seq}) if len(rows) > limit else ""
    )
    return rows[:limit], essays, token_out


def _comparison_position(token: str, assessment_id: str) -> int:
    """The seq (a bigint) of the last comparison of the previous page."""
    t = decode_token(token, keys=("a", "q"))
    if t["a"] != assessment_id:
        raise bad_token("page_token belongs to another assessment")
    seq = t["q"]
    if type(seq) is not int or not 0 <= seq <= limits.MAX_SEQ:  # bool is an int too
        raise bad_token()
    return seq
