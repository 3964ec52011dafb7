"""Plain text out of .txt/.md/.docx/.pdf files, or a one-line reason why not."""

from __future__ import annotations

import logging
from pathlib import Path

from cli.errors import bad_input
from contracts.text import has_visible, sanitise

SUPPORTED = (".txt", ".md", ".docx", ".pdf")


def extract_text(path: Path) -> str:
    """The file's text with normalised line endings; CliError when it has none or is unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise bad_input(f"{path}: unsupported file type {suffix or '(none)'}; "
                        f"use {', '.join(SUPPORTED)}")
    if not path.is_file():
        raise bad_input(f"{path}: no such file")
    reader = {".pdf": _pdf_text, ".docx": _docx_text}.get(suffix, _plain_text)
    text = _normalise(reader(path))
    if not has_visible(text):
        raise bad_input(f"{path}: no text found (a scanned PDF needs OCR first)" if suffix == ".pdf"
                        else f"{path}: the file is empty")
    return text


def _plain_text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise bad_input(f"{path}: not UTF-8 or Windows-1252 text")


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would bury our one line
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise bad_input(f"{path}: the PDF is encrypted; save an unprotected copy")
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise bad_input(f"{path}: unreadable PDF ({_short(exc)})") from None


def _docx_text(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise bad_input(f"{path}: unreadable .docx ({_short(exc)})") from None
    return "\n".join(p.text for p in document.paragraphs)


def _normalise(text: str) -> str:
    """LF line ends; page breaks (form feed, common in PDF exports) and vertical tabs become
    line breaks, and other control characters, which the services refuse, are dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    lines = sanitise(text).split("\n")
    return "\n".join(line.rstrip() for line in lines).strip() + "\n"


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:120] if text else type(exc).__name__
