"""SubmitAssessment at the door: every field bounded and checked, a refusal names the field,
the limit and the value, and writes nothing (issue 20: D4, D5, D7, Minor)."""

from __future__ import annotations

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from sqlalchemy import text

from contracts.errors import error_info, reason_of
from contracts.huleedu.cj.v1 import cj_pb2
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.content.v1 import content_pb2
from tests.fixtures import unique_name
from tests.integration.cj_service.cj_fixtures import *  # noqa: F403
from tests.integration.cj_service.cj_harness import CJ, JUDGE, text_essay

pytestmark = pytest.mark.integration
MB = 1024 * 1024
TWO = [text_essay("a", "First essay."), text_essay("b", "Second essay.")]


async def written(cj: CJ) -> tuple[int, int, int]:
    """Rows of batches, their essays and claimed request ids: a refusal adds none."""
    async with cj.app.deps.db.read() as conn:
        counts = []
        for table in ("batches", "batch_essays", "request_ids"):
            counts.append((await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar())
    return counts[0], counts[1], counts[2]


async def refused(cj: CJ, essays=TWO, **fields) -> grpc.aio.AioRpcError:
    before = await written(cj)
    with pytest.raises(grpc.aio.AioRpcError) as err:
        await cj.submit(list(essays), **fields)
    assert await written(cj) == before, "a refused request writes nothing"
    assert len(err.value.details()) < 400, "the value is clipped, never echoed whole"
    return err.value


def status(err: grpc.aio.AioRpcError) -> tuple[str, str]:
    return err.code().name, reason_of(err)


def nul(value: str = "x") -> str:
    return f"{value}\x00y"


NUL_FIELDS = {  # case: (essays, request fields, the field the refusal names)
    "essay text": ([text_essay("a", nul("essay")), TWO[1]], {}, "essays[0].text"),
    "essay id": ([text_essay(nul("a"), "text"), TWO[1]], {}, "essays[0].essay_id"),
    "display name": ([text_essay("a", "t", display_name=nul()), TWO[1]], {},
                     "essays[0].display_name"),
    "anchor grade": ([text_essay("a", "t", anchor_grade=nul()), TWO[1]], {},
                     "essays[0].anchor_grade"),
    "content id": ([cj_pb2.EssayInput(essay_id="a", content_id=nul()), TWO[1]], {},
                   "essays[0].content_id"),
    "request id": (TWO, {"request_id": nul("r")}, "request_id"),
    "instructions": (TWO, {"instructions_text": nul("judge")}, "instructions_text"),
    "assignment id": (TWO, {"assignment_id": nul("as")}, "assignment_id"),
    "grade scale": (TWO, {"grade_scale_id": nul("s")}, "grade_scale_id"),
    "correlation id": (TWO, {"correlation_id": nul("c")}, "correlation_id"),
    "metadata key": (TWO, {"metadata": {nul("k"): "v"}}, "metadata key"),
    "metadata value": (TWO, {"metadata": {"k": nul("v")}}, "metadata[k]"),
    "prompt id": (TWO, {"student_prompt_content_id": nul()}, "student_prompt_content_id"),
    "judge model": (TWO, {"judge": common_pb2.JudgeConfig(provider="simulated",
                                                          model=nul("sim"))}, "judge.model"),
}


@pytest.mark.parametrize("case", NUL_FIELDS)
async def test_a_nul_in_any_string_field_is_invalid_argument_naming_the_field(cj, case):
    essays, fields, field = NUL_FIELDS[case]
    err = await refused(cj, essays, **fields)
    assert status(err) in {("INVALID_ARGUMENT", "INVALID_ARGUMENT"),
                           ("INVALID_ARGUMENT", "INVALID_CONTENT_ID")}
    assert error_info(err).metadata["field"] == field


async def test_a_50_mb_essay_is_refused_at_the_door_as_too_large(cj):
    err = await refused(cj, [text_essay("huge", "word " * (10 * MB)), TWO[1]])
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE")
    info = error_info(err).metadata
    assert info["field"] == "essays[0].text" and info["essay_id"] == "huge"
    assert info["limit"] == "262144" and info["value"] == f"{50 * MB} bytes"


async def test_an_essay_of_exactly_the_limit_is_accepted(cj):
    response = await cj.submit([text_essay("full", "a" * 262_144), TWO[1]])
    assert response.assessment.state == cj_pb2.ASSESSMENT_STATE_RUNNING


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"instructions_text": "i" * 65_537}, "instructions_text"),
        ({"request_id": "r" * (1024 * 1024)}, "request_id"),
        ({"metadata": {"blob": "m" * 1025}}, "metadata[blob]"),
        ({"metadata": {f"k{i}": "v" * 1000 for i in range(17)}}, "metadata"),
    ],
)
async def test_oversized_fields_are_resource_exhausted_naming_field_and_limit(cj, fields, field):
    err = await refused(cj, **fields)
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE")
    assert error_info(err).metadata["field"] == field


async def test_metadata_of_too_many_entries_is_invalid_argument(cj):
    err = await refused(cj, metadata={f"k{i}": "v" for i in range(65)})
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
    assert error_info(err).metadata["limit"] == "64"


async def test_a_submission_without_essays_is_invalid_argument(cj):
    err = await refused(cj, [])
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
    assert error_info(err).metadata["field"] == "essays"


@pytest.mark.parametrize("blank", ["\u200b\u200b\u200b", "\u200b \u2060\ufeff\n", "\u3164"])
async def test_an_essay_of_only_invisible_characters_is_content_empty(cj, blank):
    err = await refused(cj, [text_essay("a", "Real words."), text_essay("ghost", blank)])
    assert status(err) == ("INVALID_ARGUMENT", "CONTENT_EMPTY")
    assert error_info(err).metadata["essay_id"] == "ghost"


def seconds(value: int, nanos: int = 0) -> Duration:
    return Duration(seconds=value, nanos=nanos)


@pytest.mark.parametrize(
    ("stopping", "field"),
    [
        (cj_pb2.StoppingOptions(stall_timeout=seconds(300_000_000_000)), "stopping.stall_timeout"),
        (cj_pb2.StoppingOptions(stall_timeout=seconds(86_401)), "stopping.stall_timeout"),
        (cj_pb2.StoppingOptions(stall_timeout=seconds(-5)), "stopping.stall_timeout"),
        (cj_pb2.StoppingOptions(stall_timeout=seconds(315_576_000_000)), "stopping.stall_timeout"),
        (cj_pb2.StoppingOptions(provider_patience=seconds(10**12)), "stopping.provider_patience"),
        (cj_pb2.StoppingOptions(budget=2_000_000_000), "stopping.budget"),
        (cj_pb2.StoppingOptions(max_in_flight=1_000_000), "stopping.max_in_flight"),
        (cj_pb2.StoppingOptions(min_comparisons_per_essay=100_000),
         "stopping.min_comparisons_per_essay"),
        (cj_pb2.StoppingOptions(target_reliability=float("nan")), "stopping.target_reliability"),
        (cj_pb2.StoppingOptions(min_judge_success_rate=float("inf")),
         "stopping.min_judge_success_rate"),
    ],
)
async def test_numbers_beyond_their_range_are_invalid_argument_naming_the_field(
    cj, stopping, field
):
    err = await refused(cj, stopping=stopping)
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
    assert error_info(err).metadata["field"] == field


async def test_a_stall_timeout_of_a_day_is_accepted(cj):
    response = await cj.submit(TWO, stopping=cj_pb2.StoppingOptions(stall_timeout=seconds(86_400)))
    assert response.assessment.state == cj_pb2.ASSESSMENT_STATE_RUNNING


async def test_a_judge_temperature_of_nan_is_invalid_argument(cj):
    judge = common_pb2.JudgeConfig(provider="simulated", model="sim-judge",
                                   temperature=float("nan"))
    err = await refused(cj, judge=judge)
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")


async def test_a_reused_request_id_is_already_exists_and_writes_nothing(cj):
    await cj.submit(TWO, request_id="reused-at-the-door")
    err = await refused(cj, [*TWO, text_essay("c", "Third.")], request_id="reused-at-the-door")
    assert status(err) == ("ALREADY_EXISTS", "REQUEST_ID_CONFLICT")


async def test_a_pair_that_could_never_be_queued_is_refused_at_intake(cj):
    cj.app.deps.max_payload = 300_000  # a NATS server configured below the 1 MiB default
    essays = [text_essay("long-1", "a" * 150_000), text_essay("long-2", "b" * 149_000),
              text_essay("short", "c" * 100)]
    err = await refused(cj, essays, judge=JUDGE)
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE")
    info = error_info(err).metadata
    assert info["essay_ids"] == "long-1,long-2" and info["limit"] == "300000"
    fits = [text_essay("long-1", "a" * 140_000), text_essay("short", "c" * 100)]
    assert (await cj.submit(fits)).assessment.state == cj_pb2.ASSESSMENT_STATE_RUNNING


async def test_a_content_blob_too_large_for_an_essay_is_refused_at_submit_naming_it(cj_content):
    cj = cj_content
    blob = await cj.put_text("x" * MB)
    essays = [TWO[0], cj_pb2.EssayInput(essay_id="by-id", content_id=blob)]
    err = await refused(cj, essays)
    assert status(err) == ("RESOURCE_EXHAUSTED", "CONTENT_TOO_LARGE")
    info = error_info(err).metadata
    assert info["essay_id"] == "by-id" and info["limit"] == "262144"


async def put_blob(cj: CJ, data: bytes) -> str:
    """Bytes stored as a binary blob: content_service checks nothing about their text."""
    request = content_pb2.PutContentRequest(
        request_id=unique_name("put"), content=data, content_type="application/octet-stream")
    return (await cj.content_stub.PutContent(request, timeout=10)).metadata.content_id


async def test_a_stored_prompt_with_a_nul_is_refused_naming_the_field(cj_content):
    cj = cj_content
    prompt = await put_blob(cj, b"Write about\x00 a journey.")
    err = await refused(cj, student_prompt_content_id=prompt)
    assert status(err) == ("INVALID_ARGUMENT", "INVALID_ARGUMENT")
    assert error_info(err).metadata["field"] == "student_prompt_content_id"


async def test_an_essay_blob_that_is_not_utf8_is_refused_naming_the_essay(cj_content):
    cj = cj_content
    blob = await put_blob(cj, b"caf\xe9 latin-1 " + unique_name().encode())
    err = await refused(cj, [TWO[0], cj_pb2.EssayInput(essay_id="latin", content_id=blob)])
    assert status(err) == ("INVALID_ARGUMENT", "CONTENT_NOT_UTF8")
    assert error_info(err).metadata["essay_id"] == "latin"
