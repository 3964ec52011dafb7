"""The start-up wait every bootstrap shares, on a fake clock (nothing really sleeps)."""

from __future__ import annotations

import nats.errors
import nats.js.errors
import pytest
from structlog.testing import capture_logs

from contracts.startup import StartupTimeout, jetstream_not_ready, retry_until, run_service


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Flaky:
    """Fails with ``error`` the first ``failures`` times, then answers ``"ready"``."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures, self.calls = failures, 0
        self.error = error or ConnectionRefusedError("connection refused")

    async def __call__(self) -> str:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error
        return "ready"


async def _wait(action: Flaky, fake: FakeTime, *, timeout_s: float = 30.0) -> str:
    return await retry_until(action, waiting_for="database", retryable=_is_connection_error,
                             timeout_s=timeout_s, clock=fake.clock, sleep=fake.sleep)


def _is_connection_error(error: BaseException) -> bool:
    return isinstance(error, ConnectionError)


async def test_an_action_that_answers_at_once_is_not_retried():
    fake, action = FakeTime(), Flaky(0)

    assert await _wait(action, fake) == "ready"

    assert action.calls == 1 and fake.slept == []


async def test_failed_tries_back_off_doubling_up_to_two_seconds_then_the_answer_is_returned():
    fake, action = FakeTime(), Flaky(6)

    assert await _wait(action, fake) == "ready"

    assert action.calls == 7
    assert fake.slept == pytest.approx([0.2, 0.4, 0.8, 1.6, 2.0, 2.0])


async def test_each_failed_try_is_logged_once_with_what_attempt_error_and_seconds_left():
    fake, action = FakeTime(), Flaky(2)

    with capture_logs() as logs:
        await _wait(action, fake, timeout_s=10.0)

    assert logs == [
        {"event": "startup_retry", "log_level": "warning", "waiting_for": "database",
         "attempt": 1, "error": "ConnectionRefusedError('connection refused')",
         "seconds_left": 10.0},
        {"event": "startup_retry", "log_level": "warning", "waiting_for": "database",
         "attempt": 2, "error": "ConnectionRefusedError('connection refused')",
         "seconds_left": 9.8},
    ]


async def test_past_the_deadline_it_gives_up_with_an_error_naming_what_never_answered():
    fake, action = FakeTime(), Flaky(1000)

    with capture_logs() as logs, pytest.raises(StartupTimeout) as raised:
        await _wait(action, fake, timeout_s=5.0)

    assert str(raised.value) == (
        "database did not answer within 5 s (6 tries); "
        "last error: ConnectionRefusedError('connection refused')"
    )
    assert isinstance(raised.value.__cause__, ConnectionRefusedError)
    assert fake.now == pytest.approx(105.0), "the last try starts at the deadline, not after"
    assert [entry["attempt"] for entry in logs] == [1, 2, 3, 4, 5, 6]
    assert logs[-1]["seconds_left"] == 0.0


async def test_an_error_that_is_not_retryable_is_raised_at_once_unchanged():
    fake, action = FakeTime(), Flaky(1, ValueError("bad migration"))

    with capture_logs() as logs, pytest.raises(ValueError, match="bad migration"):
        await _wait(action, fake)

    assert action.calls == 1 and fake.slept == [] and logs == []


@pytest.mark.parametrize("error", [
    nats.errors.TimeoutError(),
    nats.errors.NoRespondersError(),
    nats.js.errors.ServiceUnavailableError(),
])
def test_a_jetstream_electing_leaders_is_not_ready_yet(error):
    assert jetstream_not_ready(error)


@pytest.mark.parametrize("error", [
    nats.js.errors.BadRequestError(),
    nats.js.errors.NotFoundError(),
    ValueError("stream config"),
])
def test_a_refused_jetstream_request_is_not_waited_for(error):
    assert not jetstream_not_ready(error)


def test_a_service_that_times_out_at_start_up_ends_with_one_line_and_exit_1(capsys):
    async def main():
        raise StartupTimeout("database did not answer within 30 s (9 tries)")

    assert run_service("cj_service", main()) == 1
    assert capsys.readouterr().err == (
        "cj_service: database did not answer within 30 s (9 tries)\n")
