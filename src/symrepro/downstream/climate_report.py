"""Summary table, claim check and figure of the climate downstream runs (metrics.json
of format "symrepro.climate_downstream/1", several variants and seeds), with an
optional panel of probe excess-loss spectra (probe.json, "symrepro.probe/1")."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..atomic import atomic_path, read_json_object
from ..errors import ClaimNotReproduced, InputError
from .climate import CLASSES, CONVENTIONS, FORMAT

PROBE_FORMAT = "symrepro.probe/1"
VARIANTS = ("baseline", "discovered")


def read_metrics(path) -> dict:
    m = read_json_object(path, FORMAT, "metrics file")
    for key in ("variant", "seed", "history", "parameters"):
        if key not in m:
            raise InputError(f"metrics file {path}: missing key {key!r}")
    if not m["history"]:
        raise InputError(f"metrics file {path}: empty 'history'")
    return m


def _nan(value) -> float:
    return np.nan if value is None else float(value)


def rows(metrics) -> list[dict]:
    out = []
    for path in metrics:
        m = read_metrics(path)
        last = m["history"][-1]
        row = {"variant": m["variant"], "seed": m["seed"], "kernel_symmetry": m.get("kernel_symmetry"),
               "epochs": len(m["history"])}
        for convention in CONVENTIONS:
            row[f"mean_iou_{convention}"] = _nan(last[f"iou_{convention}"]["mean"])
        for convention in CONVENTIONS:
            for name in CLASSES:
                row[f"iou_{convention}_{name}"] = _nan(last[f"iou_{convention}"]["per_class"].get(name))
        row.update({"pixel_accuracy": _nan(last.get("pixel_accuracy")), "parameters": m["parameters"],
                    "effective_parameters": m.get("effective_parameters"),
                    "seconds_per_epoch": m.get("seconds_per_epoch"), "group": m.get("group"),
                    "group_algebra_rank": m.get("group_algebra_rank"), "source": str(path)})
        out.append(row)
    return out


def write_summary(metrics, out) -> pd.DataFrame:
    if not metrics:
        raise InputError("summarize needs at least one --metrics file")
    frame = pd.DataFrame(rows(metrics)).sort_values(["variant", "seed"], kind="stable").reset_index(drop=True)
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
    return frame


def check_claim(frame: pd.DataFrame, max_difference: float = 0.03, min_iou: float = 0.7,
                convention: str = "reference") -> dict:
    """The paper's claim on the final mean IoU averaged over seeds: the discovered
    variant matches the baseline within `max_difference` and both reach `min_iou`.
    Returns the numbers; raises ClaimNotReproduced naming them otherwise."""
    if convention not in CONVENTIONS:
        raise InputError(f"--convention must be one of {CONVENTIONS}, got {convention!r}")
    column = f"mean_iou_{convention}"
    means = frame.groupby("variant")[column].mean()
    missing = [v for v in VARIANTS if v not in means.index]
    if missing:
        raise ClaimNotReproduced(f"the claim compares baseline and discovered, no runs of {missing}")
    numbers = {"baseline": float(means["baseline"]), "discovered": float(means["discovered"]),
               "seeds": {v: int((frame.variant == v).sum()) for v in VARIANTS}, "convention": convention}
    numbers["difference"] = numbers["discovered"] - numbers["baseline"]
    text = (f"final mean IoU ({convention} convention, mean over seeds): discovered {numbers['discovered']:.4f} "
            f"({numbers['seeds']['discovered']} seeds), baseline {numbers['baseline']:.4f} "
            f"({numbers['seeds']['baseline']} seeds)")
    if not abs(numbers["difference"]) <= max_difference:
        raise ClaimNotReproduced(f"{text}: they differ by {abs(numbers['difference']):.4f} > {max_difference}")
    low = [v for v in VARIANTS if not numbers[v] >= min_iou]
    if low:
        raise ClaimNotReproduced(f"{text}: {' and '.join(low)} below {min_iou}")
    return numbers


# ------------------------------------------------------------------------- probes
def read_probe(path) -> dict:
    """Directions (names), t values and excess loss (directions × t) of a probe.json
    (as `symrepro.discovery.probe` writes it: "directions" name -> 2×2 matrix, "t"
    the signed values, "excess" name -> one value per t)."""
    p = read_json_object(path, PROBE_FORMAT, "probe file")
    for key in ("directions", "t", "excess"):
        if key not in p:
            raise InputError(f"probe file {path}: missing key {key!r}")
    if not isinstance(p["directions"], dict) or not isinstance(p["excess"], dict):
        raise InputError(f"probe file {path}: 'directions' and 'excess' must map direction names to values")
    names = list(p["directions"])
    missing = [n for n in names if n not in p["excess"]]
    if missing:
        raise InputError(f"probe file {path}: 'excess' has no values for directions {missing}")
    try:
        t = np.asarray(p["t"], dtype=np.float64).reshape(-1)
        excess = np.array([np.asarray(p["excess"][n], dtype=np.float64).reshape(-1) for n in names])
    except (TypeError, ValueError) as err:
        raise InputError(f"probe file {path}: 't' and 'excess' must be numbers: {err}") from err
    if excess.shape != (len(names), len(t)):
        raise InputError(f"probe file {path}: 'excess' needs one value per t ({len(t)}) for each direction")
    return {"directions": names, "t": t, "excess": excess}


def parse_probes(items) -> dict:
    probes = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--probe takes NAME=PATH, got {item!r}")
        probes[name] = path
    return probes


# ------------------------------------------------------------------- probe verdict
# Roles of the probe directions for the negative control, whose rivers are labelled only
# when their tangent lies within ±15° of east–west. A direction D turns a band at angle θ
# at the rate dθ/dt: J/√2 by 0.71 everywhere; E21 by cos²θ (0.93 at 15°); diag(1, 0) and
# diag(0, 1) by ∓sin θ cos θ (0.25 at 15°); E12 by −sin²θ (0.07 at 15°, 0 along east–west).
# So rotation is the symmetry the control breaks; E12, which keeps east–west bands east–west
# to second order, is the direction it keeps best; the scalings and E21 break it partly and
# are reported without a verdict.
PROBE_ROLES = {"J": "rotation", "E12": "allowed", "diag10": "partly broken", "diag01": "partly broken",
               "E21": "partly broken"}


def probe_verdict(symmetric, control, ratio: float = 5.0) -> tuple[pd.DataFrame, bool, str]:
    """Compare the probe of the symmetric stand-in with that of the negative control.

    Per direction: the mean excess over t on each (`symmetric`, `control`) and the
    control's extra excess (control − symmetric: the stand-in, with the same fields,
    predictor and training but fully symmetric labels, calibrates what the predictor
    costs by itself). The control changes the outcome when (1) on the stand-in every
    direction's excess is below 1/`ratio` of the control's rotation excess, and (2)
    on the control the rotation excess is at least `ratio` times that of the allowed
    direction(s) (E12), its extra excess too. Returns the table, the verdict and a
    sentence saying plainly what happened."""
    sym, ctl = (dict(zip(p["directions"], p["excess"].mean(1))) for p in (read_probe(symmetric), read_probe(control)))
    if "J" not in sym or "J" not in ctl:
        raise InputError("the probe verdict needs the rotation direction J in both probe files")
    rows = []
    for d in sym:
        if d not in ctl:
            continue
        rows.append({"direction": d, "role": PROBE_ROLES.get(d, "other"), "symmetric_mean_excess": sym[d],
                     "control_mean_excess": ctl[d], "control_extra_excess": ctl[d] - sym[d]})
    table = pd.DataFrame(rows)
    rotation = table.set_index("direction").loc["J"]
    allowed = table[table.role == "allowed"]
    small = (table.symmetric_mean_excess <= rotation.control_mean_excess / ratio).all()
    raw = float(rotation.control_mean_excess / max(allowed.control_mean_excess.max(), 1e-12))
    extra_allowed = max(float(allowed.control_extra_excess.max()), 0.0)
    extra = float(rotation.control_extra_excess) / extra_allowed if extra_allowed > 0 else np.inf
    holds = bool(small and raw >= ratio and rotation.control_extra_excess > 0 and extra >= ratio)
    table["rotation_to_this"] = rotation.control_mean_excess / table.control_mean_excess
    worst = table.loc[table.symmetric_mean_excess.idxmax()]
    text = (f"rotation excess on the control {rotation.control_mean_excess:.4f} (stand-in {rotation.symmetric_mean_excess:.4f}); "
            f"{raw:.1f}x the allowed direction(s) {', '.join(allowed.direction)} on the control "
            f"(extra excess over the stand-in: {extra:.1f}x); largest stand-in excess {worst.symmetric_mean_excess:.4f} "
            f"({worst.direction}). ")
    if holds:
        text += f"The control changes the outcome: rotations stand out (>= {ratio:g}x) where they are not a symmetry."
    else:
        failed = []
        if not small:
            failed.append(f"the stand-in's excess is not small in every direction (largest {worst.symmetric_mean_excess:.4f} "
                          f"> {rotation.control_mean_excess / ratio:.4f} = control rotation / {ratio:g})")
        if raw < ratio or extra < ratio or rotation.control_extra_excess <= 0:
            failed.append(f"the control's rotation excess is not {ratio:g}x the allowed direction's")
        text += "The control does NOT change the outcome clearly enough: " + "; ".join(failed) + "."
    table["verdict"] = "holds" if holds else "does not hold"
    return table, holds, text


def write_probe_verdict(symmetric, control, out, ratio: float = 5.0, check: bool = False) -> str:
    table, holds, text = probe_verdict(symmetric, control, ratio)
    with atomic_path(out) as tmp:
        table.to_csv(tmp, index=False)
    if check and not holds:
        raise ClaimNotReproduced(f"probe: {text}")
    return text


# -------------------------------------------------------------------------- figure
def plot(metrics, out, probes: dict | None = None) -> None:
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if not metrics:
        raise InputError("plot needs at least one --metrics file")
    runs = [read_metrics(path) for path in metrics]
    loaded = {name: read_probe(path) for name, path in (probes or {}).items()}
    panels = 3 if loaded else 2
    fig, axes = plt.subplots(1, panels, figsize=(5.5 * panels, 4.2))
    variants = [v for v in VARIANTS if any(m["variant"] == v for m in runs)]
    colours = {"baseline": "tab:blue", "discovered": "tab:orange"}
    ax = axes[0]
    for variant in variants:
        mine = [m for m in runs if m["variant"] == variant]
        params = mine[0]["parameters"]
        effective = mine[0].get("effective_parameters")
        count = f"{params:,} params" + (f", {effective:,} free" if effective not in (None, params) else "")
        label = f"{variant} ({mine[0].get('kernel_symmetry')}; {count}; {len(mine)} seeds)"
        for convention, style in zip(CONVENTIONS, ("-", ":")):
            epochs = min(len(m["history"]) for m in mine)
            curves = np.array([[_nan(h[f"iou_{convention}"]["mean"]) for h in m["history"][:epochs]] for m in mine])
            x = np.arange(1, epochs + 1)
            ax.plot(x, curves.mean(0), style, marker="o", ms=3, color=colours[variant],
                    label=label if convention == "reference" else f"{variant}, NaN classes skipped")
            ax.fill_between(x, curves.min(0), curves.max(0), color=colours[variant], alpha=0.2, lw=0)
    ax.set(xlabel="epoch", ylabel="test mean IoU", ylim=(0, 1), title="mean IoU (band: min–max over seeds)")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.legend(fontsize=7)
    ax = axes[1]
    width = 0.8 / max(len(variants), 1)
    for k, variant in enumerate(variants):
        mine = [m for m in runs if m["variant"] == variant]
        values = np.array([[_nan(m["history"][-1]["iou_reference"]["per_class"].get(c)) for c in CLASSES]
                           for m in mine])
        ax.bar(np.arange(len(CLASSES)) + (k - (len(variants) - 1) / 2) * width, values.mean(0), width,
               yerr=values.std(0) if len(mine) > 1 else None, color=colours[variant], label=variant, capsize=3)
    ax.set(xticks=range(len(CLASSES)), xticklabels=[c.replace("_", " ") for c in CLASSES], ylim=(0, 1),
           ylabel="final test IoU (reference convention)", title="per-class IoU (mean ± sd over seeds)")
    ax.legend(fontsize=7)
    if loaded:
        ax = axes[2]
        directions = list(dict.fromkeys(d for p in loaded.values() for d in p["directions"]))
        width = 0.8 / len(loaded)
        for k, (name, p) in enumerate(loaded.items()):
            # the spectrum: per direction, the excess loss averaged over the probed t values
            spectrum = dict(zip(p["directions"], p["excess"].mean(1)))
            heights = [spectrum.get(d, np.nan) for d in directions]
            ax.bar(np.arange(len(directions)) + (k - (len(loaded) - 1) / 2) * width, heights, width, label=name)
        ax.axhline(0, color="k", lw=0.5)
        ax.set(xticks=range(len(directions)), xlabel="direction", ylabel="excess loss (mean over t)",
               title="probe: excess-loss spectra")
        ax.set_xticklabels(directions, fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    with atomic_path(out) as tmp:
        fig.savefig(tmp)
    plt.close(fig)


def cmd_summarize(args) -> None:
    frame = write_summary(args.metrics, args.out)
    if args.check_claim:
        numbers = check_claim(frame, args.max_difference, args.min_iou, args.convention)
        print(f"claim reproduced: {numbers}")


def register(steps) -> None:
    p = steps.add_parser("summarize", help="summary.csv of climate U-Net runs; optional check of the paper's claim")
    p.add_argument("--metrics", nargs="+", required=True, help="metrics.json files (variants × seeds)")
    p.add_argument("--out", required=True, help="summary.csv")
    p.add_argument("--check-claim", action="store_true",
                   help="fail unless discovered and baseline final mean IoUs (mean over seeds) agree and are high enough")
    p.add_argument("--max-difference", type=float, default=0.03)
    p.add_argument("--min-iou", type=float, default=0.7)
    p.add_argument("--convention", default="reference", choices=list(CONVENTIONS),
                   help="IoU convention of the claim check")
    p.set_defaults(func=cmd_summarize)
    p = steps.add_parser("probe-verdict", help="probes.csv: does the negative control's probe single out rotations?")
    p.add_argument("--symmetric", required=True, help="probe.json of the symmetric stand-in")
    p.add_argument("--control", required=True, help="probe.json of the negative control")
    p.add_argument("--ratio", type=float, default=5.0, help="how many times larger the rotation excess must be")
    p.add_argument("--check", action="store_true", help="fail (exit 3) unless the control changes the outcome")
    p.add_argument("--out", required=True, help="probes.csv")
    p.set_defaults(func=lambda a: print(write_probe_verdict(a.symmetric, a.control, a.out, a.ratio, a.check)))
    p = steps.add_parser("plot", help="climate.pdf: mean IoU vs epoch, per-class IoU, optional probe spectra")
    p.add_argument("--metrics", nargs="+", required=True)
    p.add_argument("--probe", action="append", default=[], metavar="NAME=PATH",
                   help="probe.json of one dataset variant (repeatable: stand-in, negative control, real)")
    p.add_argument("--out", required=True, help="climate.pdf")
    p.set_defaults(func=lambda a: plot(a.metrics, a.out, parse_probes(a.probe)))
