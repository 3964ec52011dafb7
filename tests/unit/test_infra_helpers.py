"""Test helpers and process utilities: unique names, deadline polling, pid handling."""

import subprocess
import sys

import pytest

from deploy.local.procs import free_port, free_ports, pid_alive, poll, port_open, terminate
from tests.fixtures import unique_name, wait_until


def test_unique_names_differ_and_are_safe_identifiers() -> None:
    names = {unique_name("db") for _ in range(100)}
    assert len(names) == 100
    assert all(n.startswith("db_") and n.replace("_", "").isalnum() and n.islower() for n in names)


async def test_wait_until_returns_the_first_truthy_value() -> None:
    calls = iter([0, None, "ready"])
    assert await wait_until(lambda: next(calls), timeout=5, interval=0) == "ready"


async def test_wait_until_accepts_async_predicates_and_retries_on_exceptions() -> None:
    attempts: list[int] = []

    async def flaky() -> int:
        attempts.append(1)
        if len(attempts) < 3:
            raise ConnectionError("not yet")
        return len(attempts)

    assert await wait_until(flaky, timeout=5, interval=0) == 3


async def test_wait_until_fails_with_the_last_reason_after_the_deadline() -> None:
    def never() -> bool:
        raise ConnectionError("still down")

    with pytest.raises(AssertionError, match="server up not met.*still down"):
        await wait_until(never, timeout=0.05, interval=0.01, message="server up")


def test_poll_reports_false_when_the_deadline_passes() -> None:
    assert poll(lambda: False, timeout=0.05, interval=0.01) is False


def test_a_free_port_is_not_listening() -> None:
    assert not port_open("127.0.0.1", free_port())


def test_terminate_stops_a_process_that_honours_sigterm() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    assert terminate(proc.pid, grace=5) is True
    assert not pid_alive(proc.pid)


def test_terminate_kills_a_process_that_ignores_sigterm_after_the_grace() -> None:
    code = "import signal,time,sys; signal.signal(signal.SIGTERM, signal.SIG_IGN); " \
           "print('ok', flush=True); time.sleep(60)"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == b"ok\n"
    assert terminate(proc.pid, grace=0.3) is False
    assert not pid_alive(proc.pid)


def test_free_ports_are_distinct_and_free() -> None:
    for _ in range(20):
        ports = free_ports(6)
        assert len(set(ports)) == 6
        assert not any(port_open("127.0.0.1", p, timeout=0.2) for p in ports)
