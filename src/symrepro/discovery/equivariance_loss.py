"""Equivariance losses: how far a predictor Φ is from Φ(g·x) = g·Φ(x).

Local: every (sample, chart) carries its own g acting on its patch. The target
g·Φ(x) is computed without gradients (Φ's logits through a softmax first when Φ
classifies); both sides are cropped to the central out-radius window and compared
with the task loss. Global: g acts linearly on the vectors of an input (n, d), one
chart = the whole input, and the prediction should be invariant.

A task loss maps (prediction, target) with the same leading dimension N to N
per-sample losses, so one call can score many candidate matrices at once.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from .charts import crop, transform_patches
from .lie_algebra import GroupSample

Predict = Callable[[torch.Tensor], torch.Tensor]
TaskLoss = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def l1_loss(prediction: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean absolute error per sample (first dimension)."""
    return (prediction - target).abs().flatten(1).mean(1)


def soft_cross_entropy(class_dim: int) -> TaskLoss:
    """Cross-entropy of logits against class probabilities along `class_dim`, per sample."""
    def loss(logits: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        terms = -(probabilities * F.log_softmax(logits, dim=class_dim)).sum(class_dim)
        return terms.flatten(1).mean(1) if terms.dim() > 1 else terms
    return loss


def predict_window(predict: Predict, patches: torch.Tensor, radius: int) -> torch.Tensor:
    """Φ(patches) on the central window only; predictors that can compute just that
    window (`predict.window`) skip the work outside it."""
    window = getattr(predict, "window", None)
    return window(patches, radius) if window is not None else crop(predict(patches), radius)


def reference_output(predict: Predict, inputs: torch.Tensor, logits: bool, class_dim: int) -> torch.Tensor:
    """Φ(x) without gradients; class probabilities (softmax along `class_dim`) when Φ returns logits."""
    with torch.no_grad():
        y = predict(inputs)
        return torch.softmax(y, dim=class_dim) if logits else y


def local_equivariance_loss(predict: Predict, patches: torch.Tensor, sample: GroupSample, out_radius: int,
                            loss: TaskLoss = l1_loss, logits: bool = False, in_mode: str = "bilinear",
                            out_mode: str = "bilinear", class_dim: int = -3,
                            reference: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sample loss between Φ(g·x) and g·Φ(x) on the out window.

    patches (B, K, C, P, P); sample.g (B, K, 2, 2). `reference` = Φ(x) as from
    `reference_output` when already computed (e.g. shared by many candidate g). Returns (B,).
    """
    y = reference if reference is not None else reference_output(predict, patches, logits, class_dim)
    with torch.no_grad():
        g_y = crop(transform_patches(y, sample.g, sample.rho_out, out_mode), out_radius)
    y_g = predict_window(predict, transform_patches(patches, sample.g, sample.rho_in, in_mode), out_radius)
    return loss(y_g, g_y)


def global_invariance_loss(predict: Predict, x: torch.Tensor, g: torch.Tensor, loss: TaskLoss = l1_loss,
                           logits: bool = False, reference: torch.Tensor | None = None) -> torch.Tensor:
    """Per-sample loss between Φ(g·x) and Φ(x) for inputs x (B, n, d), g (B, d, d)
    (g acts on every d-vector: p -> g p)."""
    y = reference if reference is not None else reference_output(predict, x, logits, -1)
    return loss(predict(torch.einsum("bij,bnj->bni", g, x)), y)
