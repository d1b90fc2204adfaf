"""summary.csv of the heat-equation experiment: per atlas and seed, how close the
discovered generator is to so(2) and which cosets were kept.

Columns: experiment, atlas, seed, generators, cosine_so2 (the largest
|⟨L_i, J⟩| / (‖L_i‖ ‖J‖) over the generators, J = [[0, −1], [1, 0]]), n_cosets,
reflection_found (a kept representative with det < 0), identity_found (one with
det > 0), final_predictor_loss, final_basis_loss, generator (the best generator's
entries, row-major, as "a b c d").
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..errors import InputError
from .lie_algebra import cosine
from .pde import SO2

COLUMNS = ["experiment", "atlas", "seed", "generators", "cosine_so2", "n_cosets", "reflection_found",
           "identity_found", "final_predictor_loss", "final_basis_loss", "generator"]


def _key(run: dict, name: str, path: str):
    try:
        return run[name]
    except KeyError:
        raise InputError(f"{path}: missing key {name!r}") from None


def _number(value) -> float:
    return math.nan if value is None else float(value)


def summary_row(algebra: dict, cosets: dict, algebra_path: str = "algebra", cosets_path: str = "cosets") -> dict:
    basis = np.asarray(_key(algebra, "basis", algebra_path), dtype=np.float64)
    if basis.ndim != 3 or basis.shape[1:] != (2, 2):
        raise InputError(f"{algebra_path}: 'basis' must be a list of 2×2 matrices, got shape {basis.shape}")
    cosines = [cosine(b, SO2) for b in basis]
    best = int(np.argmax(cosines))
    kept = _key(cosets, "kept", cosets_path)
    for name, run, path in (("atlas", cosets, cosets_path), ("seed", cosets, cosets_path)):
        if run.get(name) != algebra.get(name):
            raise InputError(f"{path}: {name} {run.get(name)} does not match {algebra_path} ({algebra.get(name)})")
    history = algebra.get("history") or [{}]
    return {
        "experiment": algebra.get("experiment", "pde"), "atlas": _key(algebra, "atlas", algebra_path),
        "seed": _key(algebra, "seed", algebra_path), "generators": len(basis), "cosine_so2": cosines[best],
        "n_cosets": len(kept), "reflection_found": any(k["determinant"] < 0 for k in kept),
        "identity_found": any(k["determinant"] > 0 for k in kept),
        "final_predictor_loss": _number(history[-1].get("predictor_loss")),
        "final_basis_loss": _number(history[-1].get("basis_loss")),
        "generator": " ".join(f"{v:.6g}" for v in basis[best].reshape(-1)),
    }


def summarize(runs: list[tuple[dict, dict]], paths: list[tuple[str, str]] | None = None) -> pd.DataFrame:
    paths = paths or [("algebra", "cosets")] * len(runs)
    rows = [summary_row(a, c, pa, pc) for (a, c), (pa, pc) in zip(runs, paths)]
    return pd.DataFrame(rows, columns=COLUMNS).sort_values(["atlas", "seed"]).reset_index(drop=True)


def write(frame: pd.DataFrame, path) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.6g")
