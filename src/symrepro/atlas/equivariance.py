"""Equivariance losses: how far a predictor Φ is from Φ(g·x) = g·Φ(x).

Local: every (sample, chart) carries its own g acting on its patch; the target
g·Φ(x) is detached (probabilities, if Φ returns logits) and both sides are cropped
to the central out-radius window. Global: g acts linearly on the vectors of an
input (n, d) — one chart, the whole input."""

from __future__ import annotations

from typing import Callable

import torch

from .charts import crop, transform

Predict = Callable[[torch.Tensor], torch.Tensor]


def local_pairs(predict: Predict, patches: torch.Tensor, g: torch.Tensor, out_radius: int, logits: bool = False,
                in_mode: str = "bilinear", out_mode: str = "bilinear") -> tuple[torch.Tensor, torch.Tensor]:
    """(Φ(g·x), g·Φ(x)) cropped, for patches (B, K, C, P, P) and g (B, K, d, d)."""
    with torch.no_grad():
        y = predict(patches)
        if logits:
            y = torch.softmax(y, dim=-3)
    g_y = transform(y, g, mode=out_mode)
    y_g = predict(transform(patches, g, mode=in_mode))
    if logits:
        y_g = torch.softmax(y_g, dim=-3)
    return crop(y_g, out_radius), crop(g_y, out_radius)


def global_pairs(predict: Predict, x: torch.Tensor, g: torch.Tensor, logits: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """(Φ(g·x), Φ(x)) for an invariant task: x (B, n, d), g (B, d, d)."""
    with torch.no_grad():
        y = predict(x)
        if logits:
            y = torch.softmax(y, dim=-1)
    y_g = predict(torch.einsum("bij,bnj->bni", g, x))
    if logits:
        y_g = torch.softmax(y_g, dim=-1)
    return y_g, y
