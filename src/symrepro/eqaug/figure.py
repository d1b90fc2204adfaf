"""The paper's figure: distance travelled (x) against distance from E (y).

One thin line per seed, the per-epoch median over seeds bold; equivariant green
solid, augmented blue dashed, nominal red dotted. For one experiment: two panels,
one scaled to the nominal curves, one zoomed to the augmented ones. For several
experiments (the four-group appendix figure): one panel per experiment.
"""

from __future__ import annotations

import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from ..atomic import atomic_path  # noqa: E402
from .metrics import totals  # noqa: E402

STYLE = {
    "equivariant": dict(color="tab:green", linestyle="-"),
    "augmented": dict(color="tab:blue", linestyle="--"),
    "nominal": dict(color="tab:red", linestyle=":"),
}


def _draw(ax, per_seed: pd.DataFrame, regimes) -> None:
    for regime in regimes:
        runs = per_seed[per_seed.regime == regime]
        if runs.empty:
            continue
        for _, run in runs.groupby("seed"):
            ax.plot(run.dist_from_init, run.dist_from_E, linewidth=0.7, alpha=0.5, **STYLE[regime])
        median = runs.groupby("epoch")[["dist_from_init", "dist_from_E"]].median()
        ax.plot(median.dist_from_init, median.dist_from_E, linewidth=2.5, label=regime, **STYLE[regime])
    ax.set_xlabel(r"$\|A - A^0\|$")
    ax.set_ylabel(r"$\|A_{E^\perp}\|$")
    ax.grid(alpha=0.3)


def _limits(per_seed: pd.DataFrame, regimes) -> tuple[float, float]:
    """Axis limits that show every curve of `regimes`."""
    runs = per_seed[per_seed.regime.isin(list(regimes))]
    return 1.05 * float(runs.dist_from_init.max() or 1.0), 1.05 * float(runs.dist_from_E.max() or 1.0)


def plot(metrics: list[pd.DataFrame], titles: list[str], out: str | os.PathLike) -> None:
    per_seed = [totals(m) for m in metrics]
    single = len(per_seed) == 1
    panels = 2 if single else len(per_seed)
    cols = 2 if panels <= 4 else 3
    rows = -(-panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows), squeeze=False)
    flat = axes.ravel()
    if single:
        frame = per_seed[0]
        _draw(flat[0], frame, STYLE)
        x, y = _limits(frame, STYLE)
        flat[0].set(xlim=(0, x), ylim=(0, y), title=f"{titles[0]}: all regimes")
        _draw(flat[1], frame, ("equivariant", "augmented"))
        x, y = _limits(frame, ("equivariant", "augmented"))
        flat[1].set(xlim=(0, x), ylim=(0, y), title=f"{titles[0]}: zoom on augmented")
    else:
        for ax, frame, title in zip(flat, per_seed, titles):
            _draw(ax, frame, STYLE)
            x, y = _limits(frame, STYLE)
            ax.set(xlim=(0, x), ylim=(0, y), title=title)
    for ax in flat[panels:]:
        ax.axis("off")
    flat[0].legend(loc="upper left")
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
