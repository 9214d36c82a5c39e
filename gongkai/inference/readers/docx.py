"""Word .docx files read straight from their XML, tables written like HTML tables.

Only ``zipfile`` and lxml are needed at run time. Paragraphs come in body order; a table
becomes one line per row, a ``gridSpan`` adds empty cells after its text and a
``vMerge``/``hMerge`` continuation is an empty cell, so the grid matches the HTML reader's.
"""

from __future__ import annotations

import io
import zipfile
import zlib

from lxml import etree

from gongkai.errors import CorruptFileError, EmptyInputError, ResourceLimitError, UnsupportedFormatError
from gongkai.inference.document import Document
from gongkai.inference.readers.grid import join_segments, write_grid
from gongkai.inference.readers.sniff import DOCX
from gongkai.limits import current_limits

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DEFAULT_MAIN_PART = "word/document.xml"
PACKAGE_RELS_PART = "_rels/.rels"
OFFICE_DOCUMENT_REL_SUFFIX = "/officeDocument"
WORD_DOCUMENT_ROOT = "document"
# Paragraph-level wrappers whose children are body content (content controls, custom XML,
# tracked insertions and moves).
TRANSPARENT_WRAPPERS = frozenset({"sdt", "sdtContent", "customXml", "ins", "moveTo", "smartTag"})
MC_NAMESPACE = "http://schemas.openxmlformats.org/markup-compatibility/2006"

OLD_DOC_MESSAGE = (
    "old binary Word .doc (or an encrypted/other OLE Office file) is not supported: "
    "open it in Word or WPS and save it as .docx or PDF"
)

_XML_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=True)
_ZIP_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError, NotImplementedError)


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


class _Body:
    """Renders WordprocessingML elements of one namespace (transitional or strict)."""

    def __init__(self, namespace: str) -> None:
        self.ns = namespace
        self.lines: list[str] = []
        self.tables = 0
        self._run_tags = {self._q(name) for name in ("t", "tab", "br", "cr", "noBreakHyphen")}

    def _q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def _attr(self, el: etree._Element | None, name: str = "val") -> str | None:
        return None if el is None else el.get(self._q(name))

    def blocks(self, container: etree._Element) -> list[etree._Element]:
        """Paragraphs and tables of a body or cell, in order, looking through wrappers."""
        out: list[etree._Element] = []
        for child in container:
            name = _local(child)
            if name in ("p", "tbl"):
                out.append(child)
            elif name in TRANSPARENT_WRAPPERS:
                out.extend(self.blocks(child))
        return out

    def paragraph_lines(self, p: etree._Element) -> list[str]:
        """The text of a paragraph, split at its manual line breaks."""
        parts: list[str] = []
        for el in p.iter(*self._run_tags):
            name = _local(el)
            if name == "t":
                parts.append(el.text or "")
            elif name == "noBreakHyphen":
                parts.append("-")
            elif _local(el.getparent()) == "r":  # w:tab/w:br also occur as tab-stop/style definitions
                parts.append("\t" if name == "tab" else "\n")
        return "".join(parts).split("\n")

    def render(self, container: etree._Element) -> None:
        for block in self.blocks(container):
            if _local(block) == "tbl":
                self.table(block)
                continue
            for line in self.paragraph_lines(block):
                if line.strip():
                    self.lines.append(line.rstrip())

    def _rows(self, table: etree._Element) -> list[etree._Element]:
        return _children_named(table, "tr")

    def _cells(self, row: etree._Element) -> list[etree._Element]:
        return _children_named(row, "tc")

    def _grid_value(self, props: etree._Element | None, name: str) -> int:
        value = self._attr(None if props is None else props.find(self._q(name)))
        return int(value) if value and value.isdigit() else 0

    def _is_continuation(self, tc_props: etree._Element | None) -> bool:
        """A cell that a vertical or legacy horizontal merge covers."""
        if tc_props is None:
            return False
        for name in ("vMerge", "hMerge"):
            merge = tc_props.find(self._q(name))
            if merge is not None and self._attr(merge) in (None, "continue"):
                return True
        return False

    def _row_cells(self, row: etree._Element) -> list[etree._Element | None]:
        """Grid positions of a row: the cell at its first column, None where covered or skipped."""
        row_props = row.find(self._q("trPr"))
        out: list[etree._Element | None] = [None] * self._grid_value(row_props, "gridBefore")
        for tc in self._cells(row):
            props = tc.find(self._q("tcPr"))
            out.append(None if self._is_continuation(props) else tc)
            out.extend([None] * (max(self._grid_value(props, "gridSpan"), 1) - 1))
        out.extend([None] * self._grid_value(row_props, "gridAfter"))
        return out

    def _cell_text(self, tc: etree._Element, nested: list[etree._Element]) -> str:
        segments: list[str] = []
        for block in self.blocks(tc):
            if _local(block) == "tbl":
                nested.append(block)
            else:
                segments.extend(self.paragraph_lines(block))
        return join_segments(segments)

    def table(self, table: etree._Element) -> None:
        grid = [self._row_cells(row) for row in self._rows(table)]
        if write_grid(grid, self._cell_text, self.render, self.table, self.lines):
            self.tables += 1


def _read_part(archive: zipfile.ZipFile, name: str, path: str | None) -> bytes:
    """One part's bytes, refused before inflating when its size passes ``Limits.max_part_bytes``.

    zipfile stops inflating at the size the archive declares, so checking that size bounds
    the memory even when the compressed data would inflate further.
    """
    limit = current_limits().max_part_bytes
    size = archive.getinfo(name).file_size
    if size > limit:
        raise ResourceLimitError(f"{name} inflates to {size} bytes, more than the {limit} allowed "
                                 "(Limits.max_part_bytes): a zip bomb, not a report", path=path)
    return archive.read(name)


def _package_relationships(archive: zipfile.ZipFile, path: str | None) -> list[etree._Element]:
    """The package's relationship elements; none when _rels/.rels is missing or unreadable."""
    try:
        return list(etree.fromstring(_read_part(archive, PACKAGE_RELS_PART, path), _XML_PARSER))
    except (KeyError, *_ZIP_READ_ERRORS, etree.XMLSyntaxError):
        return []


def _main_part(archive: zipfile.ZipFile, path: str | None) -> str | None:
    """The main document part named by the package relationships (word/document.xml usually)."""
    names = set(archive.namelist())
    for rel in _package_relationships(archive, path):
        target = (rel.get("Target") or "").lstrip("/")
        if (rel.get("Type") or "").endswith(OFFICE_DOCUMENT_REL_SUFFIX) and target in names:
            return target
    return DEFAULT_MAIN_PART if DEFAULT_MAIN_PART in names else None


def _load_main_part(data: bytes, path: str | None) -> etree._Element:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError) as exc:
        message = f"damaged or truncated .docx (not a readable zip archive: {exc})"
        raise CorruptFileError(message, path=path) from exc
    with archive:
        main = _main_part(archive, path)
        if main is None:
            raise UnsupportedFormatError("a zip archive but not a Word .docx (no main document)", path=path)
        try:
            xml = _read_part(archive, main, path)
        except _ZIP_READ_ERRORS as exc:
            raise CorruptFileError(f"damaged .docx: cannot extract {main} ({exc})", path=path) from exc
    try:
        root = etree.fromstring(xml, _XML_PARSER)
    except etree.XMLSyntaxError as exc:
        raise CorruptFileError(f"damaged .docx: {main} is not well-formed XML ({exc})", path=path) from exc
    if _local(root) != WORD_DOCUMENT_ROOT:
        raise UnsupportedFormatError(f"an Office file but not a Word .docx ({main})", path=path)
    # Drawings carry their text boxes twice (modern and VML fallback); keep one copy.
    etree.strip_elements(root, f"{{{MC_NAMESPACE}}}Fallback", with_tail=False)
    return root


def read_docx(data: bytes, path: str | None = None) -> Document:
    """A .docx as a Document; old .doc, non-docx zips, damaged or empty files raise."""
    if data.startswith(OLE_MAGIC):
        raise UnsupportedFormatError(OLD_DOC_MESSAGE, path=path)
    root = _load_main_part(data, path)
    namespace = etree.QName(root).namespace or ""
    body_el = root.find(f"{{{namespace}}}body")
    body = _Body(namespace)
    if body_el is not None:
        body.render(body_el)
    text = "\n".join(body.lines)
    if not text.strip():
        raise EmptyInputError("the .docx holds no text", path=path)
    return Document(text=text, media_type=DOCX, structured_tables=body.tables)


def _children_named(parent: etree._Element, name: str) -> list[etree._Element]:
    """Children called ``name``, looking through content controls and tracked-change wrappers."""
    found: list[etree._Element] = []
    for child in parent:
        local = _local(child)
        if local == name:
            found.append(child)
        elif local in TRANSPARENT_WRAPPERS:
            found.extend(_children_named(child, name))
    return found
