"""Compact resident vectors: int8 codes with one float32 scale per vector (a quarter of float32).

A unit vector v is kept as round(v / s) with s = max|v| / 127, so each code is -127..127 and
v ≈ s · code.  Measured here on 100,000 scattered MiniLM vectors (perf/benchmarks/memory_scale
.py): the top 10 by the codes' scores overlap the exact top 10 by 0.991, and the exact top 10
were always within the codes' top 40, which is why the index re-scores its best candidates
exactly (vectors.py: `RESCORE_FACTOR`).  float16 scored 0.9995 but costs twice the memory and
converts about 6 times slower than int8 here.

Scoring converts the codes to float32 a block at a time into a buffer that stays in the CPU's
cache (256 rows, 384 KB): 9,500 rows scored in about the time float32 took (the float32 product
is bound by memory bandwidth, and the codes are a quarter of its bytes); converting the whole
block at once took 2-3 times as long.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final, final

import numpy as np
import numpy.typing as npt

Floats = npt.NDArray[np.float32]
Codes = npt.NDArray[np.int8]
Rows = npt.NDArray[np.intp]
BLOCK: Final = 256  # rows converted at a time: the buffer stays in cache
LEVELS: Final = 127.0
_buffers = threading.local()  # one conversion buffer per searching thread


def quantize(vectors: Floats) -> tuple[Codes, Floats]:
    """(codes, scales) of vectors: vectors ≈ codes * scales[:, None]."""
    peaks = np.abs(vectors).max(axis=1)
    scales = (np.where(peaks == 0, 1.0, peaks) / LEVELS).astype(np.float32)
    codes = np.rint(vectors / scales[:, None]).astype(np.int8)
    return codes, scales


def scores(codes: Codes, scales: Floats, query: Floats) -> Floats:
    """query's dot product with every row the codes stand for (in the rows' order)."""
    out = np.empty(len(codes), np.float32)
    buffer = _buffer(codes.shape[1])
    for start in range(0, len(codes), BLOCK):
        block = codes[start:start + BLOCK]
        rows = buffer[:len(block)]
        np.copyto(rows, block, casting="unsafe")
        np.matmul(rows, query, out=out[start:start + len(block)])
    out *= scales
    return out


def decoded(codes: Codes, scales: Floats) -> Floats:
    """The float32 vectors the codes stand for (for a few rows: a layout's sample, a block)."""
    return codes.astype(np.float32) * scales[:, None]


def _buffer(dimension: int) -> Floats:
    buffer: Floats | None = getattr(_buffers, "rows", None)
    if buffer is None or buffer.shape[1] != dimension:
        buffer = np.empty((BLOCK, dimension), np.float32)
        _buffers.rows = buffer
    return buffer


@final
@dataclass(frozen=True)
class Decoded:
    """The first `size` rows of (codes, scales) read as float32, a slice or some rows at a time
    (what a layout's k-means reads, without a float32 copy of every row)."""

    codes: Codes
    scales: Floats
    size: int

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: slice | Rows) -> Floats:
        if isinstance(key, slice):
            start, stop, step = key.indices(self.size)
            key = slice(start, stop, step)
        return decoded(self.codes[key], self.scales[key])
