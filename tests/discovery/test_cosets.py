"""Closed-form identity-component test and the selection of coset representatives."""

import time

import numpy as np
import scipy.linalg
import torch

from symrepro.discovery.cosets import CosetCandidates, select_representatives
from symrepro.symmetry.membership import identity_component_test, in_identity_component, real_logm

J = np.array([[0.0, -1.0], [1.0, 0.0]])
FLIP = np.diag([1.0, -1.0])


def test_elements_built_from_the_basis_are_members():
    rng = np.random.default_rng(0)
    discovered = np.array([[[-0.027, -1.000], [1.016, 0.029]]])  # the reference's atlas-1 generator
    rotation_and_scaling = np.stack([J, np.eye(2)])
    lorentz_boost = np.zeros((1, 4, 4))
    lorentz_boost[0, 0, 1] = lorentz_boost[0, 1, 0] = 1.0
    for _ in range(50):
        w = rng.normal(size=2)
        assert in_identity_component(scipy.linalg.expm(w[0] * discovered[0]), discovered)
        assert in_identity_component(scipy.linalg.expm(w[0] * J + w[1] * np.eye(2)), rotation_and_scaling)
        assert in_identity_component(scipy.linalg.expm(rng.normal() * 2 * J), J[None])
        assert in_identity_component(scipy.linalg.expm(w[0] * lorentz_boost[0]), lorentz_boost)
    test = identity_component_test(scipy.linalg.expm(0.7 * J), J[None])
    assert test.member and test.mse < 1e-20 and test.log_residual < 1e-10 and abs(test.weights[0] - 0.7) < 1e-10


def test_reflections_and_other_non_members_are_rejected():
    rng = np.random.default_rng(1)
    for _ in range(50):
        rotation = scipy.linalg.expm(rng.normal() * 2 * J)
        assert not in_identity_component(FLIP @ rotation, J[None])  # det < 0, never a member
        assert not in_identity_component(rotation @ FLIP, np.stack([J, np.eye(2)]))
    assert not in_identity_component(FLIP, J[None], tolerance=1e9)  # whatever the tolerance
    assert not in_identity_component(np.diag([2.0, 0.5]), J[None])  # det > 0 but a stretch, not a rotation
    assert in_identity_component(np.diag([2.0, 0.5]), np.array([[[1.0, 0.0], [0.0, -1.0]]]))
    assert not in_identity_component(scipy.linalg.expm(0.5 * J), np.array([[[1.0, 0.0], [0.0, -1.0]]]))
    parity_time = -np.eye(4)  # det +1 but no real principal logarithm
    assert real_logm(parity_time) is None and not in_identity_component(parity_time, np.eye(4)[None])


def test_a_check_takes_at_most_a_millisecond():
    rng = np.random.default_rng(2)
    matrices = [scipy.linalg.expm(rng.normal() * J + 0.05 * rng.normal(size=(2, 2))) for _ in range(300)]
    matrices += [FLIP @ m for m in matrices[:100]]
    in_identity_component(matrices[0], J[None])  # warm-up
    t0 = time.perf_counter()
    for m in matrices:
        in_identity_component(m, J[None])
    per_check = (time.perf_counter() - t0) / len(matrices)
    assert per_check <= 1e-3, f"{per_check * 1e3:.3f} ms per check"


def test_selection_keeps_one_representative_per_coset_using_the_given_algebra():
    rotations = [scipy.linalg.expm(a * J) for a in (0.1, 1.0, 2.5)]
    candidates = np.stack([*rotations, FLIP, FLIP @ rotations[1], 3 * np.eye(2)])
    losses = np.array([0.1, 0.2, 0.3, 0.15, 0.4, 0.9])
    kept, considered = select_representatives(candidates, losses, keep=5, algebra=J[None])
    assert [k["index"] for k in kept] == [0, 3]
    assert [k["reflection"] for k in kept] == [False, True]
    assert kept[0]["loss"] == 0.1 and abs(kept[0]["angle"] - np.degrees(0.1)) < 1e-6
    assert abs(kept[1]["determinant"] + 1) < 1e-12
    assert [c["duplicate_of"] for c in considered] == [None, None, 0, 0, 3]  # loss order 0, 3, 1, 2, 4
    # the same candidates under a different algebra (scalings only): rotations are distinct cosets
    kept, _ = select_representatives(candidates, losses, keep=5, algebra=np.eye(2)[None])
    assert len(kept) == 5


def test_candidates_are_normalised_to_unit_determinant():
    candidates = CosetCandidates(16, 2, torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.linalg.det(candidates.matrices()).abs(), torch.ones(16))
    same = CosetCandidates(16, 2, torch.Generator().manual_seed(0))
    assert torch.equal(candidates.raw, same.raw)


def test_rotations_by_about_pi_are_members_even_without_a_principal_logarithm():
    # the cause of a third coset in an earlier quick run: two reflections whose product is a
    # slightly sheared rotation by ~176°, which has two real negative eigenvalues (no real log)
    near_pi = scipy.linalg.expm(np.radians(176) * J) @ np.diag([1.1, 1 / 1.1])
    assert (np.linalg.eigvals(near_pi).real < 0).all() and real_logm(near_pi) is None
    assert in_identity_component(near_pi, J[None]) and in_identity_component(-np.eye(2), J[None])
    assert not in_identity_component(np.diag([2.0, 0.5]), J[None])  # still: a stretch is no rotation
    reflection_a = FLIP @ np.diag([1.09, 1 / 1.09])
    reflection_b = scipy.linalg.expm(np.radians(176) * J) @ FLIP @ np.diag([1.13, 1 / 1.13])
    kept, _ = select_representatives(np.stack([np.eye(2), reflection_a, reflection_b]), np.array([0.1, 0.2, 0.3]),
                                     keep=3, algebra=J[None])
    assert len(kept) == 2 and [k["reflection"] for k in kept] == [False, True]
