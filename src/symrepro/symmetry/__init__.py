"""The one group layer both papers use.

`MatrixGroup` (group.py): a Lie algebra basis plus discrete generators acting on
R^d, read from and written to `group.json`. `PermutationGroup` (permutation.py):
finite groups given by permutations of an index set, with orbit-based projections
(projection.py) as the fast path; `as_matrix_group()` turns one into a
`MatrixGroup`. Reference groups: `finite.py` (the dynamics experiments) and
`lie.py` (so(2), O(2), so(1,3), …). Membership in the identity component:
membership.py; comparing algebras: compare.py.
"""

from .finite import GROUPS, make_group
from .group import MatrixGroup
from .lie import reference_group
from .permutation import PermutationGroup
from .projection import EquivariantProjection, OrbitAverage

__all__ = ["GROUPS", "make_group", "MatrixGroup", "reference_group", "PermutationGroup", "EquivariantProjection",
           "OrbitAverage"]
