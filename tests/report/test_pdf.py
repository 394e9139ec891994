"""The combined demo report printed to PDF by headless Chromium, read back with pypdf: page numbers
and the running header on every page (the document's ``@page`` margin boxes), bookmarks holding
the headings, a tagged PDF, no heading stranded at a page's foot, readable by others, and every
number of a table cell extracted as the same number (no footnote mark glued to it)."""

from __future__ import annotations

import html as html_text
import re
import stat
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from ovaregen.demo import demo_steps
from ovaregen.report.pdf import find_browser, print_to_pdf

NUMBER_CELL = re.compile(r"[<>≤≥]?\s?[−-]?\d[\d,]*(\.\d+)?%?")
"""A table cell holding one number (``0.047``, ``< 0.001``, ``68.3%``, ``145``)."""
LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"})
"""Chromium prints "fl" as one glyph; its text is the ligature character."""


@dataclass(frozen=True)
class Printed:
    html: str
    reader: PdfReader
    pages: list[str]
    path: Path


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> Printed:
    if find_browser() is None:
        pytest.fail("Chromium is not installed: run `make test` (it installs Debian's chromium)")
    steps, html = demo_steps(tmp_path_factory.mktemp("demo"))
    for step in steps:
        step.run()
    pdf = html.with_suffix(".pdf")
    print_to_pdf(html, pdf)
    reader = PdfReader(pdf)
    pages = [page.extract_text().translate(LIGATURES) for page in reader.pages]
    return Printed(html.read_text(encoding="utf-8"), reader, pages, pdf)


class _Document(HTMLParser):
    """The document's headings (h1–h3) and the text of its table cells, footnote marks apart."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[tuple[str, str]] = []
        """Each cell's (text, footnote marks)."""
        self._heading: list[str] | None = None
        self._cell: list[str] | None = None
        self._marks: list[str] = []
        self._sup = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("h1", "h2", "h3"):
            self._heading = []
        elif tag == "td":
            self._cell, self._marks = [], []
        elif tag == "sup":
            self._sup += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(" ".join("".join(self._heading).split()))
            self._heading = None
        elif tag == "td" and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.cells.append((text, "".join("".join(self._marks).split())))
            self._cell = None
        elif tag == "sup":
            self._sup -= 1

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._cell is not None:
            (self._marks if self._sup else self._cell).append(data)


def _document(html: str) -> _Document:
    parser = _Document()
    parser.feed(html)
    return parser


def _outline(reader: PdfReader) -> list[tuple[str, int]]:
    """Every bookmark as (title, index of its page)."""
    found: list[tuple[str, int]] = []

    def walk(entries: list[Any]) -> None:
        for entry in entries:
            if isinstance(entry, list):
                walk(entry)
            else:
                page = reader.get_destination_page_number(entry)
                assert page is not None, f"bookmark {entry.title!r} leads to no page"
                found.append((str(entry.title), page))

    walk(reader.outline)
    return found


def _margin_box_strings(html: str) -> list[str]:
    """The literal strings of the document's top ``@page`` margin boxes (the running header)."""
    boxes = re.findall(r"@top-[a-z-]+\s*\{([^}]*)\}", html)
    contents = [m for box in boxes for m in re.findall(r"content\s*:\s*([^;]+)", box)]
    strings = [s for content in contents for s in re.findall(r'"((?:[^"\\]|\\.)*)"', content)]
    return [_css_unescaped(s) for s in strings if s.strip()]


def _css_unescaped(text: str) -> str:
    """A CSS string's text: ``\\b7`` is ``·`` (a whitespace after the hex digits belongs to the
    escape, CSS Syntax 4.3.7), ``\\"`` is ``"``."""
    return re.sub(
        r"\\([0-9a-fA-F]{1,6})[ \t\n\r\f]?|\\(.)",
        lambda m: chr(int(m.group(1), 16)) if m.group(1) else m.group(2),
        text,
    )


def test_the_pdf_has_several_pages_each_numbered(printed: Printed) -> None:
    total = len(printed.pages)
    assert total > 1
    for number, text in enumerate(printed.pages, start=1):
        pattern = rf"(?<!\d){number}\s*(of|/)\s*{total}(?!\d)"
        assert re.search(pattern, text), f"page {number} does not say '{number} of {total}'"


def test_every_page_carries_the_running_header(printed: Printed) -> None:
    assert re.search(r"@top-[a-z-]+\s*\{", printed.html), "the document has no @page header box"
    header = _margin_box_strings(printed.html)
    assert header, "the running header prints no literal text"
    for number, text in enumerate(printed.pages, start=1):
        flat = " ".join(text.split())
        for words in header:
            assert " ".join(words.split()) in flat, f"page {number} lacks the header {words!r}"


def test_the_bookmarks_hold_the_study_headings(printed: Printed) -> None:
    titles = [" ".join(t.split()) for t, _ in _outline(printed.reader)]
    study_headings = re.findall(r'<section class="study"[^>]*>\s*<h2[^>]*>(.*?)</h2>', printed.html)
    assert len(study_headings) == 3
    for heading in study_headings:
        assert " ".join(html_text.unescape(re.sub(r"<[^>]+>", "", heading)).split()) in titles
    assert set(_document(printed.html).headings) <= set(titles)


def test_the_pdf_is_tagged(printed: Printed) -> None:
    root = printed.reader.root_object
    assert "/StructTreeRoot" in root
    mark_info = root["/MarkInfo"].get_object()
    assert isinstance(mark_info, DictionaryObject) and mark_info["/Marked"]


def _after_footer(text: str, html: str) -> str:
    """``text`` without the page's margin boxes (page number, running header)."""
    text = re.sub(r"(Page\s*)?\d+\s*(of|/)\s*\d+", "", text)
    for words in _margin_box_strings(html):
        text = text.replace(" ".join(words.split()), "")
    return text.strip()


def test_no_heading_is_stranded_at_the_foot_of_a_page(printed: Printed) -> None:
    """Every heading (a bookmark) and every table caption is followed, on its page, by more
    than the page's margin boxes (a caption's last occurrence: the contents list it first)."""
    flat_pages = [" ".join(page.split()) for page in printed.pages]
    for title, page in _outline(printed.reader):
        flat = " ".join(title.split())
        text = flat_pages[page]
        assert flat in text, f"bookmark {title!r} is not on its page {page + 1}"
        after = text[text.rindex(flat) + len(flat) :]
        assert _after_footer(after, printed.html), f"heading {title!r} ends page {page + 1}"
    captions = re.findall(r"<caption[^>]*>(.*?)</caption>", printed.html, re.S)
    assert captions
    for caption in captions:
        flat = " ".join(html_text.unescape(re.sub(r"<[^>]+>", "", caption)).split())
        pages = [i for i, text in enumerate(flat_pages) if flat in text]
        assert pages, f"the caption {flat!r} is printed on no page in one piece"
        last = pages[-1]  # the caption itself: the contents list it before
        after = flat_pages[last][flat_pages[last].rindex(flat) + len(flat) :]
        assert _after_footer(after, printed.html), f"caption {flat!r} ends page {last + 1}"


def _standalone(number: str) -> re.Pattern[str]:
    """``number`` as a token: no letter or digit glued before or after it."""
    return re.compile(rf"(?<![\w.,]){re.escape(number)}(?!\w|[.,]\d)")


def test_a_number_in_a_table_cell_reads_back_as_that_number(printed: Printed) -> None:
    text = " ".join(" ".join(printed.pages).split())
    every = _document(printed.html).cells
    cells = [(t, m) for t, m in every if NUMBER_CELL.fullmatch(t)]
    assert len({t for t, _ in cells}) > 50
    missing = sorted({t for t, _ in cells if not _standalone(t).search(text)})
    assert missing == [], f"numbers not extracted as themselves: {missing[:20]}"
    lettered = {(t, m) for t, m in every if m.isalpha() and t[-1:].isdigit()}
    glued = sorted(
        t + m for t, m in lettered if re.search(rf"(?<![\w.,]){re.escape(t)}{m}\b", text)
    )
    assert glued == [], f"a footnote mark is glued to a number: {glued[:20]}"


def test_the_pdf_is_readable_by_others(printed: Printed) -> None:
    mode = printed.path.stat().st_mode
    assert mode & stat.S_IRGRP and mode & stat.S_IROTH
