"""results/figures/pde.pdf: per atlas (rows), the discovered generator (normalised to
‖J‖ and the sign of J, mean over seeds, entries ± std), the loss curves per epoch,
and the kept coset representatives acting on the unit square."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..atomic import atomic_path  # noqa: E402
from .lie_algebra import cosine  # noqa: E402
from .pde import SO2  # noqa: E402


def aligned_generator(basis: np.ndarray) -> np.ndarray:
    """The generator closest to J, scaled to ‖J‖_F with ⟨L, J⟩ > 0."""
    best = max(np.asarray(basis, dtype=float), key=lambda b: cosine(b, SO2))
    sign = 1.0 if float((best * SO2).sum()) >= 0 else -1.0
    return sign * best * np.linalg.norm(SO2) / max(np.linalg.norm(best), 1e-12)


def plot(runs: list[tuple[dict, dict]], out) -> None:
    atlases = sorted({a["atlas"] for a, _ in runs})
    fig, axes = plt.subplots(len(atlases), 3, figsize=(13, 3.9 * len(atlases)), squeeze=False)
    square = np.array([[0, 1, 1, 0, 0], [0, 0, 1, 1, 0]], dtype=float) - 0.5
    for row, number in zip(axes, atlases):
        mine = [(a, c) for a, c in runs if a["atlas"] == number]
        generators = np.stack([aligned_generator(a["basis"]) for a, _ in mine])
        mean, std = generators.mean(0), generators.std(0)
        cosines = [cosine(g, SO2) for g in generators]
        row[0].imshow(mean, cmap="RdBu_r", vmin=-1.2, vmax=1.2)
        for (i, j), v in np.ndenumerate(mean):
            row[0].text(j, i, f"{v:+.3f}\n±{std[i, j]:.3f}", ha="center", va="center")
        row[0].set(xticks=[], yticks=[],
                   title=f"atlas {number}: generator ({len(mine)} seeds)\ncosine to J: "
                         + ", ".join(f"{c:.3f}" for c in cosines))
        for a, _ in mine:
            epochs = [h["epoch"] + 1 for h in a["history"]]
            row[1].plot(epochs, [h["basis_loss"] for h in a["history"]], "o-", color="tab:blue", alpha=0.7, ms=3)
            predictor = np.array([np.nan if h.get("predictor_loss") is None else h["predictor_loss"]
                                  for h in a["history"]], dtype=float)
            if np.isfinite(predictor).any():
                row[1].plot(epochs, predictor, "s-", color="tab:orange", alpha=0.7, ms=3)
        row[1].set(xlabel="epoch", ylabel="L1 loss", yscale="log",
                   title="equivariance (blue) and predictor (orange) loss")
        for _, c in mine:
            for k in c["kept"]:
                m = np.asarray(k["matrix"], dtype=float)
                color = "tab:red" if k["determinant"] < 0 else "tab:green"
                shape = m @ square
                row[2].plot(shape[0], shape[1], color=color, alpha=0.6)
                row[2].annotate("", xy=m @ np.array([0.6, 0.0]), xytext=(0, 0),
                                arrowprops=dict(arrowstyle="->", color=color, alpha=0.8))
        row[2].plot(square[0], square[1], color="black", linestyle=":")
        counts = [len(c["kept"]) for _, c in mine]
        row[2].set(aspect="equal", xlim=(-1.2, 1.2), ylim=(-1.2, 1.2),
                   title=f"coset representatives (green det>0, red det<0)\nkept per seed: {counts}")
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
