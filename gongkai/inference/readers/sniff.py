"""Telling what a file is from its bytes, and decoding text files whatever their encoding.

Scraped archives name files carelessly (a PDF saved as ``.html``, GBK pages declared as
UTF-8), so the content decides and the extension only breaks ties.
"""

from __future__ import annotations

import codecs
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from gongkai.errors import EmptyInputError, UnsupportedFormatError

TEXT_PLAIN = "text/plain"
TEXT_MARKDOWN = "text/markdown"
TEXT_HTML = "text/html"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ZIP = "application/zip"
MSWORD = "application/msword"
RTF = "application/rtf"
PNG = "image/png"
JPEG = "image/jpeg"
TIFF = "image/tiff"
GIF = "image/gif"
WEBP = "image/webp"
OCTET_STREAM = "application/octet-stream"

IMAGE_TYPES = frozenset({PNG, JPEG, TIFF, GIF, WEBP})

# PDF readers accept the header anywhere in the first KiB (junk before it is common).
PDF_HEADER_WINDOW = 1024
# Where to look for <meta charset> / <?xml encoding?> declarations and for HTML markers.
DECLARATION_WINDOW_BYTES = 4096
HTML_SNIFF_CHARS = 2048
# A text with more block-level tags than this near its start is HTML even without <html>.
MIN_HTML_BLOCK_TAGS = 5
# Share of NUL bytes above which the input is binary (a few NULs from bad scrapes are removed).
MAX_NUL_RATIO = 0.01
# Share of C0 control bytes (other than tab, newlines, form feed, escape) above which input is binary;
# text in any encoding we read has practically none. Checked on the first CONTROL_SNIFF_BYTES.
MAX_CONTROL_RATIO = 0.01
CONTROL_SNIFF_BYTES = 65536
_CONTROL_BYTES_RE = re.compile(rb"[\x01-\x08\x0e-\x1a\x1c-\x1f]")
# Share of printable characters a decoded text must reach to be taken as text.
MIN_PRINTABLE_RATIO = 0.85

_PDF_HEADER_RE = re.compile(rb"%PDF-\d")
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_MAGICS: tuple[tuple[bytes, str], ...] = (
    (_OLE_MAGIC, MSWORD),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"{\\rtf", RTF),
)
_DOCX_MAIN_PART = "word/document.xml"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Pages declaring any of these use GBK characters in practice; GB18030 decodes them all.
_GB_FAMILY = frozenset({"gb2312", "gbk", "gb18030"})
_GB_CODEC = "gb18030"
_WIDE_UNICODE_CODECS = ("utf-16", "utf-32")
# Names browsers accept that Python's codec registry does not.
_CHARSET_ALIASES = {"x-gbk": "gbk", "x-euc-cn": "gb2312"}
_DECLARED_CHARSET_RE = re.compile(
    rb"<meta[^>]{0,512}?charset\s*=\s*[\"']?\s*([a-z0-9_.:\-]+)|<\?xml[^>]{0,200}?encoding\s*=\s*[\"']([a-z0-9_.:\-]+)",
    re.IGNORECASE,
)
# Control characters other than tab/newline/form feed, C1 controls, the replacement character
# and private-use code points (what binary data decodes to).
_NON_PRINTABLE_RE = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd\ue000-\uf8ff]")

_HTML_START_RE = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    r"<(?:!doctype\s+html|html|head|body|meta|title|table|div|p|span|h[1-6]|article|section|font|center)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_BLOCK_TAG_RE = re.compile(r"</?(?:p|div|table|tr|td|th|body|html|li|h[1-6])\b[^>]*>", re.IGNORECASE)
_HTML_ANY_TAG_RE = re.compile(r"</?[a-z][a-z0-9:]*\b[^>]*>", re.IGNORECASE)
_MD_TABLE_SEPARATOR_RE = re.compile(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*\|", re.MULTILINE)
_MD_HEADING_RE = re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE)

_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml"})
_MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})


@dataclass(frozen=True)
class DecodedText:
    text: str
    encoding: str
    # True when no encoding decoded every byte and undecodable bytes became U+FFFD.
    lossy: bool = False


def _suffix(path: str | None) -> str:
    return PurePath(path).suffix.lower() if path else ""


def _sniff_zip(data: bytes, path: str | None) -> str:
    """A .docx is a zip holding word/document.xml; a truncated one still names it early on."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        looks_like_docx = _DOCX_MAIN_PART.encode() in data or b"word/" in data[:DECLARATION_WINDOW_BYTES]
        return DOCX if looks_like_docx or _suffix(path) == ".docx" else ZIP
    return DOCX if _DOCX_MAIN_PART in names else ZIP


def sniff_binary(data: bytes, path: str | None = None) -> str | None:
    """Media type of a binary container recognised by its signature, or None for text."""
    if _PDF_HEADER_RE.search(data, 0, PDF_HEADER_WINDOW):
        return PDF
    if data.startswith(_ZIP_MAGICS):
        return _sniff_zip(data, path)
    for magic, media_type in _MAGICS:
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    return None


# Codecs Python calls text encodings that no web page is written in: escapes, domain-name
# encodings, the codec that refuses everything, UTF-7 (a known way to smuggle markup).
NOT_PAGE_ENCODINGS = frozenset({"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "utf-7",
                                "mbcs", "oem", "palmos", "cp65001"})


def _declared_charset(data: bytes) -> str | None:
    """The codec name a <meta charset> or XML declaration names, if Python knows it.

    A UTF-16/32 declaration that could be read as ASCII is false (browsers ignore it too).
    """
    match = _DECLARED_CHARSET_RE.search(data[:DECLARATION_WINDOW_BYTES])
    if match is None:
        return None
    name = (match.group(1) or match.group(2)).decode("ascii").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in NOT_PAGE_ENCODINGS:
        return None  # rot13, base64, idna, punycode, undefined…: a page cannot be written in them
    return None if info.name.startswith(_WIDE_UNICODE_CODECS) else info.name


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeError, LookupError, ValueError):
        return None


def _decode(data: bytes) -> DecodedText:
    """Pick the encoding: BOM, then valid UTF-8, then the declared charset, then GB18030.

    Valid UTF-8 wins over a declaration because GBK bytes are practically never valid UTF-8,
    while UTF-8 bytes often decode "successfully" as GBK into mojibake: a page that declares
    gbk but holds UTF-8 is read as UTF-8.
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            body = data if encoding == "utf-8-sig" else data[len(bom):]
            text = _strict(body, encoding)
            if text is not None:
                return DecodedText(text, encoding)
            return DecodedText(body.decode(encoding, errors="replace"), encoding, lossy=True)
    text = _strict(data, "utf-8")
    if text is not None:
        return DecodedText(text, "utf-8")
    declared = _declared_charset(data)
    codec = _GB_CODEC if declared in _GB_FAMILY else declared
    candidates = [c for c in (codec, _GB_CODEC) if c and c != "utf-8"]
    for encoding in candidates:
        text = _strict(data, encoding)
        if text is not None:
            return DecodedText(text, encoding)
    lossy = [DecodedText(data.decode(c, errors="replace"), c, lossy=True) for c in [*candidates, "utf-8"]]
    return min(lossy, key=lambda d: d.text.count("\ufffd"))


def decode(data: bytes, path: str | None = None) -> DecodedText:
    """Decode a text file, refusing empty input and binary data that is not text at all."""
    if not data.strip(b" \t\r\n\x0b\x0c\x00"):
        raise EmptyInputError("the input is empty", path=path)
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    if not utf16 and data.count(b"\x00") > MAX_NUL_RATIO * len(data):
        raise UnsupportedFormatError("binary data (NUL bytes): not a text, HTML, PDF or .docx", path=path)
    if not utf16 and len(_CONTROL_BYTES_RE.findall(data[:CONTROL_SNIFF_BYTES])) > MAX_CONTROL_RATIO * min(
            len(data), CONTROL_SNIFF_BYTES):
        # GB18030 decodes any byte sequence, so undecodable junk must be caught before decoding.
        raise UnsupportedFormatError("binary data (control bytes): not a text, HTML, PDF or .docx", path=path)
    decoded = _decode(data)
    text = decoded.text
    if not text.strip("\ufeff\x00 \t\r\n\x0b\x0c\u3000\xa0"):
        raise EmptyInputError("the input holds only whitespace", path=path)
    bad = len(_NON_PRINTABLE_RE.findall(text))
    if bad > (1 - MIN_PRINTABLE_RATIO) * len(text):
        raise UnsupportedFormatError(
            f"binary data: only {1 - bad / len(text):.0%} of the decoded characters are printable "
            "(not a text, HTML, PDF or .docx file, or an unknown text encoding)",
            path=path,
        )
    return decoded


def decode_text(data: bytes) -> tuple[str, str]:
    """Decoded text and the encoding used (a Python codec name such as ``gb18030``)."""
    decoded = decode(data)
    return decoded.text, decoded.encoding


def _is_markdown(text: str) -> bool:
    """Pipe-table separator rows or ``#`` headings (substring tests first: the regexes are slow)."""
    if "|" in text and "--" in text and _MD_TABLE_SEPARATOR_RE.search(text):
        return True
    return "#" in text and _MD_HEADING_RE.search(text) is not None


def sniff_text_type(text: str, path: str | None = None) -> str:
    """HTML, Markdown or plain text, from the decoded content; the extension breaks ties."""
    head = text[:HTML_SNIFF_CHARS]
    if _HTML_START_RE.match(head):
        return TEXT_HTML
    if _is_markdown(text):
        return TEXT_MARKDOWN
    if len(_HTML_BLOCK_TAG_RE.findall(head)) > MIN_HTML_BLOCK_TAGS:
        return TEXT_HTML
    suffix = _suffix(path)
    if suffix in _HTML_SUFFIXES and _HTML_ANY_TAG_RE.search(head):
        return TEXT_HTML
    if suffix in _MARKDOWN_SUFFIXES:
        return TEXT_MARKDOWN
    return TEXT_PLAIN


def sniff_media_type(data: bytes, path: str | None = None) -> str:
    """The media type of ``data``; binary junk is ``application/octet-stream``.

    Raises EmptyInputError for empty or whitespace-only input.
    """
    binary = sniff_binary(data, path)
    if binary is not None:
        return binary
    try:
        decoded = decode(data, path)
    except UnsupportedFormatError:
        return OCTET_STREAM
    return sniff_text_type(decoded.text, path)
