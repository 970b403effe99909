"""Turn one user file into plain-text documents, or say in a few words why it cannot be read.

`rag-vs-ft domain init` points at folders we have never seen, so every failure (too big, corrupt,
binary, unsupported) becomes an `ExtractError` with a short reason the user can act on, never a
traceback. Parsing is left to established libraries (langchain's loaders, markdownify for HTML); this module only picks one per
extension, adds an encoding fallback (their autodetection needs `chardet`, which we do not ship),
finds a title, and keeps their warnings and log output off the user's terminal.
"""

from __future__ import annotations

import csv
import logging
import re
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

from rag_vs_ft.store import jsonl_lines

MAX_BYTES = 20 * 1024 * 1024
TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".rst", ".text"}
SUFFIXES = TEXT_SUFFIXES | {".html", ".htm", ".pdf", ".jsonl", ".csv"}
ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")  # latin-1 decodes anything: binary is caught afterwards
_RULE = re.compile(r"^([=\-~^*#+`:.'\"_])\1{2,}\s*$")  # an RST/setext underline
_ATX = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$")

for _name in ("pypdf", "bs4"):  # pypdf logs every recoverable oddity of a PDF at WARNING
    logging.getLogger(_name).setLevel(logging.ERROR)


class ExtractError(ValueError):
    """A file cannot be turned into text; the message is the short reason shown to the user."""


@dataclass(frozen=True)
class Extracted:
    key: str  # "" for a whole file; the row id or "rowN" for a row of a .jsonl/.csv file
    title: str
    text: str


def extract(path: Path, max_bytes: int = MAX_BYTES) -> list[Extracted]:
    """One item for a document file, one per row for .jsonl/.csv; `notes.rst.txt` is read as text."""
    kind = path.suffix.lower()
    if kind not in SUFFIXES:
        raise ExtractError(f"unsupported file type {kind or '(no extension)'!r}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractError(f"cannot read the file ({exc.strerror})") from None
    if size > max_bytes:
        raise ExtractError(f"file is {size / 2**20:.0f} MB, over the {max_bytes / 2**20:.0f} MB limit")
    with warnings.catch_warnings():  # bs4 and pypdf warn about every quirk of the markup they fix up
        warnings.simplefilter("ignore")
        if kind in TEXT_SUFFIXES:
            text = _decoded(path, _text_loader)
            return [Extracted("", _text_title(text, path), text.strip())]
        items = {".pdf": _pdf, ".jsonl": _jsonl, ".csv": _csv, ".html": _html, ".htm": _html}[kind](path)
    if not items:
        raise ExtractError("no rows")
    return items


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:100]


def _looks_binary(text: str) -> bool:
    """Control characters other than whitespace mean the bytes were never text (or the decoding is wrong)."""
    sample = text[:100_000]
    bad = sum(1 for c in sample if unicodedata.category(c) == "Cc" and c not in "\t\n\r\f\v")
    return bad > max(2, len(sample) // 200)


def _decoded(path: Path, read):
    """Call `read(path, encoding) -> (text, value)` with UTF-8, then Western fallbacks; refuse binary data."""
    with open(path, "rb") as f:
        if b"\x00" in f.read(8192):
            raise ExtractError("binary data, not text")
    for encoding in ENCODINGS:
        try:
            text, value = read(path, encoding)
        except UnicodeDecodeError:
            continue
        except Exception as exc:  # the langchain loaders wrap every read error in RuntimeError
            if isinstance(exc.__cause__, UnicodeDecodeError):
                continue
            raise ExtractError(f"cannot read the file ({_reason(exc.__cause__ or exc)})") from None
        if not _looks_binary(text):
            return value
    raise ExtractError("binary data, not text")


def _text_loader(path: Path, encoding: str) -> tuple[str, str]:
    from langchain_community.document_loaders.text import TextLoader

    text = TextLoader(path, encoding=encoding).load()[0].page_content
    return text, text


def _text_title(text: str, path: Path) -> str:
    """First Markdown/RST heading for .md/.rst, else (or failing that) the first non-empty line."""
    lines = text.splitlines()
    if {".md", ".markdown", ".rst"} & {s.lower() for s in path.suffixes}:
        start = 0
        if lines and lines[0].strip() == "---":  # skip YAML front matter
            start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), 0)
        for i in range(start, len(lines)):
            line = lines[i].strip()
            if m := _ATX.match(line):
                return _short(m.group(1))
            if line and not _RULE.match(line) and i + 1 < len(lines) and _RULE.match(lines[i + 1].strip()):
                return _short(line)
    return _first_line(text) or path.stem


def _first_line(text: str) -> str:
    return _short(next((line.strip() for line in text.splitlines() if line.strip()), ""))


def _short(title: str, limit: int = 120) -> str:
    title = " ".join(title.split())
    return title if len(title) <= limit else title[: limit - 1].rstrip() + "…"


# Where a page keeps its text; navigation, headers and footers around it would repeat on every page.
_MAIN = ("main", "[role=main]", "article", "body")
_CHROME = "script, style, noscript, template, nav, header, footer, aside, .headerlink, [aria-hidden=true]"


def _html(path: Path) -> list[Extracted]:
    """HTML as Markdown (markdownify): a heading is one '#' line however its source wraps or whatever inline
    tags it holds, paragraphs are single lines, lists, tables and code blocks keep their shape."""
    from bs4 import BeautifulSoup
    from markdownify import MarkdownConverter

    def read(p: Path, encoding: str):
        raw = p.read_text(encoding=encoding)
        return raw, raw

    soup = BeautifulSoup(_decoded(path, read), "lxml")
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    for el in soup.select(_CHROME):
        el.decompose()
    main = next((el for sel in _MAIN if (el := soup.select_one(sel)) is not None), soup)
    text = MarkdownConverter(heading_style="ATX", bullets="-", strip=["a", "img", "em", "strong", "b", "i"],
                             escape_asterisks=False, escape_underscores=False, wrap=True,
                             wrap_width=None).convert_soup(main)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()
    return [Extracted("", _short(title) or _first_line(text).lstrip("# ") or path.stem, text)]


HEADING_SCALE = 1.15  # a line set this much larger than the body text is a heading


def _pdf_lines(page) -> list[tuple[str, float]]:
    """(line, font size) in reading order; a line's size is the largest of the runs it holds."""
    lines: list[tuple[str, float]] = []
    buf, size = [], 0.0

    def visit(text, cm, tm, font_dict, font_size):
        nonlocal buf, size
        scale = abs(tm[0] * tm[3] - tm[1] * tm[2]) ** 0.5 * abs(cm[0] * cm[3] - cm[1] * cm[2]) ** 0.5
        pieces = text.split("\n")
        for i, piece in enumerate(pieces):
            if piece.strip():
                buf.append(piece)
                size = max(size, font_size * (scale or 1.0))
            if i < len(pieces) - 1:
                lines.append(("".join(buf).strip(), size))
                buf, size = [], 0.0

    page.extract_text(visitor_text=visit)
    lines.append(("".join(buf).strip(), size))
    return [(t, s) for t, s in lines if t]


def _pdf_markdown(pages: list[list[tuple[str, float]]]) -> str:
    """Body lines as they are; lines in a larger font become one '#' heading per run of lines of the same size,
    so a heading that wraps over two lines is read whole. Heading levels follow the sizes, largest first."""
    weight: dict[float, int] = {}
    for t, s in (x for page in pages for x in page):
        weight[round(s, 1)] = weight.get(round(s, 1), 0) + len(t)
    body = max(weight, key=weight.get) if weight else 0.0
    levels = {s: i + 1 for i, s in enumerate(sorted((s for s in weight if s >= body * HEADING_SCALE), reverse=True)[:6])}
    out: list[str] = []
    for page in pages:
        heading, level = [], 0
        for text, size in page + [("", 0.0)]:
            lvl = levels.get(round(size, 1), 0)
            if heading and lvl != level:
                out += ["", "#" * level + " " + " ".join(heading), ""]
                heading = []
            if lvl:
                heading.append(text)
                level = lvl
            elif text:
                out.append(text)
        out.append("")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip()


def _pdf(path: Path) -> list[Extracted]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractError("PDF is encrypted")
        text = _pdf_markdown([_pdf_lines(p) for p in reader.pages])
        title = str((reader.metadata or {}).get("/Title", "") or "").strip()
    except ExtractError:
        raise
    except Exception as exc:  # pypdf raises a dozen different types for broken files
        if "Decrypt" in type(exc).__name__ or "password" in str(exc).lower() or "crypt" in str(exc).lower():
            raise ExtractError("PDF is encrypted") from None
        raise ExtractError(f"corrupt PDF ({_reason(exc)})") from None
    if not text:
        raise ExtractError("PDF has no text layer (scanned images?)")
    return [Extracted("", _short(title) or _first_line(text).lstrip("# "), text)]


def _jsonl(path: Path) -> list[Extracted]:
    out, keys = [], set()
    try:
        rows = jsonl_lines(_decoded(path, _text_loader))
    except ValueError as exc:
        raise ExtractError(str(exc)) from None
    for n, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("text"), str):
            raise ExtractError(f'line {n}: a row needs a "text" string field')
        out.append(_row(row, f"row{n}", keys))
    return out


def _row(row: dict, fallback: str, keys: set[str]) -> Extracted:
    """A row keeps its own id as key when it has a fresh one, so ids survive reordering of the file."""
    key = str(row.get("id") or "").strip()
    key = key if key and key not in keys else fallback
    while key in keys:  # a row whose own id was "row7" took the place of row 7
        key += "~"
    keys.add(key)
    text = row["text"].strip()
    return Extracted(key, _short(str(row.get("title") or "")) or _first_line(text) or key, text)


def _csv(path: Path) -> list[Extracted]:
    from langchain_community.document_loaders.csv_loader import CSVLoader

    csv.field_size_limit(max(csv.field_size_limit(), MAX_BYTES))

    def read(p: Path, encoding: str) -> tuple[str, list]:
        with open(p, newline="", encoding=encoding) as f:
            header = next(csv.reader(f), [])
        meta = [c for c in ("id", "title", "text") if c in header]
        rows = [(d.page_content, d.metadata) for d in CSVLoader(p, metadata_columns=meta, encoding=encoding).load()]
        return "\n".join(c + " " + str(m.get("text") or "") for c, m in rows), rows

    rows = _decoded(path, read)
    out, keys = [], set()
    for content, meta in rows:
        text = meta.get("text", content)  # no text column: the whole row, as "column: value" lines
        out.append(_row({**meta, "text": text or ""}, f"row{meta['row'] + 1}", keys))
    return out
