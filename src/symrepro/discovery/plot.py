"""The figure of a discovery experiment, one row per view (atlas):

1. the discovered generators as heat maps with a colour bar — for a one-generator
   algebra compared with a one-generator reference, the mean over seeds after
   scaling each to the reference's norm and sign (entries ± std over seeds);
   otherwise the first seed's generators, each scaled to max |entry| = 1;
2. the equivariance loss divided by the mean generator norm, per epoch and seed
   (the raw loss grows with the basis norm, which the magnitude reward keeps
   increasing; the ratio is what falls when the basis turns into a symmetry);
3. the relative residual of each reference generator projected onto the
   discovered span, per seed (0: found; 1: orthogonal to what was found);
4. the kept coset representatives: for d = 2 the image of the unit square (green
   det > 0, red det < 0), otherwise their determinants.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..atomic import atomic_path  # noqa: E402
from ..experiments import ExperimentSpec  # noqa: E402
from ..symmetry import MatrixGroup  # noqa: E402
from ..symmetry.compare import cosine, relative_span_residual  # noqa: E402
from .summary import aligned  # noqa: E402


def _generators(ax, fig, groups: list[MatrixGroup], reference: MatrixGroup) -> None:
    one = reference.lie_algebra.shape[0] == 1 and all(len(g.lie_algebra) == 1 for g in groups)
    if one:
        target = reference.lie_algebra[0]
        stack = np.stack([aligned(g.lie_algebra[0], target) for g in groups])
        image, std = stack.mean(0), stack.std(0)
        limit = 1.2 * max(float(np.abs(target).max()), 1e-12)
        shown = ax.imshow(image, cmap="RdBu_r", vmin=-limit, vmax=limit)
        if image.shape[0] <= 4:
            for (i, j), v in np.ndenumerate(image):
                ax.text(j, i, f"{v:+.3f}" + (f"\n±{std[i, j]:.3f}" if len(groups) > 1 else ""), ha="center",
                        va="center", fontsize=8)
        cosines = ", ".join(f"{cosine(g.lie_algebra[0], target):.3f}" for g in groups)
        seeds = f"{len(groups)} seed" + ("s" if len(groups) != 1 else "")
        ax.set_title(f"generator, mean of {seeds}\n|cos| to reference: {cosines}", fontsize=9)
    else:
        basis = groups[0].lie_algebra
        scaled = [b / max(float(np.abs(b).max()), 1e-12) for b in basis]
        d = basis.shape[-1]
        strip = np.full((d, len(scaled) * (d + 1) - 1), np.nan)
        for k, b in enumerate(scaled):
            strip[:, k * (d + 1):k * (d + 1) + d] = b
        shown = ax.imshow(strip, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_title(f"{len(basis)} generators (seed {groups[0].metadata.get('seed')}), each / max|entry|",
                     fontsize=9)
    ax.set(xticks=[], yticks=[])
    fig.colorbar(shown, ax=ax, fraction=0.046, pad=0.04)


def _losses(ax, algebras: list[dict]) -> None:
    for algebra in algebras:
        history = algebra.get("history") or []
        epochs = [h["epoch"] + 1 for h in history]
        ax.plot(epochs, [h.get("basis_loss_per_norm") for h in history], "o-", ms=3, alpha=0.8,
                label=f"seed {algebra.get('seed')}")
    ax.set(xlabel="epoch", ylabel="equivariance loss / mean ‖L‖")
    ax.set_title("equivariance loss per unit generator norm", fontsize=9)
    ax.legend(fontsize=7)


def _residuals(ax, groups: list[MatrixGroup], reference: MatrixGroup) -> None:
    count = len(reference.lie_algebra)
    width = 0.8 / max(len(groups), 1)
    for s, group in enumerate(groups):
        residuals = [relative_span_residual(r, group.lie_algebra) for r in reference.lie_algebra]
        ax.bar(np.arange(count) + s * width, residuals, width=width, label=f"seed {group.metadata.get('seed')}")
    ax.axhline(0.15, color="black", linestyle=":", linewidth=1)
    ax.set(ylim=(0, 1.05), xticks=np.arange(count) + 0.4 - width / 2, xticklabels=[f"R{i + 1}" for i in range(count)],
           ylabel="relative residual")
    ax.set_title(f"reference generators ({reference.name}) in the discovered span", fontsize=9)


def _cosets(ax, groups: list[MatrixGroup]) -> None:
    counts = [len(g.metadata.get("cosets") or []) for g in groups]
    if groups and groups[0].dim == 2:
        square = np.array([[0, 1, 1, 0, 0], [0, 0, 1, 1, 0]], dtype=float) - 0.5
        for group in groups:
            for coset in group.metadata.get("cosets") or []:
                m = np.asarray(coset["matrix"], dtype=float)
                color = "tab:red" if coset["determinant"] < 0 else "tab:green"
                shape = m @ square
                ax.plot(shape[0], shape[1], color=color, alpha=0.6)
                ax.annotate("", xy=m @ np.array([0.6, 0.0]), xytext=(0, 0),
                            arrowprops=dict(arrowstyle="->", color=color, alpha=0.8))
        ax.plot(square[0], square[1], color="black", linestyle=":")
        ax.set(aspect="equal", xlim=(-1.3, 1.3), ylim=(-1.3, 1.3))
    else:
        for s, group in enumerate(groups):
            dets = [c["determinant"] for c in group.metadata.get("cosets") or []]
            ax.scatter([s] * len(dets), dets, c=["tab:red" if d < 0 else "tab:green" for d in dets])
        ax.set(xlabel="seed", ylabel="determinant")
    ax.set_title(f"coset representatives (green det>0, red det<0)\nkept per seed: {counts}", fontsize=9)


def plot(spec: ExperimentSpec, runs: list[tuple[MatrixGroup, dict]], out):
    """Draw the figure; returns the matplotlib figure's axes grid (for tests) after saving."""
    reference = spec.reference()
    views = list(dict.fromkeys(g.metadata.get("view", "") for g, _ in runs))
    with_cosets = any(g.metadata.get("cosets") for g, _ in runs)
    columns = 4 if with_cosets else 3
    fig, axes = plt.subplots(len(views), columns, figsize=(4.6 * columns, 4.0 * len(views)), squeeze=False)
    for row, view in zip(axes, views):
        mine = [(g, a) for g, a in runs if g.metadata.get("view", "") == view]
        groups = [g for g, _ in mine]
        _generators(row[0], fig, groups, reference)
        _losses(row[1], [a for _, a in mine])
        _residuals(row[2], groups, reference)
        if with_cosets:
            _cosets(row[3], groups)
        if view:
            row[0].set_ylabel(view, fontsize=11)
    fig.suptitle(f"{spec.name}: {spec.description}", fontsize=10)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
    return axes
