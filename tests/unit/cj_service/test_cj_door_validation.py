"""cj's limits at and beyond every bound, and page tokens that cannot be anything but valid or
INVALID_PAGE_TOKEN (issue 20: D6, D7)."""

from __future__ import annotations

import base64

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cj_service.service import limits, validation
from cj_service.service.admin import paging as admin_paging
from cj_service.service.workflow import queries
from cj_service.service.workflow.model import (
    EssayIn,
    JudgeSettings,
    ResolvedEssay,
    StoppingIn,
    SubmitCommand,
)
from contracts.errors import ServiceError

DAY = 86_400.0
OK = (EssayIn("a", text="x"), EssayIn("b", text="y"))


def command(**stopping: float) -> SubmitCommand:
    return SubmitCommand(request_id="r", fingerprint="f", essays=OK,
                         judge=JudgeSettings(), stopping=StoppingIn(**stopping))


def refusal(cmd: SubmitCommand) -> tuple[grpc.StatusCode, str, str]:
    with pytest.raises(ServiceError) as err:
        validation.validate(cmd)
    return err.value.code, err.value.reason, err.value.metadata.get("field", "")


@pytest.mark.parametrize(("name", "highest"), [
    ("budget", 10_000_000), ("min_comparisons_per_essay", 1_000), ("max_in_flight", 10_000),
    ("min_judge_success_rate", 1.0), ("stall_timeout_s", DAY), ("provider_patience_s", DAY),
])
def test_the_highest_value_passes_and_one_more_is_refused_naming_the_field(name, highest):
    validation.validate(command(**{name: highest}))
    step = 1 if isinstance(highest, int) else 1e-6
    field = "stopping." + name.removesuffix("_s")
    assert refusal(command(**{name: highest + step})) == (
        grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", field)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1e-9, 1.0])
def test_target_reliability_is_refused_outside_zero_to_one(value):
    assert refusal(command(target_reliability=value))[2] == "stopping.target_reliability"


@pytest.mark.parametrize("value", [0.0, -1.0, float("nan"), 3e11])
def test_a_stall_timeout_must_be_positive_and_at_most_a_day(value):
    assert refusal(command(stall_timeout_s=value))[2] == "stopping.stall_timeout"


def essays(*sizes: int) -> list[ResolvedEssay]:
    return [ResolvedEssay(essay_id=f"e{i}", text="x" * n) for i, n in enumerate(sizes)]


def test_the_largest_pair_with_its_context_must_fit_max_payload():
    fits = 2 * 1000 + 100 + limits.ENVELOPE_BYTES
    validation.check_batch(essays(1000, 10, 1000), ["c" * 100], max_payload=fits)
    with pytest.raises(ServiceError) as err:
        validation.check_batch(essays(1000, 10, 1001), ["c" * 100], max_payload=fits)
    assert err.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert err.value.metadata["essay_ids"] == "e2,e0"


def test_one_essay_has_no_pair_to_fit():
    validation.check_batch(essays(10_000), [], max_payload=100)


TOKENS = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: base64.urlsafe_b64encode(b).decode()),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
            st.sampled_from(["a", "q", "c", "i", "s", "p", "f"]), inner, max_size=4),
        max_leaves=8,
    ).map(lambda v: base64.urlsafe_b64encode(repr(v).replace("'", '"').encode()).decode()),
)


@settings(max_examples=300, deadline=None)
@given(token=TOKENS)
def test_any_token_decodes_or_is_invalid_page_token(token):
    for decode in (
        lambda: queries._batch_position(token, ""),
        lambda: queries._comparison_position(token, "a"),
        lambda: admin_paging.decode_token(token, filter_=""),
    ):
        try:
            decode()
        except ServiceError as error:
            assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT,
                                                  "INVALID_PAGE_TOKEN")
