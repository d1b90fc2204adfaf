"""A learnable basis {L_1..L_m} of a Lie algebra of d×d matrices, its regularisers,
and the sampling of group elements g = expm(Σ c_i L_i), c_i ~ N(0, 1), one draw
per (sample, chart).

The input and output fields carry representations ρ_in, ρ_out of the group: each
is either the identity (scalar fields; nothing to learn) or learned as
ρ(g) = expm(Σ c_i M_i) with its own basis M_i and the same coefficients c.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import nn


class GroupSample(NamedTuple):
    """Sampled group elements and their field representations (None = identity)."""
    g: torch.Tensor  # (*shape, d, d), acts on the domain
    rho_in: torch.Tensor | None  # (*shape, C_in, C_in)
    rho_out: torch.Tensor | None  # (*shape, C_out, C_out)


def normalized(basis: torch.Tensor) -> torch.Tensor:
    """Scale each matrix (m, d, d) to ‖L‖_F² = d."""
    norms = torch.sqrt(torch.einsum("kij,kij->k", basis, basis) / basis.shape[-1])
    return basis / norms[:, None, None].clamp_min(1e-12)


def exp_combination(coeffs: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """expm(Σ_i c_i B_i) for coefficients (..., m) and a basis (m, n, n)."""
    return torch.linalg.matrix_exp(torch.einsum("...k,kij->...ij", coeffs, basis))


class FieldRepresentation(nn.Module):
    """ρ of a field with `channels` channels: the identity, or learned from its own basis."""

    def __init__(self, channels: int, generators: int = 0, learned: bool = False,
                 generator: torch.Generator | None = None, init_std: float = 0.02):
        super().__init__()
        self.channels, self.learned = channels, learned
        if learned:
            self.basis = nn.Parameter(torch.randn(generators, channels, channels, generator=generator) * init_std)
        else:
            self.register_parameter("basis", None)

    @classmethod
    def identity(cls, channels: int) -> "FieldRepresentation":
        return cls(channels)

    def forward(self, coeffs: torch.Tensor) -> torch.Tensor | None:
        return exp_combination(coeffs, self.basis) if self.learned else None

    def matrices(self, coeffs: torch.Tensor) -> torch.Tensor:
        """ρ as explicit matrices (*shape, C, C), identity included."""
        rho = self(coeffs)
        if rho is None:
            eye = torch.eye(self.channels, device=coeffs.device, dtype=coeffs.dtype)
            rho = eye.expand(*coeffs.shape[:-1], self.channels, self.channels)
        return rho


class LieAlgebraBasis(nn.Module):
    """m learnable generators (m, d, d), initialised N(0, init_std²)."""

    def __init__(self, generators: int, dim: int, generator: torch.Generator | None = None, init_std: float = 0.02,
                 rep_in: FieldRepresentation | None = None, rep_out: FieldRepresentation | None = None):
        super().__init__()
        if generators < 1 or dim < 1:
            raise ValueError(f"need >= 1 generator of dimension >= 1, got {generators}, {dim}")
        self.basis = nn.Parameter(torch.randn(generators, dim, dim, generator=generator) * init_std)
        self.rep_in = rep_in if rep_in is not None else FieldRepresentation.identity(1)
        self.rep_out = rep_out if rep_out is not None else FieldRepresentation.identity(1)

    @property
    def generators(self) -> int:
        return self.basis.shape[0]

    @property
    def dim(self) -> int:
        return self.basis.shape[-1]

    def coefficients(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> torch.Tensor:
        """c ~ N(0, 1), (*shape, m), drawn on the CPU (reproducible) and moved to the basis' device."""
        return torch.randn(*shape, self.generators, generator=generator).to(self.basis.device)

    def sample(self, shape: tuple[int, ...], generator: torch.Generator | None = None) -> GroupSample:
        """Independent group elements for every index of `shape` (e.g. (batch, charts))."""
        coeffs = self.coefficients(shape, generator)
        return GroupSample(exp_combination(coeffs, self.basis), self.rep_in(coeffs), self.rep_out(coeffs))

    def regularization(self, r1: float, r2: float, r3: float) -> torch.Tensor:
        """r1·Σ_{i<j} |⟨L̂_i, L̂_j⟩| − r3·mean_i ‖clamp(L_i, −r2, r2)‖_F."""
        loss = torch.zeros((), device=self.basis.device, dtype=self.basis.dtype)
        if self.generators > 1:
            unit = normalized(self.basis)
            gram = torch.einsum("aij,bij->ab", unit, unit)
            loss = loss + r1 * torch.triu(gram, diagonal=1).abs().sum()
        magnitude = torch.linalg.matrix_norm(self.basis.clamp(-r2, r2)).mean()
        return loss - r3 * magnitude
