"""Padding across the charts of the icosahedral grid: (..., 5, H, W) → (..., 5, H+2, W+2).

Chart pixel (i, j) goes to padded position (i+1, j+1); the 1-pixel border holds the
values of the sphere points that continue the chart's triangular lattice across its
edges (`grid.py` for the layout). Padded chart coordinates (i, j), −1 ≤ i ≤ H,
−1 ≤ j ≤ W, are filled as follows:

* row H (0 ≤ j ≤ W) and column W (0 ≤ i ≤ H) are the far edges of the closed
  parallelogram, i.e. points of charts k + 1 (or a pole) — taken as they are;
* row −1 and column −1 lie across the chart edges U_k–L_k, L_k–S and U_k–N, on
  chart k − 1. The point p across the edge (a, b) of lattice triangle (p, a, b) is
  found on the mesh of the subdivided icosahedron (not by hand-written index
  formulas): it is the common neighbour of a and b other than the in-chart apex
  c = a + b − p. At the icosahedron vertex L_k (5 neighbours) this gives the same
  point for the two padded taps (−1, n−1) and (−1, n): the missing sixth direction is
  a duplicate, as it must be;
* (−1, −1), the tap missing at the pentagonal vertex U_k (pixel (0, 0)), repeats the
  vertex pixel itself;
* the poles N = (H, 0) and S = (0, W) belong to no chart: their value is the mean of
  their 5 neighbours, pixel (H−1, 0), resp. (0, W−1), of every chart;
* the corners (−1, W) and (H, −1) are never read by the hexagonal kernel; they
  repeat the nearest chart pixel.

All of this is precomputed once per resolution as one index array into the
flattened charts plus two pole slots; `pad` is a single gather.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch

from ..errors import InputError
from . import grid


@lru_cache(maxsize=None)
def _sources(resolution: int) -> np.ndarray:
    """Padded index map (5, H+2, W+2) into the flattened (5·H·W charts, N, S) vector."""
    ids, neighbours = grid._mesh(resolution)
    h, w = grid.chart_shape(resolution)
    n_pixels = grid.CHARTS * h * w
    north, south = n_pixels, n_pixels + 1  # all_vertices order: charts, then N, S = flat source order

    def vertex(k: int, i: int, j: int) -> int:
        return int(ids[k, i, j])

    out = np.full((grid.CHARTS, h + 2, w + 2), -1, dtype=np.int64)
    own = np.arange(n_pixels).reshape(grid.CHARTS, h, w)
    out[:, 1:-1, 1:-1] = own
    for k in range(grid.CHARTS):
        # far edges of the closed parallelogram: the vertex at that lattice point
        for i, j in [(h, j) for j in range(w + 1)] + [(i, w) for i in range(h)]:
            out[k, i + 1, j + 1] = vertex(k, i, j)
        # across the near edges: common neighbour of the edge (a, b) other than the apex c
        across = [((-1, j), (0, j), (0, j + 1)) for j in range(w)] + [((i, -1), (i, 0), (i + 1, 0)) for i in range(h)]
        for (pi, pj), a, b in across:
            c = (a[0] + b[0] - pi, a[1] + b[1] - pj)
            common = neighbours[vertex(k, *a)] & neighbours[vertex(k, *b)] - {vertex(k, *c)}
            if len(common) != 1:
                raise AssertionError(f"padding r={resolution}: chart {k} ({pi}, {pj}) has {len(common)} candidates")
            out[k, pi + 1, pj + 1] = next(iter(common))
        out[k, 0, 0] = own[k, 0, 0]            # missing tap of the pentagon U_k: the vertex itself
        out[k, 0, w + 1] = own[k, 0, w - 1]    # unused corners
        out[k, h + 1, 0] = own[k, h - 1, 0]
    if (out < 0).any():
        raise AssertionError(f"padding r={resolution}: unfilled border")
    # vertex ids n_pixels, n_pixels + 1 are N and S, the pole slots of the flat source vector
    assert north == len(grid.all_vertices(resolution)) - 2 and south == north + 1
    out.setflags(write=False)
    return out


@lru_cache(maxsize=None)
def _index(resolution: int) -> torch.Tensor:
    return torch.from_numpy(_sources(resolution).reshape(-1).copy())


def padded_sources(resolution) -> np.ndarray:
    """(5, H+2, W+2) index of the value each padded pixel takes: c·H·W + i·W + j for chart
    pixel (c, i, j), 5·H·W for the north pole, 5·H·W + 1 for the south pole."""
    return _sources(grid.check_resolution(resolution)).copy()


def check_field(x, what: str = "icosahedral field") -> int:
    """Resolution r of a tensor (..., 5, 2^r, 2^(r+1)); InputError if it has another shape."""
    if not isinstance(x, torch.Tensor):
        raise InputError(f"{what} must be a torch.Tensor, got {type(x).__name__}")
    if x.ndim < 3 or x.shape[-3] != grid.CHARTS:
        raise InputError(f"{what} must have shape (..., 5, 2^r, 2^(r+1)), got {tuple(x.shape)}")
    return grid.resolution_of(x.shape[-2], x.shape[-1])


def pad(x: torch.Tensor) -> torch.Tensor:
    """(..., 5, H, W) → (..., 5, H+2, W+2): every chart with a 1-pixel border taken from
    its neighbours on the sphere (see the module docstring)."""
    r = check_field(x)
    h, w = x.shape[-2:]
    flat = x.reshape(*x.shape[:-3], grid.CHARTS * h * w)
    poles = torch.stack([x[..., :, h - 1, 0].mean(-1), x[..., :, 0, w - 1].mean(-1)], dim=-1)
    source = torch.cat([flat, poles], dim=-1)
    index = _index(r).to(x.device)
    return source.index_select(-1, index).reshape(*x.shape[:-3], grid.CHARTS, h + 2, w + 2)
