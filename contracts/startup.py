"""Start-up waits: retry one async action until it succeeds or a deadline passes.

A service may start before its infrastructure answers: PostgreSQL still starting or
recovering, a JetStream cluster electing leaders. Every bootstrap waits the same way, so an
operator sees one ``startup_retry`` line per failed try (what it waits for, the attempt, the
error, the seconds left) and, when the deadline passes, one `StartupTimeout` naming what never
answered. An error the caller does not call retryable (a bug, a bad migration) is raised at
once, unchanged.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import nats.errors
import nats.js.errors
import structlog

_T = TypeVar("_T")
FIRST_DELAY_S = 0.2
MAX_DELAY_S = 2.0
_log = structlog.get_logger("startup")

# A JetStream cluster that is electing leaders (a node just died or the cluster just formed)
# answers API calls late or with 503 for a few seconds.
_JETSTREAM_NOT_READY = (
    nats.errors.TimeoutError,
    nats.errors.NoRespondersError,
    nats.js.errors.ServiceUnavailableError,
)


class StartupTimeout(RuntimeError):
    """What a service waited for at start-up did not answer before the deadline."""


def jetstream_not_ready(error: BaseException) -> bool:
    return isinstance(error, _JETSTREAM_NOT_READY)


async def retry_until(
    action: Callable[[], Awaitable[_T]],
    *,
    waiting_for: str,
    retryable: Callable[[BaseException], bool],
    timeout_s: float,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> _T:
    """``await action()`` until it returns, backing off 0.2 s doubling to 2 s; the last try
    starts at the deadline. ``clock`` and ``sleep`` are seams for tests."""
    deadline, delay, attempt = clock() + timeout_s, FIRST_DELAY_S, 0
    while True:
        attempt += 1
        try:
            return await action()
        except Exception as error:
            if not retryable(error):
                raise
            left = max(deadline - clock(), 0.0)
            _log_or_give_up(error, waiting_for=waiting_for, attempt=attempt, left=left,
                            timeout_s=timeout_s)
        await sleep(min(delay, left))
        delay = min(2 * delay, MAX_DELAY_S)


def _log_or_give_up(
    error: Exception, *, waiting_for: str, attempt: int, left: float, timeout_s: float
) -> None:
    _log.warning("startup_retry", waiting_for=waiting_for, attempt=attempt, error=repr(error),
                seconds_left=round(left, 1))
    if left == 0.0:
        raise StartupTimeout(
            f"{waiting_for} did not answer within {timeout_s:g} s ({attempt} tries); "
            f"last error: {error!r}"
        ) from error


def run_service(service: str, main: Coroutine[Any, Any, object]) -> int:
    """Run a service's main coroutine; a start-up timeout ends it with one line and exit 1
    (what never answered and the last error), not a traceback."""
    try:
        asyncio.run(main)
    except StartupTimeout as error:
        print(f"{service}: {error}", file=sys.stderr)
        return 1
    return 0
