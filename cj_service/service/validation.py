"""Pure checks of what callers send cj_service (no I/O): every problem is a ServiceError that
names the field, the limit and the value (clipped). The limits live in service/limits.py.

SubmitAssessment is checked twice: `validate` before anything is read or written, and
`check_batch` once every text is resolved (essays and context fetched by content id, the
assignment's anchors), before the batch is stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import grpc

from cj_service.domain import grade_scales
from cj_service.service import limits
from cj_service.service.workflow.model import (
    EssayIn,
    JudgeSettings,
    ResolvedEssay,
    StoppingIn,
    SubmitCommand,
)
from contracts import ids, text
from contracts.errors import ServiceError, failed_precondition, invalid_argument


def validate(cmd: SubmitCommand) -> None:
    text.check("request_id", cmd.request_id, limits.REQUIRED_ID)
    _check_essays(cmd.essays)
    _check_context(cmd)
    _check_judge(cmd.judge)
    text.check_map("metadata", cmd.metadata, **limits.METADATA)  # type: ignore[arg-type]
    _check_stopping(cmd.stopping)
    if cmd.grade_scale_id:
        scale_of(cmd.grade_scale_id)


def _check_essays(essays: Sequence[EssayIn]) -> None:
    if not essays:
        raise invalid_argument("INVALID_ARGUMENT", "essays: at least one essay is required",
                               field="essays")
    if len(essays) > limits.MAX_ESSAYS:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"essays has {len(essays)} entries; the limit is "
            f"{limits.MAX_ESSAYS}", field="essays", limit=str(limits.MAX_ESSAYS),
            value=str(len(essays)))
    for i, essay in enumerate(essays):
        try:
            _check_essay(f"essays[{i}]", essay)
        except ServiceError as error:
            raise about_essay(error, essay.essay_id) from None
    check_unique([e.essay_id for e in essays])


def _check_essay(where: str, essay: EssayIn) -> None:
    text.check(f"{where}.essay_id", essay.essay_id, limits.REQUIRED_ID)
    text.check(f"{where}.display_name", essay.display_name, limits.NAME)
    text.check(f"{where}.anchor_grade", essay.anchor_grade, limits.NAME)
    if not essay.has_source:
        raise invalid_argument("INVALID_ARGUMENT", f"{where} needs a content_id or a text",
                               field=where)
    if essay.content_id:
        check_content_id(f"{where}.content_id", essay.content_id)
    else:
        check_essay_text(f"{where}.text", essay.text)


def check_essay_text(field: str, value: str, *, essay_id: str | None = None) -> None:
    """An essay's text: within the size, no refused character, something visible. With
    `essay_id` the refusal names the essay too."""
    try:
        text.check(field, value, limits.ESSAY)
        if not text.has_visible(value):
            raise invalid_argument("CONTENT_EMPTY", f"{field} has no visible character",
                                   field=field)
    except ServiceError as error:
        if essay_id is None:
            raise
        raise about_essay(error, essay_id) from None


def check_content_id(field: str, value: str) -> None:
    if not ids.is_content_id(value):
        raise invalid_argument("INVALID_CONTENT_ID", f"{field} is not a content id (64 "
                               "lowercase hex characters)", field=field, value=text.clip(value))


def about_essay(error: ServiceError, essay_id: str) -> ServiceError:
    """The same refusal, saying which essay it is about."""
    named = text.clip(essay_id)
    return ServiceError(error.code, error.reason, f"essay {named!r}: {error.message}",
                        {**error.metadata, "essay_id": named})


def _check_context(cmd: SubmitCommand) -> None:
    for name, value in (("assignment_id", cmd.assignment_id),
                        ("grade_scale_id", cmd.grade_scale_id),
                        ("correlation_id", cmd.correlation_id)):
        text.check(name, value, limits.ID)
    for name, ref in (("student_prompt_content_id", cmd.student_prompt_content_id),
                      ("judge_rubric_override_content_id", cmd.judge_rubric_override_content_id)):
        if ref:
            check_content_id(name, ref)
    text.check("instructions_text", cmd.instructions_text, limits.CONTEXT)


def _check_judge(judge: JudgeSettings) -> None:
    """Names only: the parameters are checked against the model by judge_check."""
    text.check("judge.provider", judge.provider, limits.NAME)
    text.check("judge.model", judge.model, limits.NAME)


def _check_stopping(s: StoppingIn) -> None:
    for name, value, allowed in (
        ("budget", s.budget, limits.BUDGET),
        ("target_reliability", s.target_reliability, limits.TARGET_RELIABILITY),
        ("min_comparisons_per_essay", s.min_comparisons_per_essay,
         limits.MIN_COMPARISONS_PER_ESSAY),
        ("max_in_flight", s.max_in_flight, limits.MAX_IN_FLIGHT),
        ("min_judge_success_rate", s.min_judge_success_rate, limits.MIN_JUDGE_SUCCESS_RATE),
        ("stall_timeout", s.stall_timeout_s, limits.STALL_TIMEOUT_S),
        ("provider_patience", s.provider_patience_s, limits.PROVIDER_PATIENCE_S),
    ):
        if value is not None:
            check_number(f"stopping.{name}", value, allowed)


def check_number(field: str, value: float, allowed: limits.Range) -> None:
    if value not in allowed:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"{field} must be in {allowed}; got {value:g}",
            field=field, limit=str(allowed), value=f"{value:g}")


def check_batch(essays: Sequence[ResolvedEssay], context: Iterable[str], *,
                max_payload: int) -> None:
    """The resolved batch: its total text, and its largest pair must fit one NATS message
    (a pair that could never be queued would fail later, on every try)."""
    sizes = sorted(((_size(e.text), e.essay_id) for e in essays), reverse=True)
    check_total(sum(size for size, _ in sizes))
    if len(sizes) < 2:
        return
    (a, first), (b, second) = sizes[:2]
    largest = a + b + sum(_size(c) for c in context) + limits.ENVELOPE_BYTES
    if largest > max_payload:
        pair = f"{text.clip(first)},{text.clip(second)}"
        raise ServiceError(
            grpc.StatusCode.RESOURCE_EXHAUSTED, "CONTENT_TOO_LARGE",
            f"essays {pair} with the context make a comparison request of {largest} bytes; "
            f"NATS takes at most {max_payload} (shorten them or the context)",
            {"field": "essays", "essay_ids": pair, "limit": str(max_payload),
             "value": f"{largest} bytes"})


def check_total(total_bytes: int) -> None:
    if total_bytes > limits.MAX_BATCH_TEXT_BYTES:
        raise ServiceError(
            grpc.StatusCode.RESOURCE_EXHAUSTED, "CONTENT_TOO_LARGE",
            f"the essays hold {total_bytes} bytes; the limit is {limits.MAX_BATCH_TEXT_BYTES}",
            {"field": "essays", "limit": str(limits.MAX_BATCH_TEXT_BYTES),
             "value": f"{total_bytes} bytes"})


def _size(value: str) -> int:
    return len(value.encode("utf-8"))


def check_unique(essay_ids: list[str]) -> None:
    dupes = sorted(k for k, n in Counter(essay_ids).items() if n > 1)
    if dupes:
        raise invalid_argument(
            "DUPLICATE_ESSAY_ID",
            f"essay ids are not unique: {some(dupes)}",
            essay_ids=text.clip(",".join(dupes)),
        )


def some(items: Sequence[str], shown: int = 10) -> str:
    """A list for a message: the first few, clipped, and how many more there are."""
    head = ", ".join(text.clip(i) for i in items[:shown])
    return head if len(items) <= shown else f"{head} and {len(items) - shown} more"


def scale_of(scale_id: str) -> grade_scales.GradeScale:
    text.check("grade_scale_id", scale_id, limits.ID)
    try:
        return grade_scales.get_scale(scale_id)
    except grade_scales.UnknownGradeScale as err:
        raise invalid_argument("UNKNOWN_GRADE_SCALE", str(err),
                               grade_scale_id=text.clip(scale_id)) from None


def check_anchor_grades(grades: list[tuple[str, str]], scale_id: str) -> None:
    """grades: (essay id, grade) of inline anchors; they need a scale and valid grades."""
    if not grades:
        return
    if not scale_id:
        raise invalid_argument(
            "UNKNOWN_GRADE_SCALE",
            "inline anchors need a grade_scale_id (or an assignment with one)",
            field="grade_scale_id",
        )
    scale = scale_of(scale_id)
    bad = [
        f"{essay_id}={grade}"
        for essay_id, grade in grades
        if not grade_scales.is_valid_grade(scale, grade)
    ]
    if bad:
        raise invalid_argument(
            "INVALID_GRADE",
            f"grades not on scale {scale_id}: {some(bad)}",
            grade_scale_id=scale_id,
        )


def missing_context(what: str, missing: list[str]) -> ServiceError:
    return failed_precondition(
        "CONTEXT_MISSING",
        f"{what} not found in the content service: {some(missing)}",
        missing=text.clip(",".join(missing)),
    )


def request_id_conflict(request_id: str, message: str, **metadata: str) -> ServiceError:
    """A request_id already bound to another request: ALREADY_EXISTS, as in every service
    (resending can never succeed, yet nothing about the request itself is malformed)."""
    return ServiceError(grpc.StatusCode.ALREADY_EXISTS, "REQUEST_ID_CONFLICT", message,
                        {"request_id": text.clip(request_id), **metadata})
