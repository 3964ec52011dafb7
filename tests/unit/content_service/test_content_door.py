"""The door's character rules: text/* content and every caller string (pure, no server)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from content_service.domain import content as rules
from content_service.domain.content import Limits
from content_service.domain.errors import (
    ContentEmpty,
    ContentError,
    ContentTooLarge,
    InvalidContentId,
    InvalidRequest,
)
from contracts import text

LIMITS = Limits()


@pytest.mark.parametrize(("essay", "offset", "char"), [
    ("a\x00b", 1, "U+0000"),
    ("é\x1b[31m", 2, "U+001B"),  # the byte offset counts é as two bytes
    ("ok\x7f", 2, "U+007F"),
    ("\x0cpage", 0, "U+000C"),
    ("line\x0bvertical tab", 4, "U+000B"),
])
def test_text_with_a_refused_control_is_invalid_and_says_where(essay, offset, char):
    with pytest.raises(InvalidRequest) as caught:
        rules.validate_upload(essay.encode(), "text/plain", limits=LIMITS)

    assert caught.value.details == {"field": "content", "offset": str(offset), "value": char}
    assert f"byte {offset}" in caught.value.message


def test_tabs_and_both_line_endings_are_ordinary_text():
    upload = rules.validate_upload(b"a\tb\r\nc\nd", "", limits=LIMITS)

    assert upload.data == b"a\tb\r\nc\nd"


@pytest.mark.parametrize("blank", [" ", "\n\r\n\t", "\u200b\u200b", "\u00a0\ufeff \u3164"])
def test_text_without_a_visible_character_is_empty(blank):
    with pytest.raises(ContentEmpty) as caught:
        rules.validate_upload(blank.encode(), "text/markdown", limits=LIMITS)

    assert caught.value.details == {"field": "content"}


@pytest.mark.parametrize("data", [b"\x00\x01\x1b", b"   ", "\u200b".encode()])
def test_binary_content_stays_byte_transparent(data):
    upload = rules.validate_upload(data, "application/octet-stream", limits=LIMITS)

    assert upload.data == data


@pytest.mark.parametrize("bad", ["text/plain\x00", "text/plain\n", "\x00", "text/\tplain"])
def test_a_content_type_is_one_printable_line(bad):
    with pytest.raises(InvalidRequest) as caught:
        rules.validate_upload(b"essay", bad, limits=LIMITS)

    assert caught.value.details["field"] == "content_type"


@pytest.mark.parametrize("bad", ["r\x00", "\x00", "r\n1", "r\u200b"])
def test_a_request_id_is_one_printable_line(bad):
    with pytest.raises(InvalidRequest) as caught:
        rules.validate_request_id(bad, limits=LIMITS)

    assert caught.value.details["field"] == "request_id"


@pytest.mark.parametrize("huge", ["0" * 1_000_000, "\x00" * 1_000_000, "é" * 500_000])
def test_a_huge_content_id_is_echoed_clipped(huge):
    with pytest.raises(InvalidContentId) as caught:
        rules.validate_content_id(huge)

    # 80 characters at most, each control written as a 4-character escape
    assert len(caught.value.details["value"]) < 400
    assert len(caught.value.message) < 500
    assert "\x00" not in caught.value.message + caught.value.details["value"]


@given(data=st.binary(max_size=64), kind=st.sampled_from(["", "text/plain", "image/png"]),
       request_id=st.text(max_size=140), content_type=st.text(max_size=8))
def test_any_put_is_either_clean_or_refused_with_a_content_error(
    data, kind, request_id, content_type
):
    try:
        rules.validate_request_id(request_id, limits=LIMITS)
        upload = rules.validate_upload(data, kind or content_type, limits=LIMITS)
    except ContentError:
        return
    assert request_id.isprintable() and len(request_id.encode()) <= 128
    assert upload.content_type.isprintable()
    if rules.is_text_type(upload.content_type):
        decoded = upload.data.decode()
        assert text.first_bad_character(decoded) is None and text.has_visible(decoded)


def test_too_large_and_invalid_are_told_apart_for_caller_strings():
    limits = Limits(max_request_id_bytes=4, max_content_type_bytes=4)

    with pytest.raises(ContentTooLarge):
        rules.validate_request_id("r" * 5, limits=limits)
    with pytest.raises(ContentTooLarge):
        rules.validate_upload(b"x", "text/plain", limits=limits)
