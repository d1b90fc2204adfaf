"""The trainer on tiny files with a tiny injected model: metrics.json, determinism, bad input."""

import json

import numpy as np
import pytest

from symrepro.atomic import write_json
from symrepro.downstream.climate import FORMAT, ClimateFile, derive_kernel_symmetry, parse_widths, train
from symrepro.errors import InputError
from symrepro.symmetry import MatrixGroup


def _train(files, factory, **kw):
    options = dict(epochs=2, widths=(4,), batch_size=3, seed=0, device="cpu", threads=1, model_factory=factory)
    options.update(kw)
    return train("baseline", None, *files, **options)


def test_trainer_writes_valid_metrics(climate_files, tiny_factory, tmp_path):
    metrics = _train(climate_files, tiny_factory)
    write_json(tmp_path / "metrics.json", metrics)
    back = json.loads((tmp_path / "metrics.json").read_text())
    assert back["format"] == FORMAT and back["variant"] == "baseline" and back["kernel_symmetry"] == "so2"
    assert back["train_samples"] == 8 and back["test_samples"] == 6 and back["test_timestamps"] == 2
    assert back["test_annotators"] == [0, 1, 2] and back["ico_resolution"] == 2
    assert back["parameters"] == 16 * 4 * 9 + 4 + 4 * 3 + 3 and back["effective_parameters"] == back["parameters"]
    assert len(back["history"]) == 2
    for row in back["history"]:
        assert 0 <= row["train_loss"] <= 1 and 0 <= row["pixel_accuracy"] <= 1 and row["train_seconds"] > 0
        for convention in ("iou_reference", "iou_skip_empty"):
            assert set(row[convention]["per_class"]) == {"background", "tropical_cyclone", "atmospheric_river"}
            assert 0 <= row[convention]["mean"] <= 1
    assert back["final_mean_iou_reference"] == back["history"][-1]["iou_reference"]["mean"]
    assert back["history"][1]["train_loss"] < back["history"][0]["train_loss"]


def _numbers(metrics):
    out = dict(metrics)
    out["history"] = [{k: v for k, v in row.items() if not k.endswith("seconds")} for row in metrics["history"]]
    out.pop("seconds_per_epoch")
    return out


def test_same_seed_same_numbers(climate_files, tiny_factory):
    a, b = _train(climate_files, tiny_factory), _train(climate_files, tiny_factory)
    assert json.dumps(_numbers(a)) == json.dumps(_numbers(b))
    c = _train(climate_files, tiny_factory, seed=1)
    assert c["history"][-1]["train_loss"] != a["history"][-1]["train_loss"]


def test_limits(climate_files, tiny_factory):
    metrics = _train(climate_files, tiny_factory, epochs=1, max_train=4, max_test=2)
    assert metrics["train_samples"] == 4 and metrics["test_samples"] == 2 and metrics["test_timestamps"] == 1


def test_batches_read_sorted_indices(climate_files):
    import torch

    with ClimateFile(climate_files[0]) as data:
        seen = []
        for index, x, y in data.batches(3, torch.Generator().manual_seed(0)):
            assert list(index) == sorted(index) and x.dtype == torch.float32 and y.shape == (len(index), 5, 4, 8)
            seen.extend(index)
        assert sorted(seen) == list(range(8)) and seen != list(range(8))


@pytest.mark.parametrize("drop,match", [("ico/labels", "ico/labels"), ("ico/fields", "ico/fields"), ("time", "'time'")])
def test_missing_dataset_is_named(tmp_path, climate_writer, climate_files, tiny_factory, drop, match):
    climate_writer(tmp_path / "bad.h5", drop=drop)
    with pytest.raises(InputError, match=match):
        train("baseline", None, climate_files[0], tmp_path / "bad.h5", epochs=1, device="cpu",
              model_factory=tiny_factory)


def test_wrong_shapes_are_named(tmp_path, climate_writer, tiny_factory, climate_files):
    rng = np.random.default_rng(0)
    cases = {
        "odd.h5": ({"ico/fields": rng.normal(size=(4, 16, 5, 4, 6)).astype(np.float16),
                    "ico/labels": np.zeros((4, 5, 4, 6), np.uint8)}, "ico/fields.*shape"),
        "labels.h5": ({"ico/labels": np.zeros((6, 5, 4, 4), np.uint8)}, "ico/labels.*shape"),
        "channels.h5": ({"ico/fields": rng.normal(size=(6, 4, 5, 4, 8)).astype(np.float16)}, "4 channels"),
        "classes.h5": ({"ico/labels": np.full((6, 5, 4, 8), 3, np.uint8)}, "labels outside"),
    }
    for name, (override, match) in cases.items():
        climate_writer(tmp_path / name, **override)
        with pytest.raises(InputError, match=match):
            train("baseline", None, tmp_path / name, climate_files[1], epochs=1, device="cpu",
                  model_factory=tiny_factory)
    with pytest.raises(InputError, match="does not exist"):
        train("baseline", None, tmp_path / "nope.h5", climate_files[1], epochs=1, model_factory=tiny_factory)


def test_group_on_r3_and_variant_mismatch(climate_files, tiny_factory):
    so3 = MatrixGroup("so3", [[[0, 0, 0], [0, 0, -1.0], [0, 1.0, 0]]], np.zeros((0, 3, 3)))
    with pytest.raises(InputError, match="R\\^3"):
        derive_kernel_symmetry(so3)
    with pytest.raises(InputError, match="R\\^3"):
        train("discovered", so3, *climate_files, epochs=1, model_factory=tiny_factory)
    with pytest.raises(InputError, match="needs --group"):
        train("discovered", None, *climate_files, epochs=1, model_factory=tiny_factory)
    with pytest.raises(InputError, match="takes no --group"):
        train("baseline", so3, *climate_files, epochs=1, model_factory=tiny_factory)
    with pytest.raises(InputError, match="--widths"):
        parse_widths("16,x")
    assert parse_widths("4,8,16") == (4, 8, 16)


def test_parameter_counts_from_the_model(tiny_factory):
    from symrepro.downstream.climate import parameter_counts

    model = tiny_factory(16, 3, (4,), "so2")
    assert parameter_counts(model)[:2] == (595, 595)
    model.effective_parameters = lambda: 100
    assert parameter_counts(model) == (595, 100, "model.effective_parameters()")
