"""What a batch reads: files, folders (recursive), zip/tar archives and WARC crawls, as a stream.

Scraped archives mix all of these. Containers are recognised by their content, not their
name, and walked one member at a time, so memory holds one input at a time whatever the
archive's size. Each input has a stable name (``crawl.zip!2023/report.pdf``,
``site.warc.gz#https://…/report.html``) that the batch's manifest and outputs refer to.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from gongkai.inference.readers import MAX_INPUT_BYTES

ZIP_MAGIC = b"PK\x03\x04"
GZIP_MAGIC = b"\x1f\x8b"
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
                yield Input(member, None, "a symbolic link inside the archive: links are not followed")
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
            if info.isdir() or any(part in info.name for part in IGNORED_NAMES):
                continue
            member = f"{name}!{info.name}"
            if not info.isfile():
                yield Input(member, None, _not_a_file(info))
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
    """The HTTP responses of a crawl (status 200); requests, metadata and redirects are not documents."""
    from warcio.archiveiterator import ArchiveIterator

    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            status = record.http_headers.get_statuscode() if record.http_headers else None
            if status not in (None, "200"):
                continue
            uri = record.rec_headers.get_header("WARC-Target-URI") or record.rec_headers.get_header("WARC-Record-ID")
            data = record.content_stream().read(MAX_INPUT_BYTES + 1)
            member = f"{name}#{uri}"
            if len(data) > MAX_INPUT_BYTES:
                yield Input(member, None, _too_large(len(data)))
            else:
                yield Input(member, data)


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


def iter_inputs(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Input]:
    """Every document under ``paths``, folders walked in name order, containers opened."""
    for given in paths:
        root = Path(given)
        if root.is_dir():
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                yield from _one_path(path, str(path))
        elif root.exists():
            yield from _one_path(root, str(root))
        else:
            yield Input(str(root), None, "no such file or folder")
