"""The heat-equation experiment: its two atlases, so(2)'s generator and the exact
simulator as a (training-free) predictor of chart patches."""

from __future__ import annotations

import numpy as np
import torch

from ..datasets.heat import simulate
from ..errors import InputError
from .charts import Atlas

# Chart centres (u, v) = (row, column) as fractions of the 128×128 grid, the values of
# the reference implementation (experiment_pde.py, ATLAS1 / ATLAS2). Atlas 1: 19
# charts on a 3×3 block and two rows of 5 that avoid the obstacle rows 0.1–0.3 ×
# columns 0.2–0.5; atlas 2: three larger charts.
ATLAS_CENTRES = {
    1: ((0.5, 0.15), (0.675, 0.15), (0.85, 0.15),
        (0.5, 0.325), (0.675, 0.325), (0.85, 0.325),
        (0.5, 0.5), (0.675, 0.5), (0.85, 0.5),
        (0.15, 0.675), (0.325, 0.675), (0.5, 0.675), (0.675, 0.675), (0.85, 0.675),
        (0.15, 0.85), (0.325, 0.85), (0.5, 0.85), (0.675, 0.85), (0.85, 0.85)),
    2: ((0.65, 0.3), (0.675, 0.625), (0.35, 0.75)),
}
ATLAS_RADII = {1: (14, 10), 2: (26, 20)}  # (in radius, out radius)

SO2 = np.array([[0.0, -1.0], [1.0, 0.0]])  # J


def atlas(number: int) -> Atlas:
    if number not in ATLAS_CENTRES:
        raise InputError(f"--atlas must be one of {sorted(ATLAS_CENTRES)}, got {number}")
    return Atlas(ATLAS_CENTRES[number], *ATLAS_RADII[number])


def conjugated_rotation(alpha_x: float, alpha_y: float) -> np.ndarray:
    """S J S⁻¹ with S = diag(√α_x, √α_y): the rotation generator of u_t = α_x u_xx + α_y u_yy
    in the (x, y) = (column, row) order the patch transform uses."""
    s = np.diag([np.sqrt(alpha_x), np.sqrt(alpha_y)])
    return s @ SO2 @ np.linalg.inv(s)


class ExactHeatPredictor:
    """The simulator itself as Φ: evolves each chart patch (B, K, 1, P, P) on its own,
    the values beyond the patch edge replicated."""

    def __init__(self, alpha_x: float = 1.0, alpha_y: float = 1.0):
        self.alpha_x, self.alpha_y = alpha_x, alpha_y

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        return simulate(patches, alpha_x=self.alpha_x, alpha_y=self.alpha_y, outside="replicate")
