import pytest

from contracts import ids, subjects
from contracts.streams import Namespace, cj_results_consumer, llm_requests_stream


def test_results_subject_is_built_from_the_request_key():
    assert subjects.results_subject("cj") == "huleedu.llm.v1.results.cj"


@pytest.mark.parametrize("bad", ["", "a.b", "a b", "*", ">", "x" * 65])
def test_a_results_key_that_is_not_one_subject_token_is_refused(bad):
    assert not subjects.is_valid_results_key(bad)
    with pytest.raises(ValueError):
        subjects.results_subject(bad)


def test_every_cj_event_subject_is_under_the_cj_wildcard():
    for subject in (
        subjects.CJ_ASSESSMENT_COMPLETED,
        subjects.CJ_ASSESSMENT_RESULT,
        subjects.CJ_ASSESSMENT_FAILED,
        subjects.CJ_ASSESSMENT_CANCELLED,
        subjects.CJ_RESOURCE_CONSUMPTION,
    ):
        assert subject.startswith(subjects.CJ_EVENTS_ALL.removesuffix(">"))


def test_a_namespace_prefixes_subjects_and_stream_names():
    ns = Namespace("t42")
    spec = llm_requests_stream(ns)
    assert spec.name == "T42_HULEEDU_LLM_REQUESTS"
    assert spec.subjects == ("t42.huleedu.llm.v1.requests",)
    assert cj_results_consumer(ns).filter_subject == "t42.huleedu.llm.v1.results.cj"


def test_the_default_namespace_leaves_names_alone():
    assert llm_requests_stream(Namespace()).subjects == (subjects.LLM_REQUESTS,)


def test_content_ids_are_the_sha256_of_the_bytes():
    cid = ids.content_id_for(b"hello")
    assert cid == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert ids.is_content_id(cid)
    assert not ids.is_content_id(cid.upper())
    assert not ids.is_content_id(cid + "\n")
    assert not ids.is_content_id("not-an-id")


def test_derived_ids_are_deterministic_and_new_ids_are_unique():
    assert ids.derived_id("a", "b") == ids.derived_id("a", "b") != ids.derived_id("a", "c")
    assert len({ids.new_id() for _ in range(1000)}) == 1000


def test_the_results_consumer_never_waits_less_than_its_ack_wait_for_an_ack():
    spec = cj_results_consumer(Namespace(), ack_wait=12.0)
    assert spec.backoff[0] == spec.ack_wait
    assert list(spec.backoff) == sorted(spec.backoff)
    assert spec.max_deliver > len(spec.backoff)
