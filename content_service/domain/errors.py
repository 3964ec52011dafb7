"""Why a content operation is refused, named by the contract's ErrorReason (without prefix).

The gRPC entrypoint maps each class to a status code; the domain does not know about gRPC.
"""

from __future__ import annotations


class ContentError(Exception):
    """Base of every refusal; ``reason`` is an ErrorReason name, ``details`` go to ErrorInfo."""

    reason = "INVALID_ARGUMENT"

    def __init__(self, message: str, **details: str) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidRequest(ContentError):
    reason = "INVALID_ARGUMENT"


class ContentEmpty(ContentError):
    reason = "CONTENT_EMPTY"


class ContentTooLarge(ContentError):
    reason = "CONTENT_TOO_LARGE"


class ContentNotUtf8(ContentError):
    reason = "CONTENT_NOT_UTF8"


class InvalidContentId(ContentError):
    reason = "INVALID_CONTENT_ID"


class ContentNotFound(ContentError):
    reason = "CONTENT_NOT_FOUND"


class RequestIdConflict(ContentError):
    """The request_id already named a Put of different bytes."""

    reason = "REQUEST_ID_CONFLICT"


class StorageUnavailable(ContentError):
    """The database cannot be reached; the call is safe to retry."""

    reason = "DEPENDENCY_UNAVAILABLE"
