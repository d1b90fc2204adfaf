"""LieGAN generator (coefficients over an so(3) basis) and segmentation discriminator.

Generator: one learned coefficient row w (1 × 3, init N(0, 0.1)) over the so(3)
basis B (`symmetry.lie.so3_generators`), L = Σ_i w_i B_i; per sample z ~ N(0, 1) and
g = expm(z L) rotates the image and the one-hot labels on the sphere (bilinear).
Discriminator: the image concatenated with a 32-dim embedding of argmax(labels)
→ conv 3×3 stride 2 (32) → BN → LeakyReLU(0.2) → max-pool 3/2 → conv 3×3 stride 2 (64)
→ BN → LeakyReLU(0.2) → max-pool 3/2 → MLP 768 → 512 → 512 → 1 → sigmoid (768 =
64 × 6 × 2 features for a 120×60 image).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from ..symmetry.lie import so3_generators
from .sphere import rotate


class LieGenerator(nn.Module):
    def __init__(self, channels: int = 1, init_std: float = 0.1):
        super().__init__()
        self.register_buffer("basis", torch.as_tensor(so3_generators(), dtype=torch.float32))
        self.coefficients = nn.Parameter(torch.randn(channels, len(self.basis)) * init_std)

    def algebra(self) -> torch.Tensor:
        """The learned generators (channels, 3, 3)."""
        return torch.einsum("ck,kij->cij", self.coefficients, self.basis)

    def sample(self, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        z = torch.randn(batch, len(self.coefficients), generator=generator).to(self.coefficients.device)
        return torch.linalg.matrix_exp(torch.einsum("bc,cij->bij", z, self.algebra()))

    def forward(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None):
        g = self.sample(len(x), generator)
        return rotate(x, g), rotate(y, g)


class SegmentationDiscriminator(nn.Module):
    def __init__(self, in_channels: int = 1, classes: int = 11, embedding: int = 32, features: int = 768):
        super().__init__()
        self.embedding = nn.Embedding(classes, embedding)
        self.conv = nn.Sequential(
            nn.Conv2d(in_channels + embedding, 32, 3, stride=2), nn.BatchNorm2d(32), nn.LeakyReLU(0.2),
            nn.MaxPool2d(3, 2),
            nn.Conv2d(32, 64, 3, stride=2), nn.BatchNorm2d(64), nn.LeakyReLU(0.2), nn.MaxPool2d(3, 2))
        self.mlp = nn.Sequential(nn.Linear(features, 512), nn.LeakyReLU(0.2), nn.Linear(512, 512), nn.LeakyReLU(0.2),
                                 nn.Linear(512, 1), nn.Sigmoid())

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        labels = y.argmax(1)  # (B, H, W)
        emb = self.embedding(labels).permute(0, 3, 1, 2)
        return self.mlp(self.conv(torch.cat([x, emb], 1)).flatten(1))


def axis_and_magnitude(algebra: np.ndarray) -> tuple[list[float], float]:
    """L = [ω]× for an so(3) element: the unit axis ω/|ω| and |ω| (radians per unit z)."""
    L = np.asarray(algebra, dtype=float)
    omega = np.array([L[2, 1] - L[1, 2], L[0, 2] - L[2, 0], L[1, 0] - L[0, 1]]) / 2
    magnitude = float(np.linalg.norm(omega))
    axis = (omega / magnitude).tolist() if magnitude > 0 else [0.0, 0.0, 0.0]
    return axis, magnitude
