"""Page tokens are opaque, bound to their filter, and refused when tampered with."""

from __future__ import annotations

import base64

import grpc
import pytest

from cj_service.service.admin.paging import decode_token, encode_token, page_size
from contracts.errors import ServiceError


def reason(call) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(ServiceError) as caught:
        call()
    return caught.value.code, caught.value.reason


@pytest.mark.parametrize("position", ["assignment:a1", ["label", "scale", "id"]])
def test_a_token_round_trips_its_position(position) -> None:
    token = encode_token(position, filter_="f")
    assert decode_token(token, filter_="f", valid=lambda p: True) == position
    assert "=" not in token


def test_an_empty_token_means_the_first_page() -> None:
    assert decode_token("", filter_="anything") is None


def test_a_token_for_another_filter_is_invalid_page_token() -> None:
    token = encode_token("assignment:a1", filter_="swedish_8_anchor")
    assert reason(lambda: decode_token(token, filter_="")) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )


@pytest.mark.parametrize(
    "token",
    [
        "%%%",
        "bm90IGpzb24",
        base64.urlsafe_b64encode(b'{"x": 1}').decode(),
        base64.urlsafe_b64encode(b'{"p": 5, "f": ""}').decode(),
    ],
)
def test_garbage_or_a_position_of_the_wrong_shape_is_invalid_page_token(token: str) -> None:
    assert reason(lambda: decode_token(token, filter_="")) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_PAGE_TOKEN",
    )


@pytest.mark.parametrize("requested,expected", [(0, 50), (7, 7), (500, 500), (10_000, 500)])
def test_page_size_defaults_and_clamps(requested: int, expected: int) -> None:
    assert page_size(requested, default=50, maximum=500) == expected


def test_a_negative_page_size_is_invalid_argument() -> None:
    assert reason(lambda: page_size(-1, default=50, maximum=500)) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "INVALID_ARGUMENT",
    )
