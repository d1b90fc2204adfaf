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

    L(D, t) = mean over samples and charts of loss(Φ(g·x), g·Φ(x)),  g = expm(t D) on every chart,

with the engine's own local equivariance loss (`local_equivariance_loss`: the
experiment's equivariance loss, softmax of logits, input and output resampling,
out-radius window), so it measures exactly what discovery optimises; and the excess
L(D, t) − L(0), L(0) = the same quantity at g = identity (the floor of the loss
itself, e.g. the entropy of the predictions for a cross-entropy). A direction of
symmetry has an excess ≈ 0 at every t; `mean_excess` averages it over t.

Only local (atlas) views with d = 2 are probed; a global view is an InputError.

probe.json — {"format": "symrepro.probe/1", "experiment", "view", "data",
"predictor", "seed", "samples", "charts", "out_radius", "normalisation",
"directions" (name -> 2×2 matrix, unit Frobenius norm), "t" (signed values, ascending),
"baseline" (L(0)), "loss" and "excess" (name -> one value per t), "mean_excess"
(name -> mean over t)}.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..atomic import read_json_object, write_json
from ..errors import InputError
from .equivariance_loss import local_equivariance_loss, reference_output
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


def _check_view(spec, view) -> None:
    if not getattr(view, "local", True) or not hasattr(view, "out_radius") or len(view) < 1:
        raise InputError(f"the probe needs a local view (an atlas of charts); experiment {spec.name!r} gave a "
                         "global one")
    if spec.dim != 2:
        raise InputError(f"the probe's directions are 2×2 matrices; experiment {spec.name!r} has d = {spec.dim}")


@torch.no_grad()
def measure(spec, view, predict, inputs: torch.Tensor, t=DEFAULT_T, batch_size: int = 16,
            device: torch.device | str = "cpu") -> dict:
    """The probe of `predict` (patches -> predictions) on fields `inputs` (N, C, H, W):
    the numbers of probe.json (directions, t, baseline, loss, excess, mean_excess, samples, charts)."""
    _check_view(spec, view)
    signed = t_values(t)
    if batch_size < 1:
        raise InputError(f"batch_size must be >= 1, got {batch_size}")
    if len(inputs) < 1:
        raise InputError("the probe needs at least one sample")
    device = torch.device(device)
    dirs = directions()
    generators = {name: torch.from_numpy(m) for name, m in dirs.items()}
    elements = {(name, s): torch.linalg.matrix_exp(s * d).float().to(device)
                for name, d in generators.items() for s in signed}
    identity = torch.eye(2, device=device)
    loss_fn = spec.equivariance_loss if spec.equivariance_loss is not None else spec.task_loss
    totals = {key: 0.0 for key in elements}
    baseline_total, count = 0.0, 0

    def loss_at(patches, reference, g):
        sample = GroupSample(g.expand(*patches.shape[:2], 2, 2), None, None)
        losses = local_equivariance_loss(predict, patches, sample, view.out_radius, loss_fn, spec.logits,
                                         spec.in_resampling, spec.out_resampling, spec.class_dim, reference)
        return float(losses.double().sum())

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
            "normalisation": "unit Frobenius norm"}


def probe(spec, view_name: str, data, predictor_path, *, t=DEFAULT_T, batch_size: int = 16, seed: int = 0,
          device: str = "auto", threads: int | None = None, max_samples: int | None = None) -> dict:
    """The probe of the saved predictor (predictor.pt) on a data file: the payload of probe.json."""
    from .run import load_data, load_predictor, set_up

    t_values(t)  # a bad --t fails before any data is read
    view = spec.view(view_name)
    _check_view(spec, view)
    chosen, _ = set_up(seed, threads, device)
    inputs, _ = load_data(spec, data, max_samples)
    predictor = load_predictor(spec, view_name, predictor_path, chosen)
    numbers = measure(spec, view, predictor, inputs, t, batch_size, chosen)
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
