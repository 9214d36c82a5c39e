"""Plain text and Markdown: the decoded text with only newlines normalised.

Everything else stays as it is: full-width spaces carry the column layout, and Markdown pipes
are what the table reader parses.
"""

from __future__ import annotations

from gongkai.inference.document import Document
from gongkai.inference.readers.sniff import TEXT_PLAIN, DecodedText

BOM = "\ufeff"
LOSSY_WARNING = "some bytes could not be decoded as {encoding} and were replaced with U+FFFD"


def normalise_newlines(text: str) -> str:
    """``\\r\\n`` and lone ``\\r`` become ``\\n``; NUL characters and a leading BOM go."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "")
    return text.removeprefix(BOM)


def decoding_warnings(decoded: DecodedText) -> list[str]:
    """What a user should know about how the bytes became text."""
    return [LOSSY_WARNING.format(encoding=decoded.encoding)] if decoded.lossy else []


def read_text(decoded: DecodedText, media_type: str = TEXT_PLAIN) -> Document:
    """A text or Markdown file as a Document (Markdown keeps its syntax)."""
    return Document(
        text=normalise_newlines(decoded.text),
        media_type=media_type,
        encoding=decoded.encoding,
        warnings=decoding_warnings(decoded),
    )
