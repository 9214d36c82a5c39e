"""Offline OCR of page images: text boxes with scores, and the table rules drawn on the page.

The engine is RapidOCR (PP-OCR models as ONNX, shipped inside its wheel, so nothing is
downloaded): it read a rendered report page, table included, without character errors where
tesseract's chi_sim made about one in eight. It is an optional extra (``gongkai[ocr]``);
without it a scan gets a clear ``MissingDependencyError``.

Output is in the same terms as a PDF's text layer (``Token``, ``Edge``, in PDF points), so the
one layout step rebuilds tables from a scan exactly as from a text layer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gongkai.errors import MissingDependencyError
from gongkai.inference.document import BBox
from gongkai.inference.readers.pagelayout import Edge, PageLayout, Token, layout_page

INSTALL_HINT = "OCR of scanned pages needs the ocr extra: pip install 'gongkai[ocr]' (rapidocr + onnxruntime)"
# Rules are straight runs of ink at least this long (points): longer than any stroke of body text
# (10.5 pt), shorter than the lowest table row.
MIN_RULE_POINTS = 13.0
# Straighten a page tilted more than this (degrees); up to MAX_SKEW, beyond it a scan is not a page of text.
MIN_SKEW = 0.15
MAX_SKEW = 8.0
# The tilt is measured on text boxes this many times wider than tall, and needs this many of them.
WIDE_BOX_RATIO = 4.0
MIN_SKEW_BOXES = 3
# Boxes the engine scores below this are dropped (its default): a missing cell reads as null, not as junk.
MIN_TEXT_SCORE = 0.5
# Text regions the detector scores at least this are read (its default 0.5 drops lone digits in
# noisy scans: 0.3 found 161 numbers where 0.5 found 151 on one generated page).
MIN_BOX_SCORE = 0.3
# Pages are detected at up to this many pixels on their long side (an A4 page at 200 dpi is 2339).
MAX_SIDE = 2400
# A page whose darkest and lightest pixels differ by less than this holds no ink at all.
BLANK_CONTRAST = 32


# An unruled table is read again enlarged this many times.
REGION_ZOOM = 2.0
# Empty-looking ruled cells: pixels trimmed off each side (the rule itself), the smallest cell
# worth reading, what counts as ink, and how much ink a cell needs to hold text.
CELL_INSET = 4
MIN_CELL_PIXELS = 8
INK_LEVEL = 128
MIN_INK_SHARE = 0.004


@dataclass
class OcrPage:
    tokens: list[Token]
    edges: list[Edge]
    # Degrees the page was turned back by before reading (0 when it was straight).
    skew: float
    # The straightened page (grey levels) and points per pixel, for second looks at single cells.
    image: Any = None
    scale: float = 1.0

    def reread(self, bbox: BBox) -> Token | None:
        """Recognise just the ink inside ``bbox`` (points): the detector misses lone marks
        (a "0" in a noisy scan) that the recogniser reads fine once shown only that cell."""
        import numpy as np

        height, width = self.image.shape[:2]
        c0, r0 = max(0, int(bbox[0] / self.scale) + CELL_INSET), max(0, int(bbox[1] / self.scale) + CELL_INSET)
        c1, r1 = min(width, int(bbox[2] / self.scale) - CELL_INSET), min(height, int(bbox[3] / self.scale) - CELL_INSET)
        if c1 - c0 < MIN_CELL_PIXELS or r1 - r0 < MIN_CELL_PIXELS:
            return None
        ink = self.image[r0:r1, c0:c1] < INK_LEVEL
        if ink.mean() < MIN_INK_SHARE:
            return None
        ys, xs = np.nonzero(ink)
        top, bottom = max(0, ys.min() - CELL_INSET), ys.max() + CELL_INSET + 1
        left, right = max(0, xs.min() - CELL_INSET), xs.max() + CELL_INSET + 1
        result = _recognise(self.image[r0:r1, c0:c1][top:bottom, left:right], detect=False)
        texts = [str(t).strip() for t in (result.txts or ())]
        scores = [float(x) for x in (result.scores or ())]
        if not texts or not texts[0] or scores[0] < MIN_TEXT_SCORE:
            return None
        s = self.scale
        return Token(texts[0], (c0 + left) * s, (r0 + top) * s, (c0 + right) * s, (r0 + bottom) * s, scores[0])

    def read_region(self, bbox: BBox) -> list[Token]:
        """Everything in ``bbox`` (points) read again at REGION_ZOOM times the size: the detector
        finds small lone digits of an unruled table far more often when they are bigger."""
        cv2 = _cv2()
        height, width = self.image.shape[:2]
        c0, r0 = max(0, int(bbox[0] / self.scale)), max(0, int(bbox[1] / self.scale))
        c1, r1 = min(width, int(bbox[2] / self.scale) + 1), min(height, int(bbox[3] / self.scale) + 1)
        if c1 - c0 < MIN_CELL_PIXELS or r1 - r0 < MIN_CELL_PIXELS:
            return []
        crop = cv2.resize(self.image[r0:r1, c0:c1], None, fx=REGION_ZOOM, fy=REGION_ZOOM,
                          interpolation=cv2.INTER_CUBIC)
        result = _recognise(crop, detect=True)
        quads = result.boxes if result.boxes is not None else ()
        return _box_tokens(quads, result.txts, result.scores, self.scale, c0, r0, REGION_ZOOM)

    def layout(self, number: int, width: float, height: float) -> PageLayout:
        """The page laid out like any other, with this scan's second looks at cells and tables."""
        return layout_page(number, width, height, self.tokens, self.edges, self.reread, self.read_region)


def _recognise(gray: Any, detect: bool) -> Any:
    """Run the engine on a grey image: find and read every line (``detect``), or read it as one line.

    Flags are passed every time: the engine keeps the last call's flags as its new defaults.
    """
    import numpy as np

    rgb = np.ascontiguousarray(np.stack([gray] * 3, axis=-1))
    return _engine()(rgb, use_det=detect, use_cls=detect, use_rec=True)


def _box_tokens(quads: Any, texts: Any, scores: Any, scale: float, dx: float = 0.0, dy: float = 0.0,
                zoom: float = 1.0) -> list[Token]:
    """Text boxes as tokens in points: pixel corners divided by ``zoom``, shifted by the crop's
    origin (``dx``, ``dy`` pixels), times ``scale``."""
    tokens: list[Token] = []
    for quad, text, score in zip(quads, texts or (), scores or ()):
        text = str(text).strip()
        if text:
            xs = [float(p[0]) for p in quad]
            ys = [float(p[1]) for p in quad]
            tokens.append(Token(text, (dx + min(xs) / zoom) * scale, (dy + min(ys) / zoom) * scale,
                                (dx + max(xs) / zoom) * scale, (dy + max(ys) / zoom) * scale, float(score)))
    return tokens


@lru_cache(maxsize=1)
def _engine() -> Any:
    try:
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise MissingDependencyError(INSTALL_HINT) from exc
    return RapidOCR(params={"Global.log_level": "error", "Global.text_score": MIN_TEXT_SCORE,
                            "Global.max_side_len": MAX_SIDE, "Det.box_thresh": MIN_BOX_SCORE})


def available() -> bool:
    """Whether OCR can run here (the optional extra is installed)."""
    try:
        _engine()
    except MissingDependencyError:
        return False
    return True


def _cv2() -> Any:
    try:
        import cv2
    except ImportError as exc:  # opencv comes with rapidocr
        raise MissingDependencyError(INSTALL_HINT) from exc
    return cv2


def _ink(gray: Any) -> Any:
    """Dark pixels as 255 on 0, robust to uneven scan brightness."""
    cv2 = _cv2()
    return cv2.adaptiveThreshold(255 - gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, 15, -2)


def straighten(gray: Any, angle: float) -> Any:
    """The image turned by ``-angle`` degrees about its centre, the uncovered corners white."""
    cv2 = _cv2()
    height, width = gray.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(gray, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=255)


def find_rules(gray: Any, scale: float) -> list[Edge]:
    """Horizontal and vertical rules as edges: ink that survives opening with a long thin kernel."""
    cv2 = _cv2()
    ink = _ink(gray)
    edges: list[Edge] = []
    length = max(10, int(MIN_RULE_POINTS / scale))
    for orientation, size in (("h", (length, 1)), ("v", (1, length))):
        kernel = cv2.getStructuringElement(cv2.MORPH_RECT, size)
        mask = cv2.morphologyEx(ink, cv2.MORPH_OPEN, kernel)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            if orientation == "h":
                mid = (y + h / 2) * scale
                edges.append(Edge(x * scale, mid, (x + w) * scale, mid))
            else:
                mid = (x + w / 2) * scale
                edges.append(Edge(mid, y * scale, mid, (y + h) * scale))
    return edges


def text_skew(quads: Any) -> float:
    """The page's tilt in degrees from the top edges of the text lines OCR found; 0 if too few.

    Only boxes much wider than tall count: a short box's corners say little about an angle.
    """
    import numpy as np

    angles = []
    for quad in quads:
        (x0, y0), (x1, y1), _, (x3, y3) = quad[:4]
        width, height = math.hypot(x1 - x0, y1 - y0), math.hypot(x3 - x0, y3 - y0)
        if width > WIDE_BOX_RATIO * max(height, 1.0):
            angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
            if abs(angle) <= MAX_SKEW:
                angles.append(angle)
    return float(np.median(angles)) if len(angles) >= MIN_SKEW_BOXES else 0.0


def read_image(image: Any, dpi: float) -> OcrPage:
    """OCR one page image (PIL); coordinates come back in PDF points (1/72 inch at ``dpi``).

    A tilted scan is read as it is (the engine reads tilted lines well) and straightened
    afterwards: box corners are turned back by the tilt of the text lines, and the rules are
    looked for in the straightened image, so rows and columns line up again.
    """
    import numpy as np

    cv2 = _cv2()
    gray = np.asarray(image.convert("L"))
    if gray.size == 0 or int(gray.max()) - int(gray.min()) < BLANK_CONTRAST:
        # Nothing printed (a blank back side, an empty frame): the engine would take a second to say so.
        return OcrPage([], [], 0.0, gray, 72.0 / dpi)
    result = _recognise(gray, detect=True)
    quads = [np.asarray(q, dtype=float) for q in (result.boxes if result.boxes is not None else [])]
    skew = text_skew(quads)
    if abs(skew) < MIN_SKEW:
        skew = 0.0
    else:
        height, width = gray.shape[:2]
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), skew, 1.0)
        quads = [np.hstack([q[:, :2], np.ones((len(q), 1))]) @ matrix.T for q in quads]
        gray = straighten(gray, skew)
    scale = 72.0 / dpi
    tokens = _box_tokens(quads, result.txts, result.scores, scale)
    return OcrPage(tokens, find_rules(gray, scale), round(skew, 2), gray, scale)
