"""End to end with the real icosahedral U-Net at r = 3 and tiny widths: the baseline
(no group → SO(2)-gauge kernels) and the discovered variant (a gl(2) group.json →
uniform kernels), then summary and figure."""

import json

import numpy as np
import pytest

pytest.importorskip("symrepro.icosahedral.unet")

from symrepro.cli import main  # noqa: E402
from symrepro.symmetry import MatrixGroup  # noqa: E402


def test_both_variants_with_the_ico_unet(tmp_path, climate_writer):
    climate_writer(tmp_path / "climate_train.h5", n=4, r=3, seed=0)
    climate_writer(tmp_path / "climate_test.h5", n=4, r=3, seed=1, annotators=2)
    gl2 = np.eye(4).reshape(4, 2, 2)
    MatrixGroup("discovered gl(2)", gl2, np.zeros((0, 2, 2)), acts_on="tangent plane", metadata={"seed": 0}).write(
        tmp_path / "group.json")
    common = ["--train", str(tmp_path / "climate_train.h5"), "--test", str(tmp_path / "climate_test.h5"),
              "--widths", "16,4,8", "--epochs", "2", "--batch-size", "2", "--device", "cpu", "--threads", "1"]
    outs = {}
    for variant, extra in (("baseline", []), ("discovered", ["--group", str(tmp_path / "group.json")])):
        out = tmp_path / f"{variant}.json"
        assert main(["downstream", "climate", "train", "--variant", variant, *extra, *common, "--out", str(out)]) == 0
        outs[variant] = json.loads(out.read_text())
    base, disc = outs["baseline"], outs["discovered"]
    assert base["kernel_symmetry"] == "so2" and base["group"] is None
    assert disc["kernel_symmetry"] == "uniform" and disc["group_algebra_rank"] == 4
    assert disc["group_file"] == str(tmp_path / "group.json") and disc["group"] == "discovered gl(2)"
    assert disc["parameters"] < base["parameters"]  # uniform kernels: 1 tap instead of 7
    for m in (base, disc):
        assert m["ico_resolution"] == 3 and len(m["history"]) == 2 and m["parameters"] > 0
        assert 0 <= m["final_mean_iou_reference"] <= 1 and 0 <= m["final_pixel_accuracy"] <= 1
        assert np.isfinite(m["history"][-1]["train_loss"])
        assert m["effective_parameters"] == m["parameters"]  # IcoUNet parameterises only the free weights
    # same seed, same numbers with the real model too
    again = tmp_path / "again.json"
    assert main(["downstream", "climate", "train", "--variant", "baseline", *common, "--out", str(again)]) == 0
    rerun = json.loads(again.read_text())
    assert [h["train_loss"] for h in rerun["history"]] == [h["train_loss"] for h in base["history"]]
    assert rerun["history"][-1]["iou_reference"] == base["history"][-1]["iou_reference"]
    paths = [str(tmp_path / "baseline.json"), str(tmp_path / "discovered.json")]
    assert main(["downstream", "climate", "summarize", "--metrics", *paths, "--out", str(tmp_path / "s.csv")]) == 0
    assert main(["downstream", "climate", "plot", "--metrics", *paths, "--out", str(tmp_path / "climate.pdf")]) == 0
    assert (tmp_path / "climate.pdf").read_bytes()[:4] == b"%PDF"
