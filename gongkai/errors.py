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


class InputNotFoundError(GongkaiError, FileNotFoundError):
    """A path that names no readable file (missing, a directory, a name with NUL); still a FileNotFoundError."""

    code = "E007"


class ResourceLimitError(GongkaiError):
    """The input would inflate past a resource limit (``gongkai.limits.Limits``): a decompression
    bomb, an image of too many pixels. Checked before the memory is spent."""

    code = "E008"


class TimeLimitError(GongkaiError):
    """The file took longer than the time limit (``extract(time_limit=…)``, ``gongkai batch --time-limit``)."""

    code = "T001"


class LabelFileError(GongkaiError):
    """A round or export file that cannot be used: not JSON, empty, or another project's."""

    code = "L001"


class AnchorError(GongkaiError):
    """An imported label whose sentence is no longer where it was (document or reader changed), or missing."""

    code = "L002"


class FrozenSplitError(GongkaiError):
    """An import that would add to or change the frozen test split."""

    code = "L003"
