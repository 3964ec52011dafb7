"""report.md and the charts, from a made-up batch."""

from __future__ import annotations

from pathlib import Path

from cli.artefact.write import CHARTS, write_report
from cli.commands.progress import status_text
from cli.render.report_md import report
from cli.render.table import plus_minus
from tests.unit.cli.factory import run_data

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_the_report_states_anchor_alignment_and_disagreements() -> None:
    text = report(run_data(), charts=list(CHARTS))
    assert "Kendall τ between anchor grade order and fitted score order: **+1.000**" in text
    assert "Anchors that never won a comparison: **1**" in text
    assert "s2: infit 1.80" in text
    assert "![essays_on_scale](essays_on_scale.png)" in text
    assert "A is clearer / better" in text  # table-safe justification
    assert "reliability 0.800 ± 0.160 (SSR 0.850)" in text


def test_every_chart_is_written_as_a_png(tmp_path: Path) -> None:
    written = write_report(tmp_path, run_data())
    assert {p.name for p in written} == {*CHARTS, "report.md"}
    for name in CHARTS:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(PNG_MAGIC) and len(data) > 10_000


def test_intervals_matching_the_standard_errors_need_no_uncertainty_note() -> None:
    assert "Uncertainty check" not in report(run_data(), charts=[])


def test_intervals_far_narrower_than_the_standard_errors_are_called_out() -> None:
    data = run_data()
    for e in data.results.essays:
        e.ci_low, e.ci_high = e.score - 0.2, e.score + 0.2
    text = report(data, charts=[])
    assert "Uncertainty check" in text and "0.20× the width of ±1.96·SE" in text


def test_a_bootstrap_interval_that_excludes_the_score_still_charts(tmp_path: Path) -> None:
    """Percentile intervals need not contain the MAP score (shrinkage); that is no error."""
    data = run_data()
    first = data.results.essays[0]
    first.ci_low, first.ci_high = first.score + 0.1, first.score + 0.5
    write_report(tmp_path, data)
    assert all((tmp_path / name).stat().st_size > 0 for name in CHARTS)


def test_a_standard_error_is_shown_only_when_there_is_one() -> None:
    assert plus_minus(0.014) == " ± 0.014"
    assert plus_minus(0.0) == plus_minus(float("inf")) == ""  # older server; under 4 essays


def test_the_live_progress_line_carries_the_reliability_and_its_error() -> None:
    a = run_data().results.assessment
    a.progress.reliability_se = 0.021
    assert status_text(a).startswith("reliability 0.800 ± 0.021 / 0.90")


def test_a_text_the_judge_could_not_compare_is_named_with_its_failed_calls() -> None:
    data = run_data()
    last = data.results.essays[-1]
    last.comparison_count, last.wins, last.failed_calls = 0, 0, 6
    text = report(data, charts=[])
    assert "judge failed x6" in text
    assert "could not compare" in text and f"{last.display_name} (6 failed calls)" in text


def test_before_the_first_verdict_the_progress_line_shows_no_reliability_figure() -> None:
    a = run_data().results.assessment
    a.progress.comparisons_done, a.progress.reliability, a.progress.reliability_se = 0, 0.0, 0.37
    assert status_text(a).startswith("reliability not yet estimated / 0.90")
