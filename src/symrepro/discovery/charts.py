"""Feature fields on a grid covered by an atlas of square charts, and the action of
d×d matrices (d = 2) on chart patches.

A field is a tensor (B, C, H, W). Chart k is centred at pixel
(row, col) = (int(u_k·H), int(v_k·W)) for a centre (u_k, v_k) given as fractions
of H and W, and covers the (2r+1)×(2r+1) patch around it. The patches of all
charts come out of one gather as a tensor (B, K, C, 2r+1, 2r+1).

A matrix g acts on a patch about its centre c: with p = (x, y) = (column, row)
the new patch at p is the old one resampled at g (p − c) + c (bilinear or
nearest, border padding, corners aligned), and a field representation ρ(g)
(C×C, identity for scalar fields) then mixes the channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..errors import InputError

RESAMPLING = ("bilinear", "nearest", "bicubic")


@dataclass(frozen=True)
class Atlas:
    centres: tuple[tuple[float, float], ...]  # (u, v): fractions of (H, W), i.e. (row, column)
    in_radius: int  # radius of the patch the predictor sees
    out_radius: int  # radius of the central window where equivariance is measured

    def __post_init__(self) -> None:
        if not self.centres:
            raise InputError("an atlas needs at least one chart")
        if not 0 <= self.out_radius <= self.in_radius:
            raise InputError(f"need 0 <= out radius <= in radius, got {self.out_radius} and {self.in_radius}")
        for u, v in self.centres:
            if not (0 <= u < 1 and 0 <= v < 1):
                raise InputError(f"chart centre {(u, v)} is not a pair of fractions in [0, 1)")

    def __len__(self) -> int:
        return len(self.centres)

    def pixel_centres(self, height: int, width: int, radius: int | None = None) -> list[tuple[int, int]]:
        """(row, column) of every chart centre; an error if a patch leaves the grid."""
        r = self.in_radius if radius is None else radius
        centres = [(int(u * height), int(v * width)) for u, v in self.centres]
        for row, col in centres:
            if row - r < 0 or col - r < 0 or row + r >= height or col + r >= width:
                raise InputError(f"chart at pixel {(row, col)} with radius {r} leaves the {height}×{width} grid")
        return centres

    def extract(self, field: torch.Tensor, radius: int | None = None) -> torch.Tensor:
        """(B, C, H, W) -> (B, K, C, 2r+1, 2r+1), all charts by one index_select."""
        r = self.in_radius if radius is None else radius
        b, c, h, w = field.shape
        centres = torch.tensor(self.pixel_centres(h, w, r), device=field.device)
        offsets = torch.arange(-r, r + 1, device=field.device)
        rows = (centres[:, 0, None] + offsets)[:, :, None]  # (K, P, 1)
        cols = (centres[:, 1, None] + offsets)[:, None, :]  # (K, 1, P)
        flat = (rows * w + cols).reshape(-1)
        patches = field.reshape(b, c, h * w).index_select(2, flat)
        return patches.reshape(b, c, len(self), 2 * r + 1, 2 * r + 1).transpose(1, 2)


def crop(patches: torch.Tensor, radius: int) -> torch.Tensor:
    """The central (2·radius+1)² window of patches (..., P, P)."""
    centre = patches.shape[-1] // 2
    if radius > centre:
        raise ValueError(f"cannot crop radius {radius} from patches of size {patches.shape[-1]}")
    return patches[..., centre - radius:centre + radius + 1, centre - radius:centre + radius + 1]


def transform_patches(patches: torch.Tensor, g: torch.Tensor, rep: torch.Tensor | None = None,
                      mode: str = "bilinear") -> torch.Tensor:
    """Apply g (..., 2, 2) to square patches (..., C, P, P) about their centre.

    The leading dimensions of `patches` and `g` must agree; `rep` (..., C, C) is
    the field representation of g (None: identity).
    """
    if mode not in RESAMPLING:
        raise ValueError(f"resampling must be one of {RESAMPLING}, got {mode!r}")
    *lead, c, h, w = patches.shape
    if h != w:
        raise ValueError(f"patches must be square, got {h}×{w}")
    if tuple(g.shape[:-2]) != tuple(lead) or g.shape[-2:] != (2, 2):
        raise ValueError(f"g {tuple(g.shape)} does not match patches {tuple(patches.shape)}")
    n = 1
    for s in lead:
        n *= s
    # With corners aligned, normalised grid coordinates are (pixel − centre) / centre,
    # so the patch centre is the origin and g acts on them directly.
    axis = torch.linspace(-1.0, 1.0, w, dtype=patches.dtype, device=patches.device)
    ys, xs = torch.meshgrid(axis, axis, indexing="ij")
    points = torch.stack([xs, ys], dim=-1).reshape(-1, 2)  # (P², 2) as (x, y)
    grid = torch.matmul(points, g.reshape(n, 2, 2).to(patches.dtype).transpose(1, 2))  # (n, P², 2): g p
    out = F.grid_sample(patches.reshape(n, c, h, w), grid.reshape(n, h, w, 2), mode=mode, padding_mode="border",
                        align_corners=True)
    if rep is not None:
        out = torch.einsum("nij,njhw->nihw", rep.reshape(n, c, c).to(out.dtype), out)
    return out.reshape(*lead, c, h, w)
