"""The common starting point of the three regimes: Gaussian weights projected onto E."""

from __future__ import annotations

import torch

from ..symmetry import EquivariantProjection, PermutationGroup
from .architecture import Architecture


def equivariant_start(arch: Architecture, group: PermutationGroup, seed: int) -> dict[str, torch.Tensor]:
    """Draw the initial weights from `seed` and project every constrained layer onto E."""
    state = arch.initial_state(torch.Generator().manual_seed(seed))
    projection = EquivariantProjection(group)
    with torch.no_grad():
        for key in [k for k in state if k.startswith("layers.")]:
            state[key] = projection(state[key]).contiguous()
    return state
