"""contracts.text: the character and size rules every service applies at its door."""

import grpc
import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts import text
from contracts.errors import ServiceError

ESSAY = text.Rule(max_bytes=16, required=True, visible=True)
ID = text.Rule(max_bytes=16, one_line=True)


@pytest.mark.parametrize("value", ["ok", "a\tb", "line\r\nnext\n", "æøå", "x" * 16])
def test_ordinary_text_passes(value):
    assert text.problem("essay", value, ESSAY) is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x00b", "essay holds U+0000 at character 1"),
        ("ab\x1b[31m", "essay holds U+001B at character 2"),
        ("\x7f", "essay holds U+007F at character 0"),
        ("\u200b\u200b \u00a0\ufeff", "essay has no visible character"),
        ("\u3164\u2800", "essay has no visible character"),
        ("", "essay is required"),
    ],
)
def test_controls_and_invisible_text_are_invalid_arguments(value, expected):
    found = text.problem("essay", value, ESSAY)
    assert found is not None and found.message == expected and not found.too_large
    error = text.as_error(found)
    assert (error.code, error.reason) == (grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT")
    assert error.metadata["field"] == "essay"


def test_size_is_counted_in_utf8_bytes_and_is_resource_exhausted():
    found = text.problem("essay", "é" * 9, ESSAY)  # 9 characters, 18 bytes
    assert found is not None and found.too_large
    assert found.message == "essay is 18 bytes; the limit is 16"
    error = text.as_error(found)
    assert (error.code, error.reason) == (grpc.StatusCode.RESOURCE_EXHAUSTED, "CONTENT_TOO_LARGE")
    assert dict(error.metadata) == {"field": "essay", "limit": "16", "value": "18 bytes"}


@pytest.mark.parametrize("value", ["a b\u200b", "a\nb", "tab\t"])
def test_ids_are_one_line_of_printable_characters(value):
    assert text.problem("essay_id", value, ID) is not None
    assert text.problem("essay_id", "essay-01 b", ID) is None


def test_a_huge_value_is_echoed_clipped_with_controls_escaped():
    found = text.problem("essay_id", "\x00" + "x" * 1_000_000, text.Rule(max_bytes=2_000_000))
    assert found is not None
    assert found.metadata["value"].startswith("\\x00xxx")
    assert found.metadata["value"].endswith("(1000001 chars)")
    assert len(found.metadata["value"]) < 120


def test_maps_are_bounded_in_entries_keys_values_and_total():
    key, value = text.Rule(max_bytes=8, one_line=True), text.Rule(max_bytes=8)

    def refused(values, total=100):
        with pytest.raises(ServiceError) as caught:
            text.check_map("metadata", values, max_entries=2, key=key, value=value,
                           max_total_bytes=total)
        return caught.value

    assert refused({"a": "1", "b": "2", "c": "3"}).message.startswith("metadata has 3 entries")
    assert refused({"a\x00": "1"}).metadata["field"] == "metadata key"
    assert refused({"a": "x" * 9}).code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused({"aaaa": "xxxx", "bbbb": "yyyy"}, total=15).message == (
        "metadata is 16 bytes; the limit is 15")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -1.0, 3e11])
def test_numbers_outside_their_range_are_refused(value):
    with pytest.raises(ServiceError) as caught:
        text.check_range("stopping.stall_timeout", value, 1.0, 86_400.0)
    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    text.check_range("stopping.stall_timeout", 900.0, 1.0, 86_400.0)


@given(st.text())
def test_sanitised_text_always_passes_the_character_rule(value):
    assert text.first_bad_character(text.sanitise(value)) is None


@given(st.text(min_size=1))
def test_a_refusal_always_points_at_a_character_the_rule_names(value):
    found = text.first_bad_character(value)
    if found is not None:
        at, char = found
        assert value[at] == char and char not in "\t\n\r"
