"""Simple shapes for the rotation experiment: one filled triangle or pentagon per image.

Each sample draws the shape (probability 1/2 each), a radius r ∈ [0.7, 0.8] of its
circumscribed circle and an offset v ∈ [−0.5, 0.5]² (the image spans [−1, 1]²),
fills the polygon with OpenCV at 32× resolution (448×448 for 14×14; sub-pixel
vertices via `shift`) and area-averages it to `size`×`size`. As in the reference the
vertices lie at angles 2πk/n (a vertex pointing along +x), and a shape reaching past
the border is clipped. File (`data/eqaug/shapes.h5`): `images` float32
(n, s, s) in [0, 1] (1 inside the shape), `triangle` and `pentagon` float32 masks
(n, s, s) — the drawn shape's area-averaged image thresholded at 0.5, all zero for
the absent shape — and `shape` uint8 (0 triangle, 1 pentagon).

`--source paper` converts the reference repository's 3000 stored samples
(`simpshape/shps{img,trig,pent}{k}.npy`, at a pinned commit, content checksum
verified) into the same layout, values as stored: there the image is 1 on the
background and ≈ 0.43 inside the shape, and the ABSENT shape's mask is all ones
(a defect of the reference generator, kept so that `paper` means the paper's data).
The reference drew on a 640×480 matplotlib canvas and resized it to 14×14, so its
[−1, 1]² square covers about 9.5 pixels across and 12.6 down: the paper's shapes
are squeezed horizontally to ≈ 3/4 (measured from the stored masks' second
moments) and smaller than the synthetic ones, which use the whole image isotropically.
The archive bytes from GitHub are not guaranteed stable, so the check is on the
converted content: SHA-256 of the float64 arrays img, trig, pent (3000×14×14 each).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import tarfile

import cv2
import numpy as np

from ..errors import InputError
from .hdf5 import read_arrays, write_arrays
from .stochastic_block import PAPER_COMMIT, PAPER_URLS

log = logging.getLogger(__name__)

VERTICES = {0: 3, 1: 5}  # shape code -> number of vertices
OVERSAMPLE = 32
SHIFT = 4  # fixed-point bits of the vertex coordinates given to cv2.fillPoly
PAPER_SAMPLES = 3000
# SHA-256 of the stacked float64 arrays img, trig, pent (3000, 14, 14 each), in that order.
PAPER_CONTENT_SHA256 = "1c99caf93190f72354d4dff550b89133e0c3be9a2b8478ef7d7ab99cf05775eb"


def polygon(vertices: int, radius: float, offset: np.ndarray) -> np.ndarray:
    angles = 2 * np.pi * np.arange(vertices) / vertices
    return radius * np.stack([np.cos(angles), np.sin(angles)], 1) + offset


def rasterize(points: np.ndarray, size: int) -> np.ndarray:
    """Fill a polygon given in [−1, 1]² (y up) and area-average it to size×size."""
    big = size * OVERSAMPLE
    canvas = np.zeros((big, big), dtype=np.uint8)
    # continuous coordinates in [0, big]; OpenCV puts pixel (i, j)'s centre at integer (j, i)
    pixels = np.stack([(points[:, 0] + 1) / 2 * big, (1 - points[:, 1]) / 2 * big], 1) - 0.5
    cv2.fillPoly(canvas, [np.round(pixels * (1 << SHIFT)).astype(np.int32)], 255, cv2.LINE_AA, shift=SHIFT)
    return cv2.resize(canvas.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_AREA)


def generate(n_samples: int, seed: int, size: int = 14) -> dict[str, np.ndarray]:
    """`n_samples` shapes drawn from `seed`, in the file layout of the module docstring."""
    if n_samples < 1 or size < 2:
        raise InputError(f"n_samples must be >= 1 and size >= 2, got {n_samples}, {size}")
    rng = np.random.default_rng(seed)
    shape = (rng.random(n_samples) >= 0.5).astype(np.uint8)
    radius = rng.uniform(0.7, 0.8, n_samples)
    offset = rng.uniform(-0.5, 0.5, (n_samples, 2))
    images = np.stack([rasterize(polygon(VERTICES[s], r, v), size) for s, r, v in zip(shape, radius, offset)])
    mask = (images > 0.5).astype(np.float32)
    triangle = np.where((shape == 0)[:, None, None], mask, 0.0).astype(np.float32)
    pentagon = np.where((shape == 1)[:, None, None], mask, 0.0).astype(np.float32)
    return {"images": np.clip(images, 0, 1).astype(np.float32), "triangle": triangle, "pentagon": pentagon,
            "shape": shape}


def convert_paper_archive(archive: bytes) -> dict[str, np.ndarray]:
    """The reference's simpshape/*.npy samples (from a .tar.gz) in the file layout, content-checked."""
    found: dict[str, dict[int, np.ndarray]] = {"img": {}, "trig": {}, "pent": {}}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) < 2 or parts[-2] != "simpshape" or not member.isfile():
                continue
            stem = parts[-1].removesuffix(".npy").removeprefix("shps")
            for kind in found:
                if stem.startswith(kind) and stem[len(kind):].isdigit():
                    found[kind][int(stem[len(kind):])] = np.load(io.BytesIO(tar.extractfile(member).read()))
    arrays = {}
    for kind, items in found.items():
        if sorted(items) != list(range(PAPER_SAMPLES)):
            raise InputError(f"reference archive lacks simpshape/shps{kind}*.npy samples")
        arrays[kind] = np.stack([items[k] for k in range(PAPER_SAMPLES)]).astype(np.float64)
    digest = hashlib.sha256(b"".join(arrays[k].tobytes() for k in ("img", "trig", "pent"))).hexdigest()
    if digest != PAPER_CONTENT_SHA256:
        raise InputError(f"reference shapes have content checksum {digest}, expected {PAPER_CONTENT_SHA256}")
    partial = lambda m: (m.reshape(PAPER_SAMPLES, -1).min(1) < 1)  # noqa: E731 - the present shape's mask
    return {"images": arrays["img"].astype(np.float32), "triangle": arrays["trig"].astype(np.float32),
            "pentagon": arrays["pent"].astype(np.float32), "shape": (~partial(arrays["trig"])).astype(np.uint8)}


def load_shapes(path) -> dict[str, np.ndarray]:
    """Read and check a shapes file (values in [0, 1], binary masks, equal shapes)."""
    grid = (None, None, None)
    arrays, _ = read_arrays(path, {"images": (grid, "f"), "triangle": (grid, "f"), "pentagon": (grid, "f"),
                                   "shape": ((None,), "ui")})
    for name in ("images", "triangle", "pentagon"):
        if arrays[name].shape != arrays["images"].shape:
            raise InputError(f"data file {path}: {name} has shape {arrays[name].shape}, "
                             f"images {arrays['images'].shape}")
    if arrays["images"].min() < 0 or arrays["images"].max() > 1:
        raise InputError(f"data file {path}: image values must lie in [0, 1]")
    for name in ("triangle", "pentagon"):
        if not np.isin(arrays[name], (0.0, 1.0)).all():
            raise InputError(f"data file {path}: the {name} mask must be 0/1")
    return arrays


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("synthetic", "paper"), default="synthetic",
                        help="synthetic: draw from --seed; paper: download the reference's 3000 samples")
    parser.add_argument("--n-samples", type=int, default=3000, help="number of shapes (synthetic)")
    parser.add_argument("--size", type=int, default=14, help="image side in pixels (synthetic; paper is 14)")
    parser.add_argument("--seed", type=int, default=0, help="generator seed (synthetic)")
    parser.add_argument("--retries", type=int, default=3, help="download attempts per URL (paper)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per attempt (paper)")
    parser.add_argument("--backoff", type=float, default=2.0, help="pause growth in seconds (paper)")
    parser.add_argument("--out", required=True, help="HDF5 file to write")


def run(args: argparse.Namespace) -> None:
    if args.source == "paper":
        from .download import fetch_bytes

        archive = fetch_bytes(list(PAPER_URLS), retries=args.retries, timeout=args.timeout, backoff=args.backoff)
        arrays = convert_paper_archive(archive)
        attrs = {"source": "paper", "commit": PAPER_COMMIT, "content_sha256": PAPER_CONTENT_SHA256}
    else:
        arrays = generate(args.n_samples, args.seed, args.size)
        attrs = {"source": "synthetic", "seed": args.seed, "size": args.size}
    log.info("%d shapes, %.1f %% triangles", len(arrays["shape"]), 100 * (arrays["shape"] == 0).mean())
    write_arrays(args.out, arrays, attrs)
