"""Projections onto the equivariant subspace E, derived from a group's orbits.

For a permutation action the group average P(A) = (1/|G|) Σ_g ρ(g) A ρ(g)^-1 of a
layer A (c_out, c_in, N, N) is the mean of A over each orbit of index pairs; for an
invariant layer A (m, c, 1, N) (A ρ(g) = A) it is the mean over each orbit of single
indices. Both are orthogonal projections (Frobenius inner product).
"""

from __future__ import annotations

import numpy as np
import torch

from .permutation import PermutationGroup


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


def equivariant_projector(group, invariant: bool = False) -> np.ndarray:
    """The general orthogonal projector onto E for any `MatrixGroup` ρ on R^N, from
    the nullspace of the stacked constraints (emlp's construction):

    equivariant maps A (N×N): ρ(h) A − A ρ(h) = 0 for discrete generators h and
    L A − A L = 0 for Lie generators L; invariant maps a (1×N): a ρ(h) = a, a L = 0.
    Returns P (N², N²) or (N, N) acting on row-major flattened maps. Dense: for small
    N only (tests); permutation groups use the orbit-average fast path above.
    """
    n = group.dim
    eye = np.eye(n)
    blocks = []
    for h in group.discrete_generators:
        blocks.append(h.T - eye if invariant else np.kron(h, eye) - np.kron(eye, h.T))
    for lie in group.lie_algebra:
        blocks.append(lie.T if invariant else np.kron(lie, eye) - np.kron(eye, lie.T))
    size = n if invariant else n * n
    if not blocks:
        return np.eye(size)
    constraint = np.concatenate(blocks, axis=0)
    _, s, vt = np.linalg.svd(constraint)
    rank = int((s > 1e-9 * max(float(s.max()), 1.0)).sum())
    q = vt[rank:].T
    return q @ q.T
