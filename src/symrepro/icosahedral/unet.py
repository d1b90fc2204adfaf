"""A U-Net on the icosahedral grid: the climate segmentation model (AtlasD, climate downstream).

`IcoUNet(in_channels, classes, widths, kernel_symmetry)` maps (B, in_channels, 5, H, W)
at resolution r to logits (B, classes, 5, H, W). `widths[l]` is the channel count
at resolution r − l; `widths[0]` is the input level and must equal `in_channels`.
With L = len(widths) − 1 levels (input resolution r ≥ L + 1):

* down layer l = 1..L: HexConv(widths[l−1] → widths[l], stride 2) → BatchNorm → ReLU
  (stride 2 keeps chart rows/columns 0, 2, 4, …: the grid of resolution r − l);
* up layer l = L..2: upsample ×2, concatenate [skip from down layer l−1, upsampled],
  HexConv(widths[l−1] + widths[l] → widths[l−1]) → BatchNorm → ReLU; the first of them
  upsamples the bottleneck (down layer L) itself;
* head (up layer 1): upsample ×2 (no skip) → HexConv(widths[1] → classes) → BatchNorm,
  no activation: the logits at resolution r.

One convolution per level, as in the reference (ATLAS `experiment_climate.py`,
`GaugeEquivariantCNN`). Upsampling: every new vertex of the finer grid is the
midpoint of an edge of the coarser triangular mesh, so it takes the mean of that
edge's two end points (the padded chart supplies the far ends) — linear
interpolation on the triangle mesh, the hexagonal counterpart of bilinear
upsampling that does not prefer either diagonal (bilinear would average four points,
across the long diagonal of a lattice rhombus too). BatchNorm (`nn.BatchNorm3d`)
takes its statistics over batch, charts and pixels; every field is a scalar field
("so2" layers pool their 6 orientations, see `conv.py`), so the network commutes
with the 72° rotation about the pole (rolling the charts).

Parameter count. Each convolution has taps·C_in·C_out weights (taps = 7 for "so2" and
"plain", 1 for "uniform"), C_out biases and 2·C_out BatchNorm parameters. At paper
width (in 16, classes 3, widths 16, 16, 32, 64, 128, 256):

    Σ C_in·C_out:  down 16·16 + 16·32 + 32·64 + 64·128 + 128·256          =  43,776
                   up   (128+256)·128 + (64+128)·64 + (32+64)·32 + (16+32)·16
                        + 16·3 (head)                                       =  65,328
                   total                                                    = 109,104
    Σ C_out:       16 + 32 + 64 + 128 + 256 + 128 + 64 + 32 + 16 + 3        =     739

    "so2"     (baseline):   7·109,104 + 739 + 2·739 = 763,728 + 2,217 = 765,945
    "uniform" (discovered): 1·109,104 + 739 + 2·739 = 109,104 + 2,217 = 111,321

(the 6 orientation copies of an "so2" kernel share its 7 weights; the inputs of every
layer are scalar fields because the orientations are pooled, so no factor 6 appears).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from ..errors import InputError
from ..symmetry import MatrixGroup
from . import conv as hexconv
from .grid import CHARTS, resolution_of
from .padding import check_field, pad

PAPER_WIDTHS = (16, 16, 32, 64, 128, 256)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """(..., 5, H, W) at resolution r → (..., 5, 2H, 2W) at r + 1: old points kept at even
    rows/columns, each new point the mean of the two ends of the coarse edge it bisects."""
    check_field(x, "upsample input")
    h, w = x.shape[-2:]
    closed = pad(x)[..., 1:, 1:]  # (H+1, W+1): the chart plus its far row and column
    centre = closed[..., :h, :w]
    down, right, diagonal = closed[..., 1:, :w], closed[..., :h, 1:], closed[..., 1:, 1:]
    even_row = torch.stack([centre, (centre + right) / 2], dim=-1)           # (…, H, W, 2)
    odd_row = torch.stack([(centre + down) / 2, (centre + diagonal) / 2], dim=-1)
    return torch.stack([even_row, odd_row], dim=-3).reshape(*x.shape[:-2], 2 * h, 2 * w)


class ConvNormAct(nn.Module):
    """HexConv → BatchNorm over (batch, charts, pixels) → ReLU (optional)."""

    def __init__(self, cin: int, cout: int, symmetry: str, stride: int, activate: bool = True):
        super().__init__()
        self.conv = hexconv.HexConv(cin, cout, symmetry, stride=stride)
        self.norm = nn.BatchNorm3d(cout)
        self.activate = activate

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm(self.conv(x))
        return torch.relu(y) if self.activate else y


class IcoUNet(nn.Module):
    """U-Net on the icosahedral grid (see the module docstring for layout and parameter count)."""

    def __init__(self, in_channels: int = 16, classes: int = 3, widths=PAPER_WIDTHS, kernel_symmetry: str = "so2"):
        super().__init__()
        widths = tuple(widths)
        for name, value in [("in_channels", in_channels), ("classes", classes)] + [("widths", w) for w in widths]:
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InputError(f"IcoUNet {name} must be positive integers, got {value!r}")
        if len(widths) < 2:
            raise InputError(f"IcoUNet widths needs at least 2 entries (input level + one down level), got {widths}")
        if widths[0] != in_channels:
            raise InputError(f"IcoUNet widths[0] is the input level and must equal in_channels={in_channels}, "
                             f"got widths={widths}")
        self.symmetry = hexconv.check_symmetry(kernel_symmetry)
        self.in_channels, self.classes, self.widths = in_channels, classes, widths
        levels = len(widths) - 1
        self.down = nn.ModuleList(ConvNormAct(widths[l - 1], widths[l], self.symmetry, 2)
                                  for l in range(1, levels + 1))
        # up[0] is up layer L (bottleneck), …, up[L-2] is up layer 2; then the head (up layer 1)
        self.up = nn.ModuleList(ConvNormAct(widths[l - 1] + widths[l], widths[l - 1], self.symmetry, 1)
                                for l in range(levels, 1, -1))
        self.head = ConvNormAct(widths[1], classes, self.symmetry, 1, activate=False)

    @classmethod
    def from_group(cls, group: MatrixGroup, tolerance: float = 0.15, **kwargs) -> "IcoUNet":
        """The network whose kernel symmetry is derived from `group` (`conv.kernel_symmetry`)."""
        return cls(kernel_symmetry=hexconv.kernel_symmetry(group, tolerance), **kwargs)

    @property
    def levels(self) -> int:
        return len(self.widths) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 5 or x.shape[1] != self.in_channels or x.shape[2] != CHARTS:
            raise InputError(f"IcoUNet expects (batch, {self.in_channels}, 5, 2^r, 2^(r+1)), got {tuple(x.shape)}")
        check_field(x, "IcoUNet input")
        r = resolution_of(x.shape[-2], x.shape[-1])
        if r < self.levels + 1:
            raise InputError(f"IcoUNet with {self.levels} levels needs resolution ≥ {self.levels + 1}, got r = {r}")
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = skips.pop()
        for layer in self.up:
            x = layer(torch.cat([skips.pop(), upsample(x)], dim=1))
        return self.head(upsample(x))


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
