"""Lie-algebra basis: regularisers, sampling, field representations."""

import math

import torch

from symrepro.discovery.lie_algebra import FieldRepresentation, LieAlgebraBasis, normalized
from symrepro.symmetry.compare import cosine


def test_regularization_matches_the_formula():
    basis = LieAlgebraBasis(2, 2)
    with torch.no_grad():
        basis.basis.copy_(torch.tensor([[[0.0, -2.0], [2.0, 0.0]], [[1.0, 1.0], [0.0, 0.5]]]))
    r1, r2, r3 = 0.05, 1.0, 0.35
    unit = normalized(basis.basis.detach())
    assert torch.allclose((unit ** 2).sum((1, 2)), torch.tensor([2.0, 2.0]))  # ‖L̂‖² = d
    overlap = abs(float((unit[0] * unit[1]).sum()))
    clamped = [math.sqrt(1 + 1), math.sqrt(1 + 1 + 0.25)]  # entries clamped to ±1
    expected = r1 * overlap - r3 * sum(clamped) / 2
    assert abs(float(basis.regularization(r1, r2, r3).detach()) - expected) < 1e-6
    single = LieAlgebraBasis(1, 2)
    with torch.no_grad():
        single.basis.fill_(0.5)
    assert abs(float(single.regularization(r1, r2, r3).detach()) + r3 * 1.0) < 1e-6  # no overlap term


def test_sampling_is_reproducible_and_exponentiates_the_combination():
    basis = LieAlgebraBasis(1, 2, torch.Generator().manual_seed(0), init_std=1.0)
    a = basis.sample((4, 3), torch.Generator().manual_seed(1))
    b = basis.sample((4, 3), torch.Generator().manual_seed(1))
    assert a.g.shape == (4, 3, 2, 2) and a.rho_in is None and a.rho_out is None
    torch.testing.assert_close(a.g, b.g)
    coeffs = torch.randn(4, 3, 1, generator=torch.Generator().manual_seed(1))
    torch.testing.assert_close(a.g, torch.linalg.matrix_exp(coeffs[..., None] * basis.basis.detach()))
    # det expm(X) = exp(tr X)
    trace = float(basis.basis.detach()[0].trace())
    torch.testing.assert_close(torch.linalg.det(a.g), torch.exp(coeffs[..., 0] * trace))


def test_learned_field_representations_share_the_coefficients():
    rep = FieldRepresentation(3, generators=2, learned=True, generator=torch.Generator().manual_seed(0),
                              init_std=0.5)
    basis = LieAlgebraBasis(2, 2, torch.Generator().manual_seed(0), rep_in=rep)
    sample = basis.sample((5,), torch.Generator().manual_seed(2))
    coeffs = torch.randn(5, 2, generator=torch.Generator().manual_seed(2))
    assert sample.rho_in.shape == (5, 3, 3) and sample.rho_out is None
    torch.testing.assert_close(sample.rho_in, torch.linalg.matrix_exp(torch.einsum("bk,kij->bij", coeffs,
                                                                                   rep.basis.detach())))
    eye = FieldRepresentation.identity(2).matrices(coeffs)
    assert eye.shape == (5, 2, 2) and torch.equal(eye[3], torch.eye(2))


def test_cosine():
    j = [[0, -1], [1, 0]]
    assert abs(cosine([[0, 3], [-3, 0]], j) - 1) < 1e-12
    assert abs(cosine([[1, 0], [0, 1]], j)) < 1e-12
    assert abs(cosine([[0, -3], [1 / 3, 0]], j) - (10 / 3) / (math.sqrt(9 + 1 / 9) * math.sqrt(2))) < 1e-12
