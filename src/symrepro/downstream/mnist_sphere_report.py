"""Summary table and figure of MNIST on a sphere: the discovered groups (cosine with J),
the LieGAN groups (axis, magnitude) and the downstream CNNs (accuracy per epoch)."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..atomic import atomic_path  # noqa: E402
from ..datasets import mnist_sphere as data  # noqa: E402
from ..errors import ClaimNotReproduced, InputError  # noqa: E402
from ..symmetry import MatrixGroup  # noqa: E402
from ..symmetry.compare import cosine  # noqa: E402
from ..symmetry.lie import J  # noqa: E402


def _json(path) -> dict:
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as err:
        raise InputError(f"cannot read {path}: {err}") from err


def rows(groups, liegans, metrics) -> list[dict]:
    out = []
    for path in groups:
        g = MatrixGroup.read(path)
        cos = [abs(cosine(L, J)) for L in g.lie_algebra]
        out.append({"kind": "discovery", "seed": g.metadata.get("seed"), "cosine_so2": max(cos) if cos else np.nan,
                    "rotation_in_group": bool(len(g.lie_algebra) and g.contains_generator(J)), "source": str(path)})
    for path in liegans:
        g = MatrixGroup.read(path)
        axis = g.metadata.get("axis", [np.nan] * 3)
        out.append({"kind": "liegan", "seed": g.metadata.get("seed"), "magnitude": g.metadata.get("magnitude"),
                    "axis_x": axis[0], "axis_y": axis[1], "axis_z": axis[2], "source": str(path)})
    for path in metrics:
        m = _json(path)
        out.append({"kind": f"cnn_{m['variant']}", "seed": m["seed"], "kernel_symmetry": m["kernel_symmetry"],
                    "width_scale": m["width_scale"], "epochs": m["epochs"], "parameters": m["parameters"],
                    "effective_parameters": m["effective_parameters"],
                    "train_accuracy": m["final_train_accuracy"], "test_accuracy_180": m["final_test_accuracy"],
                    "val_accuracy_60": m.get("final_val_accuracy"), "source": str(path)})
    return out


def write_summary(groups, liegans, metrics, out) -> pd.DataFrame:
    frame = pd.DataFrame(rows(groups, liegans, metrics))
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
    return frame


def check_claim(frame: pd.DataFrame, min_cosine: float = 0.9, min_gain: float = 0.10,
                min_accuracy: float = 0.75) -> dict:
    """The issue's quick targets: |cos(L, J)| >= `min_cosine` for at least 2 of 3 seeds
    (every seed when there are fewer than 3); the discovered CNN beats the baseline on
    the ±180° test set by >= `min_gain` (means over seeds) while both reach
    `min_accuracy` on the ±60° validation set. Returns the numbers; raises
    ClaimNotReproduced naming the failed part otherwise."""
    def kind(name):
        return frame[frame.kind == name] if "kind" in frame else frame.iloc[0:0]

    discovery, base, disc = kind("discovery"), kind("cnn_baseline"), kind("cnn_discovered")
    if discovery.empty or base.empty or disc.empty:
        raise ClaimNotReproduced("the claim needs discovery groups and both CNN variants in the summary")
    hits = int((discovery.cosine_so2 >= min_cosine).sum())
    needed = len(discovery) if len(discovery) < 3 else int(np.ceil(2 * len(discovery) / 3))
    numbers = {"seeds_with_rotation": hits, "seeds": len(discovery), "needed": needed,
               "baseline_180": float(base.test_accuracy_180.mean()), "discovered_180": float(disc.test_accuracy_180.mean()),
               "baseline_60": float(base.val_accuracy_60.mean()), "discovered_60": float(disc.val_accuracy_60.mean())}
    numbers["gain_180"] = numbers["discovered_180"] - numbers["baseline_180"]
    failed = []
    if hits < needed:
        failed.append(f"|cos(L, J)| >= {min_cosine} for {hits} of {len(discovery)} seeds")
    if not numbers["gain_180"] >= min_gain:
        failed.append(f"discovered beats baseline on ±180° by {numbers['gain_180']:.3f} < {min_gain}")
    for v in ("baseline", "discovered"):
        if not numbers[f"{v}_60"] >= min_accuracy:  # NaN (no validation set) fails too
            failed.append(f"{v} reaches {numbers[f'{v}_60']:.3f} < {min_accuracy} on ±60°")
    if failed:
        raise ClaimNotReproduced("MNIST on a sphere: " + "; ".join(failed) + f" ({numbers})")
    return numbers


def plot(sample_file, groups, liegans, metrics, out) -> None:
    from ..experiments.mnist_sphere import SphereCharts

    images, labels = data.load(sample_file)
    if not len(images):
        raise InputError(f"{sample_file} holds no samples")
    fig, axes = plt.subplots(1, 4, figsize=(17, 4.2))
    ax = axes[0]
    ax.imshow(images[0, 0].T, cmap="gray", origin="lower", aspect="equal")
    view = SphereCharts()
    for rows_ in view.row_index:
        ax.plot(rows_, np.full(len(rows_), view.columns.min()), "r-", lw=0.8)
        ax.plot(rows_, np.full(len(rows_), view.columns.max()), "r-", lw=0.8)
        ax.plot(np.full(len(view.columns), rows_[0]), view.columns, "r-", lw=0.8)
        ax.plot(np.full(len(view.columns), rows_[-1]), view.columns, "r-", lw=0.8)
    ax.set(title="sample (longitude × latitude) and charts", xlabel="longitude pixel", ylabel="latitude pixel")
    ax = axes[1]
    for path in groups:
        g = MatrixGroup.read(path)
        for L in g.lie_algebra:
            L = L / np.linalg.norm(L)
            ax.plot(range(4), L.reshape(-1), "o-", label=f"seed {g.metadata.get('seed')} |cos J| {abs(cosine(L, J)):.2f}")
    ax.plot(range(4), (J / np.linalg.norm(J)).reshape(-1), "k--", label="J")
    ax.set(xticks=range(4), xticklabels=["L11", "L12", "L21", "L22"], title="discovered generator (normalised)")
    ax.legend(fontsize=7)
    ax = axes[2]
    for path in liegans:
        g = MatrixGroup.read(path)
        axis = np.asarray(g.metadata.get("axis", [0, 0, 0]))
        ax.bar(np.arange(3) + 0.25 * (g.metadata.get("seed") or 0), axis * g.metadata.get("magnitude", 0), width=0.25,
               label=f"seed {g.metadata.get('seed')}: |w| {g.metadata.get('magnitude', 0):.3f}")
    ax.set(xticks=range(3), xticklabels=["x", "y", "z"], title="LieGAN generator ω (axis × magnitude)")
    ax.legend(fontsize=7)
    ax = axes[3]
    for path in metrics:
        m = _json(path)
        epochs = [h["epoch"] + 1 for h in m["history"]]
        style = "o-" if m["variant"] == "discovered" else "o--"
        ax.plot(epochs, [h["test_accuracy"] for h in m["history"]], style, label=f"{m['variant']} s{m['seed']} ±180°")
        if m["history"] and "val_accuracy" in m["history"][0]:
            ax.plot(epochs, [h["val_accuracy"] for h in m["history"]], style, alpha=0.5,
                    label=f"{m['variant']} s{m['seed']} ±60°")
    ax.set(xlabel="epoch", ylabel="accuracy on digit pixels", ylim=(0, 1), title="downstream CNN")
    ax.legend(fontsize=6)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def cmd_summarize(args) -> None:
    frame = write_summary(args.groups, args.liegan, args.metrics, args.out)
    if args.check_claim:
        print(f"claim reproduced: {check_claim(frame)}")


def register(steps) -> None:
    p = steps.add_parser("summarize", help="summary.csv of discovery, LieGAN and CNN runs")
    p.add_argument("--groups", nargs="*", default=[])
    p.add_argument("--liegan", nargs="*", default=[])
    p.add_argument("--metrics", nargs="*", default=[])
    p.add_argument("--out", required=True)
    p.add_argument("--check-claim", action="store_true",
                   help="fail (exit 3) unless discovery finds the rotation and the discovered CNN beats the baseline "
                        "on ±180° by 10 points while both reach 75 % on ±60°")
    p.set_defaults(func=cmd_summarize)
    p = steps.add_parser("plot", help="figure: sample and charts, generators, LieGAN, accuracy vs epoch")
    p.add_argument("--sample", required=True, help="a sphere data file (its first sample is shown)")
    p.add_argument("--groups", nargs="*", default=[])
    p.add_argument("--liegan", nargs="*", default=[])
    p.add_argument("--metrics", nargs="*", default=[])
    p.add_argument("--out", required=True)
    p.set_defaults(func=lambda a: plot(a.sample, a.groups, a.liegan, a.metrics, a.out))
