"""Selecting coset representatives: rank the trained candidates by loss, keep the
best `keep`, and drop a candidate C when an already kept C' has C'C⁻¹ in the
identity component of the discovered group.

The membership test is closed form: M = C'C⁻¹ with det M ≤ 0 is never in the
identity component; otherwise X = log M (principal logarithm, real part) is
projected by least squares onto span{L_i}, and M is accepted when
expm(Σ w_i L_i) reproduces M to a mean squared error below `tolerance` (the
reference's criterion, which it reached with 10 000 Adam steps per pair).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg


def in_identity_component(matrix: np.ndarray, algebra: np.ndarray, tolerance: float = 0.1) -> bool:
    matrix = np.asarray(matrix, dtype=np.float64)
    if np.linalg.det(matrix) <= 0:
        return False
    log = np.real(scipy.linalg.logm(matrix))
    basis = np.asarray(algebra, dtype=np.float64).reshape(len(algebra), -1)
    weights, *_ = np.linalg.lstsq(basis.T, log.reshape(-1), rcond=None)
    rebuilt = scipy.linalg.expm((weights @ basis).reshape(matrix.shape))
    return float(np.mean((rebuilt - matrix) ** 2)) < tolerance


def angle(matrix: np.ndarray) -> float:
    """Angle (degrees) of a 2×2 matrix's first column."""
    return math.degrees(math.atan2(matrix[1, 0], matrix[0, 0]))


def select(candidates: np.ndarray, losses: np.ndarray, keep: int, algebra: np.ndarray,
           tolerance: float = 0.1) -> list[dict]:
    """The distinct coset representatives among the `keep` best candidates."""
    kept: list[dict] = []
    for i in np.argsort(losses)[:keep]:
        c = np.asarray(candidates[i], dtype=np.float64)
        if any(in_identity_component(k["matrix"] @ np.linalg.inv(c), algebra, tolerance) for k in kept):
            continue
        entry = {"matrix": c, "loss": float(losses[i]), "determinant": float(np.linalg.det(c))}
        if c.shape == (2, 2):
            entry["angle"] = angle(c)
        kept.append(entry)
    for entry in kept:
        entry["matrix"] = entry["matrix"].tolist()
        entry["reflection"] = entry["determinant"] < 0
    return kept
