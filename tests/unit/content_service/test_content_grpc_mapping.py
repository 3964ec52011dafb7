"""How refusals become gRPC codes and how values become protos (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import grpc
import pytest

from content_service.domain import errors
from content_service.domain.content import ContentMeta
from content_service.entrypoints.grpc_servicer import meta_to_pb, to_service_error


@pytest.mark.parametrize("error_type, code", [
    (errors.ContentEmpty, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ContentTooLarge, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (errors.ContentNotUtf8, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.InvalidContentId, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.InvalidRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (errors.ContentNotFound, grpc.StatusCode.NOT_FOUND),
    (errors.RequestIdConflict, grpc.StatusCode.ALREADY_EXISTS),
    (errors.StorageUnavailable, grpc.StatusCode.UNAVAILABLE),
])
def test_each_refusal_has_its_code_and_a_contract_reason(error_type, code):
    service_error = to_service_error(error_type("why", detail="x"))

    assert service_error.code == code
    assert service_error.reason == error_type.reason  # ServiceError rejects unknown reasons
    assert dict(service_error.metadata) == {"detail": "x"}


def test_metadata_keeps_the_timestamp_to_the_microsecond():
    created = datetime(2025, 3, 4, 5, 6, 7, 891011, tzinfo=UTC)

    proto = meta_to_pb(ContentMeta("ab" * 32, 12, "text/plain", created))

    assert proto.created_at.ToDatetime(tzinfo=UTC) == created
    assert proto.sha256 == proto.content_id == "ab" * 32
