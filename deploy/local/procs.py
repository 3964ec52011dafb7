"""Process and port helpers shared by the infrastructure starters and the launcher."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (the OS picks it)."""
    return free_ports(1, host)[0]


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """`count` distinct free ports: all sockets stay bound until every port is picked, so the
    OS cannot hand the same port out twice (successive free_port calls can)."""
    socks = [socket.socket(socket.AF_INET, socket.SOCK_STREAM) for _ in range(count)]
    try:
        for sock in socks:
            sock.bind((host, 0))
        return [int(sock.getsockname()[1]) for sock in socks]
    finally:
        for sock in socks:
            sock.close()


def port_open(host: str, port: int, *, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def poll(predicate: Callable[[], bool], *, timeout: float, interval: float = 0.05) -> bool:
    """Call ``predicate`` until it is true or ``timeout`` seconds pass; return its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def run_sync(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, even when a loop is running here.

    A private thread gives it its own event loop, so callers inside pytest-asyncio or an
    already-running loop do not trip over ``asyncio.run``'s one-loop-per-thread rule.
    """

    async def main() -> T:
        return await factory()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, main()).result()


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def terminate(
    pid: int, *, grace: float = 10.0, group: bool = False, sig: signal.Signals = signal.SIGTERM
) -> bool:
    """Send ``sig``, wait up to ``grace`` seconds, then SIGKILL. True if ``sig`` did it."""
    if not _signal(pid, sig, group=group):
        return True
    if poll(lambda: not pid_alive(pid), timeout=grace):
        _reap(pid)
        return True
    _signal(pid, signal.SIGKILL, group=group)
    poll(lambda: not pid_alive(pid), timeout=5.0)
    _reap(pid)
    return False


def _signal(pid: int, sig: signal.Signals, *, group: bool) -> bool:
    try:
        if group:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def _reap(pid: int) -> None:
    # Only our own children can be reaped; for others waitpid raises and that is fine.
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
