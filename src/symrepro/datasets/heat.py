"""Heat-equation pairs (initial, final field) for the local-symmetry experiment.

The grid is 128×128 with coordinates u (rows) and v (columns) in [0, 1). Initial
fields c·sin(a u + b) + f·cos(d v + e) with a ~ N(15, 6²), b ~ N(0, 3²),
c = (|N(0,1)| + 1)/2, d ~ N(12, 5²), e ~ N(0, 3²), f = (|N(0,1)| + 1)/2. An obstacle
rectangle u ∈ (0.1, 0.3), v ∈ (0.2, 0.5) is held at √2, which is also the value
outside the grid. 50 explicit Euler steps (dt = 0.01, dx = 0.1) of
u_t = α_x u_xx + α_y u_yy, each second derivative the central difference of
central differences (a stride-2 stencil), x along columns and y along rows. The
simulator is batched and vectorised; `N` pairs are made in chunks from a seed.

File (`data/atlas/pde.h5`): `initial` and `final` float32 (N, 128, 128).
"""

from __future__ import annotations

import argparse
import logging
import math

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import InputError
from .hdf5 import read_arrays, write_arrays

log = logging.getLogger(__name__)

SIZE = 128
OBSTACLE_U = (0.1, 0.3)
OBSTACLE_V = (0.2, 0.5)
HOLD = math.sqrt(2.0)


def obstacle(size: int = SIZE) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float32) / size
    u, v = torch.meshgrid(r, r, indexing="ij")
    return (OBSTACLE_U[0] < u) & (u < OBSTACLE_U[1]) & (OBSTACLE_V[0] < v) & (v < OBSTACLE_V[1])


def simulate(x: torch.Tensor, mask: torch.Tensor | None = None, hold: float = HOLD, alpha_x: float = 1.0,
             alpha_y: float = 1.0, dx: float = 0.1, dt: float = 0.01, steps: int = 50,
             pad_mode: str = "constant") -> torch.Tensor:
    """Evolve fields x (..., H, W). `mask` cells and the outside are held at `hold`
    (pad_mode 'constant'); pad_mode 'replicate' instead extends the field outward
    (used when a patch, not the whole grid, is simulated)."""
    shape = x.shape
    x = x.reshape(-1, 1, *shape[-2:])
    if mask is not None:
        x = torch.where(mask, torch.as_tensor(hold, dtype=x.dtype), x)
    scale_x, scale_y = alpha_x * dt / (4 * dx * dx), alpha_y * dt / (4 * dx * dx)
    for _ in range(steps):
        p = F.pad(x, (2, 2, 2, 2), mode=pad_mode, value=hold) if pad_mode == "constant" else F.pad(x, (2, 2, 2, 2), mode=pad_mode)
        centre = p[..., 2:-2, 2:-2]
        d_rows = p[..., 4:, 2:-2] + p[..., :-4, 2:-2] - 2 * centre  # y: along rows
        d_cols = p[..., 2:-2, 4:] + p[..., 2:-2, :-4] - 2 * centre  # x: along columns
        x = centre + scale_y * d_rows + scale_x * d_cols
        if mask is not None:
            x = torch.where(mask, torch.as_tensor(hold, dtype=x.dtype), x)
    return x.reshape(shape)


def initial_fields(n: int, generator: torch.Generator, size: int = SIZE) -> torch.Tensor:
    def normal(mean, std):
        return mean + std * torch.randn(n, 1, 1, generator=generator)

    a, b = normal(15, 6), normal(0, 3)
    c = (torch.randn(n, 1, 1, generator=generator).abs() + 1) / 2
    d, e = normal(12, 5), normal(0, 3)
    f = (torch.randn(n, 1, 1, generator=generator).abs() + 1) / 2
    r = torch.arange(size, dtype=torch.float32) / size
    u, v = torch.meshgrid(r, r, indexing="ij")
    return c * torch.sin(a * u + b) + f * torch.cos(d * v + e)


def generate(n: int, seed: int, alpha_x: float = 1.0, alpha_y: float = 1.0, chunk: int = 500) -> tuple[np.ndarray, np.ndarray]:
    if n < 1:
        raise InputError(f"--n-samples must be >= 1, got {n}")
    generator = torch.Generator().manual_seed(seed)
    mask = obstacle()
    initial, final = [], []
    for start in range(0, n, chunk):
        x = initial_fields(min(chunk, n - start), generator)
        x = torch.where(mask, torch.tensor(HOLD), x)
        initial.append(x.numpy())
        final.append(simulate(x, mask, alpha_x=alpha_x, alpha_y=alpha_y).numpy())
    return np.concatenate(initial), np.concatenate(final)


def load(path) -> tuple[np.ndarray, np.ndarray]:
    arrays, _ = read_arrays(path, {"initial": ((None, None, None), "f"), "final": ((None, None, None), "f")})
    if arrays["initial"].shape != arrays["final"].shape:
        raise InputError(f"data file {path}: initial {arrays['initial'].shape} and final {arrays['final'].shape} differ")
    return arrays["initial"].astype(np.float32), arrays["final"].astype(np.float32)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-samples", type=int, default=10000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha-x", type=float, default=1.0, help="diffusivity along x (columns)")
    parser.add_argument("--alpha-y", type=float, default=1.0, help="diffusivity along y (rows)")
    parser.add_argument("--out", required=True)


def run(args: argparse.Namespace) -> None:
    initial, final = generate(args.n_samples, args.seed, args.alpha_x, args.alpha_y)
    write_arrays(args.out, {"initial": initial, "final": final},
                 {"seed": args.seed, "alpha_x": args.alpha_x, "alpha_y": args.alpha_y})
    log.info("%d heat-equation pairs of %d×%d", len(initial), *initial.shape[1:])
