"""Live progress of a batch: comparisons done / budget, reliability, cost so far."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.render.table import estimates, failed_attempts_text, plus_minus
from contracts.huleedu.cj.v1 import cj_pb2

PLAIN_EVERY_S = 5.0  # without a terminal, one progress line this often


def status_text(a: cj_pb2.Assessment) -> str:
    p = a.progress
    target = f" / {p.target_reliability:.2f}" if p.target_reliability else ""
    attempts = failed_attempts_text(p)
    # Before the first verdict there is no estimate, only the field's default: say so.
    figure = (f"{p.reliability:.3f}{plus_minus(p.reliability_se)}" if p.comparisons_done
              else "not yet estimated")
    return (f"reliability {figure}{target}  "
            f"cost ${p.cost_usd:.4f}{estimates(p.usage)}  "
            f"in flight {p.comparisons_in_flight}  failed {p.comparisons_failed}"
            + (f"  {attempts}" if attempts else ""))


@contextmanager
def live(console: Console, batch_id: str) -> Iterator[callable]:  # type: ignore[valid-type]
    """Yield `update(assessment)`; a bar on a terminal, a line every few seconds elsewhere."""
    if not console.is_terminal:
        yield _plain_updater(console, batch_id)
        return
    columns = [TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TextColumn("{task.fields[status]}"), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"judging {batch_id[:8]}", total=None, status="submitted")

        def update(a: cj_pb2.Assessment) -> None:
            progress.update(task, completed=a.progress.comparisons_done,
                            total=a.progress.budget or None, status=status_text(a))

        yield update


def _plain_updater(console: Console, batch_id: str):  # type: ignore[no-untyped-def]
    last = [0.0, -1]

    def update(a: cj_pb2.Assessment) -> None:
        now, done = time.monotonic(), a.progress.comparisons_done
        if done != last[1] and now - last[0] >= PLAIN_EVERY_S or a.state in _END:
            console.print(f"batch {batch_id[:8]}: {done}/{a.progress.budget} comparisons  "
                          f"{status_text(a)}", highlight=False)
            last[0], last[1] = now, done

    return update


_END = {cj_pb2.ASSESSMENT_STATE_COMPLETED, cj_pb2.ASSESSMENT_STATE_FAILED,
        cj_pb2.ASSESSMENT_STATE_CANCELLED}
