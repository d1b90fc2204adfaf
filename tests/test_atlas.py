"""Local symmetry discovery (AtlasD): charts, simulator, discovery, cosets, CLI chain."""

import json
import time

import numpy as np
import pandas as pd
import pytest
import scipy.linalg
import torch

from symrepro.atlas.charts import Atlas, crop, transform
from symrepro.atlas.cosets import in_identity_component, select
from symrepro.atlas.discovery import CosetCandidates, Discovery, GlobalGeometry, LocalGeometry, Settings
from symrepro.atlas.lie_algebra import LieAlgebraBasis, cosine_to
from symrepro.atlas.pde import SO2, ExactHeat, atlas
from symrepro.cli import main
from symrepro.datasets import heat

J = SO2.numpy()


# ---------------------------------------------------------------- simulator
def test_constant_field_stays_constant_and_obstacle_is_held():
    mask = heat.obstacle()
    const = torch.full((2, 128, 128), heat.HOLD)
    torch.testing.assert_close(heat.simulate(const, mask), const)
    torch.testing.assert_close(heat.simulate(torch.full((3, 20, 20), 0.7), pad_mode="replicate"),
                               torch.full((3, 20, 20), 0.7))
    x = heat.initial_fields(2, torch.Generator().manual_seed(0))
    out = heat.simulate(x, mask)
    assert torch.all(out[:, mask] == heat.HOLD)
    assert not torch.allclose(out[:, ~mask], x[:, ~mask])  # it did diffuse elsewhere


def test_heat_data_are_reproducible_from_the_seed(tmp_path):
    a, b = heat.generate(6, seed=3), heat.generate(6, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], heat.generate(6, seed=4)[0])
    out = tmp_path / "pde.h5"
    assert main(["data", "heat", "--n-samples", "4", "--out", str(out)]) == 0
    initial, final = heat.load(out)
    assert initial.shape == final.shape == (4, 128, 128)


# ------------------------------------------------------------------- charts
def test_extract_matches_slicing_and_transform_rotates_patches():
    field = torch.randn(2, 3, 40, 50)
    chart_atlas = Atlas(((0.5, 0.5), (0.25, 0.7)), in_radius=5, out_radius=3)
    patches = chart_atlas.extract(field)
    assert patches.shape == (2, 2, 3, 11, 11)
    torch.testing.assert_close(patches[:, 1], field[:, :, 10 - 5:10 + 6, 35 - 5:35 + 6])
    identity = torch.eye(2).expand(2, 2, 2, 2)
    torch.testing.assert_close(transform(patches, identity), patches)
    quarter = torch.tensor([[0.0, -1.0], [1.0, 0.0]]).expand(2, 2, 2, 2)
    turned = transform(patches, quarter, mode="nearest")
    # sampling at g p, p = (x, y) = (col, row), g = J: out[y, x] = in[x, -y] (centred), i.e. rot90
    torch.testing.assert_close(turned, torch.rot90(patches, k=1, dims=(-2, -1)))
    assert crop(patches, 3).shape[-2:] == (7, 7)
    with pytest.raises(Exception, match="leaves"):
        Atlas(((0.01, 0.5),), 5, 3).extract(field)


# -------------------------------------------------------- identity component
def test_identity_component_test_is_closed_form_and_fast():
    rng = np.random.default_rng(0)
    so2_and_scaling = np.stack([J, np.eye(2)])
    for _ in range(20):
        w = rng.normal(size=2)
        assert in_identity_component(scipy.linalg.expm(w[0] * J + w[1] * np.eye(2)), so2_and_scaling)
        assert in_identity_component(scipy.linalg.expm(rng.normal() * 2 * J), J[None])
    reflection = np.array([[1.0, 0.0], [0.0, -1.0]])
    assert not in_identity_component(reflection, J[None])  # det < 0
    assert not in_identity_component(reflection @ scipy.linalg.expm(0.7 * J), J[None])
    assert not in_identity_component(np.diag([2.0, 0.5]), J[None])  # det > 0 but not a rotation
    matrices = [scipy.linalg.expm(rng.normal() * J) for _ in range(300)]
    t0 = time.perf_counter()
    for m in matrices:
        in_identity_component(m, J[None])
    assert (time.perf_counter() - t0) / len(matrices) < 1e-3  # <= 1 ms per check


def test_select_keeps_one_representative_per_coset():
    rotations = [scipy.linalg.expm(a * J) for a in (0.1, 1.0, 2.5)]
    flip = np.diag([1.0, -1.0])
    candidates = np.stack([*rotations, flip, flip @ rotations[1]])
    kept = select(candidates, np.array([0.1, 0.2, 0.3, 0.15, 0.4]), keep=5, algebra=J[None])
    assert [k["reflection"] for k in kept] == [False, True]
    assert kept[0]["loss"] == 0.1 and abs(kept[0]["angle"] - np.degrees(0.1)) < 1e-6


# ----------------------------------------------------------------- discovery
def _exact_discovery(alpha_x, alpha_y):
    initial, _ = heat.generate(32, seed=0, alpha_x=alpha_x, alpha_y=alpha_y)
    chart_atlas = Atlas(atlas(1).centres[:4], in_radius=16, out_radius=4)
    generator = torch.Generator().manual_seed(0)
    basis = LieAlgebraBasis(1, 2, generator)
    trainer = Discovery(LocalGeometry(chart_atlas), ExactHeat(alpha_x, alpha_y),
                        Settings(epochs=50, batch_size=8, lr_basis=0.01, r3=0.1), torch.device("cpu"))
    history = trainer.discover_algebra(basis, torch.from_numpy(initial)[:, None], None, generator)
    return basis.basis.detach()[0], history


def test_exact_simulator_discovery_finds_so2():
    generator, history = _exact_discovery(1.0, 1.0)
    assert cosine_to(generator, SO2) >= 0.9, generator
    assert len(history) == 50 and all(np.isfinite(h["basis_loss"]) for h in history)


def test_anisotropic_heat_equation_gives_the_conjugated_rotation():
    alpha_x, alpha_y = 1.0, 1.0 / 9.0  # alpha_x / alpha_y = 9 (alpha_x = 9 would be unstable for dt = 0.01)
    generator, _ = _exact_discovery(alpha_x, alpha_y)
    s = torch.diag(torch.tensor([alpha_x, alpha_y]).sqrt())
    conjugated = s @ SO2 @ torch.linalg.inv(s)
    assert cosine_to(generator, conjugated) >= 0.9, generator
    assert cosine_to(generator, SO2) <= 0.85, generator


def test_exact_simulator_cosets_are_identity_and_a_reflection():
    initial, _ = heat.generate(12, seed=0)
    chart_atlas = Atlas(atlas(1).centres[:4], in_radius=16, out_radius=4)
    generator = torch.Generator().manual_seed(0)
    candidates = CosetCandidates(16, 2, generator)
    trainer = Discovery(LocalGeometry(chart_atlas), ExactHeat(), Settings(epochs=25, batch_size=4, lr_basis=0.03),
                        torch.device("cpu"))
    history = trainer.discover_cosets(candidates, torch.from_numpy(initial)[:, None], generator)
    kept = select(candidates.normalized().detach().numpy(), np.array(history[-1]["losses"]), 8, J[None])
    assert sorted(k["reflection"] for k in kept) == [False, True]


def test_global_discovery_of_an_invariant_function_finds_so2():
    x = torch.randn(256, 1, 2, generator=torch.Generator().manual_seed(1))

    def radius(v):  # invariant under rotations only
        return (v ** 2).sum(-1)

    generator = torch.Generator().manual_seed(0)
    basis = LieAlgebraBasis(1, 2, generator)
    trainer = Discovery(GlobalGeometry(), radius, Settings(epochs=30, batch_size=32, lr_basis=0.02, r3=0.1),
                        torch.device("cpu"))
    trainer.discover_algebra(basis, x, None, generator)
    assert cosine_to(basis.basis.detach()[0], SO2) >= 0.9


# ------------------------------------------------------------------- the chain
def test_cli_chain_writes_every_output_reproducibly(tmp_path):
    data, pred = tmp_path / "pde.h5", tmp_path / "predictor.pt"
    assert main(["data", "heat", "--n-samples", "8", "--out", str(data)]) == 0
    common = ["--data", str(data), "--atlas", "2", "--batch-size", "4", "--device", "cpu", "--threads", "1"]
    assert main(["atlas", "train-predictor", *common, "--epochs", "1", "--out", str(pred)]) == 0
    for name in ("a.json", "b.json"):
        assert main(["atlas", "discover-algebra", *common, "--predictor", str(pred), "--epochs", "2",
                     "--out", str(tmp_path / name)]) == 0
    a, b = (json.loads((tmp_path / n).read_text()) for n in ("a.json", "b.json"))
    assert a["basis"] == b["basis"] and len(a["history"]) == 2  # same seed, same numbers
    assert main(["atlas", "discover-cosets", *common, "--predictor", str(pred), "--algebra", str(tmp_path / "a.json"),
                 "--candidates", "4", "--keep", "2", "--epochs", "1", "--out", str(tmp_path / "cosets.json")]) == 0
    cosets = json.loads((tmp_path / "cosets.json").read_text())
    assert 1 <= len(cosets["kept"]) <= 2 and {"matrix", "loss", "determinant", "angle"} <= set(cosets["kept"][0])
    assert main(["atlas", "summarize", "--algebra", str(tmp_path / "a.json"), "--cosets", str(tmp_path / "cosets.json"),
                 "--out", str(tmp_path / "summary.csv")]) == 0
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert list(summary.columns[:5]) == ["experiment", "atlas", "seed", "generators", "cosine_so2"]
    assert main(["atlas", "plot", "--algebra", str(tmp_path / "a.json"), "--cosets", str(tmp_path / "cosets.json"),
                 "--out", str(tmp_path / "pde.pdf")]) == 0
    assert (tmp_path / "pde.pdf").read_bytes().startswith(b"%PDF")


def test_cosets_refuse_a_malformed_algebra(tmp_path, capsys):
    bad = tmp_path / "algebra.json"
    bad.write_text(json.dumps({"basis": [[1.0, 2.0, 3.0]]}))
    code = main(["atlas", "discover-cosets", "--data", str(tmp_path / "x.h5"), "--atlas", "1", "--predictor", "p.pt",
                 "--algebra", str(bad), "--epochs", "1", "--out", str(tmp_path / "c.json")])
    assert code == 2 and "2×2" in capsys.readouterr().err
