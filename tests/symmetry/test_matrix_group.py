"""The one group object: group.json round trips, permutation groups as matrix groups,
the general projector against the orbit-average fast path, comparisons in any dimension."""

import json

import numpy as np
import pytest
import scipy.linalg
import torch

from symrepro.errors import InputError
from symrepro.symmetry import EquivariantProjection, MatrixGroup, make_group, reference_group
from symrepro.symmetry.lie import ETA, J, lorentz_generators, lorentz_residual
from symrepro.symmetry.projection import equivariant_projector


def test_group_json_round_trip(tmp_path):
    group = MatrixGroup("test", np.stack([J, np.eye(2)]), np.diag([1.0, -1.0])[None], "R^2", {"seed": 3, "x": [1, 2]})
    group.write(tmp_path / "group.json")
    again = MatrixGroup.read(tmp_path / "group.json")
    assert again == group and again.metadata == {"seed": 3, "x": [1, 2]}
    payload = json.loads((tmp_path / "group.json").read_text())
    assert payload["format"] == "symrepro.group/1" and payload["dim"] == 2
    assert np.array_equal(payload["lie_algebra"], group.lie_algebra)


@pytest.mark.parametrize("edit, message", [
    (lambda p: p.pop("lie_algebra"), "lie_algebra"),
    (lambda p: p.update(format="other/1"), "format"),
    (lambda p: p.update(dim=3), "3×3"),
    (lambda p: p.update(lie_algebra=[[[1.0, "a"], [0.0, 1.0]]]), "lie_algebra"),
    (lambda p: p.update(discrete_generators=[[[0.0, 0.0], [0.0, 0.0]]]), "singular"),
])
def test_bad_group_files_name_the_problem(tmp_path, edit, message):
    path = tmp_path / "group.json"
    MatrixGroup("g", J[None], np.zeros((0, 2, 2)), "R^2").write(path)
    payload = json.loads(path.read_text())
    edit(payload)
    path.write_text(json.dumps(payload))
    with pytest.raises(InputError, match=message):
        MatrixGroup.read(path)
    with pytest.raises(InputError, match="does not exist"):
        MatrixGroup.read(tmp_path / "missing.json")


def test_the_perm_experiments_s10_is_the_same_type_and_round_trips(tmp_path):
    s10 = make_group("node_permutations", 10).as_matrix_group()
    assert isinstance(s10, MatrixGroup) and s10.dim == 100 and len(s10.lie_algebra) == 0
    assert len(s10.discrete_generators) == 2
    for g in s10.discrete_generators:  # permutation matrices
        assert set(np.unique(g)) == {0.0, 1.0} and (g.sum(0) == 1).all() and (g.sum(1) == 1).all()
    s10.write(tmp_path / "s10.json")
    assert MatrixGroup.read(tmp_path / "s10.json") == s10


@pytest.mark.parametrize("name, size", [("node_permutations", 3), ("rotation_c4", 3), ("shift_xy", 3)])
def test_general_projector_equals_the_orbit_average_fast_path(name, size):
    group = make_group(name, size)
    general = equivariant_projector(group.as_matrix_group())
    n = group.degree
    a = torch.randn(1, 1, n, n, dtype=torch.float64)
    fast = EquivariantProjection(group)(a)
    np.testing.assert_allclose(general @ a.reshape(-1).numpy(), fast.reshape(-1).numpy(), atol=1e-10)
    invariant = equivariant_projector(group.as_matrix_group(), invariant=True)
    v = torch.randn(1, 1, 1, n, dtype=torch.float64)
    np.testing.assert_allclose(invariant @ v.reshape(-1).numpy(), EquivariantProjection(group)(v).reshape(-1).numpy(),
                               atol=1e-10)


def test_general_projector_of_a_lie_group_gives_commuting_maps():
    so2 = reference_group("SO(2)")
    p = equivariant_projector(so2)
    assert np.linalg.matrix_rank(p) == 2  # a I + b J
    a = (p @ np.random.default_rng(0).normal(size=4)).reshape(2, 2)
    assert np.allclose(a @ J, J @ a)


def test_comparison_works_in_any_dimension():
    lorentz = reference_group("SO+(1,3)")
    rng = np.random.default_rng(0)
    mixed = np.einsum("ij,jkl->ikl", rng.normal(size=(6, 6)), lorentz_generators())  # another basis, same span
    found = MatrixGroup("found", mixed, np.zeros((0, 4, 4)), "R^4")
    report = found.compare(lorentz)
    assert report["discovered_rank"] == report["reference_rank"] == 6
    assert max(report["reference_in_discovered"]) < 1e-10 and max(report["principal_angles"]) < 1e-5
    rotations_only = MatrixGroup("rot", lorentz_generators()[:3], np.zeros((0, 4, 4)), "R^4")
    report = rotations_only.compare(lorentz)
    assert np.allclose(report["reference_in_discovered"], [0, 0, 0, 1, 1, 1], atol=1e-12)  # boosts missing
    assert max(report["discovered_in_reference"]) < 1e-12
    assert all(lorentz_residual(g) < 1e-12 for g in lorentz_generators())
    assert lorentz_residual(np.eye(4)) < 1e-12  # scaling is conformal
    assert lorentz_residual(np.diag([1.0, 0, 0, 0])) > 0.5
    for g in lorentz_generators():
        assert np.allclose(scipy.linalg.expm(0.3 * g).T @ ETA @ scipy.linalg.expm(0.3 * g), ETA)


def test_sampling_reaches_every_component():
    o2 = reference_group("O(2)")
    g = o2.sample(2000, torch.Generator().manual_seed(0)).numpy()
    dets = np.linalg.det(g)
    assert np.allclose(np.abs(dets), 1) and 0.3 < (dets < 0).mean() < 0.7
    assert np.allclose(np.einsum("nji,njk->nik", g, g), np.eye(2), atol=1e-9)  # orthogonal
    assert all(o2.in_identity_component(m) for m in g[dets > 0][:20])
    assert not any(o2.in_identity_component(m) for m in g[dets < 0][:20])
