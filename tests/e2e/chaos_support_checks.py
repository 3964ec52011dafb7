"""The ledger a chaos or load run must balance, read from the CJ database and the streams.

For every batch: the comparisons CJ counts as done/failed are exactly the rows it marked
JUDGED/FAILED (nothing counted twice), each of those rows has exactly one ComparisonResult on
the results stream with the same outcome and cost (nothing lost, nothing duplicated), the
batch's cost is the sum of its rows' costs and equals the consumption event's, and the events
stream carries exactly one completion, one result and one consumption event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import asyncpg
import nats

from contracts import headers, subjects
from contracts.huleedu.llm.v1 import llm_pb2
from contracts.streams import Namespace
from tests.e2e.chaos_support_client import cj_events, read_stream

COST_TOLERANCE = 1e-6  # the same floats summed in another order

_BATCH_SQL = """
SELECT b.id, b.state, b.comparisons_done, b.comparisons_failed, b.cost_usd,
       count(c.id) FILTER (WHERE c.status = 'JUDGED') AS judged,
       count(c.id) FILTER (WHERE c.status = 'FAILED') AS failed,
       coalesce(sum(c.cost_usd) FILTER (WHERE c.status IN ('JUDGED', 'FAILED')), 0) AS row_cost
FROM batches b LEFT JOIN comparisons c ON c.batch_id = b.id
WHERE b.id = ANY($1::text[])
GROUP BY b.id
"""
_ROWS_SQL = """
SELECT id, batch_id, status, cost_usd FROM comparisons
WHERE batch_id = ANY($1::text[])
  AND (status IN ('JUDGED', 'FAILED') OR submitted_at IS NOT NULL)
"""


@dataclass
class Ledger:
    batches: int = 0
    judged: int = 0
    failed: int = 0
    results_on_stream: int = 0
    duplicate_results: int = 0
    late_results: int = 0
    lost: int = 0  # accepted by llm_provider, yet no result on the stream (yet)
    cost_usd: float = 0.0
    events: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"batches={self.batches} verdicts_applied={self.judged} "
                f"failed_applied={self.failed} results_on_stream={self.results_on_stream} "
                f"duplicate_results={self.duplicate_results} late_results={self.late_results} "
                f"lost={self.lost} "
                f"cost_usd={self.cost_usd:.6f} events={dict(self.events)}")


async def db_rows(dsn: str, batch_ids: Sequence[str]) -> tuple[list, list]:
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        ids = list(batch_ids)
        return await conn.fetch(_BATCH_SQL, ids), await conn.fetch(_ROWS_SQL, ids)
    finally:
        await conn.close()


async def stream_results(nc: nats.NATS, ns: Namespace) -> dict[str, list]:
    """request_id -> every ComparisonResult stored for it on the results stream."""
    raw = await read_stream(
        nc, stream=ns.name("HULEEDU_LLM_RESULTS"),
        subject=ns.subject(subjects.results_subject(subjects.CJ_RESULTS_KEY)),
    )
    found: dict[str, list] = defaultdict(list)
    for _, hdrs, data in raw:
        result = headers.decode_as(llm_pb2.ComparisonResult, data, hdrs)
        found[result.request_id].append(result)
    return found


async def balance(
    dsn: str, nc: nats.NATS, ns: Namespace, batch_ids: Sequence[str]
) -> Ledger:
    batches, rows = await db_rows(dsn, batch_ids)
    results = await stream_results(nc, ns)
    events = await cj_events(nc, ns)
    ledger = Ledger(batches=len(batches))
    _check_batches(ledger, batches, set(batch_ids))
    _check_rows(ledger, rows, results)
    _check_events(ledger, events, {b["id"]: b for b in batches})
    return ledger


def _check_batches(ledger: Ledger, batches: list, wanted: set[str]) -> None:
    missing = wanted - {b["id"] for b in batches}
    if missing:
        ledger.problems.append(f"batches missing from the db: {sorted(missing)}")
    for b in batches:
        ledger.judged += b["judged"]
        ledger.failed += b["failed"]
        ledger.cost_usd += b["cost_usd"]
        if b["state"] != "COMPLETED":
            ledger.problems.append(f"{b['id']}: state {b['state']}")
        if (b["comparisons_done"], b["comparisons_failed"]) != (b["judged"], b["failed"]):
            ledger.problems.append(
                f"{b['id']}: counters done/failed {b['comparisons_done']}/"
                f"{b['comparisons_failed']} != rows {b['judged']}/{b['failed']}")
        if abs(b["cost_usd"] - b["row_cost"]) > COST_TOLERANCE:
            ledger.problems.append(f"{b['id']}: cost {b['cost_usd']} != rows {b['row_cost']}")


def _check_rows(ledger: Ledger, rows: list, results: dict[str, list]) -> None:
    applied = {r["id"] for r in rows if r["status"] in ("JUDGED", "FAILED")}
    ledger.duplicate_results = sum(len(v) - 1 for v in results.values() if len(v) > 1)
    ledger.results_on_stream = sum(len(v) for v in results.values())
    if ledger.duplicate_results:
        ledger.problems.append(f"{ledger.duplicate_results} duplicate results on the stream")
    for row in rows:
        stored = results.get(row["id"], [])
        if not stored:
            ledger.lost += 1
            ledger.problems.append(f"{row['id']}: {row['status']} but no result on the stream")
            continue
        if row["id"] not in applied:
            continue  # the batch ended first; a late result is stored but not counted
        has_verdict = stored[0].WhichOneof("outcome") == "verdict"
        if row["status"] == "JUDGED" and not has_verdict:
            ledger.problems.append(f"{row['id']}: JUDGED without a verdict on the stream")
        if abs(stored[0].cost_usd - row["cost_usd"]) > COST_TOLERANCE:
            ledger.problems.append(f"{row['id']}: cost {row['cost_usd']} != {stored[0].cost_usd}")
    ledger.late_results = len(set(results) - applied)


def _check_events(ledger: Ledger, events: list, batches: dict[str, asyncpg.Record]) -> None:
    per_batch: dict[str, Counter] = defaultdict(Counter)
    for subject, event in events:
        batch_id = _batch_of(event)
        if batch_id in batches:
            kind = subject.rsplit(".", 2)[-2] + "." + subject.rsplit(".", 1)[-1]
            per_batch[batch_id][kind] += 1
            ledger.events[kind] += 1
            _check_consumption(ledger, subject, event, batches[batch_id])
    wanted = Counter({"assessment.completed": 1, "assessment.result": 1,
                      "resource.consumption": 1})
    for batch_id in batches:
        if per_batch[batch_id] != wanted:
            ledger.problems.append(f"{batch_id}: events {dict(per_batch[batch_id])}")


def _batch_of(event) -> str:
    # AssessmentResultPublished carries the whole Assessment; the thin events only its id.
    if hasattr(event, "assessment_id"):
        return event.assessment_id
    return event.assessment.assessment_id


def _check_consumption(ledger: Ledger, subject: str, event, batch: asyncpg.Record) -> None:
    if not subject.endswith(subjects.CJ_RESOURCE_CONSUMPTION):
        return
    made = batch["judged"] + batch["failed"]
    if event.comparisons_made != made:
        ledger.problems.append(f"{batch['id']}: consumption says {event.comparisons_made} "
                               f"comparisons, rows say {made}")
    if abs(event.cost_usd - batch["cost_usd"]) > 1e-6:
        ledger.problems.append(f"{batch['id']}: consumption cost {event.cost_usd} != "
                               f"batch cost {batch['cost_usd']}")


async def diagnose(dsn: str, nc: nats.NATS, ns: Namespace, batch_ids: Sequence[str]) -> str:
    """Where stuck batches stand: their rows by status, and the queues between the services."""
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        rows = await conn.fetch(
            "SELECT b.id, b.state, b.comparisons_done, b.comparisons_failed, "
            "b.comparisons_in_flight, b.budget, b.completion_reason, c.status, count(c.id) n "
            "FROM batches b LEFT JOIN comparisons c ON c.batch_id = b.id "
            "WHERE b.id = ANY($1::text[]) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1",
            list(batch_ids))
    finally:
        await conn.close()
    lines = [f"{r['id'][:8]} {r['state']} done={r['comparisons_done']} "
             f"failed={r['comparisons_failed']} in_flight={r['comparisons_in_flight']} "
             f"budget={r['budget']} reason={r['completion_reason']!r} rows[{r['status']}]={r['n']}"
             for r in rows]
    js = nc.jetstream()
    for stream, durable in (("HULEEDU_LLM_REQUESTS", "llm-workers"),
                            ("HULEEDU_LLM_RESULTS", "cj-results")):
        try:
            info = await js.consumer_info(ns.name(stream), durable)
            lines.append(f"{durable}: pending={info.num_pending} ack_pending={info.num_ack_pending}"
                         f" redelivered={info.num_redelivered}")
        except Exception as exc:  # a diagnosis must not hide the failure it explains
            lines.append(f"{durable}: {exc!r}")
    return "\n".join(lines)
