"""Coset (discrete symmetry) discovery given the identity component's Lie algebra.

K candidate matrices (init N(0, 1)) are used normalised to |det| = 1 and trained on
the equivariance loss, one loss per candidate (see `trainers`). Afterwards the
candidates are ranked by loss, the best `keep` are considered in that order, and a
candidate C is dropped when an already kept C' has C'C⁻¹ in the identity
component, i.e. C'C⁻¹ = expm(Σ w_i L_i) for some w.

The membership test is closed form and replaces the reference's 10 000 Adam steps
on the same criterion: M with det M ≤ 0 is never in the identity component;
otherwise X = log M (principal logarithm: a closed form for 2×2, else an
eigendecomposition, or scipy's Schur–Padé `logm` when M is close to defective;
no real logarithm → not a member)
is projected by least squares onto span{L_i}, w = argmin ‖X − Σ w_i L_i‖_F, and M
is accepted when expm(Σ w_i L_i) reproduces M to a mean squared error (over the d²
entries) of at most `tolerance` — the reference's criterion and default (0.1),
now with w in closed form. The log-space residual ‖X − Σ w_i L_i‖_F is reported too.
Known blind spot: an element whose only real logarithms are non-principal (e.g.
the rotation by exactly π, −I = expm(π J)) is rejected, which can at worst keep a
duplicate representative.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg
import torch
from torch import nn

DEFAULT_TOLERANCE = 0.1


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


def _log_2x2(m: np.ndarray) -> np.ndarray | None:
    """Closed-form principal logarithm of a real 2×2 matrix (None if not real).

    With s = tr M / 2 and N = M − s I, Cayley–Hamilton gives N² = q I, q = s² − det M,
    so log M = ½ log(det M) I + b N with b = atan(ω/s)/ω (q = −ω² < 0),
    atanh(μ/s)/μ (q = μ² > 0) or 1/s (q = 0)."""
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]
    s = 0.5 * (m[0, 0] + m[1, 1])
    if det <= 0:
        return None
    n = m - s * np.eye(2)
    q = s * s - det
    scale = max(s * s, det)
    if q < -1e-12 * scale:  # complex pair r e^{±iθ}, θ ∈ (0, π)
        omega = math.sqrt(-q)
        b = math.atan2(omega, s) / omega
    elif q > 1e-12 * scale:  # two real eigenvalues s ± μ of the same sign
        if s <= 0:
            return None
        mu = math.sqrt(q)
        b = math.atanh(mu / s) / mu
    else:
        if s <= 0:
            return None
        b = 1.0 / s
    return 0.5 * math.log(det) * np.eye(2) + b * n


def _expm_2x2(x: np.ndarray) -> np.ndarray:
    """Closed-form exponential of a real 2×2 matrix."""
    a = 0.5 * (x[0, 0] + x[1, 1])
    n = x - a * np.eye(2)
    p = -(n[0, 0] * n[1, 1] - n[0, 1] * n[1, 0])  # N² = p I
    if p > 1e-14:
        r = math.sqrt(p)
        c, f = math.cosh(r), math.sinh(r) / r
    elif p < -1e-14:
        r = math.sqrt(-p)
        c, f = math.cos(r), math.sin(r) / r
    else:
        c, f = 1.0, 1.0
    return math.exp(a) * (c * np.eye(2) + f * n)


def real_logm(matrix: np.ndarray) -> np.ndarray | None:
    """The principal logarithm of a real matrix if it is real, else None."""
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape == (2, 2):
        return _log_2x2(m)
    eigenvalues, vectors = np.linalg.eig(m)
    if np.any(np.abs(eigenvalues) < 1e-12):
        return None
    if np.linalg.cond(vectors) < 1e6:
        log = (vectors * np.log(eigenvalues.astype(np.complex128))) @ np.linalg.inv(vectors)
    else:  # (nearly) defective: the eigenvector basis is unreliable
        log = scipy.linalg.logm(m)
    log = np.asarray(log)
    scale = max(1.0, float(np.abs(log).max()))
    if np.iscomplexobj(log) and float(np.abs(log.imag).max()) > 1e-6 * scale:
        return None
    return np.real(log)


class Membership(NamedTuple):
    member: bool
    mse: float  # mean squared error of expm(Σ w_i L_i) against M (inf: det ≤ 0 or no real log)
    log_residual: float  # ‖log M − Σ w_i L_i‖_F
    weights: np.ndarray | None


def identity_component_test(matrix: np.ndarray, algebra: np.ndarray,
                            tolerance: float = DEFAULT_TOLERANCE) -> Membership:
    """Is `matrix` = expm(Σ w_i L_i) for some w, up to `tolerance`? (See the module doc.)"""
    m = np.asarray(matrix, dtype=np.float64)
    small = m.shape == (2, 2)  # closed forms, no LAPACK: cheap even when the BLAS pool is oversubscribed
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] if small else np.linalg.det(m)
    if det <= 0:
        return Membership(False, math.inf, math.inf, None)
    log = real_logm(m)
    if log is None:
        return Membership(False, math.inf, math.inf, None)
    basis = np.asarray(algebra, dtype=np.float64)
    flat = basis.reshape(len(basis), -1)  # (m, d²)
    if len(flat) == 1:
        weights = np.array([float((flat[0] * log.reshape(-1)).sum() / max((flat[0] ** 2).sum(), 1e-300))])
    else:
        weights, *_ = np.linalg.lstsq(flat.T, log.reshape(-1), rcond=None)
    projection = (weights[:, None] * flat).sum(0).reshape(m.shape)
    rebuilt = _expm_2x2(projection) if small else scipy.linalg.expm(projection)
    mse = float(np.mean((rebuilt - m) ** 2))
    return Membership(mse <= tolerance, mse, float(np.sqrt(((log - projection) ** 2).sum())), weights)


def in_identity_component(matrix: np.ndarray, algebra: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    return identity_component_test(matrix, algebra, tolerance).member


def polar_angle(matrix: np.ndarray) -> float:
    """Angle (degrees) by which the orthogonal polar factor of a 2×2 matrix turns e_x."""
    u, _, vt = np.linalg.svd(np.asarray(matrix, dtype=np.float64))
    q = u @ vt
    return math.degrees(math.atan2(q[1, 0], q[0, 0]))


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
                  "duplicate_of": duplicate_of, "mse": None if math.isinf(best) else best}
        if c.shape == (2, 2):
            record["angle"] = polar_angle(c)
        considered.append(record)
        if duplicate_of is None:
            kept.append({k: v for k, v in record.items() if k not in ("duplicate_of", "mse")})
    return kept, considered
