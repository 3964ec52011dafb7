"""cj's rpc wrapper is a net under every handler: an exception no handler turned into a
status is answered INTERNAL with an incident id and none of the exception's text."""

from __future__ import annotations

import re

import grpc
import pytest

from cj_service.entrypoints.servicer import rpc
from contracts.errors import invalid_argument


class Aborted(Exception):
    pass


class Context:
    """The two things the wrapper uses of a grpc.aio.ServicerContext."""

    def __init__(self) -> None:
        self.code: grpc.StatusCode | None = None
        self.details = ""

    async def abort(self, code: grpc.StatusCode, details: str) -> None:
        self.code, self.details = code, details
        raise Aborted

    async def abort_with_status(self, status: grpc.Status) -> None:
        self.code, self.details = status.code, status.details
        raise Aborted


class Handlers:
    @rpc
    async def Broken(self, request: str) -> str:
        raise RuntimeError(f"SELECT * FROM batches WHERE id = '{request}' -- secret")

    @rpc
    async def Refusing(self, request: str) -> str:
        raise invalid_argument("INVALID_ARGUMENT", "no")

    @rpc
    async def Fine(self, request: str) -> str:
        return request.upper()


async def call(method: str, request: str = "x") -> Context:
    context = Context()
    with pytest.raises(Aborted):
        await getattr(Handlers(), method)(request, context)
    return context


async def test_an_unexpected_exception_is_internal_with_an_incident_id_and_no_text():
    context = await call("Broken")
    assert context.code == grpc.StatusCode.INTERNAL
    assert re.fullmatch(r"internal error \(incident [0-9a-z]{6,}\)", context.details)
    assert "SELECT" not in context.details and "secret" not in context.details


async def test_each_incident_has_its_own_id():
    assert (await call("Broken")).details != (await call("Broken")).details


async def test_a_service_error_keeps_its_own_status():
    context = await call("Refusing")
    assert (context.code, context.details) == (grpc.StatusCode.INVALID_ARGUMENT, "no")


async def test_a_handler_that_succeeds_is_untouched():
    assert await Handlers().Fine("ok", Context()) == "OK"
