"""The paper's figure: distance travelled (x) against distance from E (y).

One thin line per seed, the per-epoch median over seeds bold; equivariant green
solid, augmented blue dashed, nominal red dotted. One row per experiment (the
four-group appendix figure has four): the left panel is scaled to the nominal
curves, the right one zooms on the equivariant and augmented ones (as the paper's
figures do). Both axes are plain Frobenius norms over all constrained layers,
√Σ_k ‖·‖_k².
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


def plot(metrics: list[pd.DataFrame], titles: list[str], out: str | os.PathLike):
    """Draw one row per experiment: all regimes (scaled to the nominal runs) and a zoom
    on the equivariant and augmented runs. Returns the (closed) figure, whose axes hold
    the plotted series (for tests)."""
    per_seed = [totals(m) for m in metrics]
    rows = len(per_seed)
    fig, axes = plt.subplots(rows, 2, figsize=(10.4, 4.3 * rows), squeeze=False)
    for row, frame, title in zip(axes, per_seed, titles):
        for ax, regimes, label in ((row[0], tuple(STYLE), "all regimes"),
                                   (row[1], ("equivariant", "augmented"), "zoom on augmented")):
            _draw(ax, frame, regimes)
            x, y = _limits(frame, regimes)
            ax.set(xlim=(0, x), ylim=(0, y))
            ax.set_title(f"{title}\n{label}", fontsize=10)  # two short lines: never clipped
        row[0].legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return fig
