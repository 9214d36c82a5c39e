"""What a batch reads: files, folders (recursive), zip/tar archives and WARC crawls, as a stream.

Scraped archives mix all of these. Containers are recognised by their content, not their
name, and walked one member at a time, so memory holds one input at a time whatever the
archive's size. Each input has a stable name (``crawl.zip!2023/report.pdf``,
``site.warc.gz#https://…/report.html``) that the batch's manifest and outputs refer to.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import stat
import tarfile
import zipfile
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from gongkai.inference.readers import MAX_INPUT_BYTES

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
# A gzip member's first bytes (magic, deflate): where a record of a per-record-gzipped WARC starts.
GZIP_MEMBER = b"\x1f\x8b\x08"
WARC_MAGIC = b"WARC/"
# A zip holding word/document.xml is a .docx report, not an archive of reports.
DOCX_PART = "word/document.xml"
# How far into a file to look to recognise a container (tar's magic is at byte 257).
SNIFF_BYTES = 512
# Names inside archives that are never reports (macOS resource forks, folder listings).
IGNORED_NAMES = ("__MACOSX/", ".DS_Store", "Thumbs.db")


@dataclass
class Input:
    """One document to process: its batch-wide name and its bytes (or why they are not read)."""

    name: str
    data: bytes | None
    # Set instead of ``data`` when the input is refused before reading (too large, unreadable).
    problem: str | None = None
    # Refused on purpose (a link not followed, a special file) rather than failed: a "skipped" record.
    skipped: bool = False


def _too_large(size: int) -> str:
    return f"{size} bytes is more than the {MAX_INPUT_BYTES} allowed for one report"


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(SNIFF_BYTES)


def container_kind(head: bytes, path: Path | None = None) -> str | None:
    """"zip", "tar", "warc" (plain or gzipped) or None for a single document."""
    if head.startswith(WARC_MAGIC):
        return "warc"
    if head.startswith(ZIP_MAGIC) and path is not None:
        try:
            with zipfile.ZipFile(path) as archive:
                return None if DOCX_PART in archive.namelist() else "zip"
        except (zipfile.BadZipFile, OSError):
            return None  # a damaged zip: the reader reports it as one bad document
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"
    if head.startswith(GZIP_MAGIC) and path is not None:
        try:
            with gzip.open(path, "rb") as f:
                inner = f.read(SNIFF_BYTES)
        except (OSError, EOFError):
            return None
        if inner.startswith(WARC_MAGIC):
            return "warc"
        if len(inner) > 262 and inner[257:262] == b"ustar":
            return "tar"
    return None


def _walk_zip(path: Path, name: str) -> Iterator[Input]:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir() or any(part in info.filename for part in IGNORED_NAMES):
                continue
            member = f"{name}!{info.filename}"
            if stat.S_ISLNK(info.external_attr >> 16):
                yield Input(member, None, "a symbolic link inside the archive: links are not followed", skipped=True)
                continue
            if info.file_size > MAX_INPUT_BYTES:
                yield Input(member, None, _too_large(info.file_size))
                continue
            try:
                yield Input(member, archive.read(info))
            except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
                yield Input(member, None, f"unreadable archive member ({type(exc).__name__}: {exc})")


def _walk_tar(path: Path, name: str) -> Iterator[Input]:
    with tarfile.open(path, "r:*") as archive:
        for info in archive:
            archive.members = []  # tarfile keeps every header it read: 10⁵ entries would stay in memory
            if info.isdir() or any(part in info.name for part in IGNORED_NAMES):
                continue
            member = f"{name}!{info.name}"
            if not info.isfile():
                yield Input(member, None, _not_a_file(info), skipped=True)
                continue
            if info.size > MAX_INPUT_BYTES:
                yield Input(member, None, _too_large(info.size))
                continue
            f = archive.extractfile(info)
            if f is None:
                continue
            try:
                yield Input(member, f.read())
            except (tarfile.TarError, OSError, EOFError) as exc:
                yield Input(member, None, f"unreadable archive member ({type(exc).__name__}: {exc})")


def _not_a_file(info: tarfile.TarInfo) -> str:
    if info.issym() or info.islnk():
        kind = "symbolic" if info.issym() else "hard"
        return f"a {kind} link inside the archive (to {info.linkname!r}): links are not followed"
    return "not a regular file (a device, FIFO or other special entry)"


def _walk_warc(path: Path, name: str) -> Iterator[Input]:
    """The HTTP responses of a crawl (status 200); requests, metadata and redirects are not documents.

    A record whose Content-Length is wrong (the WARC library's "not followed by newline"
    warning, which it would print on the terminal) is a damaged input, not a document. Where a
    record cannot be read at all, reading starts again at the next record (the next gzip member
    or ``WARC/`` line), and the bytes skipped get their own line.
    """
    with open(path, "rb") as stream:
        size = path.stat().st_size
        start = 0
        while start < size:
            stream.seek(start)
            failed_at = yield from _warc_records(stream, name, start)
            if failed_at is None:
                return
            offset, why = failed_at
            resume = _next_warc_record(path, offset + 1)
            end = resume if resume is not None else size
            yield Input(f"{name}@{offset}", None, f"unreadable WARC bytes {offset}–{end} ({why}); "
                        + ("reading resumed at the next record" if resume is not None else "the rest of the file"))
            if resume is None:
                return
            start = resume


def _warc_records(stream: IO[bytes], name: str, base: int) -> Generator[Input, None, tuple[int, str] | None]:
    """Records from ``stream``'s position; returns where and why reading failed, or None at the end."""
    from warcio.archiveiterator import ArchiveIterator

    iterator = ArchiveIterator(stream)
    records = iter(iterator)
    offset = base
    while True:
        complaints = io.StringIO()  # the library's warnings about this record, kept off the terminal
        try:
            with contextlib.redirect_stderr(complaints):
                record = next(records, None)
                if record is None:
                    return None
                item = _warc_input(record, name)  # before the offset: asking for it reads the record out
                offset = base + iterator.get_record_offset() + iterator.get_record_length()
        except Exception as exc:  # warcio raises its own kinds on a damaged crawl
            why = f"{type(exc).__name__}: {exc}"[:300]
            return offset, "".join(c if c.isprintable() else "?" for c in why)
        if item is not None and "Content-Length" in complaints.getvalue():
            item = Input(item.name, None, "the WARC record's Content-Length does not match its content "
                         "(truncated or damaged record)")
        if item is not None:
            yield item


def _warc_input(record: Any, name: str) -> Input | None:
    if record.rec_type != "response":
        return None
    status = record.http_headers.get_statuscode() if record.http_headers else None
    if status not in (None, "200"):
        return None
    uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_headers.get_header("WARC-Record-ID")
    data = record.content_stream().read(MAX_INPUT_BYTES + 1)
    member = f"{name}#{uri}"
    return Input(member, None, _too_large(len(data))) if len(data) > MAX_INPUT_BYTES else Input(member, data)


def _next_warc_record(path: Path, after: int) -> int | None:
    """Offset of the next record start after ``after``: a gzip member header or a ``WARC/1.`` line."""
    with open(path, "rb") as f:
        f.seek(after)
        chunk_start = after
        tail = b""
        while True:
            chunk = f.read(1 << 20)
            if not chunk:
                return None
            window = tail + chunk
            found = [i for i in (window.find(GZIP_MEMBER), window.find(b"\nWARC/1.")) if i >= 0]
            if found:
                at = min(found)
                return chunk_start - len(tail) + at + (1 if window[at:at + 1] == b"\n" else 0)
            tail = window[-8:]
            chunk_start += len(chunk)


_WALKERS = {"zip": _walk_zip, "tar": _walk_tar, "warc": _walk_warc}


def _one_path(path: Path, name: str) -> Iterator[Input]:
    try:
        size = path.stat().st_size
        head = _head(path)
    except OSError as exc:
        yield Input(name, None, f"cannot read the file ({exc.strerror or exc})")
        return
    kind = container_kind(head, path)
    if kind is not None:
        try:
            yield from _WALKERS[kind](path, name)
        except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError, ValueError) as exc:
            yield Input(name, None, f"damaged {kind} archive ({type(exc).__name__}: {exc}); members after this point "
                                    "were not read")
        except Exception as exc:  # warcio raises its own kinds on a damaged crawl
            yield Input(name, None, f"damaged {kind} archive ({type(exc).__name__}: {exc})")
        return
    if size > MAX_INPUT_BYTES:
        yield Input(name, None, _too_large(size))
        return
    try:
        yield Input(name, path.read_bytes())
    except OSError as exc:
        yield Input(name, None, f"cannot read the file ({exc.strerror or exc})")


def iter_inputs(paths: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False) -> Iterator[Input]:
    """Every document under ``paths``, folders walked in name order, containers opened.

    A symbolic link found inside a folder is followed only when it stays inside one of the
    given paths (``follow_symlinks`` allows any); one leading out — a scraped folder's link to
    ``/etc/passwd`` — is a skipped input with its reason. A path given by name is always read.
    """
    given = [Path(p) for p in paths]
    roots = [p.resolve() for p in given]
    for root in given:
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_symlink() and not follow_symlinks:
                    target = path.resolve()
                    if not any(target == r or r in target.parents for r in roots):
                        yield Input(str(path), None, f"a symbolic link to {target}, outside the input folders: "
                                    "not followed (--follow-symlinks to allow)", skipped=True)
                        continue
                if path.is_file():
                    yield from _one_path(path, str(path))
        elif root.exists():
            yield from _one_path(root, str(root))
        else:
            yield Input(str(root), None, "no such file or folder")
