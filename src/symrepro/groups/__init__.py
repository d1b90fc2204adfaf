"""Finite groups as data (generators permuting an index set) and derived projections."""

from .catalogue import GROUPS, make_group
from .permutation_group import PermutationGroup
from .projection import EquivariantProjection, OrbitAverage

__all__ = ["GROUPS", "make_group", "PermutationGroup", "EquivariantProjection", "OrbitAverage"]
