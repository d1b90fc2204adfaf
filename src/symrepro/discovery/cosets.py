"""Coset (discrete symmetry) discovery given the identity component's Lie algebra.

K candidate matrices (init N(0, 1)) are used normalised to |det| = 1 and trained on
the equivariance loss, one loss per candidate (see `trainers`). Afterwards the
candidates are ranked by loss, the best `keep` are considered in that order, and a
candidate C is dropped when an already kept C' has C'C⁻¹ in the identity
component, i.e. C'C⁻¹ = expm(Σ w_i L_i) for some w.

Membership is decided in closed form (`symrepro.symmetry.membership`). Each kept
record also says whether the representative itself lies in the identity component
(`identity_component`: its coset is the identity component).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..symmetry.membership import DEFAULT_TOLERANCE, identity_component_test, polar_angle


class CosetCandidates(nn.Module):
    """n learnable d×d matrices, used normalised to |det| = 1."""

    def __init__(self, count: int, dim: int, generator: torch.Generator | None = None):
        super().__init__()
        if count < 1 or dim < 1:
            raise ValueError(f"need >= 1 candidate of dimension >= 1, got {count}, {dim}")
        self.raw = nn.Parameter(torch.randn(count, dim, dim, generator=generator))

    def __len__(self) -> int:
        return self.raw.shape[0]

    def matrices(self) -> torch.Tensor:
        det = torch.linalg.det(self.raw).abs().clamp_min(1e-12)
        return self.raw / det[:, None, None] ** (1.0 / self.raw.shape[-1])


def select_representatives(matrices: np.ndarray, losses: np.ndarray, keep: int, algebra: np.ndarray,
                           tolerance: float = DEFAULT_TOLERANCE) -> tuple[list[dict], list[dict]]:
    """Rank by loss, consider the best `keep`, drop duplicates of kept cosets.

    Returns (kept, considered): one record per kept representative, and one per
    considered candidate with `duplicate_of` (the candidate index of the kept
    representative of its coset, or None) and `mse`, the smallest reconstruction
    error against an earlier kept representative (None for the first).
    """
    matrices = np.asarray(matrices, dtype=np.float64)
    losses = np.asarray(losses, dtype=np.float64)
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    kept: list[dict] = []
    considered: list[dict] = []
    for index in np.argsort(losses, kind="stable")[:keep]:
        c = matrices[index]
        c_inv = np.linalg.inv(c)
        duplicate_of, best = None, math.inf
        for entry in kept:
            test = identity_component_test(np.asarray(entry["matrix"]) @ c_inv, algebra, tolerance)
            best = min(best, test.mse)
            if test.member:
                duplicate_of = entry["index"]
                break
        record = {"index": int(index), "matrix": c.tolist(), "loss": float(losses[index]),
                  "determinant": float(np.linalg.det(c)), "reflection": bool(np.linalg.det(c) < 0),
                  "identity_component": identity_component_test(c, algebra, tolerance).member,
                  "duplicate_of": duplicate_of, "mse": None if math.isinf(best) else best}
        if c.shape == (2, 2):
            record["angle"] = polar_angle(c)
        considered.append(record)
        if duplicate_of is None:
            kept.append({k: v for k, v in record.items() if k not in ("duplicate_of", "mse")})
    return kept, considered
