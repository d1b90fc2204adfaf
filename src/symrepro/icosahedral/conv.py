"""Hexagonal gauge convolutions on the icosahedral grid, weight sharing derived from a group.

Hexagonal kernel. A 3×3 kernel on the chart's (row, col) lattice with the two
corners (−1, +1) and (+1, −1) zeroed: the centre plus the 6 lattice neighbours
(`grid.py`). The ring taps, in the order `RING` = (0, 1), (1, 1), (1, 0), (0, −1),
(−1, −1), (−1, 0), follow each other by 60° in the plane of a face, so rotating a
hexagonal kernel by 60° is a cyclic shift of its ring (`rotate_hex`).

Kernel symmetry (`kernel_symmetry(group, tolerance)`), from a `MatrixGroup` acting
on the tangent plane (d = 2):

* "uniform" — the group's Lie algebra contains all of gl(2) (each elementary matrix
  E11, E12, E21, E22 within relative span residual `tolerance`): a GL+(2)-gauge
  kernel must be invariant under every invertible linear map of the tangent plane,
  which on the hexagonal stencil leaves only kernels constant on its 7 taps. One
  weight per (out, in) kernel; every tap equals it (w × the 7-tap sum). Scalar fields.
* "so2" — otherwise, if the algebra contains the rotation generator J (or a discrete
  generator is a ±60° rotation): SO(2)-gauge, realised on the hexagonal stencil by
  its rotation group C6. 7 weights per (out, in) kernel (centre + ring), expanded into
  6 orientations, copy o being the kernel rotated by o·60° (ring tap t takes weight
  1 + (t − o) mod 6): the regular representation of C6 on the output orientation
  axis. Inputs are scalar fields (one orientation).
* "plain" — otherwise (no rotation, not all of gl(2), e.g. only scalings or a
  discrete group without a 60° rotation): no constraint the stencil can express;
  7 free weights per kernel, scalar fields.

A group that does not act on R^2 raises InputError naming it.

Orientation pooling. `HexConv(..., pool_orientations=True)` (the default, used by
the U-Net) averages the 6 orientation channels of an "so2" layer into a scalar
field, which is what the climate reference network does after every convolution
(its normalisation averages over orientations); by linearity this equals one
convolution with the C6-averaged kernel, which is how it is computed. With
`pool_orientations=False` the layer returns the (B, C_out, 6, 5, H, W) regular field.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..errors import InputError
from ..symmetry import MatrixGroup
from ..symmetry.lie import J, gl_generators
from .padding import check_field, pad

RING = ((0, 1), (1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0))
ORIENTATIONS = 6
SYMMETRIES = ("so2", "uniform", "plain")
TAPS = {"so2": 7, "uniform": 1, "plain": 7}
ZEROED = ((0, 2), (2, 0))  # the kernel-array positions of the offsets (−1, +1), (+1, −1)


def _rotation(angle: float) -> np.ndarray:
    c, s = math.cos(angle), math.sin(angle)
    return np.array([[c, -s], [s, c]])


def kernel_symmetry(group: MatrixGroup, tolerance: float = 0.15) -> str:
    """"uniform" if the Lie algebra spans gl(2), else "so2" if it contains J (or a discrete
    generator is a ±60° rotation), else "plain" (see the module docstring)."""
    if not isinstance(group, MatrixGroup):
        raise InputError(f"kernel_symmetry needs a MatrixGroup, got {type(group).__name__}")
    if group.dim != 2:
        raise InputError(f"group {group.name!r} acts on R^{group.dim}; the icosahedral CNN needs a group "
                         "on the tangent plane (d = 2)")
    if len(group.lie_algebra) and all(group.contains_generator(e, tolerance) for e in gl_generators(2)):
        return "uniform"
    if len(group.lie_algebra) and group.contains_generator(J, tolerance):
        return "so2"
    sixty = [_rotation(math.pi / 3), _rotation(-math.pi / 3)]
    if any(np.allclose(g, r, atol=tolerance) for g in group.discrete_generators for r in sixty):
        return "so2"
    return "plain"


def check_symmetry(symmetry) -> str:
    if symmetry not in SYMMETRIES:
        raise InputError(f"unknown kernel symmetry {symmetry!r}; known: {', '.join(SYMMETRIES)}")
    return symmetry


def expansion_index(symmetry: str) -> torch.Tensor:
    """(R, 3, 3) long tensor: which weight (0..taps−1, or `taps` = the zero slot) each
    tap of orientation copy o takes; R = 6 for "so2", 1 otherwise."""
    taps = TAPS[check_symmetry(symmetry)]
    copies = ORIENTATIONS if symmetry == "so2" else 1
    index = torch.full((copies, 3, 3), taps, dtype=torch.long)
    for o in range(copies):
        index[o, 1, 1] = 0
        for t, (di, dj) in enumerate(RING):
            if symmetry == "uniform":
                index[o, 1 + di, 1 + dj] = 0
            elif symmetry == "so2":
                index[o, 1 + di, 1 + dj] = 1 + (t - o) % ORIENTATIONS
            else:
                index[o, 1 + di, 1 + dj] = 1 + t
    return index


def rotate_hex(kernel: torch.Tensor, steps: int = 1) -> torch.Tensor:
    """A hexagonal (..., 3, 3) kernel rotated by steps·60°: ring tap t moves to t + steps."""
    out = kernel.clone()
    for t, (di, dj) in enumerate(RING):
        si, sj = RING[(t + steps) % ORIENTATIONS]
        out[..., 1 + si, 1 + sj] = kernel[..., 1 + di, 1 + dj]
    return out


class HexConv(nn.Module):
    """Hexagonal convolution on icosahedral fields (B, C_in, 5, H, W) → (B, C_out, 5, H', W').

    The input is padded across the charts (`padding.pad`) and convolved with the
    hexagonal kernels; stride 2 keeps every other point of every chart (rows and
    columns 0, 2, 4, …), i.e. the grid of resolution r − 1, so H' = H / stride.
    Weights: (C_out, C_in, taps) with taps = 7 ("so2", "plain") or 1 ("uniform"),
    He-normal with fan-in 7·C_in; optional bias (C_out), shared by all orientations.
    """

    def __init__(self, in_channels: int, out_channels: int, symmetry: str, stride: int = 1, bias: bool = True,
                 pool_orientations: bool = True):
        super().__init__()
        self.symmetry = check_symmetry(symmetry)
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"HexConv {name} must be a positive integer, got {value!r}")
        if stride not in (1, 2):
            raise InputError(f"HexConv stride must be 1 or 2, got {stride!r}")
        self.in_channels, self.out_channels, self.stride = in_channels, out_channels, stride
        self.pool_orientations = pool_orientations
        std = math.sqrt(2.0 / (7 * in_channels))
        self.weight = nn.Parameter(std * torch.randn(out_channels, in_channels, TAPS[symmetry]))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.register_buffer("index", expansion_index(symmetry), persistent=False)

    @property
    def orientations(self) -> int:
        """Orientation channels of the output (1 when pooled or not "so2")."""
        return ORIENTATIONS if self.symmetry == "so2" and not self.pool_orientations else 1

    def kernels(self) -> torch.Tensor:
        """All orientation copies (C_out, R, C_in, 3, 3) of the hexagonal kernels."""
        padded = F.pad(self.weight, (0, 1))  # the zero slot
        return padded[:, :, self.index].permute(0, 2, 1, 3, 4)

    def kernel(self) -> torch.Tensor:
        """The kernel actually applied, (C_out·R, C_in, 3, 3): the orientation mean when pooled."""
        k = self.kernels()
        if self.pool_orientations:
            return k.mean(1)
        return k.reshape(-1, *k.shape[2:])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != self.in_channels:
            raise InputError(f"HexConv expects (batch, {self.in_channels}, 5, H, W), got {tuple(x.shape)}")
        check_field(x, "HexConv input")
        kernel = self.kernel().unsqueeze(2)  # (out, in, 1, 3, 3): charts are a depth axis of size-1 kernel
        bias = None if self.bias is None else self.bias.repeat_interleave(self.orientations)
        y = F.conv3d(pad(x), kernel.to(x.dtype), bias, stride=(1, self.stride, self.stride))
        if self.orientations > 1:
            y = y.unflatten(1, (self.out_channels, self.orientations))
        return y

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, symmetry={self.symmetry}, stride={self.stride}, "
                f"bias={self.bias is not None}, pool_orientations={self.pool_orientations}")
