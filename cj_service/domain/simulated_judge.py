"""What the simulated judge's verdicts say about themselves: it is simulated, and for which
texts it had no truth (their quality, and so their order, is a hash of the text).

Plain values in and out; the marker is llm_provider's wording, copied (cj_service does not
import llm_provider).
"""

from __future__ import annotations

from collections.abc import Iterable

SIMULATED_PROVIDER = "simulated"
# llm_provider.domain.simulation.NO_TRUTH_MARK: a simulated justification opens so when the
# truth file does not know Essay A, Essay B or both ("... no truth for Essays A and B; ...").
NO_TRUTH_MARK = "Simulated judge: no truth for"


def is_simulated(provider: str) -> bool:
    return provider == SIMULATED_PROVIDER


def unknown_sides(justification: str) -> frozenset[str]:
    """The sides ("A", "B") a simulated justification says it had no truth for."""
    at = justification.find(NO_TRUTH_MARK)
    if at < 0:
        return frozenset()
    named = justification[at + len(NO_TRUTH_MARK) :].split(";", 1)[0]
    words = set(named.replace(" and ", " ").split())
    return frozenset(side for side in ("A", "B") if side in words)


def no_truth_texts(known: Iterable[int], verdicts: Iterable[tuple[int, int, str]]) -> list[int]:
    """The texts (indices) without truth so far: `known` plus those the verdicts
    (idx_a, idx_b, justification) name, sorted."""
    found = set(known)
    for idx_a, idx_b, justification in verdicts:
        sides = unknown_sides(justification)
        found.update(idx for side, idx in (("A", idx_a), ("B", idx_b)) if side in sides)
    return sorted(found)
