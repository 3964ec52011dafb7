"""Every limit cj_service puts on what a caller sends: the one place to read or change them.

Text rules (sizes in UTF-8 bytes, allowed characters) are contracts.text's; the sizes are the
ones the mesh agrees on, chosen so that the largest comparison request -- two essays, the
instructions, the student prompt, the rubric and ~4 KiB of system text and envelope --
stays under NATS's default max_payload of 1 MiB: 2 x 256 + 3 x 64 + 4 = 708 KiB. A NATS
server configured smaller is checked at submission (validation.check_batch).

Numbers: 0 (or an unset Duration) means "the service default" and is always allowed; a set
value must lie in its Range. cj_service/README.md lists every limit with its refusal.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.text import Rule

KIB, MIB = 1024, 1024 * 1024
DAY_S = 24 * 3600.0

# --- texts ---------------------------------------------------------------------------------
# Essay text, inline or fetched by content id (a text with no visible character is
# CONTENT_EMPTY, checked apart from the rule so that it gets that reason).
ESSAY = Rule(256 * KIB)
CONTEXT = Rule(64 * KIB, visible=True)  # instructions, student prompt, judge rubric
ID = Rule(256, one_line=True)  # request, essay, assessment, assignment, course, anchor ids...
REQUIRED_ID = Rule(256, required=True, one_line=True)
NAME = Rule(256, one_line=True)  # display names, anchor labels, grades, judge provider/model
REASON = Rule(1 * KIB)  # free-text reasons (CancelAssessment.reason)
METADATA = dict(  # SubmitAssessment.metadata, echoed on every event of the batch
    max_entries=64,
    key=Rule(128, required=True, one_line=True),
    value=Rule(1 * KIB),
    max_total_bytes=16 * KIB,
)
PAGE_TOKEN_BYTES = 4 * KIB  # our tokens hold at most three ids and a filter id

# --- lists ---------------------------------------------------------------------------------
# A national cohort (about 100,000 students sit a Swedish national test a year) fits in one
# batch; by content id that is ~7 MB of request, inline texts are bounded by gRPC's 64 MiB.
MAX_ESSAYS = 100_000
# All essay text of one batch, held in memory at submission: 100,000 essays of 5 KiB.
MAX_BATCH_TEXT_BYTES = 512 * MIB

# --- the bus -------------------------------------------------------------------------------
# What a comparison request carries besides its five texts: the system prompt (~1 KiB),
# block titles, ids, judge, QueuedComparison wrapper and NATS headers.
ENVELOPE_BYTES = 4 * KIB

# --- content_service -----------------------------------------------------------------------
# BatchGetContent takes at most 1000 ids and 48 MiB a call (content_service/domain/content.py
# Limits) and stores blobs of up to 1 MiB, so 48 ids a call can never be refused for size.
CONTENT_IDS_PER_CALL = 48
CONTENT_CALLS_AT_ONCE = 4
# Essay texts fetched (and checked) a slice at a time: memory stays bounded even when a
# batch names many blobs too large to be essays.
CONTENT_IDS_PER_SLICE = CONTENT_IDS_PER_CALL * CONTENT_CALLS_AT_ONCE


@dataclass(frozen=True)
class Range:
    """The values a number may take; NaN is in no range."""

    low: float
    high: float
    low_open: bool = False  # the low end itself is excluded (a duration must be > 0)
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def __str__(self) -> str:
        left, right = "(" if self.low_open else "[", ")" if self.high_open else "]"
        return f"{left}{self.low:g}, {self.high:g}{right}"


# --- numbers (StoppingOptions; 0 / unset = the service default) ----------------------------
BUDGET = Range(0, 10_000_000)  # comparisons: 100 per essay of the largest batch
TARGET_RELIABILITY = Range(0.0, 1.0, high_open=True)
MIN_COMPARISONS_PER_ESSAY = Range(0, 1_000)
MAX_IN_FLIGHT = Range(0, 10_000)
MIN_JUDGE_SUCCESS_RATE = Range(0.0, 1.0)
# A day at most: longer would keep a dead batch RUNNING for days, and the watchdog's
# interval arithmetic must never meet a number PostgreSQL cannot hold (D7).
STALL_TIMEOUT_S = Range(0.0, DAY_S, low_open=True)
PROVIDER_PATIENCE_S = Range(0.0, DAY_S, low_open=True)

# --- pages (page_size 0 = the default; above the maximum is served at the maximum) ---------
ASSESSMENTS_PAGE = (50, 500)  # ListAssessments (default, maximum)
COMPARISONS_PAGE = (500, 5_000)  # ListAssessmentComparisons
INSTRUCTIONS_PAGE = (50, 500)  # ListAssessmentInstructions
ANCHORS_PAGE = (100, 1_000)  # ListAnchors
MAX_SEQ = 2**63 - 1  # a comparison page token's position is a bigint
