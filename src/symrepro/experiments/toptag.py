"""Top-quark tagging: global discovery on R⁴ (four-momenta), O+(1,3) × R+ expected.

Inputs are the first 30 constituents of a jet, (N, 30, 4) = (E, px, py, pz) in GeV
(`symrepro data toptag`, datasets/toptag.py); a group element g ∈ GL(4) acts on every
constituent; the classifier's prediction should not change (invariance), measured as
the cross-entropy of Φ(g·x) against softmax(Φ(x)).

Predictor: MLP 120 → 512 → 512 → 2 with ReLU (the reference's), trained with
cross-entropy. Deviation from the reference (raw GeV inputs): the MLP divides its
input by a fixed constant (`scale`, 100 GeV by default) before the first layer. A
fixed global factor commutes with every linear g (g·(x/s) = (g·x)/s), so the symmetry
of the trained function and the discovered matrices, which act on raw GeV momenta,
are unchanged; it only keeps the first layer's pre-activations of order one.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from ..datasets.toptag import load as load_jets
from ..discovery.equivariance_loss import soft_cross_entropy
from ..errors import InputError
from ..symmetry.lie import ETA, MINKOWSKI, lorentz_generators, lorentz_residual, reference_group
from .spec import GLOBAL, ExperimentSpec

CONSTITUENTS = 30
CANONICAL_NAMES = ("Jx", "Jy", "Jz", "Kx", "Ky", "Kz")


class JetMLP(nn.Module):
    """Flattened constituents (B, n, 4) / scale → `layers` hidden ReLU layers of `hidden` units → 2 logits."""

    def __init__(self, constituents: int = CONSTITUENTS, hidden: int = 512, layers: int = 2, classes: int = 2,
                 scale: float = 100.0):
        super().__init__()
        if constituents < 1 or hidden < 1 or layers < 1 or classes < 2:
            raise InputError(f"JetMLP needs constituents, hidden, layers >= 1 and classes >= 2; got "
                             f"{constituents}, {hidden}, {layers}, {classes}")
        if not scale > 0:
            raise InputError(f"the input scale must be > 0 GeV, got {scale}")
        widths = [4 * constituents] + [hidden] * layers
        blocks = []
        for a, b in zip(widths[:-1], widths[1:]):
            blocks += [nn.Linear(a, b), nn.ReLU()]
        self.net = nn.Sequential(*blocks, nn.Linear(widths[-1], classes))
        self.constituents = constituents
        self.register_buffer("scale", torch.tensor(float(scale)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.constituents, 4):
            raise InputError(f"JetMLP expects inputs (B, {self.constituents}, 4), got {tuple(x.shape)}")
        return self.net((x / self.scale).flatten(-2))


def predictor(view=GLOBAL, **options) -> JetMLP:
    """Options: hidden (512), layers (2), scale (100 GeV), constituents (30)."""
    known = {"hidden", "layers", "scale", "constituents"}
    unknown = sorted(set(options) - known)
    if unknown:
        raise InputError(f"unknown toptag predictor option(s) {unknown}; known: {sorted(known)}")
    if view is not GLOBAL and getattr(view, "local", False):
        raise InputError("the toptag experiment is global: its only view is 'global'")
    return JetMLP(**options)


def load(path) -> tuple[torch.Tensor, torch.Tensor]:
    momenta, labels = load_jets(path)
    if momenta.shape[1] != CONSTITUENTS:
        raise InputError(f"data file {path}: {momenta.shape[1]} constituents per jet, expected {CONSTITUENTS}")
    return torch.from_numpy(momenta), torch.from_numpy(labels)


def task_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy per jet (B,)."""
    return F.cross_entropy(logits, labels, reduction="none")


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve = P(score of a positive > score of a negative), ties
    counted one half (Mann–Whitney U from average ranks)."""
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    positives, negatives = int((labels == 1).sum()), int((labels == 0).sum())
    if positives == 0 or negatives == 0:
        raise InputError(f"ROC AUC needs both classes, got {positives} positive and {negatives} negative jets")
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    ranks = np.empty(len(scores))
    # average rank (1-based) over each run of tied scores
    boundaries = np.flatnonzero(np.diff(sorted_scores)) + 1
    starts = np.concatenate([[0], boundaries])
    ends = np.concatenate([boundaries, [len(scores)]])
    average = (starts + ends + 1) / 2.0
    ranks[order] = np.repeat(average, ends - starts)
    u = ranks[labels == 1].sum() - positives * (positives + 1) / 2.0
    return float(u / (positives * negatives))


@torch.no_grad()
def evaluate(model, view, inputs: torch.Tensor, targets: torch.Tensor, batch_size: int = 4096) -> dict:
    """Accuracy (correct / jets) and ROC AUC of the top score on the given jets."""
    if len(inputs) != len(targets) or len(inputs) == 0:
        raise InputError(f"evaluation needs as many labels as jets (> 0), got {len(inputs)} and {len(targets)}")
    was_training = model.training if isinstance(model, nn.Module) else False
    if isinstance(model, nn.Module):
        model.eval()
        device = next(model.parameters()).device
    else:
        device = torch.device("cpu")
    correct, scores = 0, []
    for start in range(0, len(inputs), batch_size):
        x = inputs[start:start + batch_size].to(device)
        logits = model(x).float()
        correct += int((logits.argmax(-1).cpu() == targets[start:start + batch_size]).sum())
        scores.append((logits[:, 1] - logits[:, 0]).cpu().double())  # log-odds of "top"
    if isinstance(model, nn.Module):
        model.train(was_training)
    scores = torch.cat(scores).numpy()
    return {"accuracy": correct / len(inputs), "auc": roc_auc(scores, targets.numpy()), "jets": len(inputs)}


def summary_extras(group) -> dict:
    """Lorentz residual of each discovered generator; residual of each canonical
    so(1,3) generator and of the identity in the discovered span; determinant and sign
    of C₀₀ of each kept coset representative."""
    out = {}
    residuals = [lorentz_residual(g) for g in group.lie_algebra]
    for i, r in enumerate(residuals):
        out[f"lorentz_residual_L{i}"] = r
    out["max_lorentz_residual"] = max(residuals) if residuals else float("nan")
    spans = [group.span_residual(g) for g in lorentz_generators()]
    for name, r in zip(CANONICAL_NAMES, spans):
        out[f"span_residual_{name}"] = r
    out["max_so13_span_residual"] = max(spans)
    out["span_residual_identity"] = group.span_residual(np.eye(4))
    for i, c in enumerate(group.discrete_generators):
        out[f"coset{i}_det"] = float(np.linalg.det(c))
        out[f"coset{i}_C00_sign"] = int(np.sign(c[0, 0]))
    parity = [c for c in group.discrete_generators if np.linalg.det(c) < 0 and c[0, 0] > 0]
    out["parity_cosets"] = len(parity)
    out["time_reversing_cosets"] = int(sum(c[0, 0] < 0 for c in group.discrete_generators))
    return out


SPEC = ExperimentSpec(
    name="toptag",
    description="top-quark tagging: classify jets (first 30 constituents' four-momenta) as top or QCD; "
                "invariance under GL(4) acting on every four-momentum",
    dim=4,
    acts_on=MINKOWSKI,
    views={"global": lambda: GLOBAL},
    load=load,
    predictor=predictor,
    task_loss=task_loss,
    reference=lambda: reference_group("O+(1,3)xR+"),
    equivariance_loss=soft_cross_entropy(-1),
    logits=True,
    class_dim=-1,
    evaluate=evaluate,
    summary_extras=summary_extras,
    extras={"metric": ETA.tolist(), "canonical_generators": list(CANONICAL_NAMES)},
)
