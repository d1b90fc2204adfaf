"""Stochastic-block graphs labelled by connectedness (the permutation experiment).

Each graph has two blocks of `block_size` nodes; an edge appears with probability
`p_in` inside a block and `p_out` between blocks. The nodes are then shuffled once
(a random relabelling, as in the reference data), and the label is 1 when the graph
is connected: the second-smallest eigenvalue of its Laplacian is > 0.

File format (`data/eqaug/perm.h5`): `adjacency` uint8 (n, 2b, 2b), symmetric with a
zero diagonal; `label` uint8 (n,). Attributes record how the file was made and the
fraction of connected graphs.

`--source paper` instead downloads the reference repository's archive at a pinned
commit and converts its 1000 stored graphs (`stoch_block/graphmat{k}.npy`,
`graphlabel{k}.npy`) into the same file; the converted arrays are checked against a
pinned SHA-256 (a content checksum: GitHub's archive bytes are not guaranteed to be
stable, the arrays are).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import logging
import tarfile

import numpy as np

from ..errors import InputError
from .hdf5 import read_arrays, write_arrays

log = logging.getLogger(__name__)

PAPER_COMMIT = "470c69715eb3395be2e4c7c5b54c07ef10177ba3"
PAPER_URLS = (f"https://codeload.github.com/usinedepain/eq_aug_dyn/tar.gz/{PAPER_COMMIT}",)
PAPER_GRAPHS = 1000
# SHA-256 of adjacency (1000, 10, 10) uint8 bytes followed by label (1000,) uint8 bytes.
PAPER_CONTENT_SHA256 = "880a195c0a456269c41e85eab64e6535850d893b025eb2a8b869e5546d36c158"


def generate(n_graphs: int, block_size: int, p_in: float, p_out: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Draw `n_graphs` graphs; returns (adjacency uint8 (n, 2b, 2b), label uint8 (n,))."""
    if n_graphs < 1 or block_size < 1:
        raise InputError(f"n_graphs and block_size must be >= 1, got {n_graphs} and {block_size}")
    for key, p in (("p_in", p_in), ("p_out", p_out)):
        if not 0.0 <= p <= 1.0:
            raise InputError(f"{key} must be a probability in [0, 1], got {p}")
    rng = np.random.default_rng(seed)
    n = 2 * block_size
    block = np.arange(n) // block_size
    prob = np.where(block[:, None] == block[None, :], p_in, p_out)
    upper = np.triu(rng.random((n_graphs, n, n)) < prob, k=1)
    adjacency = (upper | upper.transpose(0, 2, 1)).astype(np.uint8)
    perms = np.argsort(rng.random((n_graphs, n)), axis=1)
    adjacency = adjacency[np.arange(n_graphs)[:, None, None], perms[:, :, None], perms[:, None, :]]
    return adjacency, connected(adjacency)


def connected(adjacency: np.ndarray) -> np.ndarray:
    """1 where the graph is connected (Fiedler value > 0), else 0."""
    a = adjacency.astype(np.float64)
    laplacian = np.eye(a.shape[-1]) * a.sum(-1)[:, :, None] - a
    fiedler = np.linalg.eigvalsh(laplacian)[:, 1]
    return (fiedler > 1e-9).astype(np.uint8)


def convert_paper_archive(archive: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Stack the reference repository's stored graphs into arrays and verify them."""
    graphs: dict[int, np.ndarray] = {}
    labels: dict[int, float] = {}
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        for member in tar:
            parts = member.name.split("/")
            if len(parts) < 2 or parts[-2] != "stoch_block" or not member.isfile():
                continue
            stem = parts[-1].removesuffix(".npy")
            raw = tar.extractfile(member).read()
            value = np.load(io.BytesIO(raw), allow_pickle=False)
            if stem.startswith("graphmat"):
                graphs[int(stem[len("graphmat"):])] = value
            elif stem.startswith("graphlabel"):
                labels[int(stem[len("graphlabel"):])] = float(value)
    missing = [k for k in range(PAPER_GRAPHS) if k not in graphs or k not in labels]
    if missing:
        raise InputError(f"reference archive lacks stoch_block graphs/labels for indices {missing[:5]}...")
    adjacency = np.stack([graphs[k] for k in range(PAPER_GRAPHS)]).astype(np.uint8)
    label = np.array([labels[k] for k in range(PAPER_GRAPHS)]).astype(np.uint8)
    digest = hashlib.sha256(adjacency.tobytes() + label.tobytes()).hexdigest()
    if digest != PAPER_CONTENT_SHA256:
        raise InputError(f"reference graphs have content checksum {digest}, expected {PAPER_CONTENT_SHA256}")
    wrong = int((connected(adjacency) != label).sum())
    if wrong:  # the reference thresholds the Fiedler value at 1e-15, below round-off
        log.warning("%d of the reference's %d labels disagree with the graphs' connectedness; kept as stored",
                    wrong, len(label))
    return adjacency, label


def load(path) -> tuple[np.ndarray, np.ndarray]:
    """Read and check a graph file; returns (adjacency uint8 (n, V, V), label uint8 (n,))."""
    arrays, _ = read_arrays(path, {"adjacency": ((None, None, None), "ui"), "label": ((None,), "uif")})
    a, y = arrays["adjacency"], arrays["label"]
    if a.shape[1] != a.shape[2]:
        raise InputError(f"data file {path}: adjacency matrices must be square, got {a.shape[1:]}")
    if not np.isin(a, (0, 1)).all() or not (a == a.transpose(0, 2, 1)).all():
        raise InputError(f"data file {path}: adjacency must be symmetric 0/1 matrices")
    if not np.isin(y, (0, 1)).all():
        raise InputError(f"data file {path}: labels must be 0 or 1")
    return a.astype(np.uint8), y.astype(np.uint8)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("synthetic", "paper"), default="synthetic",
                        help="synthetic: draw graphs from --seed; paper: download the reference graphs")
    parser.add_argument("--n-graphs", type=int, default=1000)
    parser.add_argument("--block-size", type=int, default=5)
    parser.add_argument("--p-in", type=float, default=0.5)
    parser.add_argument("--p-out", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--retries", type=int, default=3, help="download attempts per URL (source paper)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per download attempt")
    parser.add_argument("--out", required=True, help="output HDF5 file")


def run(args: argparse.Namespace) -> None:
    if args.source == "paper":
        from .download import fetch_bytes

        archive = fetch_bytes(list(PAPER_URLS), retries=args.retries, timeout=args.timeout)
        adjacency, label = convert_paper_archive(archive)
        attrs = {"source": "paper", "commit": PAPER_COMMIT}
    else:
        adjacency, label = generate(args.n_graphs, args.block_size, args.p_in, args.p_out, args.seed)
        attrs = {"source": "synthetic", "seed": args.seed, "block_size": args.block_size,
                 "p_in": args.p_in, "p_out": args.p_out}
    fraction = float(label.mean())
    attrs["fraction_connected"] = fraction
    log.info("%d graphs of %d nodes; fraction connected: %.3f", len(label), adjacency.shape[1], fraction)
    write_arrays(args.out, {"adjacency": adjacency, "label": label}, attrs)
