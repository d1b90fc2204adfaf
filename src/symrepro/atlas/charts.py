"""An atlas of square charts on a feature field living on a grid, and the action of
2×2 matrices on chart patches.

A field is a tensor (B, C, H, W). A chart is centred at (row, col) =
(int(u·H), int(v·W)) for a centre (u, v) given as fractions of H and W, and covers
the (2r+1)×(2r+1) patch around it. Patches of all charts come out as one tensor
(B, K, C, 2r+1, 2r+1).

A matrix g acts on a patch about its centre c: the new patch at pixel p = (x, y) =
(column, row) is the old one resampled at g (p − c) + c (bilinear or nearest,
border padding, corners aligned), then the field representation ρ(g) mixes the
channels (identity for scalar fields).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import InputError


@dataclass(frozen=True)
class Atlas:
    centres: tuple[tuple[float, float], ...]  # (u, v) fractions of (H, W)
    in_radius: int
    out_radius: int

    def __post_init__(self) -> None:
        if not self.centres:
            raise InputError("an atlas needs at least one chart")
        if not 0 <= self.out_radius <= self.in_radius:
            raise InputError(f"need 0 <= out_radius <= in_radius, got {self.out_radius}, {self.in_radius}")
        for u, v in self.centres:
            if not (0 <= u < 1 and 0 <= v < 1):
                raise InputError(f"chart centre {(u, v)} is not a pair of fractions in [0, 1)")

    def __len__(self) -> int:
        return len(self.centres)

    def pixel_centres(self, height: int, width: int) -> list[tuple[int, int]]:
        centres = [(int(u * height), int(v * width)) for u, v in self.centres]
        r = self.in_radius
        for row, col in centres:
            if row - r < 0 or col - r < 0 or row + r >= height or col + r >= width:
                raise InputError(f"chart at pixel {(row, col)} with radius {r} leaves the {height}×{width} grid")
        return centres

    def extract(self, field: torch.Tensor, radius: int | None = None) -> torch.Tensor:
        """(B, C, H, W) -> (B, K, C, 2r+1, 2r+1) by one gather."""
        r = self.in_radius if radius is None else radius
        b, c, h, w = field.shape
        centres = torch.tensor(self.pixel_centres(h, w), device=field.device)
        offsets = torch.arange(-r, r + 1, device=field.device)
        rows = (centres[:, 0, None] + offsets)[:, :, None]  # (K, P, 1)
        cols = (centres[:, 1, None] + offsets)[:, None, :]  # (K, 1, P)
        flat = (rows * w + cols).reshape(-1)  # (K·P·P,)
        patches = field.reshape(b, c, h * w).index_select(2, flat)
        return patches.reshape(b, c, len(self), 2 * r + 1, 2 * r + 1).transpose(1, 2)


def crop(patches: torch.Tensor, radius: int) -> torch.Tensor:
    """The central (2·radius+1)² window of patches (..., P, P)."""
    centre = patches.shape[-1] // 2
    return patches[..., centre - radius:centre + radius + 1, centre - radius:centre + radius + 1]


def transform(patches: torch.Tensor, g: torch.Tensor, field_rep: torch.Tensor | None = None,
              mode: str = "bilinear") -> torch.Tensor:
    """Apply g (..., 2, 2) to patches (..., C, P, P) about the patch centre."""
    *lead, c, h, w = patches.shape
    n = int(torch.tensor(lead).prod()) if lead else 1
    rows, cols = torch.meshgrid(torch.arange(h, dtype=g.dtype, device=g.device),
                                torch.arange(w, dtype=g.dtype, device=g.device), indexing="ij")
    centre = torch.tensor([(w - 1) / 2, (h - 1) / 2], dtype=g.dtype, device=g.device)
    points = torch.stack([cols, rows], -1) - centre  # (h, w, 2) as (x, y)
    moved = torch.einsum("nij,hwj->nhwi", g.reshape(n, 2, 2), points) + centre
    grid = moved / torch.tensor([w - 1, h - 1], dtype=g.dtype, device=g.device) * 2 - 1
    out = F.grid_sample(patches.reshape(n, c, h, w), grid.to(patches.dtype), mode=mode, padding_mode="border",
                        align_corners=True)
    if field_rep is not None:
        out = torch.einsum("nij,njhw->nihw", field_rep.reshape(n, c, c), out)
    return out.reshape(*lead, c, h, w)
