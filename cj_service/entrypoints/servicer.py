"""CJAssessmentService servicer: proto -> command -> handler -> proto (thin on purpose)."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

import grpc
import structlog

from cj_service.adapters.db_errors import is_unavailable
from cj_service.entrypoints import views
from cj_service.service.workflow import cancel, queries, submit
from cj_service.service.workflow.contexts import Submitting
from cj_service.service.workflow.model import (
    CancelCommand,
    EssayIn,
    JudgeSettings,
    StoppingIn,
    SubmitCommand,
)
from contracts import ids
from contracts.errors import ServiceError, abort, invalid_argument, unavailable
from contracts.huleedu.cj.v1 import cj_pb2, cj_service_pb2_grpc
from contracts.huleedu.common.v1 import common_pb2

DOMAIN = "cj.huleedu"
SERVICE_NAME = "huleedu.cj.v1.CJAssessmentService"
log = structlog.get_logger("cj_service.rpc")
Req = TypeVar("Req")
Resp = TypeVar("Resp")


def rpc(method: Callable[[Any, Req], Awaitable[Resp]]) -> Callable[..., Awaitable[Resp]]:
    """Run the handler; a ServiceError aborts the call with its rich status.

    A database that is down (restarting, unreachable) is UNAVAILABLE, which callers retry,
    rather than the UNKNOWN an unhandled exception would give. Anything else no handler
    turned into a status is a bug: logged with an incident id and answered INTERNAL with
    that id only, so no exception text (SQL, a traceback) reaches a caller.
    """

    @functools.wraps(method)
    async def call(self: Any, request: Req, context: grpc.aio.ServicerContext) -> Resp:
        try:
            return await method(self, request)
        except ServiceError as error:
            await abort(context, error, domain=DOMAIN)
        except Exception as error:
            if not is_unavailable(error):
                await _internal(context, method.__name__)
            down = unavailable("DEPENDENCY_UNAVAILABLE", f"database: {type(error).__name__}")
            await abort(context, down, domain=DOMAIN)

    return call


async def _internal(context: grpc.aio.ServicerContext, method: str) -> NoReturn:
    incident = ids.new_id()[:12]
    log.exception("rpc_failed", method=method, incident=incident)
    await context.abort(grpc.StatusCode.INTERNAL, f"internal error (incident {incident})")
    raise AssertionError("abort returned")  # pragma: no cover


def fingerprint(request: cj_pb2.SubmitAssessmentRequest) -> str:
    """Hash of everything but the request_id, so a retry matches and a different body does not."""
    body = cj_pb2.SubmitAssessmentRequest()
    body.CopyFrom(request)
    body.request_id = ""
    return hashlib.sha256(body.SerializeToString(deterministic=True)).hexdigest()


def submit_command(request: cj_pb2.SubmitAssessmentRequest) -> SubmitCommand:
    s = request.stopping
    return SubmitCommand(
        request_id=request.request_id,
        fingerprint=fingerprint(request),
        essays=tuple(
            EssayIn(
                essay_id=e.essay_id,
                content_id=e.content_id,
                text=e.text,
                display_name=e.display_name,
                anchor_grade=e.anchor_grade,
                has_source=e.WhichOneof("source") is not None,
            )
            for e in request.essays
        ),
        judge=judge_settings(request.judge),
        stopping=StoppingIn(
            budget=s.budget,
            target_reliability=s.target_reliability,
            min_comparisons_per_essay=s.min_comparisons_per_essay,
            max_in_flight=s.max_in_flight,
            min_judge_success_rate=s.min_judge_success_rate,
            stall_timeout_s=_seconds(s, "stall_timeout"),
            provider_patience_s=_seconds(s, "provider_patience"),
        ),
        assignment_id=request.assignment_id,
        student_prompt_content_id=request.student_prompt_content_id,
        judge_rubric_override_content_id=request.judge_rubric_override_content_id,
        instructions_text=request.instructions_text,
        grade_scale_id=request.grade_scale_id,
        correlation_id=request.correlation_id,
        metadata=dict(request.metadata),
        seed=request.seed,
    )


def judge_settings(judge: common_pb2.JudgeConfig) -> JudgeSettings:
    return JudgeSettings(
        provider=judge.provider,
        model=judge.model,
        temperature=judge.temperature if judge.HasField("temperature") else None,
        max_tokens=judge.max_tokens,
        reasoning_effort=int(judge.reasoning_effort),
        output_verbosity=int(judge.output_verbosity),
    )


def _seconds(stopping: cj_pb2.StoppingOptions, name: str) -> float | None:
    """A Duration option in seconds; None when unset (0 would be "set to zero"). Read from its
    fields: a forged Duration (1e11 s, nanos of the wrong sign) must reach the range check
    rather than overflow a timedelta."""
    if not stopping.HasField(name):  # type: ignore[arg-type]
        return None
    duration = getattr(stopping, name)
    return duration.seconds + duration.nanos / 1e9


def state_filter(value: int) -> str:
    if not value:
        return ""
    try:
        name = cj_pb2.AssessmentState.Name(value)  # type: ignore[arg-type]
        return name.removeprefix("ASSESSMENT_STATE_")
    except ValueError:
        raise invalid_argument(
            "INVALID_ARGUMENT", f"unknown state {value}", field="state"
        ) from None


class CJAssessmentServicer(cj_service_pb2_grpc.CJAssessmentServiceServicer):
    def __init__(self, workflow: Submitting) -> None:
        self._workflow = workflow

    @rpc
    async def SubmitAssessment(
        self, request: cj_pb2.SubmitAssessmentRequest
    ) -> cj_pb2.SubmitAssessmentResponse:
        batch, duplicate = await submit.submit_assessment(self._workflow, submit_command(request))
        return cj_pb2.SubmitAssessmentResponse(
            assessment=views.assessment(batch), duplicate=duplicate
        )

    @rpc
    async def GetAssessment(
        self, request: cj_pb2.GetAssessmentRequest
    ) -> cj_pb2.GetAssessmentResponse:
        batch = await queries.get_batch(self._workflow.store, request.assessment_id)
        return cj_pb2.GetAssessmentResponse(assessment=views.assessment(batch))

    @rpc
    async def ListAssessments(
        self, request: cj_pb2.ListAssessmentsRequest
    ) -> cj_pb2.ListAssessmentsResponse:
        state = state_filter(request.state)
        rows, token = await queries.list_batches(
            self._workflow.store, size=request.page_size, token=request.page_token, state=state
        )
        return cj_pb2.ListAssessmentsResponse(
            assessments=[views.assessment(r) for r in rows], next_page_token=token
        )

    @rpc
    async def GetAssessmentResults(
        self, request: cj_pb2.GetAssessmentResultsRequest
    ) -> cj_pb2.GetAssessmentResultsResponse:
        return views.results(await queries.results(self._workflow.store, request.assessment_id))

    @rpc
    async def ListAssessmentComparisons(
        self, request: cj_pb2.ListAssessmentComparisonsRequest
    ) -> cj_pb2.ListAssessmentComparisonsResponse:
        rows, essays, token = await queries.comparisons(
            self._workflow.store, request.assessment_id, size=request.page_size,
            token=request.page_token,
        )
        return cj_pb2.ListAssessmentComparisonsResponse(
            comparisons=[views.comparison(r, essays) for r in rows], next_page_token=token
        )

    @rpc
    async def CancelAssessment(
        self, request: cj_pb2.CancelAssessmentRequest
    ) -> cj_pb2.CancelAssessmentResponse:
        batch = await cancel.cancel_assessment(
            self._workflow,
            CancelCommand(
                assessment_id=request.assessment_id,
                request_id=request.request_id,
                reason=request.reason,
            ),
        )
        return cj_pb2.CancelAssessmentResponse(assessment=views.assessment(batch))
