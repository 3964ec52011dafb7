"""One-line errors for people: every failure ends as a message and a non-zero exit code.

Commands raise CliError; gRPC failures are translated by `from_rpc` using the ErrorInfo
reason the services attach (contracts.errors.reason_of), never shown as a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from contracts.errors import reason_of

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_UNREACHABLE = 3

_HINTS = {
    "UNKNOWN_MODEL": "run `huleedu models` to see the judges the manifest offers",
    "INVALID_GRADE": "run `huleedu admin scales` to see each scale's grades",
    "UNKNOWN_GRADE_SCALE": "run `huleedu admin scales` to list the scales",
    "MISSING_TOKEN": "pass --token or set HULEEDU_ADMIN_TOKEN (`huleedu token dev` locally)",
    "TOKEN_EXPIRED": "get a fresh token (`huleedu token dev` locally)",
    "ASSESSMENT_NOT_FOUND": "check the batch id (`huleedu status` shows the mesh you talk to)",
    "INVALID_STATE": "`huleedu assess --resume BATCH` follows a batch to its end",
}
_BAD_INPUT_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.UNAUTHENTICATED,
    grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.ALREADY_EXISTS,
}


@dataclass
class CliError(Exception):
    """A failure worth one line to the user and a distinct exit code."""

    message: str
    exit_code: int = EXIT_FAILURE

    def __str__(self) -> str:
        return self.message


def bad_input(message: str) -> CliError:
    return CliError(message, EXIT_BAD_INPUT)


def from_rpc(err: grpc.RpcError, *, service: str, address: str) -> CliError:
    """Translate a failed call into one readable line naming the service and the reason."""
    code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
    details = (err.details() if hasattr(err, "details") else "") or ""
    unreachable = code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
    if unreachable and not details_is_service(err):
        return CliError(
            f"cannot reach {service} at {address} ({code.name.lower()}); "
            "is the mesh running? start it with `make up`", EXIT_UNREACHABLE,
        )
    reason = reason_of(err)
    hint = _HINTS.get(reason)
    text = f"{service} refused the call: {reason or code.name}: {_first_line(details)}"
    if hint:
        text += f" ({hint})"
    too_large = code == grpc.StatusCode.RESOURCE_EXHAUSTED and reason == "CONTENT_TOO_LARGE"
    exit_code = EXIT_BAD_INPUT if code in _BAD_INPUT_CODES or too_large else EXIT_FAILURE
    return CliError(text, exit_code)


def details_is_service(err: grpc.RpcError) -> bool:
    """True when an UNAVAILABLE came from the service itself (it carries an ErrorInfo)."""
    return bool(reason_of(err))


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "(no detail)"
