"""Anchors from a CSV or a folder, checked against the grade scale before anything is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.errors import CliError
from cli.io.anchors import read_anchors
from cli.io.inventory import read_essays

TEXT = "An anchor essay about phones in school, long enough to be a real text."


def write(folder: Path, name: str, text: str = TEXT) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"{text} ({name})\n")
    return path


def test_csv_anchors_get_their_grades_and_the_inferred_scale(tmp_path: Path) -> None:
    write(tmp_path / "a", "one.txt")
    write(tmp_path / "a", "two.txt")
    (tmp_path / "anchors.csv").write_text("file,grade\na/one.txt,C+\na/two.txt,F\n")
    anchors, scale = read_anchors(tmp_path / "anchors.csv", scale_id=None)
    assert scale == "swedish_8_anchor"
    assert [(a.essay_id, a.anchor_grade) for a in anchors] == [
        ("anchor/one.txt", "C+"), ("anchor/two.txt", "F")]


def test_csv_without_header_is_accepted(tmp_path: Path) -> None:
    write(tmp_path, "one.txt")
    (tmp_path / "anchors.csv").write_text("one.txt,7\n")
    anchors, scale = read_anchors(tmp_path / "anchors.csv", scale_id=None)
    assert scale == "eng5_np_national_9_step"
    assert anchors[0].anchor_grade == "7"


def test_a_grade_off_the_given_scale_names_the_line_and_the_grades(tmp_path: Path) -> None:
    write(tmp_path, "one.txt")
    (tmp_path / "anchors.csv").write_text("file,grade\none.txt,Q\n")
    with pytest.raises(CliError) as caught:
        read_anchors(tmp_path / "anchors.csv", scale_id="swedish_8_anchor")
    assert "line 2: grade 'Q' is not on scale swedish_8_anchor (F, E, D, D+, C, C+, B, A)" in str(
        caught.value)


def test_grades_on_no_scale_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "one.txt")
    write(tmp_path, "two.txt")
    (tmp_path / "anchors.csv").write_text("one.txt,A\ntwo.txt,7\n")
    with pytest.raises(CliError, match="no grade scale has all of"):
        read_anchors(tmp_path / "anchors.csv", scale_id=None)


def test_an_unknown_scale_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "one.txt")
    (tmp_path / "anchors.csv").write_text("one.txt,A\n")
    with pytest.raises(CliError, match="unknown grade scale 'nope'"):
        read_anchors(tmp_path / "anchors.csv", scale_id="nope")


def test_a_missing_anchor_file_names_the_csv_line(tmp_path: Path) -> None:
    (tmp_path / "anchors.csv").write_text("file,grade\nmissing.txt,A\n")
    with pytest.raises(CliError, match="line 2: anchor file missing.txt does not exist"):
        read_anchors(tmp_path / "anchors.csv", scale_id=None)


def test_a_folder_takes_grades_from_file_names(tmp_path: Path) -> None:
    folder = tmp_path / "anchors"
    for name in ("C+_anchor.txt", "anchor_B.md", "grade-F_low.txt"):
        write(folder, name)
    anchors, scale = read_anchors(folder, scale_id="swedish_8_anchor")
    assert sorted((a.display_name, a.anchor_grade) for a in anchors) == [
        ("C+_anchor.txt", "C+"), ("anchor_B.md", "B"), ("grade-F_low.txt", "F")]
    assert scale == "swedish_8_anchor"


def test_a_folder_file_without_a_grade_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "anchors", "best_one.txt")
    with pytest.raises(CliError, match="no grade in the file name"):
        read_anchors(tmp_path / "anchors", scale_id=None)


def test_essays_skip_anchor_files_in_the_same_folder(tmp_path: Path) -> None:
    anchor = write(tmp_path, "A_anchor.txt")
    write(tmp_path, "student.txt")
    essays = read_essays(tmp_path, exclude={anchor.resolve()})
    assert [e.essay_id for e in essays] == ["student.txt"]


def test_an_empty_essay_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("x")
    with pytest.raises(CliError, match="no essays found"):
        read_essays(tmp_path)
