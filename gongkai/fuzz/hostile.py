"""Hostile inputs by class: what an attacker or an unlucky crawler hands ``extract``.

Each class is a function of a seeded ``random.Random`` returning one ``Case``; the same seed
gives the same bytes. Inputs stay small on disk and expand where a bomb is meant (a few KB of
zlib that inflates to hundreds of MB), so a few hundred cases run in a test. The classes are
declared in ``CLASSES`` (name → family, generator); ``cases(n, seed)`` draws from all of them.
"""

from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache

# What ``Case.payload`` is handed to ``extract`` as.
BYTES, TEXT, PATH_STR, DIRECTORY = "bytes", "text", "path_str", "directory"
# Kinds that test the runner itself, not extract: the worker raises the signal named in the
# payload, blocks forever, or holds the payload's number of MB.
SELF_TEST_SIGNAL, SELF_TEST_BLOCK, SELF_TEST_ALLOCATE = "self_test_signal", "self_test_block", "self_test_allocate"


@dataclass(frozen=True)
class Case:
    """One input: ``kind`` says how the runner passes ``payload`` to ``extract``."""

    name: str  # class name, e.g. "docx_part_bomb"
    family: str  # encodings / size / bombs / broken
    kind: str
    payload: bytes

    def describe(self) -> str:
        return f"{self.family}/{self.name} ({self.kind}, {len(self.payload)} bytes)"


# --- bases: ordinary generated reports to damage ------------------------------------------

@lru_cache(maxsize=8)
def _base(layout: str, index: int) -> bytes:
    from gongkai.training.synth import generate

    item = next(iter(generate(1, seed=1000 + index, layouts=(layout,))))
    return item.source_bytes


def _base_text(rng: random.Random) -> str:
    return _base(rng.choice(("tab_cells", "tsv", "markdown", "flattened", "scraped")), rng.randrange(3)).decode("utf-8")


@lru_cache(maxsize=4)
def _base_pdf(index: int) -> bytes:
    from gongkai.training.synth import random_values
    from gongkai.training.synth_pdf import render_pdf

    rng = random.Random(2000 + index)
    item = render_pdf(random_values(rng), rng)
    assert item.data is not None
    return item.data


def _mutate(data: bytes, rng: random.Random) -> bytes:
    """Flip, drop, duplicate or insert a few byte ranges."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if not buf:
            break
        at = rng.randrange(len(buf))
        op = rng.randrange(4)
        if op == 0:
            buf[at] ^= 1 << rng.randrange(8)
        elif op == 1:
            del buf[at:at + rng.randint(1, 64)]
        elif op == 2:
            buf[at:at] = buf[at:at + rng.randint(1, 64)]
        else:
            buf[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
    return bytes(buf)


def _truncate(data: bytes, rng: random.Random) -> bytes:
    return data[: rng.randrange(1, max(2, len(data)))]


def _zip(members: list[tuple[str, bytes]], level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


def _docx_members(rng: random.Random) -> list[tuple[str, bytes]]:
    with zipfile.ZipFile(io.BytesIO(_base("docx", rng.randrange(3)))) as zf:
        return [(info.filename, zf.read(info)) for info in zf.infolist()]


# --- raw PDFs ------------------------------------------------------------------------------

def raw_pdf(objects: list[bytes], root: int = 1, *, xref: bool = True) -> bytes:
    """A PDF from numbered object bodies (object i+1 = objects[i]), with a correct xref table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
        out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{start}\n%%EOF\n".encode()
    return bytes(out)


def _stream(content: bytes, extra: str = "", compress: bool = True) -> bytes:
    data = zlib.compress(content, 9) if compress else content
    flt = " /Filter /FlateDecode" if compress else ""
    return f"<< /Length {len(data)}{flt}{extra} >>\nstream\n".encode() + data + b"\nendstream"


def _pdf_pages(contents: list[bytes], media_box: str = "[0 0 595 842]") -> bytes:
    """Catalog, pages, a Helvetica font and one page per content stream."""
    n = len(contents)
    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(n))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {n} >>".encode(),
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    for i, content in enumerate(contents):
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox {media_box} /Resources << /Font << /F1 3 0 R >> >> "
                       f"/Contents {5 + 2 * i} 0 R >>".encode())
        objects.append(_stream(content))
    return raw_pdf(objects)


# --- encodings -----------------------------------------------------------------------------

NON_TEXT_CODECS = ("uu", "idna", "punycode", "undefined", "rot13", "base64", "hex", "zlib", "bz2", "quopri",
                   "utf-7", "utf-32", "mbcs", "x-unknown", "utf-8-sig", "\x00", "gbk\x00", "a" * 300)


def meta_codec(rng: random.Random) -> Case:
    raw = _base("html", rng.randrange(3))
    try:
        html = raw.decode("utf-8")
    except UnicodeDecodeError:
        html = raw.decode("gb18030", "replace")
    codec = rng.choice(NON_TEXT_CODECS)
    html = html.replace("<head>", f'<head><meta charset="{codec}">', 1) if "<head>" in html else \
        f'<meta charset="{codec}">' + html
    enc = rng.choice(("utf-8", "gbk", "utf-16"))
    return Case("meta_codec", "encodings", BYTES, html.encode(enc, "replace"))


def lone_surrogates(rng: random.Random) -> Case:
    text = _base_text(rng)
    at = sorted(rng.randrange(len(text)) for _ in range(rng.randint(1, 20)))
    for i in reversed(at):
        text = text[:i] + chr(rng.randrange(0xD800, 0xE000)) + text[i:]
    return Case("lone_surrogates", "encodings", TEXT, text.encode("utf-8", "surrogatepass"))


def nul_path(rng: random.Random) -> Case:
    name = rng.choice(("report\x00.txt", "/tmp/a\x00b.pdf", "\x00", "r.html\x00\x00"))
    return Case("nul_path", "encodings", PATH_STR, name.encode("utf-8"))


def directory_path(rng: random.Random) -> Case:
    return Case("directory_path", "encodings", DIRECTORY, rng.choice((b"plain", b"x.pdf", b"y.docx")))


def wrong_encoding(rng: random.Random) -> Case:
    """A report in one encoding whose bytes are damaged or mixed with another's."""
    text = _base_text(rng)
    parts = [text[: len(text) // 2].encode(rng.choice(("gbk", "utf-8", "utf-16-le", "big5")), "replace"),
             text[len(text) // 2:].encode(rng.choice(("gbk", "utf-8", "utf-16-be", "shift_jis")), "replace")]
    data = b"".join(parts)
    if rng.random() < 0.5:
        data = _mutate(data, rng)
    return Case("wrong_encoding", "encodings", BYTES, data)


def truncated_text(rng: random.Random) -> Case:
    enc = rng.choice(("utf-8", "gbk", "utf-16"))
    return Case("truncated_text", "encodings", BYTES, _truncate(_base_text(rng).encode(enc, "replace"), rng))


def random_bytes(rng: random.Random) -> Case:
    return Case("random_bytes", "encodings", BYTES, rng.randbytes(rng.choice((0, 1, 7, 512, 4096))))


# --- size and nesting ----------------------------------------------------------------------

def big_report(rng: random.Random) -> Case:
    """A report repeated past spaCy's max_length (1,000,000 characters)."""
    text = _base_text(rng)
    return Case("big_report", "size", BYTES, (text * (1_100_000 // len(text) + 1)).encode("utf-8"))


def long_line(rng: random.Random) -> Case:
    unit = rng.choice(("的", "1 ", "政府信息公开", "a", "0"))
    size = rng.choice((1_000_000, 10_000_000))
    return Case("long_line", "size", BYTES, (unit * (size // len(unit.encode()))).encode("utf-8"))


def many_headings(rng: random.Random) -> Case:
    mark = rng.choice(("# ", "## 一、", "（一）", "第一章 "))
    return Case("many_headings", "size", BYTES, "".join(f"{mark}标题{i}\n" for i in range(100_000)).encode())


def nested_html(rng: random.Random) -> Case:
    tag = rng.choice(("div", "table", "span", "b", "td", "li"))
    depth = rng.choice((5_000, 50_000, 200_000))
    body = f"<{tag}>" * depth + "政府信息公开" + f"</{tag}>" * rng.choice((0, depth))
    return Case("nested_html", "size", BYTES, f"<html><body>{body}</body></html>".encode())


def ideographic_spaces(rng: random.Random) -> Case:
    run = "\u3000" * rng.choice((80_000, 200_000))
    text = rng.choice(("", "一、", "表三")) + run + rng.choice(("", "（一）", "2023年"))
    return Case("ideographic_spaces", "size", TEXT, (_base_text(rng)[:2000] + "\n" + text).encode())


def html_span_bomb(rng: random.Random) -> Case:
    span = rng.choice(("1000000000", "0", "-5", "99999", "1e9", "4294967296"))
    attr = rng.choice(("rowspan", "colspan"))
    rows = "".join(f'<tr><td {attr}="{span}">{i}</td><td>1</td></tr>' for i in range(rng.randint(2, 200)))
    page = f"<html><body><p>政府信息公开</p><table>{rows}</table></body></html>"
    return Case("html_span_bomb", "size", BYTES, page.encode())


def wide_table(rng: random.Random) -> Case:
    """A table of thousands of columns and rows, each cell a number."""
    cols, rows = rng.choice(((3000, 3), (20, 20_000), (500, 500)))
    row = "<tr>" + "<td>1</td>" * cols + "</tr>"
    return Case("wide_table", "size", BYTES, f"<html><body><table>{row * rows}</table></body></html>".encode())


# --- decompression bombs -------------------------------------------------------------------

def docx_part_bomb(rng: random.Random) -> Case:
    """A .docx whose document.xml or _rels/.rels inflates to hundreds of MB."""
    members = _docx_members(rng)
    target = rng.choice(("word/document.xml", "_rels/.rels", "word/styles.xml"))
    size = rng.choice((300, 600)) * 1024 * 1024
    bomb = b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">' \
        + b" " * size
    members = [(n, bomb if n == target else d) for n, d in members]
    if target not in dict(members):
        members.append((target, bomb))
    return Case("docx_part_bomb", "bombs", BYTES, _zip(members))


def zip_in_zip(rng: random.Random) -> Case:
    inner = _zip([("word/document.xml", b"0" * (50 * 1024 * 1024))])
    for _ in range(rng.randint(1, 3)):
        inner = _zip([("inner.zip", inner), ("[Content_Types].xml", b"<Types/>")])
    return Case("zip_in_zip", "bombs", BYTES, inner)


def pdf_stream_bomb(rng: random.Random) -> Case:
    """A page whose content stream inflates to ~1 GB (or an object stream that does)."""
    size = rng.choice((256, 1024)) * 1024 * 1024
    content = b"BT /F1 12 Tf 72 700 Td (a) Tj ET\n" + b" " * size
    return Case("pdf_stream_bomb", "bombs", BYTES, _pdf_pages([content]))


def _png(width: int, height: int, depth: int = 8, color: int = 0, idat: bytes | None = None) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    if idat is None:
        idat = zlib.compress(b"\x00" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def image_huge_declared(rng: random.Random) -> Case:
    choice = rng.randrange(3)
    if choice == 0:
        data = _png(30000, 30000)
    elif choice == 1:  # 8000×8000 16-bit grey: 128 MB of pixels from a ~130 KB file
        row = b"\x00" + b"\x00" * 16000
        comp = zlib.compressobj(9)
        idat = b"".join(comp.compress(row) for _ in range(8000)) + comp.flush()
        data = _png(8000, 8000, depth=16, idat=idat)
    else:
        data = _png(rng.choice((1, 65535)), rng.choice((1_000_000, 2_000_000_000 // 65535)))
    return Case("image_huge_declared", "bombs", BYTES, data)


# --- broken containers ---------------------------------------------------------------------

def docx_damaged(rng: random.Random) -> Case:
    data = _base("docx", rng.randrange(3))
    data = _truncate(data, rng) if rng.random() < 0.5 else _mutate(data, rng)
    return Case("docx_damaged", "broken", BYTES, data)


def pdf_damaged(rng: random.Random) -> Case:
    data = _base_pdf(rng.randrange(2))
    data = _truncate(data, rng) if rng.random() < 0.5 else _mutate(data, rng)
    return Case("pdf_damaged", "broken", BYTES, data)


def html_damaged(rng: random.Random) -> Case:
    data = _base("html", rng.randrange(3))
    return Case("html_damaged", "broken", BYTES, _truncate(data, rng) if rng.random() < 0.5 else _mutate(data, rng))


def _image_bytes(fmt: str, rng: random.Random, frames: int = 1) -> bytes:
    from PIL import Image

    size = (rng.randint(20, 300), rng.randint(20, 300))
    images = [Image.new("L", size, color=rng.randrange(256)) for _ in range(frames)]
    out = io.BytesIO()
    if frames > 1:
        images[0].save(out, fmt, save_all=True, append_images=images[1:])
    else:
        images[0].save(out, fmt)
    return out.getvalue()


def image_damaged(rng: random.Random) -> Case:
    fmt = rng.choice(("PNG", "JPEG", "GIF", "TIFF"))
    data = _image_bytes(fmt, rng)
    choice = rng.randrange(3)
    if choice == 0:
        data = _truncate(data, rng)
    elif choice == 1:
        data = _mutate(data, rng)
    else:  # header only: "missing dimensions" and friends
        data = data[: rng.choice((8, 16, 24, 33))]
    return Case("image_damaged", "broken", BYTES, data)


def image_many_frames(rng: random.Random) -> Case:
    return Case("image_many_frames", "broken", BYTES, _image_bytes(rng.choice(("TIFF", "GIF")), rng,
                                                                   frames=rng.choice((250, 500))))


def pdf_self_reference(rng: random.Random) -> Case:
    """A /Length, /MediaBox, /Kids or /Parent that refers to its own object (the looping PDF)."""
    which = rng.randrange(6)
    content = b"BT /F1 12 Tf 72 700 Td (a) Tj ET"
    page = "<< /Type /Page /Parent 2 0 R /MediaBox {box} /Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>"
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
               page.format(box="[0 0 595 842]").encode(),
               b"<< /Length 5 0 R >>\nstream\n" + content + b"\nendstream"]
    if which == 1:
        objects[3] = page.format(box="4 0 R").encode()
    elif which == 2:
        objects[1] = b"<< /Type /Pages /Kids [2 0 R 4 0 R] /Count 2 >>"
    elif which == 3:
        objects[3] = page.format(box="[0 0 595 842]").replace("/Parent 2 0 R", "/Parent 4 0 R").encode()
        objects[1] = b"<< /Type /Pages /Kids [4 0 R 4 0 R 4 0 R] /Count 3 >>"
    elif which >= 4:  # a /Length that is a reference to a reference … back to itself: pdfminer loops forever
        objects[4] = b"<< /Length 6 0 R >>\nstream\n" + content + b"\nendstream"
        objects += [b"6 0 R"] if which == 4 else [b"7 0 R", b"6 0 R"]
    return Case("pdf_self_reference", "broken", BYTES, raw_pdf(objects, xref=rng.random() < 0.7))


def pdf_blank_pages(rng: random.Random) -> Case:
    return Case("pdf_blank_pages", "broken", BYTES, _pdf_pages([b""] * rng.choice((300, 1000))))


def pdf_many_glyphs(rng: random.Random) -> Case:
    n = rng.choice((200_000, 1_000_000))
    line = b"(" + b"1" * 100 + b") Tj 0 -0.01 Td "
    content = b"BT /F1 1 Tf 10 800 Td " + line * (n // 100) + b"ET"
    return Case("pdf_many_glyphs", "broken", BYTES, _pdf_pages([content]))


def pdf_many_rects(rng: random.Random) -> Case:
    n = rng.choice((50_000, 200_000))
    content = b"".join(f"{i % 500} {i % 800} 1 1 re ".encode() for i in range(n)) + b"S"
    return Case("pdf_many_rects", "broken", BYTES, _pdf_pages([content]))


Generator = Callable[[random.Random], Case]
CLASSES: dict[str, tuple[str, Generator]] = {
    fn.__name__: (family, fn)
    for family, fns in (
        ("encodings", (meta_codec, lone_surrogates, nul_path, directory_path, wrong_encoding, truncated_text,
                       random_bytes)),
        ("size", (big_report, long_line, many_headings, nested_html, ideographic_spaces, html_span_bomb, wide_table)),
        ("bombs", (docx_part_bomb, zip_in_zip, pdf_stream_bomb, image_huge_declared)),
        ("broken", (docx_damaged, pdf_damaged, html_damaged, image_damaged, image_many_frames, pdf_self_reference,
                    pdf_blank_pages, pdf_many_glyphs, pdf_many_rects)),
    )
    for fn in fns
}
# Classes whose every case is large or slow to read: drawn less often in a mixed sample.
HEAVY = frozenset({"big_report", "long_line", "docx_part_bomb", "pdf_stream_bomb", "image_many_frames",
                   "pdf_blank_pages", "pdf_many_glyphs", "pdf_many_rects", "image_huge_declared", "zip_in_zip",
                   "many_headings", "nested_html", "wide_table"})
HEAVY_WEIGHT = 0.25


def cases(n: int, seed: int = 0, classes: tuple[str, ...] | None = None) -> Iterator[Case]:
    """``n`` cases drawn over the classes (each class at least once when n allows), seeded."""
    names = list(classes or CLASSES)
    unknown = [name for name in names if name not in CLASSES]
    if unknown:
        raise ValueError(f"unknown classes {unknown}; expected some of {sorted(CLASSES)}")
    weights = [HEAVY_WEIGHT if name in HEAVY else 1.0 for name in names]
    picker = random.Random(seed)
    for i in range(n):
        name = names[i] if i < len(names) else picker.choices(names, weights)[0]
        family, fn = CLASSES[name]
        case = fn(random.Random(f"{seed}:{i}:{name}"))
        assert case.family == family, (name, case.family, family)
        yield case
