"""Is a matrix in the identity component of the group of a Lie algebra? Closed form.

M with det M ≤ 0 is never in the identity component; otherwise X = log M (principal
logarithm: a closed form for 2×2, else an eigendecomposition, or scipy's
Schur–Padé `logm` when M is close to defective; no real logarithm → not a member)
is projected by least squares onto span{L_i}, w = argmin ‖X − Σ w_i L_i‖_F, and M
is accepted when expm(Σ w_i L_i) reproduces M to a mean squared error (over the d²
entries) of at most `tolerance` — the AtlasD reference's criterion and default
(0.1), which it decides by 10 000 Adam steps per pair; here w is closed form. The
log-space residual ‖X − Σ w_i L_i‖_F is reported too.

When the principal logarithm does not exist (e.g. the rotation by π, −I = expm(πJ),
or a slightly sheared rotation by about π, which has two real negative eigenvalues)
or does not reproduce M, the same criterion min_w MSE is evaluated by a short
Levenberg–Marquardt search from deterministic starts (`_search_starts`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.linalg

DEFAULT_TOLERANCE = 0.1


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


def _expm(x: np.ndarray) -> np.ndarray:
    return _expm_2x2(x) if x.shape == (2, 2) else scipy.linalg.expm(x)


def _search_starts(basis: np.ndarray, closed_form: np.ndarray | None) -> list[np.ndarray]:
    """Deterministic starting weights for the least-squares search: the closed-form
    projection (when there is one), zero, ±π/2 and π along each generator (scaled by
    its rotation frequency, the largest |imaginary part| of its eigenvalues, when it
    has one, else by its norm), and a few fixed pseudo-random combinations."""
    starts = [] if closed_form is None else [closed_form]
    m = len(basis)
    starts.append(np.zeros(m))
    for i, generator in enumerate(basis):
        frequency = float(np.abs(np.linalg.eigvals(generator).imag).max())
        scale = frequency if frequency > 1e-9 else max(float(np.linalg.norm(generator)), 1e-12)
        for t in (math.pi / 2, -math.pi / 2, math.pi):
            w = np.zeros(m)
            w[i] = t / scale
            starts.append(w)
    norms = np.maximum(np.linalg.norm(basis.reshape(m, -1), axis=1), 1e-12)
    rng = np.random.default_rng(0)
    starts += [rng.normal(size=m) * math.pi / norms for _ in range(4)]
    return starts


def _nearest_exponential(m: np.ndarray, basis: np.ndarray, starts: list[np.ndarray],
                         tolerance: float) -> tuple[float, np.ndarray]:
    """min over w of the mean squared error of expm(Σ w_i L_i) against M (Levenberg–Marquardt
    from each start; stops at the first start that reaches `tolerance`)."""
    from scipy.optimize import least_squares

    def residual(w):
        return (_expm(np.tensordot(w, basis, axes=1)) - m).reshape(-1)

    best_mse, best_w = math.inf, starts[0]
    for start in starts:
        fit = least_squares(residual, start, method="lm" if m.size >= len(start) else "trf", max_nfev=100 * len(start))
        mse = float(np.mean(fit.fun ** 2))
        if mse < best_mse:
            best_mse, best_w = mse, fit.x
        if best_mse <= tolerance:
            break
    return best_mse, best_w


def identity_component_test(matrix: np.ndarray, algebra: np.ndarray,
                            tolerance: float = DEFAULT_TOLERANCE) -> Membership:
    """Is `matrix` = expm(Σ w_i L_i) for some w, up to `tolerance`? (See the module doc.)

    The closed form decides almost every case at once. When M has no real principal
    logarithm (e.g. a rotation by about π with a little shear: two real negative
    eigenvalues) or its projected logarithm does not reproduce M, the reference's own
    criterion min_w MSE(expm(Σ w_i L_i), M) is evaluated by a short least-squares
    search from deterministic starts, so such elements are no longer rejected
    merely for lacking a principal logarithm."""
    m = np.asarray(matrix, dtype=np.float64)
    small = m.shape == (2, 2)  # closed forms, no LAPACK: cheap even when the BLAS pool is oversubscribed
    det = m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0] if small else np.linalg.det(m)
    if det <= 0:
        return Membership(False, math.inf, math.inf, None)
    basis = np.asarray(algebra, dtype=np.float64)
    flat = basis.reshape(len(basis), -1)  # (m, d²)
    log = real_logm(m)
    weights, log_residual, mse = None, math.inf, math.inf
    if log is not None:
        if len(flat) == 1:
            weights = np.array([float((flat[0] * log.reshape(-1)).sum() / max((flat[0] ** 2).sum(), 1e-300))])
        else:
            weights, *_ = np.linalg.lstsq(flat.T, log.reshape(-1), rcond=None)
        projection = (weights[:, None] * flat).sum(0).reshape(m.shape)
        mse = float(np.mean((_expm(projection) - m) ** 2))
        log_residual = float(np.sqrt(((log - projection) ** 2).sum()))
        if mse <= tolerance:
            return Membership(True, mse, log_residual, weights)
    searched, found = _nearest_exponential(m, basis, _search_starts(basis, weights), tolerance)
    if searched < mse:
        mse, weights = searched, found
    return Membership(mse <= tolerance, mse, log_residual, weights)


def in_identity_component(matrix: np.ndarray, algebra: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> bool:
    return identity_component_test(matrix, algebra, tolerance).member


def polar_angle(matrix: np.ndarray) -> float:
    """Angle (degrees) by which the orthogonal polar factor of a 2×2 matrix turns e_x."""
    u, _, vt = np.linalg.svd(np.asarray(matrix, dtype=np.float64))
    q = u @ vt
    return math.degrees(math.atan2(q[1, 0], q[0, 0]))
