"""Comparing Lie algebras given by (possibly redundant, unnormalised) bases, in any dimension.

Matrices are flattened to vectors of R^{d²} with the Frobenius inner product. The
span of a basis is represented by an orthonormal basis Q (numerical rank from the
singular values). Then

* the relative residual of a matrix X in a span is ‖X − Q Qᵀ X‖ / ‖X‖ (0: X lies in
  the span, 1: X is orthogonal to it);
* the principal angles between two spans are the arccos of the singular values of
  Q_aᵀ Q_b (all 0 when one span contains the other).

Per-generator cosines are meaningful only for one-dimensional algebras (so(2)).
"""

from __future__ import annotations

import math

import numpy as np


def orthonormal_span(basis: np.ndarray, rtol: float = 1e-8) -> np.ndarray:
    """(d², r) orthonormal basis of span{B_i} for matrices (m, d, d); r = numerical rank."""
    basis = np.asarray(basis, dtype=np.float64)
    if basis.size == 0:
        return np.zeros((basis.shape[-1] ** 2 if basis.ndim == 3 else 0, 0))
    flat = basis.reshape(len(basis), -1).T  # (d², m)
    u, s, _ = np.linalg.svd(flat, full_matrices=False)
    keep = s > rtol * max(float(s.max()), 1e-300)
    return u[:, keep]


def relative_span_residual(matrix, basis: np.ndarray) -> float:
    """‖X − P X‖_F / ‖X‖_F with P the orthogonal projection onto span(basis)."""
    x = np.asarray(matrix, dtype=np.float64).reshape(-1)
    norm = float(np.linalg.norm(x))
    if norm == 0:
        raise ValueError("the zero matrix has no direction to compare")
    q = orthonormal_span(basis)
    if q.shape[0] not in (0, x.size):
        raise ValueError(f"a {int(math.isqrt(x.size))}×{int(math.isqrt(x.size))} matrix cannot lie in a span of "
                         f"{int(math.isqrt(q.shape[0]))}×{int(math.isqrt(q.shape[0]))} matrices")
    if q.shape[1] == 0:
        return 1.0
    return float(np.linalg.norm(x - q @ (q.T @ x)) / norm)


def principal_angles(a: np.ndarray, b: np.ndarray) -> list[float]:
    """Principal angles (degrees, ascending) between span(a) and span(b); min(rank) of them."""
    qa, qb = orthonormal_span(a), orthonormal_span(b)
    if qa.shape[1] == 0 or qb.shape[1] == 0:
        return []
    s = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return sorted(float(np.degrees(np.arccos(np.clip(v, -1.0, 1.0)))) for v in s)


def span_comparison(discovered: np.ndarray, reference: np.ndarray) -> dict:
    """How two algebras relate: `reference_in_discovered` (residual of each reference
    generator in the discovered span), `discovered_in_reference` (the reverse), the
    ranks and the principal angles (degrees)."""
    return {
        "discovered_rank": int(orthonormal_span(discovered).shape[1]),
        "reference_rank": int(orthonormal_span(reference).shape[1]),
        "reference_in_discovered": [relative_span_residual(r, discovered) for r in np.asarray(reference)],
        "discovered_in_reference": [relative_span_residual(g, reference) for g in np.asarray(discovered)],
        "principal_angles": principal_angles(discovered, reference),
    }


def cosine(matrix, target) -> float:
    """|⟨A, T⟩| / (‖A‖_F ‖T‖_F) (a readable extra for one-dimensional algebras)."""
    a = np.asarray(matrix, dtype=np.float64)
    t = np.asarray(target, dtype=np.float64)
    return float(abs((a * t).sum()) / max(float(np.linalg.norm(a) * np.linalg.norm(t)), 1e-300))
