"""The toptag experiment module: contract, predictor, metrics and summary columns."""

import numpy as np
import pytest
import torch

from symrepro import experiments
from symrepro.datasets import toptag as data
from symrepro.errors import InputError
from symrepro.experiments import GLOBAL
from symrepro.experiments.toptag import SPEC, JetMLP, evaluate, roc_auc, summary_extras
from symrepro.symmetry import MatrixGroup
from symrepro.symmetry.lie import PARITY, lorentz_generators, reference_group


def test_registered_and_fills_the_contract(tmp_path):
    assert experiments.get("toptag") is SPEC
    assert SPEC.dim == 4 and SPEC.view() is GLOBAL and SPEC.logits and SPEC.class_dim == -1
    assert SPEC.reference().name == "O+(1,3)xR+"
    momenta, labels = data.generate(40, seed=0)
    from symrepro.datasets.hdf5 import write_arrays

    write_arrays(tmp_path / "jets.h5", {"momenta": momenta, "labels": labels})
    x, y = SPEC.load(tmp_path / "jets.h5")
    assert x.shape == (40, 30, 4) and x.dtype == torch.float32 and y.dtype == torch.int64
    model = SPEC.predictor(GLOBAL)
    widths = [m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert widths == [512, 512, 2] and model.net[0].in_features == 120
    logits = model(x)
    assert logits.shape == (40, 2)
    assert SPEC.task_loss(logits, y).shape == (40,)
    probabilities = torch.softmax(logits, -1)
    assert SPEC.equivariance_loss(logits, probabilities).shape == (40,)
    assert SPEC.predictor(GLOBAL, hidden=16, layers=1)(x).shape == (40, 2)
    with pytest.raises(InputError, match="unknown toptag predictor option"):
        SPEC.predictor(GLOBAL, width=3)


def test_input_scale_commutes_with_the_group_action():
    torch.manual_seed(0)
    a, b = JetMLP(hidden=8, scale=1.0), JetMLP(hidden=8, scale=100.0)
    b.load_state_dict(a.state_dict() | {"scale": torch.tensor(100.0)})
    x = torch.randn(5, 30, 4)
    g = torch.linalg.matrix_exp(torch.randn(4, 4) * 0.3)
    gx = torch.einsum("ij,bnj->bni", g, x)
    # Φ_s(x) = Φ_1(x / s): the scaled predictor on g·x equals the unscaled one on g·(x / s)
    torch.testing.assert_close(b(100.0 * gx), a(torch.einsum("ij,bnj->bni", g, x)))


def test_roc_auc_from_ranks_with_ties():
    assert roc_auc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1]) == pytest.approx(0.75)  # sklearn's example
    assert roc_auc([1, 1, 1, 1], [0, 1, 0, 1]) == pytest.approx(0.5)
    assert roc_auc([3, 2, 1], [1, 0, 0]) == 1.0 and roc_auc([3, 2, 1], [0, 1, 1]) == 0.0
    rng = np.random.default_rng(0)
    s, y = rng.normal(size=300), rng.integers(0, 2, 300)
    pairs = (s[y == 1][:, None] > s[y == 0][None, :]).mean()  # the definition, brute force
    assert roc_auc(s, y) == pytest.approx(pairs)
    with pytest.raises(InputError, match="both classes"):
        roc_auc([1, 2], [1, 1])


def test_evaluate_is_per_jet_not_per_batch():
    class Fixed(torch.nn.Module):  # predicts "top" iff E of the first constituent > 0.5
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x):
            z = x[:, 0, 0] - 0.5 + 0 * self.w
            return torch.stack([torch.zeros_like(z), z], -1)

    x = torch.zeros(10, 30, 4)
    x[:7, 0, 0] = 1.0
    y = torch.tensor([1] * 6 + [0] * 4)
    metrics = evaluate(Fixed(), GLOBAL, x, y, batch_size=3)  # 4 batches: a per-batch mean would differ
    assert metrics["accuracy"] == pytest.approx(9 / 10) and metrics["jets"] == 10
    assert metrics["auc"] == pytest.approx(roc_auc(x[:, 0, 0].numpy(), y.numpy()))


def test_summary_extras_of_the_reference_and_of_a_wrong_group():
    extras = summary_extras(reference_group("O+(1,3)xR+"))
    assert extras["max_lorentz_residual"] < 1e-12 and extras["max_so13_span_residual"] < 1e-12
    assert extras["span_residual_identity"] < 1e-12
    assert extras["coset0_det"] == pytest.approx(-1.0) and extras["coset0_C00_sign"] == 1
    assert extras["parity_cosets"] == 1 and extras["time_reversing_cosets"] == 0
    rotations = MatrixGroup("so3", lorentz_generators()[:3], np.stack([-np.eye(4), PARITY]))
    extras = summary_extras(rotations)
    assert all(extras[f"span_residual_K{a}"] == pytest.approx(1.0) for a in "xyz")
    assert extras["span_residual_Jx"] < 1e-12 and extras["time_reversing_cosets"] == 1
    shear = np.zeros((4, 4))
    shear[0, 1] = 1.0  # E += px: not conformally Lorentz
    assert summary_extras(MatrixGroup("s", shear[None], np.zeros((0, 4, 4))))["lorentz_residual_L0"] > 0.5
