"""Read side: GetAssessment, ListAssessments, GetAssessmentResults, ListAssessmentComparisons."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp
from sqlalchemy.engine import Row

from cj_service.adapters import batch_repo, comparison_repo
from cj_service.domain.reliability import split_half_se
from cj_service.service import limits, views
from cj_service.service.deps import Deps
from cj_service.service.model import TERMINAL, State
from contracts import text
from contracts.errors import ServiceError, failed_precondition, invalid_argument, not_found
from contracts.huleedu.cj.v1 import cj_pb2

LIST_DEFAULT, LIST_MAX = limits.ASSESSMENTS_PAGE
COMPARISONS_DEFAULT, COMPARISONS_MAX = limits.COMPARISONS_PAGE


async def get_batch(deps: Deps, assessment_id: str) -> Row:
    text.check("assessment_id", assessment_id, limits.REQUIRED_ID)
    async with deps.db.read() as conn:
        batch = await batch_repo.get_batch(conn, assessment_id)
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


async def list_batches(deps: Deps, *, size: int, token: str, state: str) -> tuple[list[Row], str]:
    limit = page_size(size, default=LIST_DEFAULT, maximum=LIST_MAX)
    after = _batch_position(token, state) if token else None
    async with deps.db.read() as conn:
        rows = await batch_repo.page_batches(conn, limit=limit + 1, state=state, after=after)
    if len(rows) <= limit:
        return rows, ""
    last = rows[limit - 1]
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


async def results(deps: Deps, assessment_id: str) -> cj_pb2.GetAssessmentResultsResponse:
    """A completed batch's results; a failed or cancelled one's, fitted on the verdicts paid
    for before it ended, marked partial."""
    batch = await get_batch(deps, assessment_id)
    if batch.state not in TERMINAL or batch.results is None:
        raise failed_precondition(
            "INVALID_STATE",
            f"assessment {assessment_id} is {batch.state}; results exist once it has ended"
            if batch.state not in TERMINAL
            else f"assessment {assessment_id} ended ({batch.state}) before results were kept",
            state=batch.state,
        )
    response = cj_pb2.GetAssessmentResultsResponse.FromString(batch.results)
    response.assessment.CopyFrom(views.assessment(batch))
    response.partial = batch.state in PARTIAL
    async with deps.db.read() as conn:
        history = await batch_repo.snapshot_history(conn, assessment_id)
    response.history.extend(
        cj_pb2.FitSnapshot(
            comparisons=h.comparisons,
            reliability=h.reliability,
            reliability_se=split_half_se(h.reliability, views.n_texts(batch)),
            ssr=h.ssr,
            position_bias=h.position_bias,
            created_at=_ts(h.created_at),
        )
        for h in history
    )
    return response


def _ts(value: datetime) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


async def comparisons(
    deps: Deps, assessment_id: str, *, size: int, token: str
) -> tuple[list[cj_pb2.ComparisonRecord], str]:
    limit = page_size(size, default=COMPARISONS_DEFAULT, maximum=COMPARISONS_MAX)
    await get_batch(deps, assessment_id)
    after = _comparison_position(token, assessment_id) if token else 0
    async with deps.db.read() as conn:
        rows = await comparison_repo.page(conn, assessment_id, after_seq=after, limit=limit + 1)
        essays = {e.idx: e.essay_id for e in await batch_repo.load_essays(conn, assessment_id)}
    records = [views.comparison(r, essays) for r in rows[:limit]]
    token_out = (
        encode_token({"a": assessment_id, "q": rows[limit - 1].seq}) if len(rows) > limit else ""
    )
    return records, token_out


def _comparison_position(token: str, assessment_id: str) -> int:
    """The seq (a bigint) of the last comparison of the previous page."""
    t = decode_token(token, keys=("a", "q"))
    if t["a"] != assessment_id:
        raise bad_token("page_token belongs to another assessment")
    seq = t["q"]
    if type(seq) is not int or not 0 <= seq <= limits.MAX_SEQ:  # bool is an int too
        raise bad_token()
    return seq
