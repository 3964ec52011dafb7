"""Failed attempts, estimated tokens, warnings and partial results, as the CLI shows them."""

from __future__ import annotations

import io

from rich.console import Console

from cli.artefact.build import build
from cli.artefact.runfolder import validate
from cli.commands.finish import show
from cli.commands.progress import status_text
from cli.render.report_md import report
from cli.render.table import failed_attempts_text, partial_line, summary_lines
from contracts.huleedu.cj.v1 import cj_pb2
from tests.unit.cli.factory import run_data

WARNING = "the judge chose Essay A in 90% of comparisons (27 of 30): these verdicts say little"


def troubled():
    """A batch that failed on an unavailable provider, with a one-sided judge."""
    data = run_data()
    a = data.results.assessment
    a.state = cj_pb2.ASSESSMENT_STATE_FAILED
    a.failure_reason = cj_pb2.FAILURE_REASON_PROVIDER_UNAVAILABLE
    a.progress.failed_attempts.update({"TIMEOUT": 12, "INVALID_RESPONSE": 3, "PROVIDER_ERROR": 4})
    a.progress.usage.estimated = True
    a.progress.probability_a_dropped = 2
    a.warnings.append(WARNING)
    data.results.partial = True
    return data


def test_failed_attempts_are_counted_by_kind_in_words():
    progress = troubled().assessment.progress
    assert failed_attempts_text(progress) == (
        "failed attempts: 12 timeout, 4 provider error, 3 unparseable"
    )
    assert failed_attempts_text(cj_pb2.AssessmentProgress()) == ""


def test_the_progress_line_shows_failed_attempts_and_estimated_cost():
    line = status_text(troubled().assessment)
    assert "cost $0.0036 (includes estimates)" in line
    assert "failed 0  failed attempts: 12 timeout" in line


def test_the_summary_says_estimates_attempts_and_dropped_probabilities():
    lines = summary_lines(troubled().results)
    assert "out 120 (includes estimates); judge" in lines[1]
    assert lines[2].startswith("failed attempts: 12 timeout")
    assert lines[3] == "P(A) dropped for contradicting the verdict: 2"
    assert "includes estimates" not in " ".join(summary_lines(run_data().results))


def test_partial_results_carry_a_banner_naming_the_failure_and_the_verdicts():
    assert partial_line(troubled().results) == (
        "PARTIAL: the assessment failed (provider unavailable): these results are fitted on 3 "
        "verdicts and are not a finished assessment"
    )
    assert partial_line(run_data().results) == ""


def test_the_console_shows_warnings_and_the_banner_before_the_table():
    buffer = io.StringIO()
    show(Console(file=buffer, width=200, color_system=None), troubled().results)
    text = buffer.getvalue()
    assert text.index(f"WARNING: {WARNING}") < text.index("PARTIAL: ") < text.index("rank")


def test_the_report_opens_with_the_banner_and_a_warnings_section():
    text = report(troubled(), charts=[])
    assert text.index("**PARTIAL: the assessment failed") < text.index("## Warnings")
    assert text.index(f"- **WARNING:** {WARNING}") < text.index("## Ranking")
    assert "failed attempts: 12 timeout, 4 provider error, 3 unparseable" in text
    assert "## Warnings" not in report(run_data(), charts=[])


def test_the_artefact_records_partial_warnings_attempts_and_estimates():
    artefact = build(troubled(), manifest=[], tool_version="0")
    validate(artefact)
    batch = artefact["batch"]
    assert batch["partial"] is True and batch["warnings"] == [WARNING]
    assert batch["failed_attempts"] == {"INVALID_RESPONSE": 3, "PROVIDER_ERROR": 4, "TIMEOUT": 12}
    assert batch["probability_a_dropped"] == 2 and artefact["costs"]["tokens_estimated"] is True
    assert build(run_data(), manifest=[], tool_version="0")["batch"]["partial"] is False
