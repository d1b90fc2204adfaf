"""MNIST: the four official IDX files, an offline stand-in, and the 14×14 version.

`symrepro data mnist-idx` writes `train-images-idx3-ubyte.gz`, `train-labels-idx1-ubyte.gz`,
`t10k-images-idx3-ubyte.gz` and `t10k-labels-idx1-ubyte.gz` into `--out-dir`:

* `--source official` downloads them from a list of mirrors (tried in order) and
  verifies each file's MD5 (see `download.py`: retries, no partial files);
* `--source synthetic` renders digits with OpenCV's Hershey fonts (random font,
  scale, stroke width and offset, drawn at 4× and area-resized to 28×28) into files
  of exactly the same format, so the same parsing code runs offline. Defaults:
  6 000 training and 10 000 test digits (the experiments only use the test split;
  the training split is kept small because it is only there for the format).

A failed download is an error; it is never replaced by synthetic digits.

`symrepro data mnist14` reads one split through the IDX parser, resizes each image
to `--size`² (`--resample bilinear`, the default: Pillow's antialiased bilinear filter
on the 8-bit image, which is what the reference's torchvision `Resize` does to
MNIST's PIL images; or `area`: OpenCV area averaging in float) and stores `images` float32 in [0, 1]
(n, s, s) and `labels` int64 (n,) in one HDF5 file; its attributes record the split,
the size and `source`: "official" when both IDX files have the official MD5s,
otherwise "other" (e.g. the synthetic stand-in). The dynamics experiments train on
the TEST split (10 000 digits), as the reference does, hence `--split test` by default.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import cv2
import numpy as np

from ..errors import InputError
from .download import fetch, file_digest
from .hdf5 import read_arrays, write_arrays
from .idx import read_idx, write_idx

log = logging.getLogger(__name__)

FILES = {  # name -> official MD5 of the gzip file
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
SPLITS = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
MIRRORS = ["https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/"]
FONTS = [cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX, cv2.FONT_HERSHEY_TRIPLEX,
         cv2.FONT_HERSHEY_SCRIPT_SIMPLEX, cv2.FONT_HERSHEY_PLAIN]


def download_official(out_dir: str | Path, mirrors: list[str], retries: int, timeout: float, backoff: float) -> None:
    """Fetch the four files (each from `mirrors` in order, MD5-checked) into `out_dir`."""
    if not mirrors:
        raise InputError("--mirror: no mirror URL given")
    for name, md5 in FILES.items():
        fetch([m.rstrip("/") + "/" + name for m in mirrors], Path(out_dir) / name, checksum=("md5", md5),
              retries=retries, timeout=timeout, backoff=backoff)


def render_digits(count: int, rng: np.random.Generator, side: int = 28, oversample: int = 4,
                  margin: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """`count` digit images (uint8, side×side, white on black, like MNIST) and their labels.

    Each digit is drawn with `cv2.putText` in a random Hershey font (upright or
    italic), cropped to its ink and scaled to a random height of 55–80 % of the image
    (width capped to fit); a stroke thinner than a random width of 1.8–3.2 output
    pixels is thickened to it (grey-level dilation), and the digit is moved by
    a random offset of up to ±10 % of the side, clamped so that at least `margin`
    pixels of black border remain. All of this happens at `oversample`× resolution;
    the result is area-averaged to side×side. (OpenCV ≥ 5 draws Hershey text as
    outlines whose `thickness` only selects regular or bold, hence the dilation.)
    """
    big, work = side * oversample, 2 * side * oversample
    room = big - 2 * margin * oversample
    labels = rng.integers(0, 10, count).astype(np.uint8)
    images = np.empty((count, side, side), dtype=np.uint8)
    scratch = np.zeros((work, work), dtype=np.uint8)
    canvas = np.zeros((big, big), dtype=np.uint8)
    for i, digit in enumerate(labels):
        font = int(FONTS[rng.integers(len(FONTS))]) | (cv2.FONT_ITALIC if rng.random() < 0.3 else 0)
        font_scale = work / 50  # glyphs about 40 % of the scratch canvas high
        (w, h), _ = cv2.getTextSize(str(digit), font, font_scale, 1)
        scratch[:] = 0
        cv2.putText(scratch, str(digit), ((work - w) // 2, (work + h) // 2), font, font_scale, 255, 1, cv2.LINE_AA)
        x, y, bw, bh = cv2.boundingRect(scratch)
        height = rng.uniform(0.55, 0.80) * big
        stroke = rng.uniform(1.8, 3.2) * oversample
        factor = min(height / bh, room / bw, room / bh)
        gw, gh = max(1, round(bw * factor)), max(1, round(bh * factor))
        glyph = cv2.resize(scratch[y:y + bh, x:x + bw], (gw, gh), interpolation=cv2.INTER_AREA)
        # stroke width now ≈ twice the largest distance from ink to background
        width = 2 * cv2.distanceTransform((glyph > 127).astype(np.uint8), cv2.DIST_L2, 5).max()
        radius = int(round((stroke - width) / 2))
        if radius > 0:
            kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1,) * 2)
            glyph = cv2.copyMakeBorder(glyph, radius, radius, radius, radius, cv2.BORDER_CONSTANT, value=0)
            glyph = cv2.dilate(glyph, kernel)
            gh, gw = glyph.shape
            if gh > room or gw > room:
                shrink = min(room / gh, room / gw)
                gw, gh = max(1, int(gw * shrink)), max(1, int(gh * shrink))
                glyph = cv2.resize(glyph, (gw, gh), interpolation=cv2.INTER_AREA)
        dx, dy = rng.uniform(-0.1, 0.1, size=2) * big
        left = int(np.clip(round((big - gw) / 2 + dx), margin * oversample, big - margin * oversample - gw))
        top = int(np.clip(round((big - gh) / 2 + dy), margin * oversample, big - margin * oversample - gh))
        canvas[:] = 0
        canvas[top:top + gh, left:left + gw] = glyph
        images[i] = cv2.resize(canvas, (side, side), interpolation=cv2.INTER_AREA)
    return images, labels


def write_synthetic(out_dir: str | Path, n_train: int, n_test: int, seed: int) -> None:
    if n_train < 1 or n_test < 1:
        raise InputError(f"--n-train and --n-test must be >= 1, got {n_train}, {n_test}")
    rng = np.random.default_rng(seed)
    for split, count in (("train", n_train), ("test", n_test)):
        images, labels = render_digits(count, rng)
        image_file, label_file = SPLITS[split]
        write_idx(Path(out_dir) / image_file, images)
        write_idx(Path(out_dir) / label_file, labels)


def read_split(raw_dir: str | Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (n, h, w), labels uint8 (n,)) of one split, parsed from the IDX files."""
    if split not in SPLITS:
        raise InputError(f"split must be one of {sorted(SPLITS)}, got {split!r}")
    image_file, label_file = SPLITS[split]
    images, labels = read_idx(Path(raw_dir) / image_file), read_idx(Path(raw_dir) / label_file)
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise InputError(f"{raw_dir}: {split} images {images.shape} and labels {labels.shape} do not match")
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise InputError(f"{raw_dir}: {split} images and labels must be uint8 IDX, got {images.dtype}, {labels.dtype}")
    if len(labels) and labels.max() > 9:
        raise InputError(f"{Path(raw_dir) / label_file}: labels must be digits 0-9, found {labels.max()}")
    return images, labels


def split_source(raw_dir: str | Path, split: str) -> str:
    """"official" if the split's two files carry the official MD5s, else "other"."""
    official = all(file_digest(Path(raw_dir) / name, "md5") == FILES[name] for name in SPLITS[split])
    return "official" if official else "other"


RESAMPLING = ("bilinear", "area")


def resize(images: np.ndarray, size: int, method: str = "bilinear") -> np.ndarray:
    """Resize uint8 images to float32 in [0, 1].

    `bilinear` (default): what the reference's `transforms.Resize((n, n))` does to
    MNIST's PIL images — Pillow's antialiased bilinear filter on the 8-bit image, the
    result rounded to 8 bits — then / 255. `area`: OpenCV's area averaging in float.
    """
    if method not in RESAMPLING:
        raise InputError(f"--resample must be one of {RESAMPLING}, got {method!r}")
    out = np.empty((len(images), size, size), dtype=np.float32)
    if method == "bilinear":
        from PIL import Image

        for i, image in enumerate(images):
            out[i] = np.asarray(Image.fromarray(image).resize((size, size), Image.Resampling.BILINEAR),
                                dtype=np.float32) / 255.0
        return out
    for i, image in enumerate(images):
        out[i] = cv2.resize(image.astype(np.float32) / 255.0, (size, size), interpolation=cv2.INTER_AREA)
    return np.clip(out, 0.0, 1.0)


def load_mnist14(path) -> tuple[np.ndarray, np.ndarray]:
    """Read and check a resized MNIST file: (images float32 (n, s, s) in [0, 1], labels int64 (n,))."""
    arrays, _ = read_arrays(path, {"images": ((None, None, None), "f"), "labels": ((None,), "iu")})
    images, labels = arrays["images"].astype(np.float32), arrays["labels"].astype(np.int64)
    if images.shape[1] != images.shape[2]:
        raise InputError(f"data file {path}: images must be square, got {images.shape[1:]}")
    if images.min() < 0 or images.max() > 1:
        raise InputError(f"data file {path}: image values must lie in [0, 1]")
    if labels.min() < 0 or labels.max() > 9:
        raise InputError(f"data file {path}: labels must be digits 0-9")
    return images, labels


# ----------------------------------------------------------------- commands
class Idx:
    """Write the four MNIST IDX files: downloaded (official) or rendered (synthetic)."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--source", choices=("official", "synthetic"), required=True,
                            help="official: download and MD5-check; synthetic: render an offline stand-in")
        parser.add_argument("--out-dir", required=True, help="directory receiving the four .gz IDX files")
        parser.add_argument("--mirror", action="append", dest="mirrors", default=None,
                            help="base URL holding the four files (repeatable, tried in order; "
                                 f"default: {' then '.join(MIRRORS)})")
        parser.add_argument("--retries", type=int, default=3, help="attempts per mirror and file (official)")
        parser.add_argument("--timeout", type=float, default=60.0, help="seconds per attempt (official)")
        parser.add_argument("--backoff", type=float, default=2.0,
                            help="pause of backoff × attempt seconds between attempts (official)")
        parser.add_argument("--n-train", type=int, default=6000, help="synthetic training digits (default 6000)")
        parser.add_argument("--n-test", type=int, default=10000, help="synthetic test digits (default 10000)")
        parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic digits")

    @staticmethod
    def run(args: argparse.Namespace) -> None:
        if args.source == "official":
            download_official(args.out_dir, args.mirrors or MIRRORS, args.retries, args.timeout, args.backoff)
        else:
            write_synthetic(args.out_dir, args.n_train, args.n_test, args.seed)


class Resized:
    """Resize one MNIST split (antialiased bilinear as the reference, or area averaging) into one HDF5 file."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--raw-dir", required=True, help="directory of the four IDX files")
        parser.add_argument("--split", choices=sorted(SPLITS), default="test",
                            help="which split to resize (default test: the experiments train on it)")
        parser.add_argument("--size", type=int, default=14, help="output side in pixels")
        parser.add_argument("--resample", choices=RESAMPLING, default="bilinear",
                            help="bilinear: Pillow's antialiased bilinear on 8-bit images, as the reference "
                                 "(torchvision Resize on PIL images); area: OpenCV area averaging in float")
        parser.add_argument("--out", required=True, help="HDF5 file to write")

    @staticmethod
    def run(args: argparse.Namespace) -> None:
        images, labels = read_split(args.raw_dir, args.split)
        if not 2 <= args.size <= min(images.shape[1:]):
            raise InputError(f"--size must lie in [2, {min(images.shape[1:])}] (area averaging only shrinks), "
                             f"got {args.size}")
        small = resize(images, args.size, args.resample)
        write_arrays(args.out, {"images": small, "labels": labels.astype(np.int64)},
                     {"split": args.split, "size": args.size, "resample": args.resample,
                      "source": split_source(args.raw_dir, args.split),
                      "source_dir": str(args.raw_dir)})
        log.info("%d %s digits resized to %d×%d", len(labels), args.split, args.size, args.size)
