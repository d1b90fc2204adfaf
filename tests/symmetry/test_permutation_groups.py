"""Groups as data: orbits, projections and sampling derived from generators only."""

import collections

import numpy as np
import pytest
import torch

from symrepro.errors import InputError
from symrepro.symmetry import EquivariantProjection, PermutationGroup, make_group
from symrepro.eqaug.architecture import Architecture, forward, to_matrix
from symrepro.eqaug.starting_point import equivariant_start


@pytest.fixture(scope="module")
def s10():
    return make_group("node_permutations", 10)


def test_symmetric_group_on_adjacency_has_15_pair_orbits_and_2_index_orbits(s10):
    assert s10.order == 3628800
    assert s10.pair_orbits[1] == 15  # Maron et al. 2019
    assert s10.index_orbits[1] == 2  # diagonal, off-diagonal
    labels = s10.index_orbits[0].reshape(10, 10)
    assert len(set(labels.diagonal())) == 1 and labels[0, 0] != labels[0, 1]


@pytest.mark.parametrize("name", ["node_permutations", "shift_x", "rotation_c4"])
def test_projection_is_idempotent_and_orthogonal(name):
    group = make_group(name, 10 if name == "node_permutations" else 6)
    project = EquivariantProjection(group)
    gen = torch.Generator().manual_seed(1)
    n = group.degree
    for shape in [(3, 2, n, n), (4, 3, 1, n)]:
        a = torch.randn(*shape, generator=gen, dtype=torch.float64)
        b = torch.randn(*shape, generator=gen, dtype=torch.float64)
        pa = project(a)
        torch.testing.assert_close(project(pa), pa)  # idempotent
        # orthogonal: <P a, b> = <a, P b> and the residual is orthogonal to the range
        assert torch.isclose((pa * b).sum(), (a * project(b)).sum())
        assert abs(float(((a - pa) * project(b)).sum())) < 1e-10
        assert project.distance(pa) < 1e-12
        assert project.distance(a) > 0.1


@pytest.mark.parametrize("name", ["node_permutations", "shift_xy", "roto_translation"])
def test_projected_layer_commutes_with_every_generator(name):
    group = make_group(name, 10 if name == "node_permutations" else 5)
    n = group.degree
    a = EquivariantProjection(group)(torch.randn(2, 2, n, n, dtype=torch.float64))
    for g in group.generators:
        rho = torch.eye(n, dtype=torch.float64)[torch.as_tensor(g)]  # (rho x)_p = x_{g(p)}
        torch.testing.assert_close(a @ rho, rho @ a)


def test_network_of_projected_layers_is_invariant(s10):
    arch = Architecture(degree=100, channels=(1, 6, 4), invariant_width=5, head=(3, 1))
    state = equivariant_start(arch, s10, seed=3)
    mats = [to_matrix(state[f"layers.{k}"]) for k in range(3)]
    head = [state[f"head.{k}"] for k in range(2)]
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(16, 100, generator=gen)
    perms = s10.sample(16, gen)
    out, out_g = forward(arch, x, mats, head), forward(arch, torch.gather(x, 1, perms), mats, head)
    torch.testing.assert_close(out_g, out, rtol=1e-4, atol=1e-5)
    # a non-projected network is not invariant: the check can fail
    raw = arch.initial_state(torch.Generator().manual_seed(3))
    raw_mats = [to_matrix(raw[f"layers.{k}"]) for k in range(3)]
    assert not torch.allclose(forward(arch, x, raw_mats, head), forward(arch, torch.gather(x, 1, perms), raw_mats, head),
                              rtol=1e-4, atol=1e-5)


def test_samples_are_group_elements_and_uniform():
    s4 = make_group("node_permutations", 4)
    draws = s4.sample(24_000, torch.Generator().manual_seed(0))
    counts = collections.Counter(tuple(d.tolist()) for d in draws)
    assert len(counts) == 24 and all(s4.contains(k) for k in counts)
    expected = 1000.0
    chi2 = sum((c - expected) ** 2 / expected for c in counts.values())
    assert chi2 < 49.7  # 99.9 % quantile of chi-square with 23 degrees of freedom
    c4 = make_group("rotation_c4", 5)
    rotations = collections.Counter(tuple(d.tolist()) for d in c4.sample(4000, torch.Generator().manual_seed(1)))
    assert len(rotations) == c4.order == 4  # all four rotations, not just 0 and 180 degrees
    assert min(rotations.values()) > 850


def test_closed_form_orbit_counts_of_grid_groups():
    expected = {"shift_x": (2744, 14), "shift_xy": (196, 1), "rotation_c4": (9604, 49), "roto_translation": (51, 1)}
    for name, (pairs, singles) in expected.items():
        group = make_group(name, 14)
        assert (group.pair_orbits[1], group.index_orbits[1]) == (pairs, singles), name


def test_roto_translation_projection_is_rotation_after_translation_projection():
    n = 6
    p_rt = EquivariantProjection(make_group("roto_translation", n))
    p_r = EquivariantProjection(make_group("rotation_c4", n))
    p_t = EquivariantProjection(make_group("shift_xy", n))
    a = torch.randn(2, 1, n * n, n * n, dtype=torch.float64)
    torch.testing.assert_close(p_rt(a), p_r(p_t(a)))


def test_bad_generators_and_names_are_rejected():
    with pytest.raises(InputError, match="not a permutation"):
        PermutationGroup("broken", np.array([[0, 0, 1]]))
    with pytest.raises(InputError, match="unknown group 'dihedral'"):
        make_group("dihedral", 4)
