"""Directional probe of a trained local predictor: how much equivariance does it lose
along each of five fixed directions of gl(2)?

Why: with as many generators as dim gl(2) = 4, the discovered algebra spans gl(2)
whatever the predictor does, so a discovered span is no evidence of symmetry. The
probe measures direction by direction instead. For each direction D in

    J = [[0, −1], [1, 0]] / √2 (rotation), diag(1, 0), diag(0, 1) (scalings of x and y),
    E12 = [[0, 1], [0, 0]], E21 = [[0, 0], [1, 0]] (shears)

— each scaled to unit Frobenius norm, so that one t means the same "amount" of
transformation in every direction — and each t in ±t₁, ±t₂, … (default ±0.1, ±0.25,
±0.5), it computes

    L(D, t) = mean over samples, charts and window pixels p of
              loss(Φ(g·x), g·Φ(x))(p) − loss(g·Φ(x), g·Φ(x))(p),   g = expm(t D) on every chart,

with the experiment's own equivariance loss, softmax of logits and input/output
resampling (as discovery), over the pixels p of the out-radius window whose
transformed position g·p stays inside the window (`masked_equivariance_loss`).
For class probabilities the per-pixel difference is the Kullback–Leibler divergence
of Φ(g·x) from g·Φ(x): 0 for an exactly equivariant Φ whatever the resampling does.
The excess is L(D, t) − L(0) (L(0) ≈ 0). A direction of symmetry has an excess ≈ 0
at every t; `mean_excess` averages it over t.

`--whole-window` scores as discovery does instead: the loss on the whole square
window minus its value at g = identity (the entropy of the predictions for a
cross-entropy). Why the default differs: a rotation moves the square window's
corners outside it, where the predictor sees the patch border, and interpolating
class probabilities raises their entropy; both add to the excess of any g ≠ identity
without any lack of equivariance.

`low_pass` σ > 0 (pixels) compares Φ(g·x) and g·Φ(x) after smoothing both with the
same Gaussian of width σ (class probabilities for logits; the KL is then taken between
the smoothed probabilities). Why: a predictor whose output lives on a grid of stride s
cannot draw detail finer than about s pixels, whereas g·Φ(x) for a squeeze (a positive
scaling, e^t-fold) carries Φ(x)'s detail e^t times finer. That mismatch shows up as an
excess along the scalings that measures the output grid, not the direction. Smoothing
both sides at σ = s/2 compares them at the resolution the predictor has (the
counterpart of `ShiftAveraged` for squeezes); it leaves a label that flips over a
whole feature (the negative control's rotations) standing. σ = 0: no smoothing.

Only local (atlas) views with d = 2 are probed; a global view is an InputError.

probe.json — {"format": "symrepro.probe/1", "experiment", "view", "data",
"predictor", "seed", "samples", "charts", "out_radius", "normalisation", "window" (inside | whole),
"shifts" (the offsets of `ShiftAveraged`; [0]: the predictor as it is), "low_pass" (σ, pixels; 0: none),
"directions" (name -> 2×2 matrix, unit Frobenius norm), "t" (signed values, ascending),
"baseline" (L(0)), "loss" and "excess" (name -> one value per t), "mean_excess"
(name -> mean over t)}.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from ..atomic import read_json_object, write_json
from ..errors import InputError
from .charts import crop, transform_patches
from .equivariance_loss import local_equivariance_loss, predict_window, reference_output
from .lie_algebra import GroupSample

PROBE_FORMAT = "symrepro.probe/1"
DEFAULT_T = (0.1, 0.25, 0.5)
_RAW = {
    "J": [[0.0, -1.0], [1.0, 0.0]],
    "diag10": [[1.0, 0.0], [0.0, 0.0]],
    "diag01": [[0.0, 0.0], [0.0, 1.0]],
    "E12": [[0.0, 1.0], [0.0, 0.0]],
    "E21": [[0.0, 0.0], [1.0, 0.0]],
}


def directions() -> dict[str, np.ndarray]:
    """The five probe directions, each of unit Frobenius norm (J / √2; the others are unit already)."""
    out = {}
    for name, raw in _RAW.items():
        m = np.asarray(raw, dtype=np.float64)
        out[name] = m / np.linalg.norm(m)
    return out


def t_values(magnitudes=DEFAULT_T) -> list[float]:
    """±t for each given magnitude, ascending; magnitudes must be finite, > 0 and distinct."""
    try:
        values = [float(t) for t in magnitudes]
    except (TypeError, ValueError) as err:
        raise InputError(f"--t must be numbers, got {magnitudes!r}") from err
    if not values:
        raise InputError("--t needs at least one value")
    for t in values:
        if not math.isfinite(t) or t <= 0:
            raise InputError(f"--t values are magnitudes (the probe uses ±t): each must be finite and > 0, got {t}")
    if len(set(values)) != len(values):
        raise InputError(f"--t values must be distinct, got {values}")
    return sorted([-t for t in values] + values)


def _check_low_pass_window(low_pass, inside: bool) -> float:
    value = check_low_pass(low_pass)
    if value > 0 and not inside:
        raise InputError("--low-pass applies to the inside-window score; it cannot be combined with --whole-window")
    return value


def _check_view(spec, view) -> None:
    if not getattr(view, "local", True) or not hasattr(view, "out_radius") or len(view) < 1:
        raise InputError(f"the probe needs a local view (an atlas of charts); experiment {spec.name!r} gave a "
                         "global one")
    if spec.dim != 2:
        raise InputError(f"the probe's directions are 2×2 matrices; experiment {spec.name!r} has d = {spec.dim}")


class ShiftAveraged:
    """Φ̄(p) = mean over the shifts s = (a, b), a, b ∈ `offsets`, of roll(Φ(roll(p, s)), −s)
    (cyclic shifts of the patch rows and columns; logits averaged when Φ returns logits).

    Why: a predictor with strided convolutions is not equivariant to translations by
    less than its stride (its output depends on the input's phase on the stride grid),
    and every g ≠ identity moves pixels by fractions of the stride. That shows up as
    an excess in every direction that has nothing to do with the direction (measured
    with the quick climate CGNet, total stride 8: integer shifts by 2, 4 and 8 pixels
    cost 0.014, 0.026 and 0.001; a rotation by 10° to 40° 0.027–0.033). With offsets
    0, s, 2s, … up to the stride the average is equivariant to shifts by s."""

    def __init__(self, predict, offsets):
        self.predict = predict
        self.shifts = [(int(a), int(b)) for a in offsets for b in offsets]

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        total = None
        for a, b in self.shifts:
            y = self.predict(torch.roll(patches, (a, b), dims=(-2, -1)) if a or b else patches)
            y = torch.roll(y, (-a, -b), dims=(-2, -1)) if a or b else y
            total = y if total is None else total + y
        return total / len(self.shifts)


def shift_offsets(values) -> list[int]:
    try:
        offsets = sorted(int(v) for v in values)
    except (TypeError, ValueError) as err:
        raise InputError(f"--shifts must be integers, got {values!r}") from err
    if not offsets or offsets[0] < 0 or len(set(offsets)) != len(offsets):
        raise InputError(f"--shifts must be distinct integers >= 0, got {values!r}")
    return offsets


def inside_mask(g: torch.Tensor, size: int, radius: int) -> torch.Tensor:
    """(size², ) bool: the pixels p of the central (2·radius+1)² window of a size×size
    patch whose image g·p (pixel units about the centre; `transform_patches` samples
    there) lies inside that window too."""
    centre = size // 2
    axis = torch.arange(-radius, radius + 1, dtype=torch.float64, device=g.device)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    moved = torch.stack([xs, ys], -1).reshape(-1, 2) @ g.to(torch.float64).T
    if radius > centre:
        raise ValueError(f"window radius {radius} exceeds the patch radius {centre}")
    return (moved.abs() <= radius + 1e-6).all(-1)


def low_pass_filter(sigma: float):
    """z (…, H, W) -> z smoothed by a separable Gaussian of width `sigma` pixels
    (truncated at ±⌈2σ⌉, normalised, edges replicated); the identity for sigma = 0."""
    sigma = check_low_pass(sigma)
    if sigma == 0:
        return lambda z: z
    radius = max(1, math.ceil(2 * sigma))

    def smooth(z: torch.Tensor) -> torch.Tensor:
        x = torch.arange(-radius, radius + 1, dtype=z.dtype, device=z.device)
        kernel = torch.exp(-0.5 * (x / sigma) ** 2)
        kernel = kernel / kernel.sum()
        *lead, h, w = z.shape
        y = z.reshape(-1, 1, h, w)
        y = F.conv2d(F.pad(y, (radius, radius, 0, 0), mode="replicate"), kernel.view(1, 1, 1, -1))
        y = F.conv2d(F.pad(y, (0, 0, radius, radius), mode="replicate"), kernel.view(1, 1, -1, 1))
        return y.reshape(*lead, h, w)

    return smooth


def check_low_pass(sigma) -> float:
    try:
        value = float(sigma)
    except (TypeError, ValueError) as err:
        raise InputError(f"--low-pass must be a number of pixels, got {sigma!r}") from err
    if not math.isfinite(value) or value < 0:
        raise InputError(f"--low-pass (the smoothing width σ in pixels) must be finite and >= 0, got {sigma!r}")
    return value


def masked_equivariance_loss(predict, patches: torch.Tensor, reference: torch.Tensor, g: torch.Tensor,
                             radius: int, loss_fn, in_mode: str, out_mode: str, logits: bool,
                             low_pass: float = 0.0) -> torch.Tensor:
    """Per-sample excess loss between Φ(g·x) and g·Φ(x), averaged over the window pixels
    whose transformed position stays inside the window (`inside_mask`): per pixel,
    loss(Φ(g·x), g·Φ(x)) − loss(g·Φ(x), g·Φ(x)) (for class probabilities: the
    Kullback–Leibler divergence; for regression losses the floor is 0), so an exactly
    equivariant Φ scores 0 whatever the resampling does to the target.

    Why the floor is per g: g·Φ(x) is interpolated, and interpolating class
    probabilities raises their entropy (the cross-entropy's floor), by more for a
    rotation (2-D interpolation at every pixel) than for a scaling of one axis.

    Why the mask: the out window is a square; a rotation by any angle moves its
    corners (at √2·radius) beyond it, into the part of the patch where the predictor
    sees the patch border — or past the patch, into `grid_sample`'s border
    replication. `loss_fn` is the experiment's loss
    (prediction, target) -> per-sample values, applied here pixel by pixel (class
    channels on dim −3, as in patches (…, C, P, P)).

    `low_pass` σ > 0: both sides smoothed by the same Gaussian first (for logits, the
    probabilities; module docstring)."""
    b, k, c, size, _ = patches.shape
    sample_g = g.expand(b, k, 2, 2)
    with torch.no_grad():
        g_y = crop(transform_patches(reference, sample_g, None, out_mode), radius)
        y_g = predict_window(predict, transform_patches(patches, sample_g, None, in_mode), radius)
        if low_pass > 0:
            smooth = low_pass_filter(low_pass)
            g_y = smooth(g_y)
            y_g = torch.log(smooth(torch.softmax(y_g, dim=-3)).clamp_min(1e-12)) if logits else smooth(y_g)
    mask = inside_mask(g, size, radius)
    classes = y_g.shape[-3]

    def pixels(z):  # (B, K, C, w, w) -> (B·K·n, C, 1, 1) over the kept pixels
        z = z.reshape(b * k, classes, -1)[:, :, mask]
        return z.permute(0, 2, 1).reshape(-1, classes, 1, 1)

    target = pixels(g_y)
    floor_input = torch.log(target.clamp_min(1e-12)) if logits else target
    per_pixel = loss_fn(pixels(y_g), target) - loss_fn(floor_input, target)
    return per_pixel.reshape(b, k * int(mask.sum())).mean(1)


@torch.no_grad()
def measure(spec, view, predict, inputs: torch.Tensor, t=DEFAULT_T, batch_size: int = 16,
            device: torch.device | str = "cpu", inside: bool = True, shifts=(0,), low_pass: float = 0.0) -> dict:
    """The probe of `predict` (patches -> predictions) on fields `inputs` (N, C, H, W):
    the numbers of probe.json (directions, t, baseline, loss, excess, mean_excess, samples, charts).
    `inside`: score only the window pixels p whose transformed position g·p stays in the
    window (`masked_equivariance_loss`); False: the whole window, as discovery does.
    `shifts`: offsets whose pairs the predictor is averaged over (`ShiftAveraged`); (0,): none.
    `low_pass`: σ in pixels of the smoothing of both sides (module docstring); 0: none."""
    _check_view(spec, view)
    low_pass = _check_low_pass_window(low_pass, inside)
    signed = t_values(t)
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}")
    if len(inputs) < 1:
        raise InputError("the probe needs at least one sample")
    device = torch.device(device)
    offsets = shift_offsets(shifts)
    if offsets != [0]:
        predict = ShiftAveraged(predict, offsets)
    dirs = directions()
    generators = {name: torch.from_numpy(m) for name, m in dirs.items()}
    elements = {(name, s): torch.linalg.matrix_exp(s * d).float().to(device)
                for name, d in generators.items() for s in signed}
    identity = torch.eye(2, device=device)
    loss_fn = spec.equivariance_loss if spec.equivariance_loss is not None else spec.task_loss
    totals = {key: 0.0 for key in elements}
    baseline_total, count = 0.0, 0

    def loss_at(patches, reference, g):
        if not inside:
            sample = GroupSample(g.expand(*patches.shape[:2], 2, 2), None, None)
            losses = local_equivariance_loss(predict, patches, sample, view.out_radius, loss_fn, spec.logits,
                                             spec.in_resampling, spec.out_resampling, spec.class_dim, reference)
            return float(losses.double().sum())
        return float(masked_equivariance_loss(predict, patches, reference, g, view.out_radius, loss_fn,
                                              spec.in_resampling, spec.out_resampling, spec.logits,
                                              low_pass).double().sum())

    for start in range(0, len(inputs), batch_size):
        x = inputs[start:start + batch_size].to(device)
        x = x.float() if x.dtype != torch.float32 else x
        patches = view.extract(x)
        reference = reference_output(predict, patches, spec.logits, spec.class_dim)
        baseline_total += loss_at(patches, reference, identity)
        for key, g in elements.items():
            totals[key] += loss_at(patches, reference, g)
        count += len(x)
    baseline = baseline_total / count
    loss = {name: [totals[(name, s)] / count for s in signed] for name in dirs}
    excess = {name: [v - baseline for v in values] for name, values in loss.items()}
    return {"directions": {name: m.tolist() for name, m in dirs.items()}, "t": signed, "baseline": baseline,
            "loss": loss, "excess": excess, "mean_excess": {name: float(np.mean(v)) for name, v in excess.items()},
            "samples": count, "charts": len(view), "out_radius": int(view.out_radius),
            "normalisation": "unit Frobenius norm", "window": "inside" if inside else "whole", "shifts": offsets,
            "low_pass": low_pass}


def probe(spec, view_name: str, data, predictor_path, *, t=DEFAULT_T, batch_size: int = 16, seed: int = 0,
          device: str = "auto", threads: int | None = None, max_samples: int | None = None,
          inside: bool = True, shifts=(0,), low_pass: float = 0.0) -> dict:
    """The probe of the saved predictor (predictor.pt) on a data file: the payload of probe.json."""
    from .run import load_data, load_predictor, set_up

    t_values(t)  # a bad --t or --shifts fails before any data is read
    shift_offsets(shifts)
    _check_low_pass_window(low_pass, inside)
    view = spec.view(view_name)
    _check_view(spec, view)
    chosen, _ = set_up(seed, threads, device)
    inputs, _ = load_data(spec, data, max_samples)
    predictor = load_predictor(spec, view_name, predictor_path, chosen)
    numbers = measure(spec, view, predictor, inputs, t, batch_size, chosen, inside, shifts, low_pass)
    return {"format": PROBE_FORMAT, "experiment": spec.name, "view": view_name or "", "data": str(data),
            "predictor": str(predictor_path), "seed": seed, **numbers}


def write_probe(path, payload: dict) -> None:
    write_json(path, payload)


def read_probe(path) -> dict:
    payload = read_json_object(path, PROBE_FORMAT, "probe")
    for key in ("directions", "t", "baseline", "excess"):
        if key not in payload:
            raise InputError(f"probe {path}: missing key {key!r}")
    n = len(payload["t"])
    for name, values in payload["excess"].items():
        if not isinstance(values, list) or len(values) != n:
            raise InputError(f"probe {path}: excess of {name!r} needs one value per t ({n})")
    return payload


def mean_excess(payload: dict) -> dict[str, float]:
    """Per direction, the mean excess equivariance loss over the probed t."""
    return {name: float(np.mean([np.nan if v is None else v for v in values]))
            for name, values in payload["excess"].items()}
