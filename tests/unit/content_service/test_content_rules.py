"""Pure content rules: what may be stored, how ids look, how a batch is assembled."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from content_service.domain import content as rules
from content_service.domain.content import ContentMeta, Limits, StoredContent
from content_service.domain.errors import (
    ContentEmpty,
    ContentNotUtf8,
    ContentTooLarge,
    InvalidContentId,
    InvalidRequest,
)

LIMITS = Limits(max_content_bytes=10, max_batch_ids=3, max_batch_bytes=12)


def test_an_upload_is_named_by_the_sha256_of_its_bytes():
    upload = rules.validate_upload(b"hello", "", limits=LIMITS)

    assert upload.content_id == hashlib.sha256(b"hello").hexdigest()
    assert upload.content_type == rules.DEFAULT_CONTENT_TYPE


def test_an_upload_exactly_at_the_limit_is_accepted_and_one_byte_more_is_not():
    assert rules.validate_upload(b"x" * 10, "", limits=LIMITS).data == b"x" * 10
    with pytest.raises(ContentTooLarge) as caught:
        rules.validate_upload(b"x" * 11, "", limits=LIMITS)
    assert caught.value.details == {"field": "content", "limit": "10", "value": "11 bytes"}


def test_empty_content_is_refused():
    with pytest.raises(ContentEmpty):
        rules.validate_upload(b"", "text/plain", limits=LIMITS)


@pytest.mark.parametrize("declared", ["", "text/plain", "TEXT/Markdown; charset=utf-8"])
def test_declared_text_must_be_utf8(declared):
    with pytest.raises(ContentNotUtf8) as caught:
        rules.validate_upload(b"ok\xff", declared, limits=LIMITS)
    assert caught.value.details == {"offset": "2"}


def test_binary_types_may_hold_any_bytes():
    upload = rules.validate_upload(b"\xff\x00", " application/pdf ", limits=LIMITS)

    assert upload.content_type == "application/pdf"


def test_an_overlong_content_type_or_request_id_is_too_large():
    with pytest.raises(ContentTooLarge) as caught:
        rules.normalise_content_type("text/" + "x" * 251, limits=LIMITS)
    assert caught.value.details == {"field": "content_type", "limit": "255", "value": "256 bytes"}
    assert rules.normalise_content_type("text/" + "x" * 250, limits=LIMITS) == "text/" + "x" * 250
    with pytest.raises(ContentTooLarge):
        rules.validate_request_id("é" * 65, limits=LIMITS)  # 65 characters, 130 bytes
    assert rules.validate_request_id("r" * 128, limits=LIMITS) == "r" * 128


@pytest.mark.parametrize("bad", [
    "", "0" * 63, "0" * 65, "A" * 64, "z" * 64, " " + "0" * 63, "0" * 64 + "\n", "0" * 64 + "\x00",
])
def test_content_ids_are_64_lowercase_hex_characters(bad):
    assert rules.validate_content_id("0a" * 32) == "0a" * 32
    with pytest.raises(InvalidContentId):
        rules.validate_content_id(bad)


def test_batch_ids_keep_their_first_order_and_lose_duplicates():
    a, b, c = "a" * 64, "b" * 64, "c" * 64

    assert rules.distinct_ids([b, a, b, c, a], limits=LIMITS) == [b, a, c]


def test_a_batch_over_the_id_limit_or_with_a_bad_id_is_refused():
    with pytest.raises(InvalidRequest) as too_many:
        rules.distinct_ids([str(i) * 64 for i in range(4)], limits=LIMITS)
    with pytest.raises(InvalidContentId) as bad:
        rules.distinct_ids(["a" * 64, "a" * 64, "nope"], limits=LIMITS)

    assert too_many.value.details == {"field": "content_ids", "limit": "3", "value": "4"}
    assert bad.value.details == {"field": "content_ids[2]", "value": "nope"}


def test_a_batch_without_ids_is_refused():
    with pytest.raises(InvalidRequest) as caught:
        rules.distinct_ids([], limits=LIMITS)
    assert caught.value.details == {"field": "content_ids"}


def _item(content_id: str, size: int) -> StoredContent:
    meta = ContentMeta(content_id, size, "text/plain", datetime(2025, 1, 1, tzinfo=UTC))
    return StoredContent(meta, b"x" * size)


def test_a_batch_answers_in_request_order_and_names_what_is_missing():
    a, b, c = "a" * 64, "b" * 64, "c" * 64
    found = {c: _item(c, 4), a: _item(a, 4)}

    result = rules.assemble_batch([a, b, c], found, limits=LIMITS)

    assert [i.meta.content_id for i in result.items] == [a, c]
    assert result.missing_ids == [b]


def test_a_batch_over_the_byte_limit_is_too_large():
    a, b = "a" * 64, "b" * 64

    with pytest.raises(ContentTooLarge) as caught:
        rules.assemble_batch([a, b], {a: _item(a, 8), b: _item(b, 8)}, limits=LIMITS)
    assert caught.value.details == {"field": "content_ids", "limit": "12", "value": "16 bytes"}
