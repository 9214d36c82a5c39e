"""Errors with stable codes, so that batch logs and users can tell causes apart."""

from __future__ import annotations


class GongkaiError(Exception):
    """Base of every error gongkai raises on purpose; ``code`` is stable across releases."""

    code = "E000"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(f"[{self.code}] {where}{message}")


class EmptyInputError(GongkaiError):
    code = "E001"


class UnsupportedFormatError(GongkaiError):
    code = "E002"


class DecodeError(GongkaiError):
    code = "E003"


class CorruptFileError(GongkaiError):
    code = "E004"


class InputTooLargeError(GongkaiError):
    code = "E005"


class MissingDependencyError(GongkaiError):
    code = "E006"
