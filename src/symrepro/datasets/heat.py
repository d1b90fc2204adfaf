"""Heat-equation pairs (initial, final field) for local symmetry discovery (AtlasD).

The grid is 128×128; u (rows) and v (columns) run over k/128, k = 0..127. Initial
fields are c·sin(a u + b) + f·cos(d v + e) with a ~ N(15, 6²), b ~ N(0, 3²),
c = (|N(0,1)| + 1)/2, d ~ N(12, 5²), e ~ N(0, 3²), f = (|N(0,1)| + 1)/2 (drawn in
this order, one vector of N values each, from a torch generator seeded with
`--seed`). The obstacle u ∈ (0.1, 0.3), v ∈ (0.2, 0.5) is held at √2, which is
also the value outside the grid.

The solver takes 50 explicit Euler steps (dt = 0.01, dx = 0.1) of
u_t = α_x ∂²u/∂x² + α_y ∂²u/∂y², x along columns (the first coordinate of the
patch transform in `symrepro.discovery.charts`) and y along rows. Each second
derivative is a central difference of central differences, i.e. the stride-2
stencil (f[i+2] − 2 f[i] + f[i−2]) / (2 dx)², as in the reference; the scheme is
stable for (α_x + α_y)·dt / (4 dx²) ≤ 1/2.

File (`data/heat.h5`): datasets `initial` and `final`, float32 (N, 128, 128);
attributes seed, alpha_x, alpha_y, dt, dx, steps.
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
OBSTACLE_U = (0.1, 0.3)  # rows
OBSTACLE_V = (0.2, 0.5)  # columns
HOLD = math.sqrt(2.0)
DT, DX, STEPS = 0.01, 0.1, 50


def obstacle(size: int = SIZE) -> torch.Tensor:
    """Boolean (size, size) mask of the obstacle rectangle."""
    r = torch.arange(size, dtype=torch.float32) / size
    u, v = torch.meshgrid(r, r, indexing="ij")
    return (OBSTACLE_U[0] < u) & (u < OBSTACLE_U[1]) & (OBSTACLE_V[0] < v) & (v < OBSTACLE_V[1])


def check_stability(alpha_x: float, alpha_y: float, dt: float = DT, dx: float = DX) -> None:
    if alpha_x < 0 or alpha_y < 0:
        raise InputError(f"--alpha-x and --alpha-y must be >= 0, got {alpha_x}, {alpha_y}")
    courant = (alpha_x + alpha_y) * dt / (4 * dx * dx)
    if courant > 0.5 + 1e-12:
        raise InputError(f"--alpha-x + --alpha-y = {alpha_x + alpha_y:g} makes the explicit scheme unstable "
                         f"((α_x + α_y)·dt/(4dx²) = {courant:g} > 1/2); keep α_x + α_y <= {2 * dx * dx / dt:g}")


def simulate(x: torch.Tensor, mask: torch.Tensor | None = None, hold: float = HOLD, alpha_x: float = 1.0,
             alpha_y: float = 1.0, dx: float = DX, dt: float = DT, steps: int = STEPS,
             outside: str = "hold") -> torch.Tensor:
    """Evolve a batch of fields x (..., H, W) in one vectorised loop over time steps.

    `mask` cells are held at `hold`. `outside` says what lies beyond the grid:
    'hold' (the value `hold`, the experiment's boundary) or 'replicate' (the edge
    values extended outward; used when a chart patch rather than the grid is evolved).
    """
    if outside not in ("hold", "replicate"):
        raise ValueError(f"outside must be 'hold' or 'replicate', got {outside!r}")
    shape = x.shape
    x = x.reshape(-1, 1, *shape[-2:])
    held = None
    if mask is not None:
        held = torch.tensor(hold, dtype=x.dtype, device=x.device)
        mask = mask.to(x.device)
        x = torch.where(mask, held, x)
    rx, ry = alpha_x * dt / (4 * dx * dx), alpha_y * dt / (4 * dx * dx)
    for _ in range(steps):
        if outside == "hold":
            p = F.pad(x, (2, 2, 2, 2), mode="constant", value=hold)
        else:
            p = F.pad(x, (2, 2, 2, 2), mode="replicate")
        centre = p[..., 2:-2, 2:-2]
        along_columns = p[..., 2:-2, 4:] + p[..., 2:-2, :-4] - 2 * centre  # x
        along_rows = p[..., 4:, 2:-2] + p[..., :-4, 2:-2] - 2 * centre  # y
        x = centre + rx * along_columns + ry * along_rows
        if held is not None:
            x = torch.where(mask, held, x)
    return x.reshape(shape)


def draw_parameters(n: int, generator: torch.Generator) -> dict[str, torch.Tensor]:
    """The six per-sample parameters, each (n, 1, 1), drawn in the order a..f."""
    def normal(mean: float, std: float) -> torch.Tensor:
        return std * torch.randn(n, 1, 1, generator=generator) + mean

    a, b = normal(15, 6), normal(0, 3)
    c = (torch.randn(n, 1, 1, generator=generator).abs() + 1) / 2
    d, e = normal(12, 5), normal(0, 3)
    f = (torch.randn(n, 1, 1, generator=generator).abs() + 1) / 2
    return dict(a=a, b=b, c=c, d=d, e=e, f=f)


def initial_fields(params: dict[str, torch.Tensor], size: int = SIZE) -> torch.Tensor:
    r = torch.arange(size, dtype=torch.float32) / size
    u, v = torch.meshgrid(r, r, indexing="ij")
    p = params
    return p["c"] * torch.sin(p["a"] * u + p["b"]) + p["f"] * torch.cos(p["d"] * v + p["e"])


def generate(n: int, seed: int, alpha_x: float = 1.0, alpha_y: float = 1.0,
             chunk: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """N (initial, final) pairs, float32 (N, 128, 128); the same seed gives the same arrays."""
    if n < 1:
        raise InputError(f"--n-samples must be >= 1, got {n}")
    check_stability(alpha_x, alpha_y)
    params = draw_parameters(n, torch.Generator().manual_seed(seed))
    mask = obstacle()
    initial = np.empty((n, SIZE, SIZE), dtype=np.float32)
    final = np.empty_like(initial)
    for start in range(0, n, chunk):
        part = {k: v[start:start + chunk] for k, v in params.items()}
        x = torch.where(mask, torch.tensor(HOLD), initial_fields(part))
        initial[start:start + len(x)] = x.numpy()
        final[start:start + len(x)] = simulate(x, mask, alpha_x=alpha_x, alpha_y=alpha_y).numpy()
        log.debug("simulated %d/%d", start + len(x), n)
    return initial, final


def load(path, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(initial, final) from a file written by `symrepro data heat`; `limit` keeps the first pairs."""
    arrays, _ = read_arrays(path, {"initial": ((None, None, None), "f"), "final": ((None, None, None), "f")})
    initial, final = arrays["initial"], arrays["final"]
    if initial.shape != final.shape:
        raise InputError(f"data file {path}: 'initial' {initial.shape} and 'final' {final.shape} differ in shape")
    if limit is not None:
        if limit < 1:
            raise InputError(f"--max-samples must be >= 1, got {limit}")
        initial, final = initial[:limit], final[:limit]
    return initial.astype(np.float32, copy=False), final.astype(np.float32, copy=False)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--n-samples", type=int, default=10000, help="number of (initial, final) pairs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha-x", type=float, default=1.0, help="diffusivity along x (columns)")
    parser.add_argument("--alpha-y", type=float, default=1.0, help="diffusivity along y (rows)")
    parser.add_argument("--out", required=True, help="output HDF5 file")


def run(args: argparse.Namespace) -> None:
    initial, final = generate(args.n_samples, args.seed, args.alpha_x, args.alpha_y)
    write_arrays(args.out, {"initial": initial, "final": final},
                 {"seed": args.seed, "alpha_x": args.alpha_x, "alpha_y": args.alpha_y, "dt": DT, "dx": DX,
                  "steps": STEPS})
    log.info("wrote %d heat-equation pairs of %d×%d to %s", len(initial), SIZE, SIZE, args.out)
