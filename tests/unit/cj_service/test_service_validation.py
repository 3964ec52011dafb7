"""SubmitAssessment checks that need no I/O."""

import pytest

from cj_service.service import validation
from cj_service.service.workflow.model import EssayIn, JudgeSettings, StoppingIn, SubmitCommand
from contracts.errors import ServiceError


def command(*essays: EssayIn, **kwargs) -> SubmitCommand:
    kwargs.setdefault("request_id", "r1")
    return SubmitCommand(fingerprint="f", essays=essays, judge=JudgeSettings(), **kwargs)


def reason(cmd: SubmitCommand) -> str:
    with pytest.raises(ServiceError) as err:
        validation.validate(cmd)
    return err.value.reason


OK = (EssayIn("a", text="x"), EssayIn("b", text="y"))


def test_a_valid_command_passes():
    validation.validate(command(*OK, grade_scale_id="swedish_8_anchor"))


@pytest.mark.parametrize(
    ("cmd", "expected"),
    [
        (command(*OK, request_id=""), "INVALID_ARGUMENT"),
        (command(EssayIn("a", text="x"), EssayIn("a", text="y")), "DUPLICATE_ESSAY_ID"),
        (command(EssayIn("", text="x")), "INVALID_ARGUMENT"),
        (command(EssayIn("a", has_source=False)), "INVALID_ARGUMENT"),
        (command(EssayIn("a", text=" \n")), "CONTENT_EMPTY"),
        (command(EssayIn("a", content_id="abc")), "INVALID_CONTENT_ID"),
        (command(*OK, stopping=StoppingIn(budget=-1)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(target_reliability=1.0)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(min_judge_success_rate=1.5)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(stall_timeout_s=0.0)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(provider_patience_s=0.0)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(provider_patience_s=-5.0)), "INVALID_ARGUMENT"),
        (command(*OK, stopping=StoppingIn(provider_patience_s=86_401.0)), "INVALID_ARGUMENT"),
        (command(*OK, grade_scale_id="nope"), "UNKNOWN_GRADE_SCALE"),
        (command(*OK, student_prompt_content_id="zz"), "INVALID_CONTENT_ID"),
    ],
)
def test_invalid_commands_name_their_reason(cmd, expected):
    assert reason(cmd) == expected


def test_duplicate_ids_are_all_named():
    with pytest.raises(ServiceError) as err:
        validation.check_unique(["a", "b", "a", "c", "b"])
    assert "a, b" in err.value.message


def test_inline_anchor_grades_need_a_scale_and_a_grade_on_it():
    validation.check_anchor_grades([("x", "C+")], "swedish_8_anchor")
    validation.check_anchor_grades([("x", "7")], "eng5_np_national_9_step")
    with pytest.raises(ServiceError) as err:
        validation.check_anchor_grades([("x", "C")], "")
    assert err.value.reason == "UNKNOWN_GRADE_SCALE"
    with pytest.raises(ServiceError) as err:
        validation.check_anchor_grades([("x", "Z")], "swedish_8_anchor")
    assert err.value.reason == "INVALID_GRADE" and "x=Z" in err.value.message
