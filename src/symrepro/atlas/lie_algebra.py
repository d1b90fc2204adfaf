"""A learnable basis {L_1..L_m} of a Lie algebra of d×d matrices, its regularisers
and the sampling of group elements g = expm(Σ c_i L_i), c ~ N(0, 1)."""

from __future__ import annotations

import torch
from torch import nn


def normalized(basis: torch.Tensor) -> torch.Tensor:
    """Scale each matrix to ‖L‖_F² = d (the scale LieGAN uses)."""
    norms = torch.sqrt(torch.einsum("kij,kij->k", basis, basis) / basis.shape[-1])
    return basis / norms[:, None, None].clamp_min(1e-12)


class LieAlgebraBasis(nn.Module):
    def __init__(self, generators: int, dim: int, generator: torch.Generator | None = None, init_std: float = 0.02):
        super().__init__()
        self.basis = nn.Parameter(torch.randn(generators, dim, dim, generator=generator) * init_std)

    @property
    def dim(self) -> int:
        return self.basis.shape[-1]

    def sample(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
        """Group elements (*shape, d, d), one independent draw of c per element."""
        coeffs = torch.randn(*shape, len(self.basis), generator=generator).to(self.basis.device)
        return torch.linalg.matrix_exp(torch.einsum("...k,kij->...ij", coeffs, self.basis))

    def regularization(self, r1: float, r2: float, r3: float) -> torch.Tensor:
        """r1·Σ_{i<j} |<L̂_i, L̂_j>| − r3·mean_i ‖clamp(L_i, ±r2)‖_F."""
        loss = torch.zeros((), device=self.basis.device)
        if len(self.basis) > 1:
            unit = normalized(self.basis)
            gram = torch.einsum("aij,bij->ab", unit, unit)
            loss = loss + r1 * torch.triu(gram, diagonal=1).abs().sum()
        magnitude = torch.linalg.matrix_norm(self.basis.clamp(-r2, r2)).mean()
        return loss - r3 * magnitude


def cosine_to(matrix: torch.Tensor, target: torch.Tensor) -> float:
    """|<L, T>| / (‖L‖ ‖T‖)."""
    return float((matrix * target).sum().abs() / (matrix.norm() * target.norm()).clamp_min(1e-12))
