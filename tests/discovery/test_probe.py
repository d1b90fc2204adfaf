"""The directional probe: analytic predictors with known symmetries, the file format,
the command line, bad input."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from symrepro.cli import main
from symrepro.datasets.hdf5 import write_arrays
from symrepro.datasets.heat import draw_parameters, initial_fields
from symrepro.discovery import run
from symrepro.discovery.probe import (PROBE_FORMAT, ShiftAveraged, check_low_pass, directions, inside_mask,
                                     low_pass_filter, mean_excess, measure, probe, read_probe, shift_offsets, t_values,
                                     write_probe)
from symrepro.discovery.trainers import Settings
from symrepro.errors import InputError
from symrepro.experiments import get

PDE, CLIMATE = get("pde"), get("climate")
NAMES = ("J", "diag10", "diag01", "E12", "E21")


def identity(patches):
    """Φ(x) = x commutes with every g (the same resampling on both sides): excess 0 everywhere."""
    return patches


def x_derivative(patches):
    """A fixed horizontal central difference: orientation-dependent. It commutes with
    x -> (x + t y, e^t y) (E12, diag(0,1)) but not with rotations, x-scalings or E21."""
    b, k, c, h, w = patches.shape
    q = F.pad(patches.reshape(b * k * c, 1, h, w), (1, 1, 0, 0), mode="replicate")
    return ((q[..., 2:] - q[..., :-2]) / 2).reshape(b, k, c, h, w)


def laplacian(patches):
    """The 5-point Laplacian: rotation-invariant to second order, not scale-invariant."""
    b, k, c, h, w = patches.shape
    q = F.pad(patches.reshape(b * k * c, 1, h, w), (1, 1, 1, 1), mode="replicate")
    out = q[..., 1:-1, 2:] + q[..., 1:-1, :-2] + q[..., 2:, 1:-1] + q[..., :-2, 1:-1] - 4 * q[..., 1:-1, 1:-1]
    return out.reshape(b, k, c, h, w)


@pytest.fixture(scope="module")
def heat_fields():
    return initial_fields(draw_parameters(4, torch.Generator().manual_seed(0)))[:, None].float()


def test_directions_and_t_values():
    dirs = directions()
    assert tuple(dirs) == NAMES
    assert all(np.linalg.norm(m) == pytest.approx(1.0) for m in dirs.values())
    np.testing.assert_allclose(dirs["J"], np.array([[0, -1], [1, 0]]) / math.sqrt(2))
    assert t_values() == [-0.5, -0.25, -0.1, 0.1, 0.25, 0.5]
    assert t_values([0.3]) == [-0.3, 0.3]
    for bad in ([0.0], [-0.1], [float("nan")], [], [0.1, 0.1], ["x"]):
        with pytest.raises(InputError, match="--t"):
            t_values(bad)


def test_identity_is_symmetric_everywhere_and_the_derivative_is_not(heat_fields):
    view = PDE.view("atlas2")
    same = measure(PDE, view, identity, heat_fields, batch_size=3)
    dx = measure(PDE, view, x_derivative, heat_fields, batch_size=4)
    assert same["samples"] == dx["samples"] == 4 and same["charts"] == 3 and len(same["t"]) == 6
    assert all(abs(v) < 1e-7 for name in NAMES for v in same["excess"][name])
    a, b = mean_excess(same), mean_excess(dx)
    assert b["J"] > 1e-3  # a probe that returned zeros fails here
    assert b["J"] >= 5 * a["J"] and min(dx["excess"]["J"]) > 1e-4  # every t, both signs
    assert b["diag10"] > 1e-3 and b["E21"] > 1e-3
    # the directions it does commute with (up to discretisation)
    assert b["diag01"] < 0.01 * b["J"] and b["E12"] < 0.05 * b["J"]
    # the excess grows with |t|
    t = np.asarray(dx["t"])
    ex = np.asarray(dx["excess"]["J"])
    assert ex[np.abs(t) == 0.5].mean() > ex[np.abs(t) == 0.1].mean()
    lap = mean_excess(measure(PDE, view, laplacian, heat_fields, batch_size=4))
    assert lap["J"] < 0.2 * min(lap["diag10"], lap["diag01"])  # rotation-invariant, not scale-invariant


def test_climate_probe_separates_pixelwise_from_oriented_predictors(tmp_path):
    from test_climate_experiment import write_file

    x, _ = CLIMATE.load(write_file(tmp_path / "climate.h5", n=2))
    view = CLIMATE.view("meridian_quarter")
    pixelwise = mean_excess(measure(CLIMATE, view, lambda p: 3 * p[:, :, :3], x, t=[0.25]))
    oriented = measure(CLIMATE, view, lambda p: 30 * x_derivative(p)[:, :, :3], x, t=[0.25])
    assert abs(oriented["baseline"]) < 1e-6 and oriented["window"] == "inside"  # KL: 0 at the identity
    assert mean_excess(oriented)["J"] > 0.02 and mean_excess(oriented)["J"] >= 5 * abs(pixelwise["J"])
    whole = measure(CLIMATE, view, lambda p: 30 * x_derivative(p)[:, :, :3], x, t=[0.25], inside=False)
    assert whole["baseline"] > 0 and whole["window"] == "whole"  # the entropy floor, subtracted from the excess
    assert mean_excess(whole)["J"] > 0.02


def test_low_pass_filter_keeps_constants_and_removes_pixel_scale_detail():
    z = torch.randn(2, 3, 5, 16, 16)
    assert low_pass_filter(0)(z) is z
    torch.testing.assert_close(low_pass_filter(2)(torch.full((1, 3, 9, 9), 0.3)), torch.full((1, 3, 9, 9), 0.3))
    board = ((torch.arange(20)[:, None] + torch.arange(20)[None, :]) % 2).float()
    smoothed = low_pass_filter(2)(board)
    assert smoothed.shape == board.shape and (smoothed[4:-4, 4:-4] - 0.5).abs().max() < 0.01
    for bad in (-1, float("nan"), "a"):
        with pytest.raises(InputError, match="--low-pass"):
            check_low_pass(bad)


def test_low_pass_discounts_detail_finer_than_the_output_grid_and_keeps_orientation(tmp_path):
    """A pointwise rule computed on a stride-4 grid (pooled, upsampled back) cannot draw
    squeezed detail: smoothing both sides at σ = 2 cuts its excess at least 2.5-fold. An
    orientation-dependent predictor keeps a rotation excess far above its E12 excess."""
    from test_climate_experiment import write_file

    x, _ = CLIMATE.load(write_file(tmp_path / "climate.h5", n=2))
    view = CLIMATE.view("meridian_quarter")

    def coarse(p):
        b, k, c, h, w = p.shape
        z = F.avg_pool2d(3 * p[:, :, :3].reshape(b * k, 3, h, w), 4, ceil_mode=True)
        return F.interpolate(z, size=(h, w), mode="bilinear", align_corners=False).reshape(b, k, 3, h, w)

    plain = mean_excess(measure(CLIMATE, view, coarse, x, t=[0.5]))
    smoothed = measure(CLIMATE, view, coarse, x, t=[0.5], low_pass=2)
    assert smoothed["low_pass"] == 2.0 and abs(smoothed["baseline"]) < 1e-6
    assert all(mean_excess(smoothed)[d] <= plain[d] / 2.5 for d in NAMES) and plain["diag10"] > 0.02
    oriented = mean_excess(measure(CLIMATE, view, lambda p: 30 * x_derivative(p)[:, :, :3], x, t=[0.5], low_pass=2))
    assert oriented["J"] > 0.02 and oriented["J"] >= 5 * oriented["E12"]
    with pytest.raises(InputError, match="--whole-window"):
        measure(CLIMATE, view, coarse, x, t=[0.5], low_pass=2, inside=False)


def test_inside_mask_keeps_the_pixels_that_stay_in_the_window():
    assert bool(inside_mask(torch.eye(2), 11, 3).all()) and inside_mask(torch.eye(2), 11, 3).numel() == 49
    c, s = math.cos(math.pi / 4), math.sin(math.pi / 4)
    rotated = inside_mask(torch.tensor([[c, -s], [s, c]]), 101, 38).reshape(77, 77)
    assert not rotated[0, 0] and not rotated[-1, -1] and rotated[38, 38] and rotated[38, 0]
    # the kept region of a 45° rotation: the square's intersection with its rotated copy (an octagon)
    assert rotated.float().mean().item() == pytest.approx(2 * (math.sqrt(2) - 1), abs=0.03)
    stretched = inside_mask(torch.tensor([[2.0, 0.0], [0.0, 1.0]]), 41, 20).reshape(41, 41)
    assert stretched[:, 10:31].all() and not stretched[:, :9].any() and not stretched[:, 32:].any()


def test_shift_averaging_removes_sub_stride_aliasing():
    """Φ multiplies by a period-2 checkerboard: not equivariant to 1-pixel shifts. Its
    average over the offsets 0, 1 is (multiplication by 1/2), and the probe records it."""
    board = (torch.arange(12)[:, None] + torch.arange(12)[None, :]) % 2

    def aliased(p):
        return p * board.to(p.dtype)

    x = torch.randn(1, 1, 1, 12, 12)
    shifted = torch.roll(x, (1, 0), dims=(-2, -1))
    assert not torch.allclose(aliased(shifted), torch.roll(aliased(x), (1, 0), dims=(-2, -1)))
    averaged = ShiftAveraged(aliased, [0, 1])
    torch.testing.assert_close(averaged(x), x / 2)
    torch.testing.assert_close(averaged(shifted), torch.roll(averaged(x), (1, 0), dims=(-2, -1)))
    assert shift_offsets([4, 0, 2]) == [0, 2, 4]
    for bad in ([], [-1], [0, 0], ["a"]):
        with pytest.raises(InputError, match="--shifts"):
            shift_offsets(bad)


def test_global_views_are_refused():
    with pytest.raises(InputError, match="local view"):
        measure(get("toptag"), get("toptag").view(), lambda x: x, torch.zeros(2, 30, 4))


def test_probe_file_round_trip_and_command_line(tmp_path, heat_fields):
    data = tmp_path / "heat.h5"
    fields = heat_fields[:, 0].numpy()
    write_arrays(data, {"initial": fields, "final": fields})
    settings = Settings(batch_size=4)
    run.train_predictor(PDE, "atlas2", data, tmp_path / "predictor.pt", options={"hidden": 4, "layers": 2}, epochs=1,
                        settings=settings, seed=0, device="cpu", threads=1)
    payload = probe(PDE, "atlas2", data, tmp_path / "predictor.pt", t=[0.2], batch_size=2, device="cpu",
                    threads=1, max_samples=3)
    assert payload["format"] == PROBE_FORMAT and payload["samples"] == 3 and payload["t"] == [-0.2, 0.2]
    write_probe(tmp_path / "probe.json", payload)
    back = read_probe(tmp_path / "probe.json")
    assert back == json.loads(json.dumps(payload)) and mean_excess(back) == pytest.approx(payload["mean_excess"])
    assert set(back["directions"]) == set(NAMES) and np.asarray(back["directions"]["J"]).shape == (2, 2)

    common = ["discovery", "probe", "--experiment", "pde", "--view", "atlas2", "--data", str(data), "--predictor",
              str(tmp_path / "predictor.pt"), "--batch-size", "4", "--device", "cpu", "--threads", "1",
              "--max-samples", "2"]
    assert main([*common, "--t", "0.1", "0.3", "--out", str(tmp_path / "cli.json")]) == 0
    cli = read_probe(tmp_path / "cli.json")
    assert cli["t"] == [-0.3, -0.1, 0.1, 0.3] and cli["experiment"] == "pde" and cli["samples"] == 2
    assert all(len(v) == 4 for v in cli["excess"].values())
    for bad in (["0"], ["-0.1"], ["0.1", "0.1"]):
        assert main([*common, "--t", *bad, "--out", str(tmp_path / "bad.json")]) == 2
    assert not (tmp_path / "bad.json").exists()
    (tmp_path / "other.json").write_text(json.dumps({"format": "symrepro.eval/1"}))
    with pytest.raises(InputError, match="symrepro.probe/1"):
        read_probe(tmp_path / "other.json")


def test_climate_probe_through_the_command_line(tmp_path):
    from test_climate_experiment import write_file

    data = write_file(tmp_path / "climate_train.h5", n=2)
    run.train_predictor(CLIMATE, "meridian_quarter", data, tmp_path / "predictor.pt",
                        options={"m": 1, "n": 2, "channels": 4}, epochs=1, settings=Settings(batch_size=2), seed=0,
                        device="cpu", threads=1)
    assert main(["discovery", "probe", "--experiment", "climate", "--view", "meridian_quarter", "--data", str(data),
                 "--predictor", str(tmp_path / "predictor.pt"), "--t", "0.25", "--device", "cpu", "--threads", "1",
                 "--shifts", "0", "4", "--out", str(tmp_path / "probe.json")]) == 0
    payload = read_probe(tmp_path / "probe.json")
    assert payload["view"] == "meridian_quarter" and payload["charts"] == 4 and payload["out_radius"] == 38
    assert payload["shifts"] == [0, 4] and payload["window"] == "inside" and payload["low_pass"] == 0 and abs(payload["baseline"]) < 1e-6
    assert all(np.isfinite(v) and v > 0 for v in mean_excess(payload).values())
    assert main(["discovery", "probe", "--experiment", "climate", "--view", "meridian_quarter", "--data", str(data),
                 "--predictor", str(tmp_path / "predictor.pt"), "--t", "0.25", "--shifts", "0", "0",
                 "--out", str(tmp_path / "bad.json")]) == 2
    assert not (tmp_path / "bad.json").exists()
    for bad in (["--low-pass", "-1"], ["--low-pass", "2", "--whole-window"]):
        assert main(["discovery", "probe", "--experiment", "climate", "--view", "meridian_quarter", "--data", str(data),
                     "--predictor", str(tmp_path / "predictor.pt"), "--t", "0.25", *bad,
                     "--out", str(tmp_path / "bad.json")]) == 2
        assert not (tmp_path / "bad.json").exists()
