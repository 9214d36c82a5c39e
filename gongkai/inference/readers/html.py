"""HTML pages as government sites publish them, tables kept as tab-separated rows.

Pages are often Word exports (``<o:p>``, ``<span>`` soup, cells holding several ``<p>``) or
broken markup; lxml's HTML parser recovers from both. Block elements become lines, inline
text runs together, and every ``<table>`` becomes one line per row on the span-expanded grid
(see ``grid``), so the table reader sees the cells exactly where the page put them.
"""

from __future__ import annotations

import re

from lxml import etree

from gongkai.errors import CorruptFileError, EmptyInputError
from gongkai.inference.document import Document
from gongkai.inference.readers.grid import (
    SpanCell,
    collapse_spaces,
    expand_spans,
    join_segments,
    parse_span,
    spanned_cells,
    write_grid,
)
from gongkai.inference.readers.sniff import TEXT_HTML, DecodedText
from gongkai.inference.readers.text import decoding_warnings, normalise_newlines
from gongkai.limits import current_limits

# libxml2's complaint when a page nests past its depth limit (what is deeper is dropped).
_TOO_DEEP = "Excessive depth"
# Every tag but those that carry a table's or a paragraph's structure; then every tag.
_STRUCTURE_TAGS_RE = re.compile(r"</?(?!(?:table|tr|td|th|tbody|thead|p|br)\b)[a-zA-Z][^>]*>")
_NO_TAGS_RE = re.compile(r"<[^>]*>")

# Removed with their content: never text a reader of the page sees.
SKIPPED_TAGS = ("script", "style", "noscript", "template")
# Elements that start and end a line of their own.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd", "details",
        "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form",
        "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "legend", "li",
        "main", "menu", "nav", "ol", "option", "p", "section", "summary", "title", "ul",
        "tr", "td", "th", "thead", "tbody", "tfoot",
    }
)
# Rendered by their own rules rather than as flowing text.
OWN_RENDER_TAGS = frozenset({"table", "pre"})
# Inside a cell these start a new line of the cell (joined again by ``join_segments``).
CELL_BREAK_TAGS = BLOCK_TAGS | {"br", "pre", "table"}
CELL_TAGS = frozenset({"td", "th"})
ROW_GROUP_TAGS = frozenset({"thead", "tbody", "tfoot"})
IGNORED_TABLE_TAGS = frozenset({"colgroup", "col"})

_XML_PROLOG_RE = re.compile(r"^\s*<\?xml[^>]*>")

Stray = etree._Element | str


def _tag(el: etree._Element) -> str:
    """Lower-case tag name; "" for comments and other non-elements."""
    return el.tag.lower() if isinstance(el.tag, str) else ""


class _Renderer:
    """Walks the tree once, appending finished lines; table rows are written ready-made."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.tables = 0
        self.warnings: list[str] = []
        self._inline: list[str] = []

    def flush(self) -> None:
        """End the current line of flowing text."""
        if not self._inline:
            return
        line = collapse_spaces("".join(self._inline)).strip(" ")
        self._inline.clear()
        if line.strip():
            self.lines.append(line)

    def element(self, root: etree._Element) -> None:
        """Render ``root`` and its content (not its tail); iterative, as pages nest deeply."""
        walker = etree.iterwalk(root, events=("start", "end"))
        for event, el in walker:
            tag = _tag(el)
            if event == "start":
                if tag in OWN_RENDER_TAGS:
                    self.flush()
                    if tag == "pre":
                        self.preformatted(el)
                    else:
                        self.table(el)
                    walker.skip_subtree()
                    continue
                if tag in BLOCK_TAGS or tag == "br":
                    self.flush()
                if el.text and tag:
                    self._inline.append(el.text)
            else:
                if tag in BLOCK_TAGS:
                    self.flush()
                if el.tail and el is not root:
                    self._inline.append(el.tail)

    def preformatted(self, el: etree._Element) -> None:
        """<pre> keeps its own lines and spacing: it may hold a table drawn with spaces."""
        for line in normalise_newlines("".join(el.itertext())).split("\n"):
            if line.strip():
                self.lines.append(line.rstrip())

    def stray(self, pieces: list[Stray]) -> None:
        """Content misplaced inside a table; browsers show it before the table."""
        for piece in pieces:
            if isinstance(piece, str):
                self._inline.append(piece)
            else:
                self.element(piece)
            self.flush()

    def table(self, table: etree._Element) -> None:
        rows: list[etree._Element] = []
        stray: list[Stray] = []
        _collect_rows(table, rows, stray)
        self.stray(stray)
        cells = [[_span_cell(cell) for cell in _cells(row)] for row in rows]
        if spanned_cells(cells) > current_limits().max_table_cells:
            # rowspan/colspan that would lay out more cells than any report's table: read it unspanned.
            self.warnings.append(f"a table's rowspan/colspan would expand it past "
                                 f"{current_limits().max_table_cells} cells; spans ignored")
            cells = [[SpanCell(c.payload) for c in row] for row in cells]
        grid = expand_spans(cells)
        if write_grid(grid, _cell_text, self.element, self.table, self.lines):
            self.tables += 1


def _collect_rows(container: etree._Element, rows: list[etree._Element], stray: list[Stray]) -> None:
    """The <tr> of this table (through row groups and wrappers such as <form>), not of nested ones."""
    if container.text and container.text.strip():
        stray.append(container.text)
    for child in container:
        tag = _tag(child)
        if tag == "tr":
            rows.append(child)
        elif tag in ROW_GROUP_TAGS or (tag and tag != "table" and child.find(".//tr") is not None):
            _collect_rows(child, rows, stray)
        elif tag and tag not in IGNORED_TABLE_TAGS:
            stray.append(child)
        if child.tail and child.tail.strip():
            stray.append(child.tail)


def _cells(row: etree._Element) -> list[etree._Element]:
    """The <td>/<th> of a row, also when broken markup wraps them in another element."""
    cells: list[etree._Element] = []
    for child in row:
        tag = _tag(child)
        if tag in CELL_TAGS:
            cells.append(child)
        elif tag and tag != "table":
            cells.extend(_cells(child))
    return cells


def _span_cell(cell: etree._Element) -> SpanCell[etree._Element]:
    return SpanCell(cell, parse_span(cell.get("rowspan")), parse_span(cell.get("colspan")))


def _cell_text(cell: etree._Element, nested: list[etree._Element]) -> str:
    """One line of cell text; nested tables are set aside in ``nested`` to be written after."""
    segments: list[str] = [cell.text or ""]
    walker = etree.iterwalk(cell, events=("start", "end"))
    for event, el in walker:
        if el is cell:
            continue
        tag = _tag(el)
        if event == "start":
            if tag in CELL_BREAK_TAGS:
                segments.append("")
            if tag == "table":
                nested.append(el)
                walker.skip_subtree()
            elif el.text and tag:
                segments[-1] += el.text
        else:
            if tag in CELL_BREAK_TAGS:
                segments.append("")
            if el.tail:
                segments[-1] += el.tail
    return join_segments(segments)


def _parse(text: str, path: str | None) -> tuple[etree._Element, list[str]]:
    """The tree without script/style, and a warning when the parser gave up part way.

    libxml2 drops whatever nests deeper than 2048 elements, text included; such a page is
    parsed again with only its table and paragraph tags (then with none), so its words survive.
    """
    warnings: list[str] = []
    text = _XML_PROLOG_RE.sub("", text, count=1)
    for keep in (None, _STRUCTURE_TAGS_RE, _NO_TAGS_RE):
        if keep is not None:
            text = keep.sub(" ", text)
        # huge_tree lifts libxml2's nesting limit of 256, which Word/CMS pages can exceed.
        parser = etree.HTMLParser(remove_comments=True, remove_pis=True, no_network=True, huge_tree=True)
        root = etree.fromstring(text, parser)
        if not any(_TOO_DEEP in e.message for e in parser.error_log):
            break
        if keep is None:
            warnings.append("the HTML nests deeper than the parser allows: read without its inline and layout tags")
    if root is None:
        raise EmptyInputError("the HTML page is empty", path=path)
    etree.strip_elements(root, *SKIPPED_TAGS, with_tail=False)
    fatal = [e for e in parser.error_log if e.level == etree.ErrorLevels.FATAL]
    if fatal:
        warnings.append(f"the HTML could only be read in part: {fatal[0].message}")
    return root, warnings


def read_html(decoded: DecodedText, path: str | None = None) -> Document:
    """An HTML page as a Document, tables as tab-separated rows; raises when it shows no text."""
    root, warnings = _parse(decoded.text, path)
    renderer = _Renderer()
    try:
        renderer.element(root)
    except RecursionError as exc:
        raise CorruptFileError("the HTML nests tables too deeply to read", path=path) from exc
    renderer.flush()
    text = "\n".join(renderer.lines)
    if not text.strip():
        raise EmptyInputError("the HTML page holds no text", path=path)
    return Document(
        text=text,
        media_type=TEXT_HTML,
        encoding=decoded.encoding,
        structured_tables=renderer.tables,
        warnings=decoding_warnings(decoded) + warnings + renderer.warnings,
    )
