"""The heat-equation experiment: its two atlases and the exact-simulator predictor."""

from __future__ import annotations

import torch

from ..datasets.heat import simulate
from .charts import Atlas

# Chart centres (u, v) as fractions of (rows, columns), as in the reference: atlas 1
# has 19 charts avoiding the obstacle, atlas 2 three larger ones.
ATLAS_CENTRES = {
    1: ((0.5, 0.15), (0.675, 0.15), (0.85, 0.15),
        (0.5, 0.325), (0.675, 0.325), (0.85, 0.325),
        (0.5, 0.5), (0.675, 0.5), (0.85, 0.5),
        (0.15, 0.675), (0.325, 0.675), (0.5, 0.675), (0.675, 0.675), (0.85, 0.675),
        (0.15, 0.85), (0.325, 0.85), (0.5, 0.85), (0.675, 0.85), (0.85, 0.85)),
    2: ((0.65, 0.3), (0.675, 0.625), (0.35, 0.75)),
}
ATLAS_RADII = {1: (14, 10), 2: (26, 20)}

SO2 = torch.tensor([[0.0, -1.0], [1.0, 0.0]])


def atlas(number: int) -> Atlas:
    return Atlas(ATLAS_CENTRES[number], *ATLAS_RADII[number])


class ExactHeat:
    """The simulator itself as a predictor of chart patches (outside values replicated)."""

    def __init__(self, alpha_x: float = 1.0, alpha_y: float = 1.0):
        self.alpha_x, self.alpha_y = alpha_x, alpha_y

    def __call__(self, patches: torch.Tensor) -> torch.Tensor:
        return simulate(patches, alpha_x=self.alpha_x, alpha_y=self.alpha_y, pad_mode="replicate")
