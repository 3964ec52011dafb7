"""Per-process memo of each running batch's verdict arrays and its chains' last fits.

Why: every step used to re-read all judged rows of the batch and refit both chains cold, which
made the refits and reads grow with the batch (quadratic over its life). The memo lets a step
extend the arrays by the verdicts it just applied and reuse the chains' recent fits.

Correctness never depends on it. An entry is used only when it holds exactly as many verdicts
as the locked batch row's `comparisons_done`: JUDGED rows never change or revert, so a memo
built from committed rows with the same count holds the same verdicts (in another order, which
a fit does not see). Anything else -- another replica moved the batch on, a rolled-back step,
a restart -- is a miss and the step reads the rows again. Entries are written only after the
step's transaction committed (StepOutcome.memo). Cached chain fits are reused only while few
verdicts are missing from them (steps.max_stale), and only for choosing pairs and for checks
far from the target; a miss refits.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from cj_service.domain.bt import BTFit
from cj_service.service.workflow.statistics import Verdicts

MAX_BATCHES = 256  # a few MB of arrays at most; the least recently used batch goes first


@dataclass(frozen=True)
class Entry:
    """Verdicts of a batch with `done` judged comparisons, and chain fits made at `fits_done`."""

    done: int
    verdicts: Verdicts | None
    fits: tuple[BTFit, ...] | None = None
    fits_done: int = 0


class BatchCache:
    def __init__(self, max_batches: int = MAX_BATCHES) -> None:
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._max = max_batches

    def get(self, batch_id: str) -> Entry | None:
        """The batch's last committed entry, whatever its count (callers check `done`)."""
        entry = self._entries.get(batch_id)
        if entry is not None:
            self._entries.move_to_end(batch_id)
        return entry

    def put(self, batch_id: str, entry: Entry) -> None:
        self._entries[batch_id] = entry
        self._entries.move_to_end(batch_id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def drop(self, batch_id: str) -> None:
        self._entries.pop(batch_id, None)
