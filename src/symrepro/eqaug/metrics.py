"""Per-epoch CSV interface and its aggregation over seeds.

Per run (`results/eqaug/{experiment}/seed{S}/{regime}.csv`): one row per epoch and
constrained layer with the columns `COLUMNS`. `metrics.csv` stacks all runs;
`summary.csv` gives, per regime and epoch, the median and 10/90 % quantiles over
seeds of the total distances (all constrained layers together:
sqrt(Σ_k ‖·‖_k²)) and of the loss.
"""

from __future__ import annotations

import os
from typing import Iterable

import numpy as np
import pandas as pd

from ..atomic import atomic_path
from ..errors import ClaimNotReproduced, InputError

COLUMNS = ["experiment", "seed", "regime", "epoch", "layer", "loss", "dist_from_init", "dist_from_E"]
QUANTILES = {"q10": 0.1, "median": 0.5, "q90": 0.9}


def runs_frame(experiment: str, seed: int, regime: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    frame.insert(0, "regime", regime)
    frame.insert(0, "seed", seed)
    frame.insert(0, "experiment", experiment)
    return frame[COLUMNS]


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, float_format="%.10g")


def read_runs(paths: Iterable[str | os.PathLike]) -> pd.DataFrame:
    frames = []
    for path in paths:
        try:
            frame = pd.read_csv(path)
        except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
            raise InputError(f"cannot read run file {path}: {err}") from err
        missing = set(COLUMNS) - set(frame.columns)
        if missing:
            raise InputError(f"run file {path} lacks columns {sorted(missing)}")
        frames.append(frame[COLUMNS])
    if not frames:
        raise InputError("no run files given")
    return pd.concat(frames, ignore_index=True)


def totals(metrics: pd.DataFrame) -> pd.DataFrame:
    """Per (experiment, seed, regime, epoch): loss and total distances over layers."""
    keys = ["experiment", "seed", "regime", "epoch"]
    squared = metrics.assign(dist_from_init=metrics.dist_from_init ** 2, dist_from_E=metrics.dist_from_E ** 2)
    out = squared.groupby(keys, sort=True).agg(loss=("loss", "first"), dist_from_init=("dist_from_init", "sum"),
                                                 dist_from_E=("dist_from_E", "sum")).reset_index()
    out["dist_from_init"] = np.sqrt(out.dist_from_init)
    out["dist_from_E"] = np.sqrt(out.dist_from_E)
    return out


def summarize(metrics: pd.DataFrame) -> pd.DataFrame:
    per_seed = totals(metrics)
    grouped = per_seed.groupby(["experiment", "regime", "epoch"], sort=True)
    out = grouped.size().rename("n_seeds").to_frame()
    for column in ("loss", "dist_from_init", "dist_from_E"):
        for name, q in QUANTILES.items():
            out[f"{column}_{name}"] = grouped[column].quantile(q)
    return out.reset_index()


def check_claim(summary: pd.DataFrame, tolerance_in_e: float = 1e-6) -> dict:
    """The paper's claim at the last epoch, per experiment: the equivariant runs are in
    E (median distance ≤ `tolerance_in_e`, float32 weights) and the augmented median
    distance from E is below the nominal one. Returns the checked numbers; raises
    ClaimNotReproduced naming the experiment and the numbers otherwise."""
    checked = {}
    for experiment, frame in summary.groupby("experiment"):
        last = frame[frame.epoch == frame.epoch.max()].set_index("regime").dist_from_E_median
        missing = {"equivariant", "augmented", "nominal"} - set(last.index)
        if missing:
            raise ClaimNotReproduced(f"{experiment}: the claim needs all three regimes, missing {sorted(missing)}")
        numbers = {r: float(last[r]) for r in ("equivariant", "augmented", "nominal")}
        if numbers["equivariant"] > tolerance_in_e:
            raise ClaimNotReproduced(f"{experiment}: the equivariant runs left E (median distance "
                                     f"{numbers['equivariant']:.3g} at the last epoch)")
        if not numbers["augmented"] < numbers["nominal"]:
            raise ClaimNotReproduced(f"{experiment}: augmented median distance from E {numbers['augmented']:.4g} is "
                                     f"not below the nominal one {numbers['nominal']:.4g} at the last epoch")
        checked[experiment] = numbers
    return checked
