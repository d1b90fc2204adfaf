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
from ..errors import InputError

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
