"""Projections onto the equivariant subspace E, derived from a group's orbits.

For a permutation action the group average P(A) = (1/|G|) Σ_g ρ(g) A ρ(g)^-1 of a
layer A (c_out, c_in, N, N) is the mean of A over each orbit of index pairs; for an
invariant layer A (m, c, 1, N) (A ρ(g) = A) it is the mean over each orbit of single
indices. Both are orthogonal projections (Frobenius inner product).
"""

from __future__ import annotations

import torch

from .permutation_group import PermutationGroup


class OrbitAverage:
    """Replace every entry of the last axis by the mean over its orbit."""

    def __init__(self, labels, count: int):
        self.labels = torch.as_tensor(labels, dtype=torch.long)
        self.count = count
        self.sizes = torch.bincount(self.labels, minlength=count)
        self._on: dict[torch.device, tuple[torch.Tensor, torch.Tensor]] = {}

    def _tables(self, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        if device not in self._on:
            self._on[device] = (self.labels.to(device), self.sizes.to(device))
        return self._on[device]

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        labels, sizes = self._tables(a.device)
        flat = a.reshape(-1, a.shape[-1])
        sums = torch.zeros(flat.shape[0], self.count, dtype=a.dtype, device=a.device)
        sums.index_add_(1, labels, flat)
        return (sums / sizes.to(a.dtype)).index_select(1, labels).reshape(a.shape)


class EquivariantProjection:
    """P_E for constrained layers (…, N, N) and invariant layers (…, 1, N) of one group."""

    def __init__(self, group: PermutationGroup):
        self.group = group
        self._pairs = OrbitAverage(*group.pair_orbits)
        self._singles = OrbitAverage(*group.index_orbits)

    def __call__(self, a: torch.Tensor) -> torch.Tensor:
        n = self.group.degree
        if a.shape[-1] != n or a.shape[-2] not in (1, n):
            raise ValueError(f"a layer acted on by a group of degree {n} must end in (N, N) or (1, N); got {tuple(a.shape)}")
        if a.shape[-2] == 1:
            return self._singles(a)
        flat = a.reshape(*a.shape[:-2], n * n)
        return self._pairs(flat).reshape(a.shape)

    def distance(self, a: torch.Tensor) -> float:
        """‖A − P_E A‖_F, computed in float64."""
        a64 = a.detach().to(torch.float64)
        return float(torch.linalg.vector_norm(a64 - self(a64)))
