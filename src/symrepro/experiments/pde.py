"""The heat-equation experiment: two atlases of square charts, one small CNN per
chart predicting the final field patch from the initial one (L1), so(2) expected.

Data: `symrepro data heat` (datasets/heat.py). The exact simulator is also
available as a training-free predictor (`ExactHeatPredictor`) for tests.
"""

from __future__ import annotations

import numpy as np
import torch

from ..datasets.heat import load as load_pairs
from ..datasets.heat import simulate
from ..discovery.charts import Atlas
from ..discovery.equivariance_loss import l1_loss
from ..discovery.predictors import ChartConvNet
from ..errors import InputError
from ..symmetry.lie import PLANE, J, reference_group
from .spec import ExperimentSpec

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


def atlas(number: int) -> Atlas:
    if number not in ATLAS_CENTRES:
        raise InputError(f"atlas must be one of {sorted(ATLAS_CENTRES)}, got {number}")
    return Atlas(ATLAS_CENTRES[number], *ATLAS_RADII[number])


def conjugated_rotation(alpha_x: float, alpha_y: float) -> np.ndarray:
    """S J S⁻¹ with S = diag(√α_x, √α_y): the rotation generator of u_t = α_x u_xx + α_y u_yy
    in the (x, y) = (column, row) order the patch transform uses (g·p convention)."""
    s = np.diag([np.sqrt(alpha_x), np.sqrt(alpha_y)])
    return s @ J @ np.linalg.inv(s)


class ExactHeatPredictor:
    """The simulator itself as Φ: evolves each chart patch (B, K, 1, P, P) on its own,
    the values beyond the patch edge replicated."""

    def __init__(self, alpha_x: float = 1.0, alpha_y: float = 1.0):
        self.alpha_x, self.alpha_y = alpha_x, alpha_y

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        return simulate(patches, alpha_x=self.alpha_x, alpha_y=self.alpha_y, outside="replicate")


def load(path) -> tuple[torch.Tensor, torch.Tensor]:
    initial, final = load_pairs(path)
    return torch.from_numpy(initial)[:, None], torch.from_numpy(final)[:, None]


def predictor(view: Atlas, hidden: int = 16, layers: int = 4) -> ChartConvNet:
    """One CNN per chart (grouped convolutions): `layers` 3×3 convolutions of `hidden` channels."""
    return ChartConvNet(len(view), in_channels=1, out_channels=1, hidden=hidden, layers=layers)


def so2_cosine(group) -> dict:
    """The best |cosine| between a discovered generator and J (readable for one generator)."""
    from ..symmetry.compare import cosine

    cosines = [cosine(g, J) for g in group.lie_algebra]
    return {"cosine_so2": max(cosines) if cosines else float("nan")}


SPEC = ExperimentSpec(
    name="pde",
    description="heat equation u_t = Δu on a 128×128 grid with an obstacle; predict the field after 50 steps",
    dim=2,
    acts_on=PLANE,
    views={"atlas1": lambda: atlas(1), "atlas2": lambda: atlas(2)},
    load=load,
    predictor=predictor,
    task_loss=l1_loss,
    reference=lambda: reference_group("O(2)"),
    summary_extras=so2_cosine,
)
