"""CGNet, the Context Guided Network of Wu, Tang, Zhang, Zhang & Xu, "CGNet: A
Light-weight Context Guided Network for Semantic Segmentation" (arXiv:1811.08201,
IEEE TIP 2021), as used by ClimateNet (Kashinath et al. 2021, Prabhat et al.) with
circular padding. Written here from the paper's description (the authors' code,
github.com/wutianyiRosun/CGNet, and ClimateNet's port are MIT-licensed; no code is
copied from them).

Architecture (base width c, paper c = 32; M, N context-guided blocks, paper 3, 21):

* stage 1: three 3×3 conv-BN-PReLU, the first with stride 2 (c channels, 1/2 size);
  concatenated with the input average-pooled to 1/2 ("input injection"), BN-PReLU;
* stage 2: a down-sampling CG block to 2c channels (1/4 size, dilation 2, FGlo
  reduction 8), then M − 1 residual CG blocks; concatenated with the first block's
  output and the input pooled to 1/4, BN-PReLU;
* stage 3: a down-sampling CG block to 4c channels (1/8 size, dilation 4, reduction
  16), then N − 1 residual CG blocks; concatenated with the first block's output,
  BN-PReLU;
* a 1×1 convolution to the class logits, bilinearly up-sampled to the input size.

Output stride 8 as in the paper (`stride` = 8). `stride` = 4 (not in the paper) gives
stage 1's first convolution stride 1 instead (stage 1 at full size, the input
injections pooled once less); every stage then works at twice the paper's resolution,
with the same parameters. Why: the quick configuration's grid is 4× coarser than
ClimateNet's, so at stride 8 one output pixel is 4× as wide, in degrees, as in the
paper (measured in the README, climate: squeezing a chart then makes the features
thinner than the output grid).

A CG block: f_loc (3×3 depth-wise) and f_sur (3×3 depth-wise dilated) on the same
features, joined (concatenation, BN, PReLU), then f_glo: a squeeze-and-excitation
channel re-weighting (global mean → FC → ReLU → FC → sigmoid). The down-sampling
block starts with a 3×3 stride-2 conv-BN-PReLU and reduces the joint features with a
1×1 convolution; the others start with a 1×1 conv-BN-PReLU to half the width and add
their input (residual). Every spatial convolution and pooling pads CIRCULARLY.

Parameters at 4 input channels, 3 classes, M = 3, N = 21, c = 32: 494 212 (the
paper's "0.5 M"; `parameter_count`).

K independent nets (one per chart) run either as ONE net whose every layer is
grouped by chart (`charts` = K): convolutions with K groups (depth-wise ones with
K·C groups), per-channel BN and PReLU, concatenations chart by chart; or as a list of
K nets (`ChartCGNet(grouped=False)`). The K nets share nothing; which layout is
faster on the CPU depends on the patch size (measured in `ChartCGNet`'s docstring).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..errors import InputError


def _cat(tensors: list[torch.Tensor], charts: int) -> torch.Tensor:
    """Concatenate (B, K·C_i, H, W) tensors channel-wise within each chart: (B, K·ΣC_i, H, W)."""
    b, _, h, w = tensors[0].shape
    parts = [t.reshape(b, charts, -1, h, w) for t in tensors]
    return torch.cat(parts, dim=2).reshape(b, -1, h, w)


class _Conv(nn.Module):
    """Circularly padded convolution, grouped by chart (or depth-wise within each chart)."""

    def __init__(self, cin: int, cout: int, kernel: int, charts: int, stride: int = 1, dilation: int = 1,
                 depthwise: bool = False, bias: bool = False):
        super().__init__()
        self.pad = (kernel - 1) // 2 * dilation
        groups = charts * cin if depthwise else charts
        self.conv = nn.Conv2d(charts * cin, charts * cout, kernel, stride=stride, dilation=dilation,
                              groups=groups, bias=bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad:
            x = F.pad(x, (self.pad,) * 4, mode="circular")
        return self.conv(x)


class _BNPReLU(nn.Sequential):
    def __init__(self, channels: int, charts: int):
        super().__init__(nn.BatchNorm2d(charts * channels, eps=1e-3), nn.PReLU(charts * channels))


class _ConvBNPReLU(nn.Sequential):
    def __init__(self, cin: int, cout: int, kernel: int, charts: int, stride: int = 1):
        super().__init__(_Conv(cin, cout, kernel, charts, stride), _BNPReLU(cout, charts))


class _GlobalContext(nn.Module):
    """f_glo: per-channel weights from the global mean (squeeze-and-excitation), per chart."""

    def __init__(self, channels: int, reduction: int, charts: int):
        super().__init__()
        hidden = max(1, channels // reduction)
        self.fc = nn.Sequential(nn.Conv2d(charts * channels, charts * hidden, 1, groups=charts), nn.ReLU(),
                                nn.Conv2d(charts * hidden, charts * channels, 1, groups=charts), nn.Sigmoid())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.fc(x.mean(dim=(2, 3), keepdim=True))


class _ContextGuided(nn.Module):
    """A CG block: residual (cin = cout) or down-sampling (stride 2, cin -> cout)."""

    def __init__(self, cin: int, cout: int, dilation: int, reduction: int, charts: int, down: bool):
        super().__init__()
        self.charts, self.down = charts, down
        inner = cout if down else cout // 2
        self.enter = (_ConvBNPReLU(cin, inner, 3, charts, stride=2) if down
                      else _ConvBNPReLU(cin, inner, 1, charts))
        self.local = _Conv(inner, inner, 3, charts, depthwise=True)
        self.surround = _Conv(inner, inner, 3, charts, dilation=dilation, depthwise=True)
        self.join = _BNPReLU(2 * inner, charts)
        self.reduce = _Conv(2 * inner, cout, 1, charts) if down else None
        self.glo = _GlobalContext(cout, reduction, charts)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.enter(x)
        y = self.join(_cat([self.local(y), self.surround(y)], self.charts))
        if self.reduce is not None:
            y = self.reduce(y)
        y = self.glo(y)
        return y if self.down else x + y


class _InputInjection(nn.Module):
    """The input average-pooled (3×3, stride 2, circular padding) `times` times."""

    def __init__(self, times: int):
        super().__init__()
        self.times = times

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for _ in range(self.times):
            x = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="circular"), 3, stride=2)
        return x


class CGNet(nn.Module):
    """K = `charts` independent CGNets: (B, K·C_in, H, W) -> logits (B, K·classes, H, W)."""

    def __init__(self, in_channels: int = 4, classes: int = 3, m: int = 3, n: int = 21, channels: int = 32,
                 charts: int = 1, stride: int = 8):
        super().__init__()
        for key, value, low in (("m", m, 1), ("n", n, 1), ("channels", channels, 2), ("in_channels", in_channels, 1),
                                ("classes", classes, 1), ("charts", charts, 1)):
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InputError(f"CGNet option {key} must be an integer >= {low}, got {value!r}")
        if not isinstance(stride, int) or isinstance(stride, bool) or stride not in (4, 8):
            raise InputError(f"CGNet option stride (the output stride) must be 8 (the paper's) or 4, got {stride!r}")
        c, k = channels, charts
        self.charts, self.in_channels, self.classes, self.stride = k, in_channels, classes, stride
        first = stride // 4  # stage 1's first convolution: 2 (paper) or 1
        self.stage1 = nn.Sequential(_ConvBNPReLU(in_channels, c, 3, k, stride=first), _ConvBNPReLU(c, c, 3, k),
                                    _ConvBNPReLU(c, c, 3, k))
        self.inject1, self.inject2 = _InputInjection(first - 1), _InputInjection(first)
        self.norm1 = _BNPReLU(c + in_channels, k)
        self.down2 = _ContextGuided(c + in_channels, 2 * c, 2, 8, k, down=True)
        self.stage2 = nn.Sequential(*(_ContextGuided(2 * c, 2 * c, 2, 8, k, down=False) for _ in range(m - 1)))
        self.norm2 = _BNPReLU(4 * c + in_channels, k)
        self.down3 = _ContextGuided(4 * c + in_channels, 4 * c, 4, 16, k, down=True)
        self.stage3 = nn.Sequential(*(_ContextGuided(4 * c, 4 * c, 4, 16, k, down=False) for _ in range(n - 1)))
        self.norm3 = _BNPReLU(8 * c, k)
        self.classifier = _Conv(8 * c, classes, 1, k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, size = self.charts, x.shape[-2:]
        x1 = self.norm1(_cat([self.stage1(x), self.inject1(x)], k))
        d2 = self.down2(x1)
        x2 = self.norm2(_cat([self.stage2(d2), d2, self.inject2(x)], k))
        d3 = self.down3(x2)
        x3 = self.norm3(_cat([self.stage3(d3), d3], k))
        return F.interpolate(self.classifier(x3), size=size, mode="bilinear", align_corners=False)


class ChartCGNet(nn.Module):
    """One CGNet per chart: patches (B, K, C_in, P, P) -> logits (B, K, classes, P, P).

    `grouped`: the K nets as one chart-grouped net; otherwise a ModuleList of K nets
    run one after the other (the same functions, another parameter layout: a
    predictor.pt of one layout does not load into the other). Measured (torch 2.13,
    2 shared CPU cores, 2 threads, one forward + backward of one 4-chart sample,
    M = 3, N = 21, c = 32, interleaved runs): P = 101: grouped 0.21 s, list 0.36 s;
    P = 201: 0.6–0.8 s vs 0.6–0.9 s; P = 401: grouped 1.8–2.1 s, list 1.5 s (one
    thread: 0.23 vs 0.33 s at 101, 2.6 vs 2.5 s at 401). Grouped pays off for small
    patches, whose many tiny per-chart kernels it merges; at 401×401 the per-chart
    convolutions are large enough on their own. The climate experiment picks the
    layout by patch size.
    """

    def __init__(self, charts: int, in_channels: int = 4, classes: int = 3, m: int = 3, n: int = 21,
                 channels: int = 32, grouped: bool = True, stride: int = 8):
        super().__init__()
        self.charts, self.in_channels, self.classes, self.grouped = charts, in_channels, classes, grouped
        if grouped:
            self.net = CGNet(in_channels, classes, m, n, channels, charts=charts, stride=stride)
        else:
            self.nets = nn.ModuleList(CGNet(in_channels, classes, m, n, channels, stride=stride)
                                      for _ in range(charts))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        b, k, c, h, w = patches.shape
        if k != self.charts or c != self.in_channels:
            raise ValueError(f"expected (B, {self.charts}, {self.in_channels}, P, P) patches, got "
                             f"{tuple(patches.shape)}")
        if self.grouped:
            return self.net(patches.reshape(b, k * c, h, w)).reshape(b, k, self.classes, h, w)
        return torch.stack([net(patches[:, i]) for i, net in enumerate(self.nets)], dim=1)


def parameter_count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
