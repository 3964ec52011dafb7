"""cli.errors.from_rpc: a refused call becomes one line and the exit code that says whose fault."""

import grpc
import pytest

from cli.errors import EXIT_BAD_INPUT, EXIT_FAILURE, from_rpc
from contracts.errors import ServiceError, resource_exhausted, to_status


class Refused(grpc.RpcError):
    """A failed call as the client sees it: code, details and the rich status trailer."""

    def __init__(self, error: ServiceError) -> None:
        self._status = to_status(error, domain="cj.huleedu")

    def code(self):
        return self._status.code

    def details(self):
        return self._status.details

    def trailing_metadata(self):
        return self._status.trailing_metadata


@pytest.mark.parametrize(
    ("reason", "exit_code"), [("CONTENT_TOO_LARGE", EXIT_BAD_INPUT), ("QUEUE_FULL", EXIT_FAILURE)]
)
def test_an_oversized_input_is_the_callers_to_fix_and_a_full_queue_is_not(reason, exit_code):
    err = Refused(resource_exhausted(reason, "essays[3].text is 300000 bytes; the limit is 262144"))
    error = from_rpc(err, service="cj_service", address="localhost:50053")
    assert error.exit_code == exit_code
    assert str(error) == (
        f"cj_service refused the call: {reason}: "
        "essays[3].text is 300000 bytes; the limit is 262144"
    )
