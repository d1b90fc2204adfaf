"""The three training regimes and the per-epoch CSV interface."""

import math

import pandas as pd
import pytest
import torch

from symrepro.cli import main
from symrepro.eqaug.architecture import Architecture
from symrepro.eqaug.starting_point import equivariant_start
from symrepro.eqaug.task import load_task
from symrepro.eqaug.training import REGIMES, Settings, Trainer
from symrepro.symmetry import make_group



def _train_cli(tmp_path, graph_file, small_model, regime, name, extra=()):

    init = tmp_path / "init.pt"
    if not init.exists():
        assert main(["eqaug", "init", *small_model, "--seed", "5", "--out", str(init)]) == 0
    out = tmp_path / f"{name}.csv"
    args = ["eqaug", "train", *small_model, "--experiment", "perm", "--task", "graphs", "--data", str(graph_file),
            "--init", str(init), "--regime", regime, "--seed", "5", "--epochs", "6", "--lr", "0.05",
            "--augment-passes", "3", "--chunk-size", "100", "--device", "cpu", "--threads", "1",
            "--out", str(out), *extra]
    assert main(args) == 0
    return pd.read_csv(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, graph_file, small_model):
    tmp = tmp_path_factory.mktemp("runs")
    return {r: _train_cli(tmp, graph_file, small_model, r, r) for r in REGIMES} | {"tmp": tmp}


def test_csv_interface(runs):
    frame = runs["nominal"]
    assert list(frame.columns) == ["experiment", "seed", "regime", "epoch", "layer", "loss", "dist_from_init",
                                   "dist_from_E"]
    assert len(frame) == 7 * 2  # epochs 0..6, two constrained layers (equivariant + invariant)
    assert set(frame.layer) == {0, 1} and (frame.seed == 5).all() and (frame.regime == "nominal").all()


def test_all_regimes_start_from_identical_weights(runs):
    first = [runs[r][runs[r].epoch == 0].drop(columns="regime").reset_index(drop=True) for r in REGIMES]
    for other in first[1:]:
        pd.testing.assert_frame_equal(first[0], other, check_dtype=False)
    assert (first[0].dist_from_init == 0).all() and (first[0].dist_from_E < 1e-6).all()


def test_equivariant_regime_stays_in_E_and_the_others_leave(runs, graph_file):
    state = torch.load(runs["tmp"] / "init.pt")
    norms = {k: float(state[f"layers.{k}"].norm()) for k in (0, 1)}
    eq = runs["equivariant"]
    assert (eq.dist_from_init.iloc[-2:] > 0).all()  # it did move
    for _, row in eq.iterrows():
        assert row.dist_from_E <= 1e-6 * norms[row.layer]
    final = {r: runs[r][runs[r].epoch == 6].dist_from_E.pow(2).sum() ** 0.5 for r in REGIMES}
    assert final["nominal"] > final["augmented"] > 1e-6 * sum(norms.values())


def test_same_seed_gives_identical_csv(runs, graph_file, small_model):
    again = _train_cli(runs["tmp"], graph_file, small_model, "augmented", "augmented_again")
    pd.testing.assert_frame_equal(again, runs["augmented"], check_exact=True)


@pytest.mark.parametrize("regime, per", [("nominal", "sample"), ("equivariant", "sample"), ("augmented", "sample"),
                                         ("augmented", "batch")])
def test_chunk_size_is_only_a_memory_knob_in_every_regime(graph_file, regime, per):
    group = make_group("node_permutations", 10)
    arch = Architecture(degree=100, channels=(1, 6), invariant_width=8, head=(4, 1))
    task = load_task("graphs", graph_file)  # 120 graphs: chunks of 60 split a pass, 240 hold two passes
    start = equivariant_start(arch, group, seed=2)
    runs = []
    for chunk in (7, 60, 120, 240, 1000):
        settings = Settings(epochs=3, lr=0.05, augment_passes=3, augment_per=per, batch_size=25, chunk_size=chunk)
        trainer = Trainer(arch, task, group, settings, torch.device("cpu"))
        runs.append(pd.DataFrame(trainer.run(start, regime, seed=2)))
    assert runs[0].dist_from_init.iloc[-1] > 0
    for other in runs[1:]:
        pd.testing.assert_frame_equal(runs[0], other, rtol=1e-5)


def test_augmentation_granularity(graph_file):
    group = make_group("node_permutations", 10)
    arch = Architecture(degree=100, channels=(1, 2), invariant_width=2, head=(1,))
    task = load_task("graphs", graph_file)  # 120 samples
    for per, distinct in (("batch", 2 * 5), ("sample", 2 * 120)):
        settings = Settings(epochs=1, lr=0.1, augment_passes=2, augment_per=per, batch_size=25, chunk_size=1000)
        perms = Trainer(arch, task, group, settings, torch.device("cpu")).draw_elements(2, torch.Generator().manual_seed(0))
        assert perms.shape == (240, 100)
        assert len({tuple(p.tolist()) for p in perms}) == distinct
        if per == "batch":  # one element per minibatch of 25 (the last of a pass has 20)
            assert all(torch.equal(perms[i], perms[25 * (i // 25) if i < 120 else 120 + 25 * ((i - 120) // 25)])
                       for i in range(240))


def test_invalid_training_settings_name_the_key():
    from symrepro.errors import InputError

    with pytest.raises(InputError, match="train.lr"):
        Settings(epochs=1, lr=-1.0)
    with pytest.raises(InputError, match="train.augment_passes"):
        Settings(epochs=1, lr=1.0, augment_passes=0)


def test_rot_last_layer_starts_at_one_over_n_sqrt_fan_in_not_the_references_reused_loop_index():
    arch = Architecture(degree=196, channels=(1, 32, 32, 16, 2), init_fan="in")
    state = arch.initial_state(torch.Generator().manual_seed(0))
    last = state["layers.3"]  # (2, 16, 196, 196)
    assert abs(float(last.std()) * 14 * math.sqrt(16) - 1) < 0.01  # ours: 1/(14·√16)
    assert abs(float(last.std()) * 14 * math.sqrt(32) - 1) > 0.3  # the reference's 1/(14·√32) differs
