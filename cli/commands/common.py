"""What every command shares: consoles, the mesh addresses, and the one-line error guard."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import grpc
import typer
from rich.console import Console
from rich.text import Text

from cli.errors import EXIT_FAILURE, CliError, from_rpc
from cli.settings import Addresses

F = TypeVar("F", bound=Callable[..., Any])


def _console(stream: Any) -> Console:
    # Outside a terminal (pipes, make, tests) rich would assume 80 columns and squeeze tables.
    wide = None if stream.isatty() else int(os.environ.get("COLUMNS", "160"))
    return Console(file=stream, width=wide, highlight=False, soft_wrap=True, markup=False)


def out() -> Console:
    return _console(sys.stdout)


def err() -> Console:
    return _console(sys.stderr)


def addresses(ctx: typer.Context) -> Addresses:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Addresses) else Addresses.resolve()


def guarded(fn: F) -> F:
    """Turn CliError (and stray gRPC/OS errors) into `error: ...` on stderr and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CliError as exc:
            fail(exc.message, exc.exit_code)
        except grpc.RpcError as exc:
            fail(from_rpc(exc, service="service", address="?").message, EXIT_FAILURE)
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": "), EXIT_FAILURE)

    return wrapper  # type: ignore[return-value]


def fail(message: str, code: int) -> None:
    err().print(Text.assemble(("error: ", "bold red"), message))
    raise typer.Exit(code)
