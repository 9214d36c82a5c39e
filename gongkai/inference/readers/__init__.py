"""Readers: the bytes of a report file in, one normalised ``Document`` out.

The format is sniffed from the content (the extension only breaks ties), so a PDF saved as
``.html`` or a GBK page declared as UTF-8 is still read right.
"""

from __future__ import annotations

import os
from pathlib import Path

from gongkai.errors import InputTooLargeError, UnsupportedFormatError
from gongkai.inference.document import Document
from gongkai.inference.readers.docx import read_docx
from gongkai.inference.readers.html import read_html
from gongkai.inference.readers.image import read_image_file
from gongkai.inference.readers.pdf import read_pdf
from gongkai.inference.readers.sniff import (
    DOCX,
    IMAGE_TYPES,
    MSWORD,
    PDF,
    RTF,
    TEXT_HTML,
    ZIP,
    decode,
    decode_text,
    sniff_binary,
    sniff_media_type,
    sniff_text_type,
)
from gongkai.inference.readers.text import read_text
from gongkai.limits import DEFAULT_LIMITS, current_limits

__all__ = ["MAX_INPUT_BYTES", "decode_text", "read_bytes", "read_path", "sniff_media_type"]

# The default input limit (``Limits.max_input_bytes``), for callers that size inputs before reading.
MAX_INPUT_BYTES = DEFAULT_LIMITS.max_input_bytes

ZIP_MESSAGE = "a zip archive that is not a Word .docx: unpack it and read the report files inside"
RTF_MESSAGE = "RTF is not supported: save the file as .docx or PDF"


def read_bytes(data: bytes, path: str | None = None) -> Document:
    """Read one report file given as bytes; ``path`` names it in errors and breaks ties.

    Raises EmptyInputError, UnsupportedFormatError (.doc, other zips, binary junk),
    CorruptFileError (damaged PDF/.docx/image), MissingDependencyError (a scan without the
    ocr extra) or InputTooLargeError.
    """
    limit = current_limits().max_input_bytes
    if len(data) > limit:
        raise InputTooLargeError(f"{len(data)} bytes is more than the {limit} allowed", path=path)
    media_type = sniff_binary(data, path)
    if media_type == PDF:
        return read_pdf(data, path)
    if media_type in (DOCX, MSWORD):
        return read_docx(data, path)
    if media_type in IMAGE_TYPES:
        return read_image_file(data, media_type, path)
    if media_type == ZIP:
        raise UnsupportedFormatError(ZIP_MESSAGE, path=path)
    if media_type == RTF:
        raise UnsupportedFormatError(RTF_MESSAGE, path=path)
    decoded = decode(data, path)
    text_type = sniff_text_type(decoded.text, path)
    if text_type == TEXT_HTML:
        return read_html(decoded, path)
    return read_text(decoded, text_type)


def read_path(path: str | os.PathLike[str]) -> Document:
    """Read one report file from disk (see ``read_bytes``)."""
    file = Path(path)
    size = file.stat().st_size
    limit = current_limits().max_input_bytes
    if size > limit:
        raise InputTooLargeError(f"{size} bytes is more than the {limit} allowed", path=str(path))
    return read_bytes(file.read_bytes(), str(path))
