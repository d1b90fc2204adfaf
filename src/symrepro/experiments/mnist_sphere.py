"""MNIST on a sphere: three charts that follow the inverse projection, one
encoder–decoder segmentation net per chart, class-weighted cross-entropy; so(2) expected.

Data: `symrepro data mnist-sphere` (datasets/mnist_sphere.py): images (N, 1, 120, 60)
with rows = longitude and columns = latitude, labels (N, 120, 60) in 0…10.

Charts (`SphereCharts`): chart i is centred on digit i (rows p₀ ± r, p₀ ∈ {20, 60, 100});
its column k ∈ −r…r is the sphere column round(asin(k/R)·60/π + 30), R = 120/(2π) — the
inverse of the projection, so a chart shows the flat cylinder around the digit (column
k of the chart = cylinder column 16 + k). Both the chart's axes are in pixels of the
cylinder, on which a rotation of the digit is a rotation of the chart.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..datasets import mnist_sphere as data
from ..errors import InputError
from ..symmetry.lie import PLANE, J, reference_group
from .spec import ExperimentSpec

RADIUS = 14  # in = out radius of the charts
BACKGROUND_WEIGHT = 0.1  # discovery losses; the downstream CNN uses 0.005


class SphereCharts:
    """A local view: `extract(field (B, C, 120, 60)) -> (B, K, C, 2r+1, 2r+1)` through the inverse projection."""

    local = True

    def __init__(self, rows=data.DIGIT_ROWS, radius: int = RADIUS, out_radius: int | None = None,
                 height: int = data.LONGITUDES, width: int = data.LATITUDES):
        sphere_radius = height / (2 * math.pi)
        if radius < 1 or radius >= sphere_radius:
            raise InputError(f"chart radius must be in 1…{math.ceil(sphere_radius) - 1}, got {radius}")
        out_radius = radius if out_radius is None else out_radius
        if not 0 <= out_radius <= radius:
            raise InputError(f"out radius must be in 0…{radius}, got {out_radius}")
        self.rows, self.in_radius, self.out_radius = tuple(int(r) for r in rows), radius, out_radius
        self.height, self.width = height, width
        k = np.arange(-radius, radius + 1)
        self.columns = np.rint(np.arcsin(k / sphere_radius) * width / math.pi + width / 2).astype(np.int64)
        # rows wrap around in longitude
        self.row_index = np.stack([(r + k) % height for r in self.rows])  # (K, P)
        flat = self.row_index[:, :, None] * width + self.columns[None, None, :]
        self._flat = torch.from_numpy(flat.reshape(-1))

    def __len__(self) -> int:
        return len(self.rows)

    def extract(self, field: torch.Tensor) -> torch.Tensor:
        b, c, h, w = field.shape
        if (h, w) != (self.height, self.width):
            raise InputError(f"sphere charts expect fields of {self.height}×{self.width}, got {h}×{w}")
        p = 2 * self.in_radius + 1
        patches = field.reshape(b, c, h * w).index_select(2, self._flat.to(field.device))
        return patches.reshape(b, c, len(self), p, p).transpose(1, 2)


def charts() -> SphereCharts:
    return SphereCharts()


class ChartSegmenter(nn.Module):
    """K encoder–decoder nets (one per chart) as grouped convolutions: (B, K, 1, P, P) -> (B, K, 11, P, P).

    Encoder: 3×3 convolutions 1→c₁ (stride 2)→c₂ (stride 2)→c₃ (stride 2)→c₄ (valid);
    decoder: transposed 3×3 convolutions back to 11 classes, cropped to P×P; LeakyReLU
    then BatchNorm after every layer. Paper widths (32, 64, 64, 64) at `width` = 1.
    """

    def __init__(self, charts: int, width: float = 1.0, classes: int = data.CLASSES, size: int = 2 * RADIUS + 1):
        super().__init__()
        if width <= 0:
            raise InputError(f"predictor width must be > 0, got {width}")
        c1, c2, c3, c4 = (max(1, round(c * width)) for c in (32, 64, 64, 64))
        k, self.charts, self.classes, self.size = charts, charts, classes, size

        def block(conv):
            return [conv, nn.LeakyReLU(), nn.BatchNorm2d(conv.out_channels)]

        layers = []
        for cin, cout, stride in ((1, c1, 2), (c1, c2, 2), (c2, c3, 2)):
            layers += block(nn.Conv2d(k * cin, k * cout, 3, stride=stride, padding=1, groups=k))
        layers += block(nn.Conv2d(k * c3, k * c4, 3, groups=k))
        layers += block(nn.ConvTranspose2d(k * c4, k * c4, 3, groups=k))
        layers += block(nn.ConvTranspose2d(k * c4, k * c4, 3, stride=2, padding=1, output_padding=1, groups=k))
        layers += block(nn.ConvTranspose2d(k * c4, k * c4, 3, stride=2, padding=1, groups=k))
        layers += block(nn.ConvTranspose2d(k * c4, k * classes, 3, stride=2, padding=1, groups=k))
        self.net = nn.Sequential(*layers)

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        b, k, c, p, _ = patches.shape
        if k != self.charts or c != 1 or p != self.size:
            raise ValueError(f"expected patches (B, {self.charts}, 1, {self.size}, {self.size}), got {tuple(patches.shape)}")
        out = self.net(patches.reshape(b, k, p, p))
        if out.shape[-1] < p:
            raise ValueError(f"the decoder returns {out.shape[-1]} pixels, fewer than the chart's {p}")
        return out[..., :p, :p].reshape(b, k, self.classes, p, p)


def predictor(view: SphereCharts, width: float = 1.0) -> ChartSegmenter:
    return ChartSegmenter(len(view), width=width, size=2 * view.in_radius + 1)


def class_weights(background: float, device=None) -> torch.Tensor:
    w = torch.ones(data.CLASSES, device=device)
    w[data.BACKGROUND] = background
    return w


def weighted_cross_entropy(background: float = BACKGROUND_WEIGHT, class_dim: int = -3):
    """Per-sample class-weighted cross-entropy of logits against class probabilities:
    mean over pixels of −Σ_c w_c t_c log softmax(logits)_c (w = 1, background `background`).
    The same function scores one-hot targets (task) and softmax targets (equivariance)."""
    def loss(logits: torch.Tensor, probabilities: torch.Tensor) -> torch.Tensor:
        shape = [1] * logits.dim()
        shape[class_dim] = data.CLASSES
        w = class_weights(background, logits.device).reshape(shape)
        terms = -(w * probabilities * F.log_softmax(logits, dim=class_dim)).sum(class_dim)
        return terms.flatten(1).mean(1)
    return loss


def one_hot(labels: torch.Tensor) -> torch.Tensor:
    """Label maps (B, H, W) -> one-hot float fields (B, 11, H, W)."""
    return F.one_hot(labels.long(), data.CLASSES).permute(0, 3, 1, 2).float()


def load(path) -> tuple[torch.Tensor, torch.Tensor]:
    """Images float16 in [0, 1] (N, 1, 120, 60) and compact labels uint8 (N, 120, 60)
    (one-hot per batch by `target_transform`: 10 000 one-hot samples would take 3.2 GB)."""
    images, labels = data.load(path)
    return torch.from_numpy(images).to(torch.float16) / 255, torch.from_numpy(labels)


@torch.no_grad()
def evaluate(predictor: nn.Module, view: SphereCharts, inputs: torch.Tensor, targets: torch.Tensor,
             batch_size: int = 64) -> dict:
    """Pixel accuracy of the chart predictors on the digit pixels of the charts."""
    predictor.eval()
    device = next(predictor.parameters()).device
    correct = total = 0
    for start in range(0, len(inputs), batch_size):
        x = view.extract(inputs[start:start + batch_size].float().to(device))
        y = view.extract(targets[start:start + batch_size, None].long().to(device))[:, :, 0]
        pred = predictor(x).argmax(2)
        digit = y != data.BACKGROUND
        correct += int((pred[digit] == y[digit]).sum())
        total += int(digit.sum())
    return {"digit_pixel_accuracy": correct / max(total, 1), "digit_pixels": total}


def so2_cosine(group) -> dict:
    from ..symmetry.compare import cosine

    cosines = [abs(cosine(g, J)) for g in group.lie_algebra]
    return {"cosine_so2": max(cosines) if cosines else float("nan")}


SPEC = ExperimentSpec(
    name="mnist_sphere",
    description="three rotated MNIST digits on a sphere (120×60); per-pixel digit classes on three charts",
    dim=2,
    acts_on=PLANE + " (a chart of the inverse-projected sphere)",
    views={"charts": charts},
    load=load,
    predictor=predictor,
    task_loss=weighted_cross_entropy(),
    equivariance_loss=weighted_cross_entropy(),
    logits=True,
    class_dim=-3,
    reference=lambda: reference_group("SO(2)"),
    target_transform=one_hot,
    evaluate=evaluate,
    summary_extras=so2_cosine,
)
