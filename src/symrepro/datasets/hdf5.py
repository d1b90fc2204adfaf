"""Reading and writing the one-HDF5-file-per-dataset format, with clear errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import h5py
import numpy as np

from ..atomic import atomic_path
from ..errors import InputError


def write_arrays(path: str | os.PathLike, arrays: Mapping[str, np.ndarray], attrs: Mapping | None = None) -> None:
    """Write named arrays (and scalar attributes) to `path` atomically."""
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            for name, value in arrays.items():
                f.create_dataset(name, data=np.asarray(value), compression="gzip", compression_opts=4)
            for key, value in (attrs or {}).items():
                f.attrs[key] = value


def read_arrays(
    path: str | os.PathLike,
    spec: Mapping[str, tuple[tuple[int | None, ...], tuple[str, ...]]],
) -> tuple[dict[str, np.ndarray], dict]:
    """Read the arrays named in `spec` and check them.

    `spec` maps a dataset name to (shape, dtype kinds): shape entries that are
    None match any length; dtype kinds are numpy kind letters ('u', 'i', 'f', 'b').
    All arrays must agree on their first dimension (the sample count).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"data file {path} does not exist")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise InputError(f"data file {path} is not a readable HDF5 file (truncated or corrupt?): {err}") from err
    arrays = {}
    with f:
        for name, (shape, kinds) in spec.items():
            if name not in f:
                raise InputError(f"data file {path} has no dataset {name!r} (has: {sorted(f.keys())})")
            ds = f[name]
            if len(ds.shape) != len(shape) or any(s is not None and s != d for s, d in zip(shape, ds.shape)):
                want = tuple("any" if s is None else s for s in shape)
                raise InputError(f"data file {path}: dataset {name!r} has shape {ds.shape}, expected {want}")
            if ds.dtype.kind not in kinds:
                raise InputError(f"data file {path}: dataset {name!r} has dtype {ds.dtype}, expected kind {kinds}")
            try:
                arrays[name] = ds[()]
            except OSError as err:
                raise InputError(f"data file {path}: dataset {name!r} cannot be read (truncated?): {err}") from err
        attrs = dict(f.attrs)
    lengths = {name: a.shape[0] for name, a in arrays.items() if a.ndim}
    if len(set(lengths.values())) > 1:
        raise InputError(f"data file {path}: datasets disagree on the sample count: {lengths}")
    return arrays, attrs
