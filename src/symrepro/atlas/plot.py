"""The PDE figure: discovered generators, loss curves and coset representatives."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..atomic import atomic_path  # noqa: E402


def plot(runs: list[tuple[dict, dict]], out) -> None:
    atlases = sorted({a["atlas"] for a, _ in runs})
    fig, axes = plt.subplots(len(atlases), 3, figsize=(13, 3.8 * len(atlases)), squeeze=False)
    square = np.array([[0, 1, 1, 0, 0], [0, 0, 1, 1, 0]], dtype=float) - 0.5
    arrow = np.array([[0, 0.45], [0, 0]])
    for row, number in zip(axes, atlases):
        mine = [(a, c) for a, c in runs if a["atlas"] == number]
        # generators: one matrix per seed (first generator), entries annotated
        first = np.array([a["basis"][0] for a, _ in mine])
        mean = first.mean(0)
        row[0].imshow(mean, cmap="RdBu_r", vmin=-1.2, vmax=1.2)
        for (i, j), v in np.ndenumerate(mean):
            row[0].text(j, i, f"{v:+.3f}", ha="center", va="center")
        row[0].set(xticks=[], yticks=[], title=f"atlas {number}: generator (mean of {len(mine)} seeds)")
        for a, _ in mine:
            epochs = [h["epoch"] + 1 for h in a["history"]]
            row[1].plot(epochs, [h["basis_loss"] for h in a["history"]], color="tab:blue", alpha=0.7)
            if any(np.isfinite(h["predictor_loss"]) for h in a["history"]):
                row[1].plot(epochs, [h["predictor_loss"] for h in a["history"]], color="tab:orange", alpha=0.7)
        row[1].set(xlabel="epoch", ylabel="loss", yscale="log", title="basis (blue) and predictor (orange) loss")
        for _, c in mine:
            for k in c["kept"]:
                m = np.array(k["matrix"])
                color = "tab:red" if k["reflection"] else "tab:green"
                shape, tip = m @ square, m @ arrow
                row[2].plot(shape[0], shape[1], color=color, alpha=0.6)
                row[2].plot(tip[0], tip[1], color=color, alpha=0.6)
        row[2].plot(square[0], square[1], color="black", linestyle=":", label="unit square")
        row[2].set(aspect="equal", title="coset representatives (green det>0, red det<0)")
        row[2].legend(loc="upper right", fontsize=8)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)
