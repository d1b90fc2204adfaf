"""Discovery with the exact simulator as the predictor (no training): it must find
so(2), the conjugated rotation of an anisotropic equation, and the cosets
{identity, reflection}. Small N, three charts and a large basis learning rate keep
each test within seconds; the charts keep a 20-pixel margin (about two diffusion
lengths) around the window where equivariance is measured."""

import numpy as np
import torch

from symrepro.discovery.charts import Atlas
from symrepro.discovery.cosets import CosetCandidates, select_representatives
from symrepro.discovery.lie_algebra import LieAlgebraBasis
from symrepro.experiments.pde import ExactHeatPredictor, atlas, conjugated_rotation
from symrepro.symmetry.compare import cosine
from symrepro.symmetry.lie import J as SO2
from symrepro.discovery.trainers import GlobalTrainer, LocalTrainer, Settings
from symrepro.datasets import heat


def _discover_generator(alpha_x: float, alpha_y: float) -> tuple[np.ndarray, list[dict]]:
    initial, _ = heat.generate(32, seed=0, alpha_x=alpha_x, alpha_y=alpha_y)
    charts = Atlas(atlas(2).centres, in_radius=24, out_radius=4)
    generator = torch.Generator().manual_seed(0)
    basis = LieAlgebraBasis(1, 2, generator)
    trainer = LocalTrainer(charts, ExactHeatPredictor(alpha_x, alpha_y), Settings(batch_size=8, lr_basis=0.01, r3=0.1),
                           torch.device("cpu"))
    history = trainer.discover_algebra(basis, torch.from_numpy(initial)[:, None], 40, generator)
    return basis.basis.detach().numpy()[0], history


def test_exact_simulator_discovers_so2():
    generator, history = _discover_generator(1.0, 1.0)
    assert cosine(generator, SO2) >= 0.9, generator
    assert np.linalg.norm(generator) > 0.5  # not collapsed to zero
    assert len(history) == 40 and all(np.isfinite(h["basis_loss"]) and "predictor_loss" not in h for h in history)


def test_anisotropic_equation_gives_the_conjugated_rotation():
    alpha_x, alpha_y = 1.0, 1.0 / 9.0  # α_x / α_y = 9 (α_x = 9 itself is unstable at dt = 0.01)
    target = conjugated_rotation(alpha_x, alpha_y)  # [[0, -3], [1/3, 0]]
    assert cosine(target, SO2) < 0.8  # the two hypotheses are distinguishable
    generator, _ = _discover_generator(alpha_x, alpha_y)
    assert cosine(generator, target) >= 0.9, generator
    assert cosine(generator, SO2) <= 0.85, generator


def test_exact_simulator_cosets_are_identity_and_a_reflection():
    initial, _ = heat.generate(8, seed=0)
    charts = Atlas(atlas(2).centres, in_radius=20, out_radius=3)
    generator = torch.Generator().manual_seed(0)
    candidates = CosetCandidates(16, 2, generator)
    trainer = LocalTrainer(charts, ExactHeatPredictor(), Settings(batch_size=4, lr_cosets=0.05, candidate_chunk=16),
                           torch.device("cpu"))
    history = trainer.discover_cosets(candidates, torch.from_numpy(initial)[:, None], 30, generator)
    assert len(history) == 30 and len(history[-1]["losses"]) == 16
    kept, considered = select_representatives(candidates.matrices().detach().numpy(), np.array(history[-1]["losses"]),
                                              8, SO2[None])
    assert len(considered) == 8
    assert sorted(k["determinant"] > 0 for k in kept) == [False, True], kept


def test_global_discovery_of_a_rotation_invariant_function():
    x = torch.randn(256, 3, 2, generator=torch.Generator().manual_seed(1))

    def squared_radii(v):  # invariant under rotations of the plane only
        return (v ** 2).sum(-1)

    generator = torch.Generator().manual_seed(0)
    basis = LieAlgebraBasis(1, 2, generator)
    trainer = GlobalTrainer(squared_radii, Settings(batch_size=32, lr_basis=0.02, r3=0.1), torch.device("cpu"))
    trainer.discover_algebra(basis, x, 30, generator)
    assert cosine(basis.basis.detach()[0], SO2) >= 0.9
