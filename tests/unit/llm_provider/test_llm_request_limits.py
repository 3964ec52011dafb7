"""The door of llm_provider: every string, list and number of a request has a limit, and each
refusal names the field, the limit and the value (sizes RESOURCE_EXHAUSTED/CONTENT_TOO_LARGE,
characters, empty text and ranges INVALID_ARGUMENT)."""

from __future__ import annotations

import math

import grpc
import pytest

from contracts import headers
from contracts.errors import ServiceError
from contracts.huleedu.common.v1 import common_pb2
from contracts.huleedu.llm.v1 import llm_pb2
from llm_provider.adapters.nats_client import wire_size
from llm_provider.config import Config
from llm_provider.domain.manifest import build_manifest
from llm_provider.service import validation
from llm_provider.service.validation import check_request, validate

PROVIDERS = {p.name: p for p in Config.from_env({"ANTHROPIC_API_KEY": "sk"}).providers}
KIB = 1024


def request(**prompt: object) -> llm_pb2.ComparisonRequest:
    parts = {"system_prompt": "You judge essays.", "essay_a_text": "Essay one.",
             "essay_b_text": "Essay two.", **prompt}
    return llm_pb2.ComparisonRequest(
        request_id="r1", results_subject_key="cj", prompt=llm_pb2.PromptParts(**parts),
        judge=common_pb2.JudgeConfig(provider="simulated", model="simulated-judge"))


def refusal(req: llm_pb2.ComparisonRequest) -> tuple[str, str]:
    found = validate(req, manifest=build_manifest(), providers=PROVIDERS)
    return (found.reason, found.message) if found else ("", "")


def with_field(path: str, value: str) -> llm_pb2.ComparisonRequest:
    req = request()
    target, _, name = path.rpartition(".")
    setattr(req.prompt if target == "prompt" else req, name, value)
    return req


@pytest.mark.parametrize(("path", "limit"), [
    ("request_id", 256), ("results_subject_key", 64), ("correlation_id", 256),
    ("group_id", 256), ("prompt.essay_a_text", 256 * KIB), ("prompt.essay_b_text", 256 * KIB),
    ("prompt.system_prompt", 64 * KIB),
])
def test_each_string_over_its_size_is_too_large_naming_field_limit_and_size(path, limit):
    reason, message = refusal(with_field(path, "x" * (limit + 1)))
    assert reason == "CONTENT_TOO_LARGE"
    assert path in message and str(limit) in message and str(limit + 1) in message
    assert refusal(with_field(path, "x" * limit))[0] != "CONTENT_TOO_LARGE"


@pytest.mark.parametrize("path", [
    "request_id", "results_subject_key", "correlation_id", "group_id", "prompt.essay_a_text",
    "prompt.essay_b_text", "prompt.system_prompt",
])
def test_a_nul_in_any_string_is_invalid_argument_naming_the_field(path):
    reason, message = refusal(with_field(path, "ab\x00cd"))
    assert reason == "INVALID_ARGUMENT" and path in message and "U+0000" in message


@pytest.mark.parametrize("path", ["prompt.essay_a_text", "prompt.essay_b_text",
                                  "prompt.system_prompt"])
def test_text_of_only_invisible_characters_is_empty(path):
    reason, message = refusal(with_field(path, "\u200b \u200b\n\t"))
    assert reason == "INVALID_ARGUMENT" and "visible" in message and path in message


def test_ids_must_be_one_printable_line():
    for path in ("request_id", "correlation_id", "group_id"):
        assert refusal(with_field(path, "two\nlines"))[0] == "INVALID_ARGUMENT"


def test_crlf_essays_and_tabs_are_fine():
    assert refusal(with_field("prompt.essay_a_text", "Line one.\r\n\tLine two.\r\n")) == ("", "")


def test_context_blocks_are_bounded_in_number_size_label_and_characters():
    block = llm_pb2.ContextBlock
    many = request(context_blocks=[block(label=f"b{i}", text="t") for i in range(5)])
    assert refusal(many)[0] == "INVALID_ARGUMENT" and "4" in refusal(many)[1]
    big = request(context_blocks=[block(label="rubric", text="x" * (65 * KIB + 1))])
    assert refusal(big)[0] == "CONTENT_TOO_LARGE"
    assert "prompt.context_blocks[0].text" in refusal(big)[1]
    # The 64 KiB rubric plus its heading line fits.
    assert refusal(request(context_blocks=[block(label="rubric", text="x" * 65 * KIB)]))[0] == ""
    assert refusal(request(context_blocks=[block(label="r\x00", text="t")]))[0] == (
        "INVALID_ARGUMENT")
    assert refusal(request(context_blocks=[block(label="r", text="\x07bell")]))[0] == (
        "INVALID_ARGUMENT")


def test_metadata_is_bounded_in_entries_keys_values_and_total():
    def meta(entries: dict[str, str]) -> tuple[str, str]:
        req = request()
        req.metadata.update(entries)
        return refusal(req)

    assert meta({f"k{i}": "v" for i in range(64)})[0] == ""
    assert meta({f"k{i}": "v" for i in range(65)})[0] == "INVALID_ARGUMENT"
    assert meta({"k" * 129: "v"})[0] == "CONTENT_TOO_LARGE"
    assert meta({"k": "v" * 1025})[0] == "CONTENT_TOO_LARGE"
    assert meta({f"k{i}": "v" * 1000 for i in range(17)})[0] == "CONTENT_TOO_LARGE"
    assert meta({"k": "a\x00b"})[0] == "INVALID_ARGUMENT"
    assert meta({"bad\nkey": "v"})[0] == "INVALID_ARGUMENT"


@pytest.mark.parametrize("temperature", [math.nan, math.inf, -math.inf, -0.1, 1.01])
def test_temperatures_outside_the_model_range_or_not_finite_are_refused(temperature):
    req = request()
    req.judge.CopyFrom(common_pb2.JudgeConfig(provider="anthropic", model="claude-haiku-4-5",
                                              temperature=temperature))
    reason, message = refusal(req)
    assert reason == "INVALID_ARGUMENT" and "temperature" in message and "[0, 1]" in message


@pytest.mark.parametrize("seconds", [-1, 23 * 3600 + 1, 10**15])
def test_a_ttl_outside_zero_to_23_hours_is_refused_naming_the_range(seconds):
    req = request()
    req.ttl.seconds = seconds
    reason, message = refusal(req)
    assert reason == "INVALID_ARGUMENT" and "ttl" in message and "82800" in message


def test_judge_names_are_bounded_and_printable():
    req = request()
    req.judge.model = "m" * 257
    assert refusal(req)[0] == "CONTENT_TOO_LARGE"
    req.judge.model = "simulated\x00judge"
    assert refusal(req)[0] == "INVALID_ARGUMENT"


def test_a_request_at_every_limit_fits_the_default_nats_max_payload():
    block = llm_pb2.ContextBlock(label="l" * 128, text="x" * (65 * KIB), cacheable=True)
    req = request(system_prompt="s" * 64 * KIB, essay_a_text="a" * 256 * KIB,
                  essay_b_text="b" * 256 * KIB, context_blocks=[block] * 4)
    for name in ("request_id", "correlation_id", "group_id"):
        setattr(req, name, "i" * 256)
    req.results_subject_key = "k" * 64
    req.metadata.update({f"{i:03d}" + "k" * 125: "v" * 120 for i in range(64)})
    assert refusal(req) == ("", "")
    queued = llm_pb2.QueuedComparison(request=req)
    data, hdrs = headers.encode(queued, msg_id=req.request_id, correlation_id=req.correlation_id)
    assert wire_size(data, hdrs) < 1024 * KIB


def test_a_message_over_the_servers_max_payload_is_refused_as_too_large():
    found = validation.bus_problem(2_000_000, max_payload=1_048_576)
    assert found is not None and found.reason == "CONTENT_TOO_LARGE"
    assert "1048576" in found.message and "2000000" in found.message
    assert validation.bus_problem(1_048_576, max_payload=1_048_576) is None


def raised(check, message) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        check(message)
    return caught.value


def test_a_submission_without_requests_is_invalid_argument():
    error = raised(validation.check_submit, llm_pb2.SubmitComparisonsRequest())
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT and "requests" in error.message


def test_the_other_rpcs_check_their_strings():
    cancel = llm_pb2.CancelComparisonsRequest
    assert raised(validation.check_cancel, cancel(group_id="g", reason="r" * 1025)).code == (
        grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert raised(validation.check_cancel, cancel(group_id="g", reason="a\x00")).code == (
        grpc.StatusCode.INVALID_ARGUMENT)
    assert raised(validation.check_cancel, cancel(group_id="g" * 257)).code == (
        grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert raised(validation.check_cancel, cancel()).code == grpc.StatusCode.INVALID_ARGUMENT
    models = llm_pb2.ListModelsRequest
    assert raised(validation.check_list_models, models(provider="p\x00")).code == (
        grpc.StatusCode.INVALID_ARGUMENT)
    probe = llm_pb2.TestProviderRequest
    assert raised(validation.check_test_provider, probe(provider="p" * 300)).code == (
        grpc.StatusCode.RESOURCE_EXHAUSTED)
    assert raised(validation.check_test_provider, probe(provider="simulated",
                                                        model="a\nb")).code == (
        grpc.StatusCode.INVALID_ARGUMENT)


def test_the_door_alone_needs_no_manifest():
    check_request(request())
    with pytest.raises(ServiceError):
        check_request(with_field("prompt.essay_a_text", "\x00"))
