"""SubmitAssessment: validate, resolve every text once, store the batch, plan the first wave.

Idempotent on request_id: the request_ids row is inserted in the batch's own transaction, so
a retry (or a concurrent duplicate on another replica) gets the original batch back.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.engine import Row

from cj_service.adapters import batch_repo
from cj_service.service import effects, finish, judge_check, limits, steps, validation
from cj_service.service.assignment_context import (
    AssignmentContext,
    check_rubric_override,
    load_assignment_context,
)
from cj_service.service.deps import Deps
from cj_service.service.model import ResolvedEssay, State, StepOutcome, SubmitCommand
from contracts import ids, text
from contracts.errors import ServiceError, failed_precondition, invalid_argument, unavailable

SEED_MASK = (1 << 63) - 1


class _Raced(Exception):
    """Another call claimed the request_id between our lookup and our insert."""


@dataclass(frozen=True)
class Context:
    instructions: str
    student_prompt: str
    rubric: str
    grade_scale_id: str
    origin: str
    anchors: tuple[ResolvedEssay, ...]


async def submit_assessment(deps: Deps, cmd: SubmitCommand) -> tuple[Row, bool]:
    """Returns (batch row, duplicate)."""
    validation.validate(cmd)  # first: nothing unchecked may reach SQL, not even the replay
    existing = await _replay(deps, cmd)
    if existing is not None:
        return existing, True
    cmd = replace(cmd, judge=await judge_check.resolve(deps, cmd.judge))
    ctx = await _context(deps, cmd)
    essays = await _essays(deps, cmd, ctx)
    try:
        return await _store(deps, cmd, ctx, essays), False
    except _Raced:
        winner = await _replay(deps, cmd)
        if winner is None:  # the racing claim rolled back too; let the client retry
            raise unavailable(
                "DEPENDENCY_UNAVAILABLE", "concurrent submission did not commit"
            ) from None
        return winner, True


async def _replay(deps: Deps, cmd: SubmitCommand) -> Row | None:
    async with deps.db.read() as conn:
        seen = await batch_repo.find_request(conn, "submit", cmd.request_id)
        if seen is None:
            return None
        if seen.fingerprint != cmd.fingerprint:
            raise validation.request_id_conflict(
                cmd.request_id,
                f"request_id {text.clip(cmd.request_id)!r} was used for a different submission",
            )
        return await batch_repo.get_batch(conn, seen.batch_id)


async def _context(deps: Deps, cmd: SubmitCommand) -> Context:
    """Assignment context (if any) with the request's overrides applied, every text resolved
    and held to the context limits (texts stored before the limits existed included)."""
    assignment = await _assignment(deps, cmd) if cmd.assignment_id else None
    refs = [r for r in (cmd.student_prompt_content_id, cmd.judge_rubric_override_content_id) if r]
    texts = await deps.fetch_texts(refs) if refs else {}
    missing = [r for r in refs if r not in texts]
    if missing:
        raise validation.missing_context("student prompt / judge rubric", missing)
    a = assignment
    scale = cmd.grade_scale_id or (a.grade_scale_id if a else "")
    if a and cmd.grade_scale_id and a.grade_scale_id and cmd.grade_scale_id != a.grade_scale_id:
        raise invalid_argument(
            "INVALID_ARGUMENT",
            f"grade_scale_id {cmd.grade_scale_id} differs from assignment's {a.grade_scale_id}",
            field="grade_scale_id",
        )
    return Context(
        instructions=_chosen(("instructions_text", cmd.instructions_text),
                             ("assignment.instructions_text", a.instructions_text if a else "")),
        student_prompt=_chosen(
            ("student_prompt_content_id", texts.get(cmd.student_prompt_content_id, "")),
            ("assignment.student_prompt", (a.student_prompt_text or "") if a else "")),
        rubric=_chosen(
            ("judge_rubric_override_content_id",
             texts.get(cmd.judge_rubric_override_content_id, "")),
            ("assignment.judge_rubric", (a.judge_rubric_text or "") if a else "")),
        grade_scale_id=scale,
        origin=str(a.context_origin.value) if a else "",
        anchors=tuple(_anchors(a)) if a else (),
    )


def _chosen(own: tuple[str, str], inherited: tuple[str, str]) -> str:
    """The request's text, else the assignment's: (field it came from, text)."""
    field, value = own if own[1] else inherited
    text.check(field, value, limits.CONTEXT)
    return value


async def _assignment(deps: Deps, cmd: SubmitCommand) -> AssignmentContext:
    if deps.admin_source is None:
        raise failed_precondition(
            "CONTEXT_MISSING",
            "assignments are not configured here",
            assignment_id=cmd.assignment_id,
        )
    ctx = await load_assignment_context(
        cmd.assignment_id, source=deps.admin_source, fetch_texts=deps.fetch_texts
    )
    check_rubric_override(ctx, bool(cmd.judge_rubric_override_content_id))
    return ctx


def _anchors(ctx: AssignmentContext) -> list[ResolvedEssay]:
    anchors = []
    for a in ctx.anchors:
        essay_id = f"anchor-{a.anchor_id}"
        validation.check_essay_text("assignment.anchors", a.text, essay_id=essay_id)
        anchors.append(ResolvedEssay(essay_id=essay_id, text=a.text, display_name=a.label,
                                     content_id=a.content_id, is_anchor=True,
                                     anchor_grade=a.grade))
    return anchors


async def _essays(deps: Deps, cmd: SubmitCommand, ctx: Context) -> list[ResolvedEssay]:
    texts = await _essay_texts(deps, cmd)
    essays = [
        ResolvedEssay(
            essay_id=e.essay_id,
            text=texts.get(e.content_id, e.text),
            display_name=e.display_name,
            content_id=e.content_id,
            is_anchor=bool(e.anchor_grade),
            anchor_grade=e.anchor_grade,
        )
        for e in cmd.essays
    ]
    essays.extend(ctx.anchors)
    validation.check_unique([e.essay_id for e in essays])
    validation.check_anchor_grades(
        [(e.essay_id, e.anchor_grade) for e in essays if e.is_anchor], ctx.grade_scale_id
    )
    validation.check_batch(essays, (ctx.instructions, ctx.student_prompt, ctx.rubric),
                           max_payload=deps.max_payload)
    return essays


async def _essay_texts(deps: Deps, cmd: SubmitCommand) -> dict[str, str]:
    """Texts of the essays given by content id, fetched a slice at a time and held to the
    essay rules as they arrive: a batch naming blobs too large to be essays is refused,
    naming the essay, before they fill memory."""
    owners: dict[str, tuple[str, str]] = {}  # content id -> (field, essay id) of its first essay
    for i, e in enumerate(cmd.essays):
        if e.content_id:
            owners.setdefault(e.content_id, (f"essays[{i}].content_id", e.essay_id))
    refs, total = list(owners), 0
    texts: dict[str, str] = {}
    for start in range(0, len(refs), limits.CONTENT_IDS_PER_SLICE):
        found = await _fetch_essays(deps, refs[start:start + limits.CONTENT_IDS_PER_SLICE], owners)
        for ref, body in found.items():
            validation.check_essay_text(owners[ref][0], body, essay_id=owners[ref][1])
            total += len(body.encode("utf-8"))
        validation.check_total(total)
        texts.update(found)
    missing = set(refs) - set(texts)
    if missing:
        named = [e.essay_id for e in cmd.essays if e.content_id in missing]
        raise validation.missing_context(f"texts of essays {validation.some(named)}",
                                         sorted(missing))
    return texts


async def _fetch_essays(deps: Deps, refs: list[str],
                        owners: dict[str, tuple[str, str]]) -> Mapping[str, str]:
    try:
        return await deps.fetch_texts(refs)
    except ServiceError as error:  # e.g. CONTENT_NOT_UTF8 of one blob: say whose it is
        owner = owners.get(error.metadata.get("content_id", ""))
        if owner is None:
            raise
        raise validation.about_essay(error, owner[1]) from None


async def _store(
    deps: Deps, cmd: SubmitCommand, ctx: Context, essays: Sequence[ResolvedEssay]
) -> Row:
    batch_id = ids.new_id()
    out = StepOutcome(batch_id)
    async with deps.db.transaction() as conn:
        if not await batch_repo.claim_request(
            conn, "submit", cmd.request_id, fingerprint=cmd.fingerprint, batch_id=batch_id
        ):
            raise _Raced
        await batch_repo.insert_batch(conn, _values(deps, cmd, ctx, essays, batch_id), essays)
        batch = await batch_repo.lock_existing(conn, batch_id)
        students = sum(1 for e in essays if not e.is_anchor)
        if students < 1 or len(essays) < 2:
            batch = await finish.finalize(conn, batch, finish.INSUFFICIENT, deps, out)
        else:
            batch = await steps.first_wave(conn, batch, deps, out)
    deps.metrics.batch_transitions.labels(state=State.RUNNING.value, reason="SUBMITTED").inc()
    effects.after_commit(deps, out)
    return batch


def _values(deps: Deps, cmd: SubmitCommand, ctx: Context, essays, batch_id: str) -> dict:
    d, s = deps.config.defaults, cmd.stopping
    n = len(essays)
    budget = s.budget or d.comparisons_per_essay * n
    return dict(
        id=batch_id,
        state=State.RUNNING.value,
        request_id=cmd.request_id,
        assignment_id=cmd.assignment_id,
        grade_scale_id=ctx.grade_scale_id,
        context_origin=ctx.origin,
        judge_provider=cmd.judge.provider,
        judge_model=cmd.judge.model,
        judge_config=cmd.judge.SerializeToString(),
        budget=budget,
        target_reliability=s.target_reliability or d.target_reliability,
        min_comparisons_per_essay=s.min_comparisons_per_essay or d.min_comparisons_per_essay,
        max_in_flight=max(1, min(s.max_in_flight or default_window(d.max_in_flight, n), budget)),
        min_judge_success_rate=s.min_judge_success_rate or d.min_judge_success_rate,
        stall_timeout_s=s.stall_timeout_s or d.stall_timeout_s,
        provider_patience_s=s.provider_patience_s or d.provider_patience_s,
        instructions_text=ctx.instructions,
        student_prompt_text=ctx.student_prompt,
        rubric_text=ctx.rubric,
        seed=(cmd.seed or secrets.randbits(63)) & SEED_MASK,
        essay_count=sum(1 for e in essays if not e.is_anchor),
        anchor_count=sum(1 for e in essays if e.is_anchor),
        correlation_id=cmd.correlation_id,
        metadata=dict(cmd.metadata),
    )


def default_window(configured: int, n_texts: int) -> int:
    """The default in-flight window, at most one pair per two texts: each round of pairs is
    then chosen from the verdicts before it. A window of several pairs per text plans most
    of a small batch at once from a few verdicts (34 texts, window 100, k = 9: Spearman
    0.83 against 0.85 at a window of 17, and the split half reads high; docs section 4)."""
    return min(configured, max(1, n_texts // 2))
