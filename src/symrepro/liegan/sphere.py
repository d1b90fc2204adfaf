"""Rotating equirectangular sphere fields.

A sphere field is (B, C, 120, 60): row i is the longitude θ_i = 2π·i/120, column j
the polar angle φ_j = π·j/60 (j = 30 the equator, as in the data set, where column j
has latitude (j − 30)·π/60; the sign of z is immaterial for rotations). A pixel's
point on the unit sphere is p = (sin φ cos θ, sin φ sin θ, cos φ).

`rotate(fields, g)` returns g·f, (g·f)(p) = f(g⁻¹ p), sampled bilinearly from the
grid: periodic in longitude, clamped at the poles (the last column, φ = 59π/60, is the
closest to the south pole). Column 0 is the north pole itself, one point sampled
120 times: it receives the value at longitude 0 (the data sets leave it empty).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def grid_points(height: int, width: int, device=None, dtype=torch.float32) -> torch.Tensor:
    """Unit vectors (H, W, 3) of the pixels."""
    theta = torch.arange(height, device=device, dtype=dtype) * (2 * math.pi / height)
    phi = torch.arange(width, device=device, dtype=dtype) * (math.pi / width)
    theta, phi = torch.meshgrid(theta, phi, indexing="ij")
    return torch.stack([torch.sin(phi) * torch.cos(theta), torch.sin(phi) * torch.sin(theta), torch.cos(phi)], -1)


def rotate(fields: torch.Tensor, g: torch.Tensor) -> torch.Tensor:
    """g·f for fields (B, C, H, W) and rotations g (B, 3, 3)."""
    b, c, h, w = fields.shape
    if g.shape != (b, 3, 3):
        raise ValueError(f"g must be ({b}, 3, 3), got {tuple(g.shape)}")
    points = grid_points(h, w, fields.device, fields.dtype)
    source = torch.einsum("bji,hwj->bhwi", g.to(fields.dtype), points)  # g⁻¹ p = gᵀ p for a rotation
    x, y, z = source.unbind(-1)
    rho = torch.sqrt(x * x + y * y)
    # at a pole atan2(0, 0) has no gradient (0/0 = NaN, which would poison the generator
    # and make grid_sample read out of bounds): nudge x there; φ = atan2(ρ, z) is smooth
    x = torch.where(rho < 1e-6, x + 1e-6, x)
    theta = torch.atan2(y, x) % (2 * math.pi)
    phi = torch.atan2(rho, z)
    rows = theta * (h / (2 * math.pi))  # in [0, h]; row h is row 0 again (padded below)
    cols = phi * (w / math.pi)  # in [0, w]; beyond w − 1 clamps to the last column
    padded = torch.cat([fields, fields[:, :, :1]], dim=2)  # periodic longitude
    grid = torch.stack([cols / (w - 1) * 2 - 1, rows / h * 2 - 1], dim=-1)
    if not torch.isfinite(grid).all():
        raise ValueError("rotation gave non-finite sampling coordinates (is g finite?)")
    return F.grid_sample(padded, grid, mode="bilinear", padding_mode="border", align_corners=True)


def axis_angle_matrix(axis, angle: float) -> torch.Tensor:
    """The rotation by `angle` about `axis` (3,) (Rodrigues)."""
    a = torch.as_tensor(axis, dtype=torch.float64)
    a = a / a.norm()
    k = torch.tensor([[0.0, -a[2], a[1]], [a[2], 0.0, -a[0]], [-a[1], a[0], 0.0]], dtype=torch.float64)
    return torch.linalg.matrix_exp(angle * k)
