"""AdminAuthInterceptor: every CJAdminService call needs `authorization: Bearer <admin JWT>`.

Only methods under the protected service prefix are checked; CJAssessmentService (called by
other services inside the mesh), health and reflection stay open so operators can list and
describe services before they have a token. A refused call never reaches the servicer: the
interceptor returns a handler that aborts with the rich status (code + ErrorInfo reason).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
import structlog

from cj_service.auth import AuthConfig, Principal, verify_admin_token
from contracts.errors import ServiceError, to_status

ADMIN_SERVICE_PREFIX = "/huleedu.cj.v1.CJAdminService/"
DOMAIN = "cj.huleedu"
_BEARER = "bearer "


def bearer_token(metadata: Any) -> str:
    """The token of the first `authorization: Bearer ...` header; ServiceError if absent."""
    for key, value in metadata or ():
        if key.lower() == "authorization" and isinstance(value, str):
            if value[: len(_BEARER)].lower() == _BEARER and value[len(_BEARER):].strip():
                return value[len(_BEARER):].strip()
            raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "INVALID_TOKEN",
                               "the authorization header must be 'Bearer <token>'")
    raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "MISSING_TOKEN",
                       "CJAdminService needs an 'authorization: Bearer <admin JWT>' header")


class AdminAuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, config: AuthConfig, *, prefix: str = ADMIN_SERVICE_PREFIX) -> None:
        self._config = config
        self._prefix = prefix
        self._log = structlog.get_logger("cj_service.auth")

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if (handler is None or not handler.unary_unary
                or not handler_call_details.method.startswith(self._prefix)):
            return handler
        try:
            principal = verify_admin_token(
                bearer_token(handler_call_details.invocation_metadata), self._config)
        except ServiceError as error:
            self._log.info("admin call refused", method=handler_call_details.method,
                           reason=error.reason)
            return _refusing(handler, error)
        return _as_principal(handler, principal)


def _refusing(handler: grpc.RpcMethodHandler, error: ServiceError) -> grpc.RpcMethodHandler:
    status = to_status(error, domain=DOMAIN)

    async def refuse(request: Any, context: grpc.aio.ServicerContext) -> Any:
        await context.abort_with_status(status)

    return grpc.unary_unary_rpc_method_handler(
        refuse, request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer)


def _as_principal(handler: grpc.RpcMethodHandler, principal: Principal) -> grpc.RpcMethodHandler:
    inner = handler.unary_unary

    async def call(request: Any, context: grpc.aio.ServicerContext) -> Any:
        # Lines logged while handling the call (service, repository) name the admin.
        with structlog.contextvars.bound_contextvars(admin_subject=principal.subject):
            return await inner(request, context)

    return grpc.unary_unary_rpc_method_handler(
        call, request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer)
