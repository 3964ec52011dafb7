"""Text extraction from the file types `huleedu assess` accepts, on fixtures made here."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from fpdf import FPDF

from cli.errors import EXIT_BAD_INPUT, CliError
from cli.io.extract import extract_text

ESSAY = "Phones in school\n\nI think phones should be banned during lessons because they distract."


def make_pdf(path: Path, lines: list[str]) -> Path:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def make_docx(path: Path, paragraphs: list[str]) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    document.save(str(path))
    return path


def test_plain_text_is_read_with_normalised_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"Title\r\n\r\nBody line   \r\n")
    assert extract_text(path) == "Title\n\nBody line\n"


def test_page_breaks_become_line_breaks_and_other_controls_are_dropped(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"Page one\x0cPage\x00 two\x1b\x0bend\n")  # the services refuse controls
    assert extract_text(path) == "Page one\nPage two\nend\n"


def test_a_file_of_only_invisible_characters_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("\u200b \u00a0\ufeff\n", encoding="utf-8")
    with pytest.raises(CliError, match="the file is empty"):
        extract_text(path)


def test_markdown_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Title\n\nSome *words*.\n")
    assert extract_text(path) == "# Title\n\nSome *words*.\n"


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes("Smörgåsbord – café".encode("cp1252"))
    assert extract_text(path) == "Smörgåsbord – café\n"


def test_docx_paragraphs_become_lines(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "essay.docx", ["Phones in school", "", "They distract us."])
    assert extract_text(path) == "Phones in school\n\nThey distract us.\n"


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "essay.pdf", ["Phones in school", "They distract us in lessons."])
    text = extract_text(path)
    assert "Phones in school" in text
    assert "They distract us in lessons." in text


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "unreadable PDF"),
        ("broken.docx", b"PK\x03\x04 not a zip", "unreadable .docx"),
        ("empty.txt", b"   \n\n", "the file is empty"),
        ("essay.rtf", b"{\\rtf1 hello}", "unsupported file type .rtf"),
    ],
)
def test_bad_files_give_one_line_reasons(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CliError) as caught:
        extract_text(path)
    assert message in caught.value.message
    assert str(path) in caught.value.message
    assert "\n" not in caught.value.message
    assert caught.value.exit_code == EXIT_BAD_INPUT


def test_a_pdf_without_text_says_it_needs_ocr(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.rect(20, 20, 50, 50)  # a drawing, like a scanned page: no text layer
    pdf.output(str(tmp_path / "scan.pdf"))
    with pytest.raises(CliError, match="no text found .*OCR"):
        extract_text(tmp_path / "scan.pdf")


def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CliError, match="no such file"):
        extract_text(tmp_path / "missing.txt")
