"""The downstream sphere CNN: parameter counts, kernel constraint derived from a group, equivariance."""

import json

import numpy as np
import pytest
import torch

from symrepro.datasets import mnist_sphere as ms
from symrepro.datasets.hdf5 import write_arrays
from symrepro.downstream.mnist_sphere import SphereCNN, c4_orbits, kernel_symmetry
from symrepro.errors import InputError
from symrepro.symmetry import MatrixGroup
from symrepro.symmetry.lie import J, reference_group


def test_paper_parameter_counts():
    assert c4_orbits(5) == 7 and c4_orbits(3) == 3
    plain, tied = SphereCNN("plain"), SphereCNN("c4")
    assert plain.parameters_count() == 435_281 == plain.effective_parameters()
    assert tied.parameters_count() == 435_281
    assert tied.effective_parameters() == 122_801


def test_kernel_symmetry_from_group():
    assert kernel_symmetry(None) == "plain"
    assert kernel_symmetry(reference_group("SO(2)")) == "c4"
    noisy = MatrixGroup("found", [-0.8 * J + 0.05 * np.eye(2)], np.zeros((0, 2, 2)))  # transpose convention, noise
    assert kernel_symmetry(noisy) == "c4"
    scaling = MatrixGroup("scaling", [np.eye(2)], np.zeros((0, 2, 2)))
    assert kernel_symmetry(scaling) == "plain"
    shear = MatrixGroup("shear", [[[0.0, 1.0], [0.0, 0.0]]], np.zeros((0, 2, 2)))
    assert kernel_symmetry(shear) == "plain"
    reflection = MatrixGroup("flip", np.zeros((0, 2, 2)), [np.diag([1.0, -1.0])])
    assert kernel_symmetry(reflection) == "plain"
    with pytest.raises(InputError, match="R\\^3"):
        kernel_symmetry(MatrixGroup("so3", [np.zeros((3, 3)) + np.triu(np.ones((3, 3)), 1) - np.tril(np.ones((3, 3)), -1)],
                                    np.zeros((0, 3, 3))))


def test_c4_kernels_are_tied_and_plain_are_not():
    torch.manual_seed(0)
    tied = SphereCNN("c4", width_scale=0.125).layers[1].kernel()
    assert torch.allclose(tied, torch.rot90(tied, 1, dims=(-2, -1)))
    plain = SphereCNN("plain", width_scale=0.125).layers[1].kernel()
    assert not torch.allclose(plain, torch.rot90(plain, 1, dims=(-2, -1)))


@pytest.mark.parametrize("symmetry,equivariant", [("c4", True), ("plain", False)])
def test_rot90_equivariance(symmetry, equivariant):
    torch.manual_seed(1)
    net = SphereCNN(symmetry, width_scale=0.125).train()  # batch statistics keep the signal O(1) in depth
    x = torch.randn(2, 1, 40, 40)
    with torch.no_grad():
        a = torch.rot90(net(x), 1, dims=(-2, -1))
        b = net(torch.rot90(x, 1, dims=(-2, -1)))
    inner = (slice(None), slice(None), slice(12, -12), slice(12, -12))  # away from the borders
    assert torch.allclose(a[inner], b[inner], atol=1e-4) == equivariant


def test_regular_tying_is_a_c4_group_convolution():
    torch.manual_seed(2)
    net = SphereCNN("c4", width_scale=0.25, tying="regular").train()
    assert net.tying == "regular" and SphereCNN("plain", tying="regular").tying is None
    x = torch.randn(2, 1, 40, 40)
    with torch.no_grad():
        out = net(x)
        assert out.shape == (2, 11, 40, 40)
        # the whole network commutes with rot90 (zero padding of a square input: exact everywhere)
        torch.testing.assert_close(net(torch.rot90(x, 1, dims=(-2, -1))), torch.rot90(out, 1, dims=(-2, -1)),
                                   atol=1e-4, rtol=1e-3)
        # a hidden layer: rotating its input rotates its output and shifts the 4 orientations by one
        layer = net.layers[3]
        h = torch.randn(2, layer.weight.shape[1] * 4, 20, 20)
        y, y_rot = layer(h), layer(torch.rot90(h, 1, dims=(-2, -1)).unflatten(1, (-1, 4)).roll(1, 2).flatten(1, 2))
        torch.testing.assert_close(y_rot, torch.rot90(y, 1, dims=(-2, -1)).unflatten(1, (-1, 4)).roll(1, 2).flatten(1, 2),
                                   atol=1e-4, rtol=1e-3)
    # half the width per orientation: a hidden layer has exactly the plain layer's weights
    plain, regular = SphereCNN("plain"), SphereCNN("c4", tying="regular")
    assert regular.layers[2].weight.numel() == plain.layers[2].weight.numel() == 64 * 32 * 25
    assert regular.parameters_count() == regular.effective_parameters() == 438_635
    with pytest.raises(InputError, match="tying"):
        SphereCNN("c4", tying="pooled")


def test_cli_trains_and_writes_metrics(tmp_path):
    from symrepro.cli import main

    digits = np.zeros((10, 28, 28), dtype=np.uint8)
    for i in range(10):
        digits[i, 4 + i:10 + i, 6:22] = 255
    labels = np.arange(10, dtype=np.uint8)
    write_arrays(tmp_path / "train.h5", ms.generate(digits, labels, 6, 60, seed=0))
    write_arrays(tmp_path / "test.h5", ms.generate(digits, labels, 4, 180, seed=1))
    reference_group("SO(2)").write(tmp_path / "group.json")
    outs = []
    for variant, extra in (("baseline", []), ("discovered", ["--group", str(tmp_path / "group.json"),
                                                             "--lr-schedule", "cosine"])):
        out = tmp_path / f"{variant}.json"
        main(["downstream", "mnist_sphere", "train", "--variant", variant, *extra, "--train", str(tmp_path / "train.h5"),
              "--test", str(tmp_path / "test.h5"), "--val", str(tmp_path / "test.h5"), "--epochs", "2",
              "--width-scale", "0.125", "--batch-size", "4", "--device", "cpu", "--out", str(out)])
        outs.append(json.loads(out.read_text()))
    base, disc = outs
    assert base["kernel_symmetry"] == "plain" and disc["kernel_symmetry"] == "c4"
    assert len(base["history"]) == 2 and 0 <= base["history"][-1]["test_accuracy"] <= 1
    assert disc["effective_parameters"] < disc["parameters"] == base["parameters"]
    assert disc["tying"] == "average" and base["tying"] is None
    assert [row["lr"] for row in base["history"]] == [1e-3, 1e-3] and base["lr_schedule"] == "constant"
    assert [row["lr"] for row in disc["history"]] == pytest.approx([1e-3, 5e-4]) and disc["lr_schedule"] == "cosine"
    assert main(["downstream", "mnist_sphere", "train", "--variant", "discovered", "--train", str(tmp_path / "train.h5"),
              "--test", str(tmp_path / "test.h5"), "--epochs", "1", "--out", str(tmp_path / "x.json")]) != 0
    assert not (tmp_path / "x.json").exists()


def test_summary_and_figure(tmp_path):
    import pandas as pd

    from symrepro.downstream.mnist_sphere_report import plot, write_summary

    digits = np.zeros((10, 28, 28), dtype=np.uint8)
    digits[:, 8:20, 10:14] = 255
    write_arrays(tmp_path / "d.h5", ms.generate(digits, np.arange(10, dtype=np.uint8), 2, 60, seed=0))
    found = MatrixGroup("d", [0.9 * J + 0.1 * np.eye(2)], np.zeros((0, 2, 2)), metadata={"seed": 0})
    found.write(tmp_path / "g.json")
    so3 = MatrixGroup("l", [[[0, 0, 0], [0, 0, -0.2], [0, 0.2, 0]]], np.zeros((0, 3, 3)),
                      metadata={"seed": 0, "axis": [1, 0, 0], "magnitude": 0.2})
    so3.write(tmp_path / "l.json")
    metrics = {"variant": "discovered", "seed": 0, "kernel_symmetry": "c4", "width_scale": 1, "epochs": 1,
               "parameters": 10, "effective_parameters": 5, "final_train_accuracy": 0.5, "final_test_accuracy": 0.4,
               "final_val_accuracy": 0.45,
               "history": [{"epoch": 0, "train_accuracy": 0.5, "test_accuracy": 0.4, "val_accuracy": 0.45}]}
    (tmp_path / "m.json").write_text(json.dumps(metrics))
    frame = write_summary([tmp_path / "g.json"], [tmp_path / "l.json"], [tmp_path / "m.json"], tmp_path / "s.csv")
    back = pd.read_csv(tmp_path / "s.csv")
    assert list(back["kind"]) == ["discovery", "liegan", "cnn_discovered"] == list(frame["kind"])
    assert back.loc[0, "cosine_so2"] == pytest.approx(0.9 * 2 / np.sqrt(2) / np.linalg.norm(0.9 * J + 0.1 * np.eye(2)))
    assert back.loc[1, "magnitude"] == pytest.approx(0.2) and back.loc[2, "test_accuracy_180"] == 0.4
    plot(tmp_path / "d.h5", [tmp_path / "g.json"], [tmp_path / "l.json"], [tmp_path / "m.json"], tmp_path / "f.pdf")
    assert (tmp_path / "f.pdf").read_bytes()[:4] == b"%PDF"


def test_claim_check_of_the_quick_targets(tmp_path):
    import pandas as pd

    from symrepro.cli import main
    from symrepro.downstream.mnist_sphere_report import check_claim
    from symrepro.errors import ClaimNotReproduced

    def frame(cosines, base, disc):
        rows = [{"kind": "discovery", "seed": s, "cosine_so2": c} for s, c in enumerate(cosines)]
        rows += [{"kind": f"cnn_{v}", "seed": 0, "test_accuracy_180": a180, "val_accuracy_60": a60}
                 for v, (a60, a180) in (("baseline", base), ("discovered", disc))]
        return pd.DataFrame(rows)

    numbers = check_claim(frame([0.99, 0.5, 0.95], (0.89, 0.54), (0.78, 0.78)))
    assert numbers["gain_180"] == pytest.approx(0.24) and numbers["seeds_with_rotation"] == 2
    for bad, match in (((([0.99, 0.5, 0.4]), (0.89, 0.54), (0.78, 0.78)), "cos"),
                       ((([0.99]), (0.89, 0.54), (0.78, 0.60)), "±180"),
                       ((([0.99]), (0.89, 0.54), (0.70, 0.70)), "discovered reaches 0.700"),
                       ((([0.99]), (0.60, 0.40), (0.78, 0.78)), "baseline reaches 0.600"),
                       ((([0.5]), (0.89, 0.54), (0.78, 0.78)), "1 seeds|0 of 1")):
        with pytest.raises(ClaimNotReproduced, match=match):
            check_claim(frame(*bad))
    with pytest.raises(ClaimNotReproduced, match="both CNN"):
        check_claim(frame([0.99], (0.9, 0.5), (0.8, 0.8)).query("kind != 'cnn_baseline'"))
    # through the command line: exit 3, and the summary is still written
    J_group = MatrixGroup("d", [J], np.zeros((0, 2, 2)), metadata={"seed": 0})
    J_group.write(tmp_path / "g.json")
    files = []
    for variant, (a60, a180) in (("baseline", (0.9, 0.55)), ("discovered", (0.8, 0.6))):
        m = {"variant": variant, "seed": 0, "kernel_symmetry": "c4", "width_scale": 1, "epochs": 1, "parameters": 1,
             "effective_parameters": 1, "final_train_accuracy": 1.0, "final_test_accuracy": a180,
             "final_val_accuracy": a60, "history": []}
        (tmp_path / f"{variant}.json").write_text(json.dumps(m))
        files.append(str(tmp_path / f"{variant}.json"))
    args = ["downstream", "mnist_sphere", "summarize", "--groups", str(tmp_path / "g.json"), "--metrics", *files,
            "--out", str(tmp_path / "s.csv")]
    assert main(args) == 0 and main([*args, "--check-claim"]) == 3


def test_batch_norm_recalibration_uses_exact_statistics():
    from symrepro.downstream.mnist_sphere import recalibrate_batch_norm

    torch.manual_seed(0)
    net = SphereCNN("plain", width_scale=0.125)
    images = torch.randint(0, 256, (12, 1, 30, 20), dtype=torch.uint8)
    recalibrate_batch_norm(net, images, "cpu", samples=8, batch_size=4)  # two equal batches
    first = net.layers[0]
    with torch.no_grad():
        h = torch.nn.functional.leaky_relu(torch.nn.functional.conv2d(images[:8].float() / 255, first.weight,
                                                                      first.bias, padding=2))
    torch.testing.assert_close(first.norm.running_mean, h.mean((0, 2, 3)), rtol=1e-4, atol=1e-5)
    assert first.norm.momentum == 0.1
