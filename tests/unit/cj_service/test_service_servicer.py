"""Proto -> command mapping of the servicer."""

from google.protobuf.duration_pb2 import Duration

from cj_service.entrypoints import servicer
from contracts.huleedu.cj.v1 import cj_pb2


def request(**kwargs) -> cj_pb2.SubmitAssessmentRequest:
    return cj_pb2.SubmitAssessmentRequest(
        essays=[cj_pb2.EssayInput(essay_id="a", text="x"), cj_pb2.EssayInput(essay_id="b")],
        **kwargs,
    )


def test_the_fingerprint_ignores_the_request_id_but_not_the_body():
    assert servicer.fingerprint(request(request_id="1")) == servicer.fingerprint(
        request(request_id="2")
    )
    assert servicer.fingerprint(request(seed=1)) != servicer.fingerprint(request(seed=2))


def test_the_command_keeps_sources_and_an_unset_stall_timeout_apart_from_zero():
    cmd = servicer.submit_command(request())
    assert [e.has_source for e in cmd.essays] == [True, False]
    assert cmd.stopping.stall_timeout_s is None
    timed = servicer.submit_command(
        request(stopping=cj_pb2.StoppingOptions(stall_timeout=Duration(seconds=90)))
    )
    assert timed.stopping.stall_timeout_s == 90.0


def test_the_provider_patience_travels_in_seconds_and_unset_stays_unset():
    assert servicer.submit_command(request()).stopping.provider_patience_s is None
    patient = servicer.submit_command(
        request(stopping=cj_pb2.StoppingOptions(provider_patience=Duration(seconds=120)))
    )
    assert patient.stopping.provider_patience_s == 120.0


def test_an_unknown_state_filter_is_refused():
    import pytest

    from contracts.errors import ServiceError

    assert servicer.state_filter(0) == ""
    assert servicer.state_filter(cj_pb2.ASSESSMENT_STATE_FAILED) == "FAILED"
    with pytest.raises(ServiceError):
        servicer.state_filter(99)
