"""Reference matrix groups (Lie algebra + discrete generators), each given only by
its generators: what discovery is compared with and what tests use as ground truth.

Planar groups act on (x, y) = (column, row) of an image or chart; Lorentz groups on
four-momenta (E, px, py, pz) with the metric η = diag(1, −1, −1, −1).
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from .group import MatrixGroup

J = np.array([[0.0, -1.0], [1.0, 0.0]])  # the generator of so(2)
REFLECTION_X = np.array([[-1.0, 0.0], [0.0, 1.0]])  # x -> -x
ETA = np.diag([1.0, -1.0, -1.0, -1.0])
PARITY = np.diag([1.0, -1.0, -1.0, -1.0])  # (E, p) -> (E, -p)
PLANE = "R^2: (x, y) = (column, row) of an image or chart, about its centre"
MINKOWSKI = "R^4: four-momenta (E, px, py, pz), metric diag(1, -1, -1, -1)"


def _unit(d: int, i: int, j: int) -> np.ndarray:
    e = np.zeros((d, d))
    e[i, j] = 1.0
    return e


def lorentz_generators() -> np.ndarray:
    """The six canonical generators of so(1,3): rotations J_x, J_y, J_z, then boosts K_x, K_y, K_z."""
    rotations = [_unit(4, b, a) - _unit(4, a, b) for a, b in ((2, 3), (3, 1), (1, 2))]
    boosts = [_unit(4, 0, i) + _unit(4, i, 0) for i in (1, 2, 3)]
    return np.stack(rotations + boosts)


def so3_generators() -> np.ndarray:
    return np.stack([_unit(3, b, a) - _unit(3, a, b) for a, b in ((1, 2), (2, 0), (0, 1))])


def gl_generators(d: int) -> np.ndarray:
    return np.stack([_unit(d, i, j) for i in range(d) for j in range(d)])


def _group(name: str, algebra, discrete, acts_on: str) -> MatrixGroup:
    d = (np.asarray(algebra).shape[-1] if len(algebra) else np.asarray(discrete).shape[-1])
    return MatrixGroup(name, np.asarray(algebra, dtype=float).reshape(-1, d, d),
                       np.asarray(discrete, dtype=float).reshape(-1, d, d), acts_on)


REFERENCE_GROUPS = {
    "SO(2)": lambda: _group("SO(2)", [J], [], PLANE),
    "O(2)": lambda: _group("O(2)", [J], [REFLECTION_X], PLANE),
    "GL+(2)": lambda: _group("GL+(2)", gl_generators(2), [], PLANE),
    "GL(2)": lambda: _group("GL(2)", gl_generators(2), [REFLECTION_X], PLANE),
    "SO(3)": lambda: _group("SO(3)", so3_generators(), [], "R^3: points of the unit sphere"),
    "SO+(1,3)": lambda: _group("SO+(1,3)", lorentz_generators(), [], MINKOWSKI),
    "O+(1,3)": lambda: _group("O+(1,3)", lorentz_generators(), [PARITY], MINKOWSKI),
    "O+(1,3)xR+": lambda: _group("O+(1,3)xR+", np.concatenate([lorentz_generators(), np.eye(4)[None]]),
                                 [PARITY], MINKOWSKI),
}


def reference_group(name: str) -> MatrixGroup:
    if name not in REFERENCE_GROUPS:
        raise InputError(f"unknown reference group {name!r}; known: {sorted(REFERENCE_GROUPS)}")
    return REFERENCE_GROUPS[name]()


def lorentz_residual(matrix) -> float:
    """min_c ‖Lᵀη + ηL − cη‖_F / ‖L‖_F: 0 when L is a (conformal) Lorentz generator."""
    m = np.asarray(matrix, dtype=np.float64)
    defect = m.T @ ETA + ETA @ m
    c = float((defect * ETA).sum() / (ETA * ETA).sum())
    return float(np.linalg.norm(defect - c * ETA) / max(float(np.linalg.norm(m)), 1e-300))
