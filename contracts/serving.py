"""What every gRPC server of the mesh carries: health, reflection, and a logging interceptor.

The interceptor binds the caller's request and correlation ids into structlog's context and
writes one canonical log line per RPC (method, code, duration). It is also the last net under
every handler: an exception no handler turned into a status is logged with an incident id and
answered INTERNAL "internal error (incident ...)", so no exception text (SQL, a traceback)
ever reaches a caller and no call ends UNKNOWN.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from contracts import ids

# Reflection answers from the default descriptor pool: the *_service_pb2 modules (which the
# *_pb2_grpc modules do not import) must be loaded or `grpcurl describe` finds no symbols.
from contracts.huleedu.cj.v1 import cj_service_pb2  # noqa: F401
from contracts.huleedu.content.v1 import content_service_pb2  # noqa: F401
from contracts.huleedu.llm.v1 import llm_service_pb2  # noqa: F401
from contracts.text import clip

REQUEST_ID_KEY = "x-request-id"
CORRELATION_ID_KEY = "huleedu-correlation-id"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def add_standard_services(
    server: grpc.aio.Server, service_names: Iterable[str]
) -> health.aio.HealthServicer:
    """Register health (overall + per service, SERVING) and reflection; return the health."""
    names = list(service_names)
    servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(servicer, server)
    reflection.enable_server_reflection(
        [*names, reflection.SERVICE_NAME, health.SERVICE_NAME], server
    )
    await set_health(servicer, names, serving=True)
    return servicer


async def set_health(
    servicer: health.aio.HealthServicer, names: Iterable[str], *, serving: bool
) -> None:
    status = SERVING if serving else NOT_SERVING
    for name in ["", *names]:
        await servicer.set(name, status)


def _metadata(context: grpc.aio.ServicerContext) -> dict[str, str]:
    return {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


class LoggingInterceptor(grpc.aio.ServerInterceptor):
    """Binds request/correlation ids and logs one line per unary RPC."""

    def __init__(self, service: str) -> None:
        self._log = structlog.get_logger(service)

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        if handler is None or not handler.unary_unary:
            return handler
        method = handler_call_details.method
        inner = handler.unary_unary

        async def logged(request: Any, context: grpc.aio.ServicerContext) -> Any:
            return await self._call(inner, method, request, context)

        return grpc.unary_unary_rpc_method_handler(
            logged,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )

    async def _call(
        self, inner: Any, method: str, request: Any, context: grpc.aio.ServicerContext
    ) -> Any:
        meta = _metadata(context)
        correlation = clip(
            meta.get(CORRELATION_ID_KEY) or getattr(request, "correlation_id", "") or ids.new_id()
        )
        request_id = clip(getattr(request, "request_id", "") or meta.get(REQUEST_ID_KEY, ""))
        started = time.perf_counter()
        code = "OK"
        with structlog.contextvars.bound_contextvars(
            correlation_id=correlation, request_id=request_id
        ):
            try:
                return await inner(request, context)
            except (grpc.aio.AbortError, asyncio.CancelledError):
                code = _code_name(context, default="CANCELLED")
                raise
            except Exception:
                code = "INTERNAL"
                await self._internal(method, context)
            finally:
                code = _code_name(context, default=code)
                self._log.info(
                    "rpc",
                    method=method,
                    code=code,
                    duration_ms=round((time.perf_counter() - started) * 1000, 3),
                )


    async def _internal(self, method: str, context: grpc.aio.ServicerContext) -> None:
        incident = ids.new_id()[:12]
        self._log.exception("rpc_failed", method=method, incident=incident)
        await context.abort(grpc.StatusCode.INTERNAL, f"internal error (incident {incident})")


def _code_name(context: grpc.aio.ServicerContext, *, default: str) -> str:
    code = context.code()
    return code.name if isinstance(code, grpc.StatusCode) else default


async def wait_for_shutdown_signal() -> signal.Signals:
    """Block until SIGTERM or SIGINT arrives; returns which (for the shutdown log line)."""
    loop = asyncio.get_running_loop()
    received: asyncio.Future[signal.Signals] = loop.create_future()

    def on_signal(sig: signal.Signals) -> None:
        if not received.done():
            received.set_result(sig)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, on_signal, sig)
    return await received
