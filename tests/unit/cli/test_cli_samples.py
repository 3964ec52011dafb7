"""The bundled sample set is the project's own, varied, and in sync with its truth file."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from cli.io.anchors import read_anchors
from cli.io.inventory import read_essays

SAMPLES = Path(__file__).resolve().parents[3] / "samples"
SHARED_DATA = Path("/work/shared/data")


def test_there_are_at_least_24_distinct_essays_and_graded_anchors_on_one_scale() -> None:
    essays = read_essays(SAMPLES / "essays")
    anchors, scale = read_anchors(SAMPLES / "anchors.csv", scale_id=None)
    assert len(essays) >= 24
    assert len({e.sha256 for e in essays}) == len(essays)
    assert 6 <= len(anchors) <= 8
    assert scale == "swedish_8_anchor"
    assert {a.anchor_grade for a in anchors} == {"F", "E", "D", "D+", "C", "C+", "B", "A"}


def test_the_anchor_folder_names_the_same_grades_as_the_csv() -> None:
    from_csv, _ = read_anchors(SAMPLES / "anchors.csv", scale_id=None)
    from_folder, _ = read_anchors(SAMPLES / "anchors", scale_id="swedish_8_anchor")
    assert sorted((a.display_name, a.anchor_grade) for a in from_csv) == sorted(
        (a.display_name, a.anchor_grade) for a in from_folder)


def test_quality_varies_from_very_weak_to_excellent() -> None:
    words = sorted(e.words for e in read_essays(SAMPLES / "essays"))
    assert words[0] < 60 and words[-1] > 300


def test_the_truth_file_covers_every_sample_text_with_its_intended_quality() -> None:
    truth = json.loads((SAMPLES / "truth.json").read_text())
    quality = {row["file"]: float(row["theta"])
               for row in csv.DictReader((SAMPLES / "quality.csv").read_text().splitlines())}
    anchors, _ = read_anchors(SAMPLES / "anchors.csv", scale_id=None)
    texts = {f"essays/{e.display_name}": e for e in read_essays(SAMPLES / "essays")}
    texts.update({f"anchors/{a.display_name}": a for a in anchors})
    assert set(quality) == set(texts)
    assert {texts[f].sha256: q for f, q in quality.items()} == truth


@pytest.mark.skipif(not SHARED_DATA.exists(), reason="no shared essay corpus on this machine")
def test_no_sample_is_copied_from_the_shared_corpus() -> None:
    shared = {" ".join(p.read_text(errors="replace").split())
              for p in SHARED_DATA.rglob("*") if p.is_file() and p.suffix in {".txt", ".md"}}
    ours = [" ".join(p.read_text().split()) for p in SAMPLES.rglob("*.txt")]
    for text in ours:
        assert all(text[:200] not in other for other in shared)
