"""bearer_token reads `authorization: Bearer <token>` from gRPC metadata."""

from __future__ import annotations

import grpc
import pytest

from cj_service.entrypoints.auth import bearer_token
from contracts.errors import ServiceError


@pytest.mark.parametrize(
    "metadata",
    [
        (("authorization", "Bearer abc.def.ghi"),),
        (("x-request-id", "r1"), ("authorization", "bearer   abc.def.ghi ")),
        (("Authorization", "BEARER abc.def.ghi"),),
    ],
)
def test_the_token_after_bearer_is_returned(metadata) -> None:
    assert bearer_token(metadata) == "abc.def.ghi"


@pytest.mark.parametrize("metadata", [None, (), (("x-request-id", "r1"),)])
def test_no_authorization_header_is_missing_token(metadata) -> None:
    with pytest.raises(ServiceError) as caught:
        bearer_token(metadata)
    assert (caught.value.code, caught.value.reason) == (
        grpc.StatusCode.UNAUTHENTICATED,
        "MISSING_TOKEN",
    )


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "abc.def.ghi"])
def test_another_scheme_or_an_empty_bearer_is_invalid_token(value: str) -> None:
    with pytest.raises(ServiceError) as caught:
        bearer_token((("authorization", value),))
    assert caught.value.reason == "INVALID_TOKEN"
