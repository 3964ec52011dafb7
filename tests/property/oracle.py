"""What counts as a broken answer, and the tally of a fuzz run.

A caller must never see UNKNOWN or INTERNAL, nor text from inside the service (SQL, driver
names, a traceback) in the status message or the ErrorInfo; a refused request must write
nothing; the same request sent again after it succeeded must succeed again (request_id makes
every mutating call safe to retry).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from google.protobuf.message import Message

from tests.property.calls import Outcome

BROKEN_CODES = ("UNKNOWN", "INTERNAL")
# Text that only comes from inside a service: SQL, PostgreSQL and driver messages, tracebacks.
INSIDE_TEXT = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "asyncpg", "sqlalchemy",
               "psycopg", "Traceback", 'File "', "[SQL:", "invalid byte sequence",
               "invalid input syntax", "out of range for type", "violates ", "DataError")
TRANSIENT = ("UNAVAILABLE", "DEADLINE_EXCEEDED")


def broken(outcome: Outcome, sent: bytes) -> list[str]:
    """Why this answer breaks the error contract (empty when it does not). Inside text the
    request itself carried (an essay may say SELECT) is an echo, not a leak."""
    found = [outcome.code] if outcome.code in BROKEN_CODES else []
    text = outcome.text()
    if any(m in text and m.encode() not in sent for m in INSIDE_TEXT):
        found.append("INSIDE_TEXT")
    return found


def _short(value: object) -> str:
    if isinstance(value, str | bytes) and len(value) > 40:
        unit = "chars" if isinstance(value, str) else "bytes"
        return f"<{len(value)} {unit} {value[:16]!r}...>"
    return repr(value)


def describe(message: Message, limit: int = 400) -> str:
    """A short account of a request: every set field, huge values as their size."""
    parts: list[str] = []

    def walk(msg: Message, prefix: str) -> None:
        for fd, value in msg.ListFields():
            name = prefix + fd.name
            is_map = fd.message_type is not None and fd.message_type.GetOptions().map_entry
            if is_map:
                size = sum(len(str(k)) + len(str(v)) for k, v in value.items())
                parts.append(f"{name}={{{len(value)} entries, {size} chars}}")
            elif fd.is_repeated and fd.message_type is not None:
                parts.append(f"{name}=[{len(value)}]")
                if value:
                    walk(value[0], f"{name}[0].")
            elif fd.message_type is not None:
                walk(value, name + ".")
            elif fd.is_repeated:
                parts.append(f"{name}=[{len(value)} x {_short(value[0]) if value else ''}]")
            else:
                parts.append(f"{name}={_short(value)}")

    walk(message, "")
    text = ", ".join(parts) or "{}"
    return text if len(text) <= limit else text[:limit] + "..."


@dataclass(frozen=True)
class Finding:
    target: str  # Method.key or payload target name
    kind: str  # UNKNOWN, INTERNAL, INSIDE_TEXT, WRITE_ON_REFUSAL, RETRY_REFUSED, ...
    code: str
    message: str
    sent: str  # describe() of the input


@dataclass
class Tally:
    """Counts over a whole run; ``unknown`` counts cases with any broken answer."""

    cases: int = 0
    unknown: int = 0
    crashes: int = 0
    stalled: int = 0
    blocked_events: int = 0
    findings: list[Finding] = field(default_factory=list)
    answers: Counter = field(default_factory=Counter)  # (target, status code) -> calls
    notes: Counter = field(default_factory=Counter)  # observations that are not properties

    def record(self, found: list[Finding]) -> None:
        self.cases += 1
        if found:
            self.unknown += 1
            self.findings += found

    def failed(self) -> bool:
        return any((self.unknown, self.crashes, self.stalled, self.blocked_events))

    def line(self) -> str:
        return (f"cases={self.cases} unknown={self.unknown} crashes={self.crashes} "
                f"stalled={self.stalled} blocked_events={self.blocked_events}")

    def report(self, examples: int = 2) -> list[str]:
        """One line per (target, kind, code) with its count, then a few example inputs."""
        groups = Counter((f.target, f.kind, f.code) for f in self.findings)
        lines = []
        for (target, kind, code), n in sorted(groups.items()):
            lines.append(f"{target} {kind} {code}: {n} case(s)")
            shown = [f for f in self.findings if (f.target, f.kind, f.code) == (target, kind, code)]
            lines += [f"    {f.message[:160]!r} <- {f.sent}" for f in shown[:examples]]
        lines += [f"note {key}: {n}" for key, n in sorted(self.notes.items())]
        return lines + self._answers()

    def _answers(self) -> list[str]:
        """Per RPC, how often each status code came back: what the fuzz reached."""
        targets = sorted({target for target, _ in self.answers})
        return [f"answers {t}: " + " ".join(
            f"{code}={n}" for (target, code), n in sorted(self.answers.items()) if target == t)
            for t in targets]
