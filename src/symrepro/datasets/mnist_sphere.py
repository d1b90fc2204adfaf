"""MNIST on a sphere: three rotated digits per sample at three longitudes.

`symrepro data mnist-sphere` reads one MNIST split through the IDX parser (the
official files or the offline stand-in of `symrepro data mnist-idx`) and builds:

1. a cylinder image of CYLINDER = (120, 32) pixels (rows = longitude, columns =
   height on the cylinder). Three digits are pasted at rows 20, 60, 100 (each
   occupies rows r−14…r+13) and columns 2…29. Each digit is rotated about its centre
   by 90° + U{−R, …, R−1} degrees (OpenCV, nearest neighbour, counter-clockwise for
   positive angles), R = `--max-rotation` (60 for training, 180 for testing);
2. a per-pixel label: the digit's class where the rotated digit is non-zero, the
   background class 10 elsewhere (11 classes);
3. the Lambert-style equirectangular projection to the stored (120, 60) sphere
   image: sphere column j has latitude φ_j = (j − 30)·π/60 and takes cylinder column
   y_j = round(sin φ_j · 120/(2π) + 16) (nearest; columns whose y_j falls off the
   cylinder are empty: image 0, label background).

The three digits of a sample are drawn uniformly (with replacement) from the split
by a NumPy generator seeded with `--seed`, as are the angles (the reference uses
Python's salted `hash`, which is not reproducible between runs).

Stored (one HDF5 file): `images` uint8 (N, 1, 120, 60) — nearest-neighbour rotation
and projection only copy MNIST pixels, so uint8 is lossless and a quarter of float32
(readers divide by 255); `labels` uint8 (N, 120, 60) in 0…10; `digits` int64 (N, 3)
(indices into the split), `digit_labels` uint8 (N, 3) and `angles` int64 (N, 3)
(degrees, the 90° included), plus attributes split, max_rotation, seed and source.
"""

from __future__ import annotations

import argparse
import math

import cv2
import numpy as np

from ..errors import InputError
from .hdf5 import read_arrays, write_arrays
from .mnist import read_split, split_source

LONGITUDES = 120  # sphere image rows (and cylinder rows)
LATITUDES = 60  # sphere image columns
CYLINDER_WIDTH = 32
DIGIT_ROWS = (20, 60, 100)  # digit centres along the longitude axis
DIGIT_COLUMN = 16  # digit centre on the cylinder (columns 2…29)
DIGIT = 28
BACKGROUND = 10
CLASSES = 11
RADIUS = LONGITUDES / (2 * math.pi)  # the cylinder's radius in pixels (≈ 19.1)


def projection_columns() -> np.ndarray:
    """For each sphere column j, the cylinder column it copies (−1: off the cylinder)."""
    phi = (np.arange(LATITUDES) - LATITUDES // 2) * math.pi / LATITUDES
    y = np.rint(np.sin(phi) * RADIUS + CYLINDER_WIDTH / 2).astype(np.int64)
    return np.where((y >= 0) & (y < CYLINDER_WIDTH), y, -1)


def rotate_digit(digit: np.ndarray, degrees: float) -> np.ndarray:
    """Rotate a 28×28 uint8 digit about its centre (counter-clockwise, nearest, zeros outside)."""
    centre = ((DIGIT - 1) / 2.0, (DIGIT - 1) / 2.0)
    matrix = cv2.getRotationMatrix2D(centre, float(degrees), 1.0)
    return cv2.warpAffine(digit, matrix, (DIGIT, DIGIT), flags=cv2.INTER_NEAREST,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def cylinders(digits: np.ndarray, labels: np.ndarray, angles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cylinder images uint8 (N, 120, 32) and label maps uint8 (N, 120, 32) from the
    three digits (N, 3, 28, 28), their classes (N, 3) and angles (N, 3) of every sample."""
    n = len(digits)
    images = np.zeros((n, LONGITUDES, CYLINDER_WIDTH), dtype=np.uint8)
    label_maps = np.full((n, LONGITUDES, CYLINDER_WIDTH), BACKGROUND, dtype=np.uint8)
    c0 = DIGIT_COLUMN - DIGIT // 2
    for slot, r in enumerate(DIGIT_ROWS):
        rotated = np.stack([rotate_digit(d, a) for d, a in zip(digits[:, slot], angles[:, slot])])
        r0 = r - DIGIT // 2
        images[:, r0:r0 + DIGIT, c0:c0 + DIGIT] = rotated
        ink = rotated > 0
        region = label_maps[:, r0:r0 + DIGIT, c0:c0 + DIGIT]
        region[ink] = np.broadcast_to(labels[:, slot, None, None], ink.shape)[ink]
    return images, label_maps


def project(cylinder: np.ndarray, fill) -> np.ndarray:
    """Equirectangular sphere image (…, 120, 60) of cylinder images (…, 120, 32)."""
    columns = projection_columns()
    out = np.full(cylinder.shape[:-1] + (LATITUDES,), fill, dtype=cylinder.dtype)
    on = columns >= 0
    out[..., on] = cylinder[..., columns[on]]
    return out


def generate(mnist_images: np.ndarray, mnist_labels: np.ndarray, n_samples: int, max_rotation: int,
             seed: int) -> dict[str, np.ndarray]:
    """The arrays of the data file (see the module docstring)."""
    if n_samples < 1:
        raise InputError(f"--n-samples must be >= 1, got {n_samples}")
    if not 0 <= max_rotation <= 180:
        raise InputError(f"--max-rotation must be in 0…180 degrees, got {max_rotation}")
    if len(mnist_images) == 0 or mnist_images.shape[1:] != (DIGIT, DIGIT):
        raise InputError(f"need 28×28 MNIST digits, got an array of shape {mnist_images.shape}")
    rng = np.random.default_rng(seed)
    chosen = rng.integers(0, len(mnist_images), size=(n_samples, 3))
    offsets = rng.integers(-max_rotation, max_rotation, size=(n_samples, 3)) if max_rotation else \
        np.zeros((n_samples, 3), dtype=np.int64)
    angles = 90 + offsets
    digit_labels = mnist_labels[chosen]
    cyl_images, cyl_labels = cylinders(mnist_images[chosen], digit_labels, angles)
    return {"images": project(cyl_images, 0)[:, None], "labels": project(cyl_labels, BACKGROUND),
            "digits": chosen.astype(np.int64), "digit_labels": digit_labels.astype(np.uint8),
            "angles": angles.astype(np.int64)}


def load(path) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 1, 120, 60), labels uint8 (N, 120, 60)) of a data file, checked."""
    arrays, _ = read_arrays(path, {"images": ((None, 1, LONGITUDES, LATITUDES), ("u",)),
                                   "labels": ((None, LONGITUDES, LATITUDES), ("u", "i"))})
    labels = arrays["labels"]
    if labels.size and (labels.min() < 0 or labels.max() >= CLASSES):
        raise InputError(f"data file {path}: labels must lie in 0…{CLASSES - 1}, found {labels.min()}…{labels.max()}")
    return arrays["images"], labels.astype(np.uint8)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--raw-dir", required=True, help="directory of the four MNIST IDX files")
    parser.add_argument("--split", choices=["train", "test"], default="train")
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--max-rotation", type=int, default=60,
                        help="R: digits are rotated by 90° + U{−R…R−1} degrees (60 train, 180 test)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", required=True, help="output HDF5 file")


def run(args: argparse.Namespace) -> None:
    if getattr(args, "threads", None):
        cv2.setNumThreads(args.threads)
    images, labels = read_split(args.raw_dir, args.split)
    arrays = generate(images, labels, args.n_samples, args.max_rotation, args.seed)
    write_arrays(args.out, arrays, {"split": args.split, "max_rotation": args.max_rotation, "seed": args.seed,
                                    "source": split_source(args.raw_dir, args.split)})

