"""Top-quark tagging jets: the reference dataset (download + conversion) or an offline stand-in.

Reference: Kasieczka, Plehn et al., Zenodo record 2603256, `train.h5` / `val.h5` /
`test.h5` (1.2 M / 400 k / 400 k jets). Each file is a pandas/PyTables "table" under
the key 'table' with the float32 columns E_0, PX_0, PY_0, PZ_0, …, E_199, …, PZ_199
(200 constituents, zero-padded, sorted by decreasing pT), truthE, truthPX, truthPY,
truthPZ, and the int64 columns ttv and is_signal_new (1 = top jet).

`--source official` downloads the split's file into --raw-dir (size and MD5 checked,
retried, atomic; a file already there with the right checksum is kept; a failed
download is an error, never replaced by synthetic data). `--source synthetic` writes
a raw file in the same format from a seed. Either raw file then goes through the same
conversion: read in chunks of --chunk-rows rows (never the whole table), keep the
first --constituents constituents as `momenta` (N, n, 4) float32 (E, px, py, pz) and
`labels` (N,) int64, written atomically to one HDF5 file.

The stand-in jets are built in their rest frame: top-like (label 1) = a three-prong
decay t → b W, W → q q' with the top and W masses; QCD-like (label 0) = one
(isotropic) or two (back-to-back) prongs with a falling mass spectrum. Every prong is
split into massless constituents spread around its direction (at most 30 per jet, so
the kept constituents are the whole jet in every frame). The label is then a function
of Lorentz- and scale-invariant quantities only: with T = Σ_i p_i p_iᵀ / (p_i·P),
P = Σ_i p_i, the eigenvalues of T η are invariant under O(1,3) and under scaling, and
equal (1, −λ1, −λ2, −λ3) with λ the eigenvalues of the momentum tensor in the jet's
rest frame. The planarity λ2 − λ3 is large for three-prong decays and small for one
or two prongs; jets are kept only when it lies on their class' side of
`PLANARITY_CUT` with a margin (rejection sampling), so label = [planarity > cut]
exactly. Each jet is then rotated (half of them with a reflection p → −p),
boosted in a random direction and scaled by a random energy factor, and its
constituents are sorted by decreasing energy. The true symmetry of the stand-in is
therefore O+(1,3) × R+: so(1,3) ⊕ scaling, with parity as the only coset that data
with E > 0 can reveal.
"""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

import h5py
import numpy as np

from ..atomic import atomic_path
from ..errors import InputError
from .download import fetch
from .hdf5 import read_arrays

log = logging.getLogger(__name__)

RECORD = "https://zenodo.org/records/2603256/files/"
# split -> (file name, size in bytes, md5), as reported by two independent third-party repositories
OFFICIAL = {
    "train": ("train.h5", 1_038_496_555, "45663819f47c13724f67eb0fd80bfa5c"),
    "val": ("val.h5", 347_378_076, "dca4b7248027618f041f9baa86d360fc"),
    "test": ("test.h5", 347_849_376, "13163479dee30a5fe546e4536cc3d04d"),
}
TTV = {"train": 0, "test": 1, "val": 2}  # the reference's ttv column
RAW_CONSTITUENTS = 200
KEY = "table"
LABEL_COLUMN = "is_signal_new"
MAX_CONSTITUENTS = 30  # the stand-in never has more: truncation would break its invariance

TOP_MASS, TOP_WIDTH = 173.0, 2.0
W_MASS, W_WIDTH = 80.4, 2.0
PLANARITY_CUT, PLANARITY_MARGIN = 0.12, 0.03
# The random frames: boosts of rapidity up to MAX_RAPIDITY in a uniform direction, energy
# scales log-uniform in SCALE_RANGE. With scales in (0.5, 2) the reference's MLP
# (120 → 512 → 512 → 2) learned the planarity only to 0.87–0.89 accuracy from 1e5–2e5
# jets (8–30 epochs); with (0.7, 1.4) it reaches 0.90 in 8 epochs on 1e5 jets (measured
# on this CPU). Narrowing the boosts instead (rapidity ≤ 1) raised the accuracy further
# but left the predictor too little constrained along boosts for the algebra to find them.
MAX_RAPIDITY, SCALE_RANGE = 2.0, (0.7, 1.4)


def constituent_columns(n: int) -> list[str]:
    return [f"{c}_{i}" for i in range(n) for c in ("E", "PX", "PY", "PZ")]


RAW_COLUMNS = constituent_columns(RAW_CONSTITUENTS) + ["truthE", "truthPX", "truthPY", "truthPZ", "ttv",
                                                       LABEL_COLUMN]


# ------------------------------------------------------------------ Lorentz algebra
def minkowski_dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[..., 0] * b[..., 0] - (a[..., 1:] * b[..., 1:]).sum(-1)


def boost_matrices(velocity: np.ndarray) -> np.ndarray:
    """Pure boosts (…, 4, 4) taking a particle at rest to velocity β (…, 3), |β| < 1."""
    beta2 = (velocity ** 2).sum(-1)
    gamma = 1.0 / np.sqrt(1.0 - beta2)
    out = np.zeros(velocity.shape[:-1] + (4, 4))
    out[..., 0, 0] = gamma
    out[..., 0, 1:] = out[..., 1:, 0] = gamma[..., None] * velocity
    factor = np.where(beta2 > 0, (gamma - 1.0) / np.where(beta2 > 0, beta2, 1.0), 0.0)
    out[..., 1:, 1:] = np.eye(3) + factor[..., None, None] * velocity[..., :, None] * velocity[..., None, :]
    return out


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """Haar-distributed rotations (n, 3, 3) in SO(3)."""
    q, r = np.linalg.qr(rng.standard_normal((n, 3, 3)))
    q = q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    det = np.linalg.det(q)
    q[:, :, 0] *= det[:, None]
    return q


def unit_vectors(shape: tuple, rng: np.random.Generator) -> np.ndarray:
    v = rng.standard_normal(shape + (3,))
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def planarity(momenta: np.ndarray) -> np.ndarray:
    """λ2 − λ3 of each jet (N, n, 4) from the eigenvalues of T η, T = Σ p pᵀ / (p·P):
    invariant under O(1,3), scaling and permutations of the constituents; zero rows
    (padding) are ignored."""
    p = np.asarray(momenta, dtype=np.float64)
    total = p.sum(1)
    dots = minkowski_dot(p, total[:, None, :])
    weight = np.where(dots > 0, 1.0 / np.where(dots > 0, dots, 1.0), 0.0)
    tensor = np.einsum("nk,nki,nkj->nij", weight, p, p)
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    eigenvalues = np.sort(np.linalg.eigvals(tensor @ eta).real, axis=-1)  # (−λ1, −λ2, −λ3, 1)
    return eigenvalues[:, 2] - eigenvalues[:, 1]  # −λ3 − (−λ2)


def invariant_mass(momenta: np.ndarray) -> np.ndarray:
    total = np.asarray(momenta, dtype=np.float64).sum(1)
    return np.sqrt(np.clip(minkowski_dot(total, total), 0.0, None))


# ------------------------------------------------------------------ the stand-in
def _two_body(mass: np.ndarray, m1: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic decay at rest of `mass` into a particle of mass m1 and a massless one."""
    p = (mass ** 2 - m1 ** 2) / (2.0 * mass)
    direction = unit_vectors(mass.shape, rng)
    a = np.concatenate([np.sqrt(p ** 2 + m1 ** 2)[..., None], p[..., None] * direction], -1)
    b = np.concatenate([p[..., None], -p[..., None] * direction], -1)
    return a, b


def _rest_frame_partons(labels: np.ndarray, rng: np.random.Generator):
    """Up to three partons (n, 3, 4) at rest in total, their constituent counts (n, 3)
    and angular spreads (n, 3); the counts are 0 for absent partons."""
    n = len(labels)
    partons = np.zeros((n, 3, 4))
    counts = np.zeros((n, 3), dtype=np.int64)
    spread = np.full((n, 3), 0.12)
    top = labels == 1
    # top: t -> b W, W -> q q' (boosted from the W frame)
    m_top = rng.normal(TOP_MASS, TOP_WIDTH, n)
    m_w = rng.normal(W_MASS, W_WIDTH, n)
    w, b = _two_body(m_top, m_w, rng)
    q1, q2 = _two_body(m_w, np.zeros(n), rng)
    to_lab = boost_matrices(w[:, 1:] / w[:, :1])
    quarks = np.einsum("nij,nkj->nki", to_lab, np.stack([q1, q2], 1))
    top_partons = np.concatenate([b[:, None], quarks], 1)
    top_counts = rng.integers(3, 10, (n, 3))
    # QCD: a falling mass spectrum; one isotropic prong or two back-to-back prongs
    m_qcd = 20.0 + rng.exponential(60.0, n)
    two = rng.random(n) < 0.5
    axis = unit_vectors((n,), rng)
    half = (m_qcd / 2.0)[:, None]
    qcd_partons = np.zeros((n, 3, 4))
    qcd_partons[:, 0] = np.where(two[:, None], np.concatenate([half, half * axis], 1),
                                 np.concatenate([m_qcd[:, None], np.zeros((n, 3))], 1))
    qcd_partons[:, 1] = np.where(two[:, None], np.concatenate([half, -half * axis], 1), 0.0)
    qcd_counts = np.stack([np.where(two, rng.integers(3, 13, n), rng.integers(8, 26, n)),
                           np.where(two, rng.integers(3, 13, n), 0), np.zeros(n, dtype=np.int64)], 1)
    partons = np.where(top[:, None, None], top_partons, qcd_partons)
    counts = np.where(top[:, None], top_counts, qcd_counts)
    mass = np.where(top, m_top, m_qcd)
    return partons, counts, spread, mass


def _constituents(partons, counts, spread, rng: np.random.Generator) -> np.ndarray:
    """Split every parton into `counts` massless constituents (n, MAX, 4): energy
    fractions from a flat Dirichlet, directions spread around the parton's (a parton
    with no 3-momentum — a one-prong jet at rest — spreads isotropically)."""
    n = len(partons)
    slot_parton = np.zeros((n, MAX_CONSTITUENTS), dtype=np.int64)
    index = np.arange(MAX_CONSTITUENTS)
    ends = np.cumsum(counts, 1)
    for a in (1, 2):
        slot_parton += index[None, :] >= ends[:, a - 1:a]
    present = index[None, :] < ends[:, 2:3]
    gamma = rng.exponential(1.0, (n, MAX_CONSTITUENTS)) * present
    parton_sum = np.zeros((n, 3))
    np.add.at(parton_sum, (np.repeat(np.arange(n), MAX_CONSTITUENTS), slot_parton.ravel()), gamma.ravel())
    parton_of = np.take_along_axis(partons, slot_parton[..., None], 1)  # (n, MAX, 4)
    fraction = gamma / np.where(present, np.take_along_axis(parton_sum, slot_parton, 1), 1.0)
    p3 = parton_of[..., 1:]
    norm = np.linalg.norm(p3, axis=-1, keepdims=True)
    isotropic = norm[..., 0] < 1e-9
    direction = np.where(isotropic[..., None], 0.0, p3 / np.where(norm > 0, norm, 1.0))
    sigma = np.where(isotropic, 1.0, np.take_along_axis(spread, slot_parton, 1))
    direction = direction + sigma[..., None] * rng.standard_normal((n, MAX_CONSTITUENTS, 3))
    direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
    energy = fraction * parton_of[..., 0]
    return np.where(present[..., None], np.concatenate([energy[..., None], energy[..., None] * direction], -1), 0.0)


def _to_rest_frame(momenta: np.ndarray, mass: np.ndarray) -> np.ndarray:
    """Boost each jet to its rest frame and rescale it to the invariant mass `mass`."""
    total = momenta.sum(1)
    to_rest = boost_matrices(-total[:, 1:] / total[:, :1])
    rest = np.einsum("nij,nkj->nki", to_rest, momenta)
    return rest * (mass / invariant_mass(rest))[:, None, None]


def _jets_of_class(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` rest-frame jets of one class whose planarity lies on the class' side of the cut."""
    kept, have = [], 0
    for _ in range(1000):
        batch = max(2 * (n - have), 64)
        labels = np.full(batch, label)
        partons, counts, spread, mass = _rest_frame_partons(labels, rng)
        jets = _to_rest_frame(_constituents(partons, counts, spread, rng), mass)
        shape = planarity(jets)
        ok = shape > PLANARITY_CUT + PLANARITY_MARGIN if label == 1 else shape < PLANARITY_CUT - PLANARITY_MARGIN
        kept.append(jets[ok][: n - have])
        have += len(kept[-1])
        if have == n:
            return np.concatenate(kept)
    raise RuntimeError(f"rejection sampling of class {label} did not converge")  # pragma: no cover


def random_frames(n: int, rng: np.random.Generator, max_rapidity: float = MAX_RAPIDITY,
                  scale_range: tuple[float, float] = SCALE_RANGE) -> np.ndarray:
    """Random elements of O+(1,3) × R+ (n, 4, 4): scale · boost · (rotation, half of
    them composed with the parity p → −p)."""
    rotation = random_rotations(n, rng)
    rotation[: n // 2] *= -1.0  # det −1: a rotation composed with the parity
    rotation = rotation[rng.permutation(n)]
    spatial = np.zeros((n, 4, 4))
    spatial[:, 0, 0] = 1.0
    spatial[:, 1:, 1:] = rotation
    rapidity = rng.uniform(0.0, max_rapidity, n)
    boost = boost_matrices(np.tanh(rapidity)[:, None] * unit_vectors((n,), rng))
    scale = np.exp(rng.uniform(np.log(scale_range[0]), np.log(scale_range[1]), n))
    return scale[:, None, None] * boost @ spatial


def sort_by_energy(momenta: np.ndarray) -> np.ndarray:
    order = np.argsort(-momenta[..., 0], axis=1, kind="stable")
    return np.take_along_axis(momenta, order[..., None], 1)


def generate(n: int, seed: int, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` stand-in jets: momenta (n, 30, 4) float32 sorted by energy and labels (n,) int64,
    half of them top-like (label 1), in a random order. `stream` separates the splits
    drawn from one seed."""
    if n < 2:
        raise InputError(f"--n-jets must be >= 2, got {n}")
    rng = np.random.default_rng([seed, stream])
    n_top = n // 2
    jets = np.concatenate([_jets_of_class(1, n_top, rng), _jets_of_class(0, n - n_top, rng)])
    labels = np.concatenate([np.ones(n_top, dtype=np.int64), np.zeros(n - n_top, dtype=np.int64)])
    order = rng.permutation(n)
    jets, labels = jets[order], labels[order]
    lab = np.einsum("nij,nkj->nki", random_frames(n, rng), jets)
    return sort_by_energy(lab).astype(np.float32), labels


def write_raw(path: str | os.PathLike, momenta: np.ndarray, labels: np.ndarray, split: str,
              chunk_rows: int = 10000) -> None:
    """Write jets in the reference's raw format (pandas "table" under key 'table'), atomically."""
    import pandas as pd

    n, count = momenta.shape[:2]
    if count > RAW_CONSTITUENTS:
        raise InputError(f"at most {RAW_CONSTITUENTS} constituents per jet fit the raw format, got {count}")
    with atomic_path(path) as tmp:
        for start in range(0, n, chunk_rows):
            stop = min(start + chunk_rows, n)
            block = np.zeros((stop - start, 4 * RAW_CONSTITUENTS + 4), dtype=np.float32)
            block[:, : 4 * count] = momenta[start:stop].reshape(stop - start, -1)
            block[:, -4:] = np.where(labels[start:stop, None] == 1, momenta[start:stop].sum(1), 0.0)
            frame = pd.DataFrame(block, columns=RAW_COLUMNS[:-2], index=pd.RangeIndex(start, stop))
            frame["ttv"] = np.full(stop - start, TTV[split], dtype=np.int64)
            frame[LABEL_COLUMN] = labels[start:stop].astype(np.int64)
            frame.to_hdf(tmp, key=KEY, format="table", append=start > 0, complib="zlib", complevel=1,
                         mode="a" if start > 0 else "w")


# ------------------------------------------------------------------ conversion
def convert(raw: str | os.PathLike, out: str | os.PathLike, constituents: int = 30, chunk_rows: int = 100_000,
            limit: int | None = None) -> int:
    """Convert a raw table into `momenta` (N, constituents, 4) float32 and `labels` (N,) int64,
    reading `chunk_rows` rows at a time; returns N."""
    import pandas as pd

    raw = Path(raw)
    if constituents < 1 or constituents > RAW_CONSTITUENTS:
        raise InputError(f"--constituents must lie in [1, {RAW_CONSTITUENTS}], got {constituents}")
    if chunk_rows < 1:
        raise InputError(f"--chunk-rows must be >= 1, got {chunk_rows}")
    if not raw.is_file():
        raise InputError(f"raw top-tagging file {raw} does not exist")
    try:
        store = pd.HDFStore(raw, mode="r")
    except Exception as err:  # PyTables raises HDF5ExtError, OSError, ValueError… for a bad file
        raise InputError(f"{raw} is not a readable HDF5/PyTables file (truncated or corrupt?): {err}") from err
    wanted = constituent_columns(constituents) + [LABEL_COLUMN]
    try:
        if f"/{KEY}" not in store.keys():
            raise InputError(f"{raw} has no table under the key {KEY!r} (keys: {store.keys()})")
        storer = store.get_storer(KEY)
        if not getattr(storer, "is_table", False):
            raise InputError(f"{raw}: {KEY!r} is not a pandas table (format='table')")
        try:
            columns = list(store.select(KEY, start=0, stop=0).columns)
        except Exception as err:
            raise InputError(f"{raw}: cannot read the table {KEY!r}: {err}") from err
        missing = [c for c in wanted if c not in columns]
        if missing:
            raise InputError(f"{raw}: the table lacks the columns {missing[:8]}{' …' if len(missing) > 8 else ''} "
                             f"({len(missing)} missing; it has {len(columns)} columns)")
        rows = int(storer.nrows) if limit is None else min(int(storer.nrows), limit)
        if rows < 1:
            raise InputError(f"{raw}: the table has no rows")
        with atomic_path(out) as tmp, h5py.File(tmp, "w") as f:
            momenta = f.create_dataset("momenta", (rows, constituents, 4), dtype=np.float32,
                                       chunks=(min(rows, 4096), constituents, 4), compression="gzip",
                                       compression_opts=4)
            labels = f.create_dataset("labels", (rows,), dtype=np.int64, chunks=(min(rows, 65536),),
                                      compression="gzip", compression_opts=4)
            for start in range(0, rows, chunk_rows):
                stop = min(start + chunk_rows, rows)
                try:
                    frame = store.select(KEY, start=start, stop=stop, columns=wanted)
                except Exception as err:
                    raise InputError(f"{raw}: rows {start}–{stop} cannot be read (truncated?): {err}") from err
                if len(frame) != stop - start:
                    raise InputError(f"{raw}: rows {start}–{stop} gave {len(frame)} rows")
                block = frame[wanted[:-1]].to_numpy(dtype=np.float32)
                label = frame[LABEL_COLUMN].to_numpy()
                if not np.isfinite(block).all():
                    raise InputError(f"{raw}: non-finite momenta in rows {start}–{stop}")
                if not np.isin(label, (0, 1)).all():
                    raise InputError(f"{raw}: {LABEL_COLUMN} must be 0 or 1, got {np.unique(label)[:5]}")
                momenta[start:stop] = block.reshape(-1, constituents, 4)
                labels[start:stop] = label.astype(np.int64)
            f.attrs.update({"source_file": str(raw), "constituents": constituents, "rows": rows,
                            "units": "GeV", "columns": "E, px, py, pz"})
    finally:
        store.close()
    return rows


def load(path: str | os.PathLike, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read a converted file: momenta (N, n, 4) float32, labels (N,) int64."""
    arrays, _ = read_arrays(path, {"momenta": ((None, None, 4), ("f",)), "labels": ((None,), ("i", "u"))})
    momenta, labels = arrays["momenta"].astype(np.float32), arrays["labels"].astype(np.int64)
    if limit is not None:
        if limit < 1:
            raise InputError(f"the jet limit must be >= 1, got {limit}")
        momenta, labels = momenta[:limit], labels[:limit]
    return momenta, labels


# ------------------------------------------------------------------ download
def download(split: str, raw_dir: str | os.PathLike, urls: list[str] | None = None, retries: int = 3,
             timeout: float = 120.0, backoff: float = 5.0, expected: tuple[str, int, str] | None = None) -> Path:
    """The split's official file in `raw_dir` (kept when already there with the right MD5),
    its size and MD5 checked."""
    if split not in OFFICIAL:
        raise InputError(f"unknown split {split!r}; known: {sorted(OFFICIAL)}")
    name, size, md5 = expected or OFFICIAL[split]
    dest = Path(raw_dir) / name
    path = fetch(urls or [f"{RECORD}{name}?download=1"], dest, checksum=("md5", md5), retries=retries,
                 timeout=timeout, backoff=backoff)
    actual = path.stat().st_size
    if actual != size:  # the MD5 already matched: the published size is what is wrong
        raise InputError(f"{path}: {actual} bytes with the expected MD5 but {size} bytes expected; "
                         "check the published size")
    return path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", choices=("official", "synthetic"), required=True,
                        help="official: download the split from Zenodo 2603256 (size + MD5 checked); "
                             "synthetic: write an offline stand-in in the same format")
    parser.add_argument("--split", choices=sorted(OFFICIAL), required=True)
    parser.add_argument("--raw-dir", required=True, help="directory of the raw <split>.h5 tables")
    parser.add_argument("--out", required=True, help="converted HDF5 file (momenta, labels)")
    parser.add_argument("--url", action="append", dest="urls", default=None,
                        help="URL of the split's file (repeatable, tried in order; default: the Zenodo record)")
    parser.add_argument("--retries", type=int, default=3, help="attempts per URL (official)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per attempt (official)")
    parser.add_argument("--backoff", type=float, default=5.0, help="pause of backoff × attempt seconds (official)")
    parser.add_argument("--n-jets", type=int, default=20000, help="stand-in jets (synthetic)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the stand-in (synthetic)")
    parser.add_argument("--constituents", type=int, default=30, help="constituents kept per jet")
    parser.add_argument("--chunk-rows", type=int, default=100_000, help="rows read per chunk")


def run(args: argparse.Namespace) -> None:
    if args.source == "official":
        raw = download(args.split, args.raw_dir, args.urls, args.retries, args.timeout, args.backoff)
    else:
        momenta, labels = generate(args.n_jets, args.seed, TTV[args.split])
        raw = Path(args.raw_dir) / f"synthetic_{args.split}.h5"
        write_raw(raw, momenta, labels, args.split, chunk_rows=args.chunk_rows)
    rows = convert(raw, args.out, args.constituents, args.chunk_rows)
    log.info("%d %s jets (%s) converted to %s", rows, args.split, args.source, args.out)
