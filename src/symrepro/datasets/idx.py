"""The IDX format of the MNIST files, read and written without torchvision.

Layout: two zero bytes, a type code, the number of dimensions d, then d big-endian
uint32 sizes and the row-major payload (big-endian for multi-byte types). Gzip is
handled transparently: a file is decompressed when its name ends in `.gz` or its
content starts with the gzip magic bytes (an IDX file starts with two zero bytes, so
the two cannot be confused); `write_idx` compresses when the name ends in `.gz`.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import InputError

TYPES = {0x08: np.dtype(">u1"), 0x09: np.dtype(">i1"), 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
         0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}
CODES = {dtype.newbyteorder("="): code for code, dtype in TYPES.items()}


def _raw(path: Path) -> bytes:
    try:
        data = path.read_bytes()
        return gzip.decompress(data) if path.suffix == ".gz" or data[:2] == b"\x1f\x8b" else data
    except FileNotFoundError as err:
        raise InputError(f"IDX file {path} does not exist") from err
    except (OSError, EOFError, zlib.error) as err:
        raise InputError(f"IDX file {path} is not readable gzip data (truncated or corrupt?): {err}") from err


def decode(raw: bytes, name: str = "IDX data") -> np.ndarray:
    """Parse uncompressed IDX bytes; errors name `name` (the file)."""
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in TYPES:
        raise InputError(f"{name} does not start with an IDX magic number")
    dtype, ndim = TYPES[raw[2]], raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise InputError(f"{name}: header truncated")
    shape = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise InputError(f"{name}: payload has {len(raw) - header} bytes, dimensions {shape} need {expected}"
                         " (truncated?)")
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """The array stored in an IDX file (native byte order); InputError names a bad file."""
    path = Path(path)
    return decode(_raw(path), f"IDX file {path}")


def encode(array: np.ndarray) -> bytes:
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in CODES:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    header = bytes([0, 0, CODES[native], array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    return header + array.astype(TYPES[CODES[native]]).tobytes()


def write_idx(path: str | os.PathLike, array: np.ndarray) -> None:
    """Write `array` atomically; the same array always gives the same bytes."""
    path = Path(path)
    raw = encode(array)
    with atomic_path(path) as tmp:
        # mtime=0: the same array always gives the same bytes (and checksum)
        tmp.write_bytes(gzip.compress(raw, mtime=0) if path.suffix == ".gz" else raw)
