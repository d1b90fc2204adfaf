"""The climate experiment: chart geometry on both grids, file checks, CGNet size,
metrics, summary columns and a tiny predictor -> algebra run through the engine."""

import h5py
import numpy as np
import pytest
import torch

from symrepro import experiments
from symrepro.discovery import run
from symrepro.discovery.trainers import Settings
from symrepro.errors import InputError
from symrepro.experiments.cgnet import CGNet, ChartCGNet, parameter_count
from symrepro.experiments.climate import SPEC, MeridianCharts, evaluate, summary_extras
from symrepro.symmetry import MatrixGroup
from symrepro.symmetry.lie import J, reference_group

TINY = {"m": 1, "n": 2, "channels": 4}


def crop_of(height, width):
    """The crop of the spec, written out independently of MeridianCharts."""
    r = round(200 * height / 768)
    rows = (round(0.35 * height) - r, round(0.65 * height) + r)
    cols = (round(width / 2) - r, round(width / 2) + r)
    return r, rows, cols


def write_file(path, n=8, height=192, width=288, seed=0, override=None):
    """A small climate_<split>.h5 of the contract: smooth random fields, blob labels."""
    r, (r0, r1), (c0, c1) = crop_of(height, width)
    hc, wc = r1 - r0 + 1, c1 - c0 + 1
    rng = np.random.default_rng(seed)
    coarse = rng.normal(size=(n, 4, hc // 8 + 2, wc // 8 + 2))
    fields = torch.nn.functional.interpolate(torch.from_numpy(coarse), size=(hc, wc), mode="bicubic").numpy()
    labels = np.zeros((n, hc, wc), np.uint8)
    labels[fields[:, 0] > 0.8] = 1  # "cyclones": high TMQ
    labels[fields[:, 3] < -0.9] = 2  # "rivers": low PSL
    arrays = {"discovery/fields": fields.astype(np.float16), "discovery/labels": labels}
    attrs = {"height": height, "width": width, "crop_row0": r0, "crop_col0": c0, "chart_radius": r}
    arrays.update({k: v for k, v in (override or {}).items() if "/" in k})
    attrs.update({k: v for k, v in (override or {}).items() if "/" not in k})
    with h5py.File(path, "w") as f:
        for name, value in arrays.items():
            f.create_dataset(name, data=value)
        f["discovery"].attrs.update(attrs)
    return path


@pytest.mark.parametrize("name, height, width, shape, radius, out",
                         [("meridian", 768, 1152, (631, 401), 200, 150),
                          ("meridian_quarter", 192, 288, (159, 101), 50, 38)])
def test_chart_centres_land_on_the_meridian_points_of_the_spec(name, height, width, shape, radius, out):
    view = SPEC.view(name)
    assert isinstance(view, MeridianCharts) and len(view) == 4 and view.local
    assert (view.crop_shape, view.in_radius, view.out_radius) == (shape, radius, out)
    r, (r0, r1), (c0, c1) = crop_of(height, width)
    grid = torch.arange(height * width, dtype=torch.float64).reshape(1, 1, height, width)  # value = index on H×W
    field = grid[..., r0:r1 + 1, c0:c1 + 1]
    assert tuple(field.shape[-2:]) == shape
    patches = view.extract(torch.cat([field, -field], 1))  # two channels stay in order
    assert patches.shape == (1, 4, 2, 2 * r + 1, 2 * r + 1)
    for k, f in enumerate((0.35, 0.45, 0.55, 0.65)):
        row, col = round(f * height), round(width / 2)
        assert patches[0, k, 0, r, r] == row * width + col  # the centre pixel is (round(fH), round(W/2))
        assert patches[0, k, 0, 0, 0] == (row - r) * width + col - r  # the patch is the square around it
        assert patches[0, k, 1, -1, -1] == -((row + r) * width + col + r)
    # the crop is exactly the union of the charts: first row of chart 0, last row of chart 3
    assert patches[0, 0, 0, 0, 0] == grid[0, 0, r0, c0] and patches[0, 3, 0, -1, -1] == grid[0, 0, r1, c1]


def test_views_reject_fields_of_another_grid():
    quarter, full = SPEC.view("meridian_quarter"), SPEC.view("meridian")
    with pytest.raises(InputError, match="meridian_quarter.*159×101.*631×401"):
        quarter.extract(torch.zeros(1, 4, 631, 401))
    with pytest.raises(InputError, match="631×401"):
        full.extract(torch.zeros(1, 4, 159, 101))
    with pytest.raises(InputError, match="has views"):
        SPEC.view("equator")


def test_load_checks_format_and_shape(tmp_path):
    x, y = SPEC.load(write_file(tmp_path / "ok.h5", n=3))
    assert x.shape == (3, 4, 159, 101) and x.dtype == torch.float16
    assert y.shape == (3, 159, 101) and y.dtype == torch.uint8
    onehot = SPEC.target_transform(y[:2])
    assert onehot.shape == (2, 3, 159, 101) and torch.all(onehot.sum(1) == 1)
    assert torch.equal(onehot.argmax(1), y[:2].long())
    bad = {"radius.h5": {"chart_radius": 49}, "origin.h5": {"crop_row0": 16},
           "grid.h5": {"height": 768, "width": 1152}}
    for name, override in bad.items():
        with pytest.raises(InputError, match=name):
            SPEC.load(write_file(tmp_path / name, n=2, override=override))
    with pytest.raises(InputError, match="labels.h5.*0…2"):
        SPEC.load(write_file(tmp_path / "labels.h5", n=2,
                             override={"discovery/labels": np.full((2, 159, 101), 3, np.uint8)}))
    with pytest.raises(InputError, match="channels.h5.*fields"):
        SPEC.load(write_file(tmp_path / "channels.h5", n=2,
                             override={"discovery/fields": np.zeros((2, 3, 159, 101), np.float16)}))
    with h5py.File(tmp_path / "empty.h5", "w") as f:
        f.create_dataset("other", data=np.zeros(3))
    with pytest.raises(InputError, match="empty.h5.*discovery/fields"):
        SPEC.load(tmp_path / "empty.h5")


def test_cgnet_has_the_paper_size_and_keeps_charts_apart():
    n = parameter_count(CGNet(in_channels=4, classes=3, m=3, n=21, channels=32))
    assert n == 494_232 and abs(n - 494_000) / 494_000 < 0.01  # the paper's "0.5 M" (ClimateNet: 494 k)
    view = SPEC.view("meridian_quarter")
    model = SPEC.predictor(view)
    assert parameter_count(model) == 4 * n and model.grouped  # 101×101 patches: the grouped layout is faster
    assert not SPEC.predictor(SPEC.view("meridian")).grouped  # 401×401: the list of nets is
    assert SPEC.predictor(view, grouped=False).grouped is False
    torch.manual_seed(0)
    small = SPEC.predictor(view, **TINY).eval()
    x = torch.randn(2, 4, 4, 33, 33)
    y = small(x)
    assert y.shape == (2, 4, 3, 33, 33)
    x2 = x.clone()
    x2[:, 2] += 1.0  # changing chart 2 changes nothing on the other charts
    y2 = small(x2)
    torch.testing.assert_close(y2[:, [0, 1, 3]], y[:, [0, 1, 3]])
    assert not torch.allclose(y2[:, 2], y[:, 2])
    # the grouped net and the list of nets are the same functions
    listed = ChartCGNet(4, **TINY, grouped=False).eval()
    assert parameter_count(listed) == parameter_count(small)
    assert listed(x).shape == y.shape
    with pytest.raises(InputError, match="channels"):
        SPEC.predictor(view, channels=1)
    with pytest.raises(InputError, match="unknown predictor option"):
        run.make_predictor(SPEC, view, {"width": 2})


def test_circular_padding_commutes_with_periodic_shifts():
    torch.manual_seed(0)
    net = CGNet(4, 3, m=1, n=2, channels=4).eval()
    x = torch.randn(1, 4, 32, 32)
    shifted = torch.roll(x, shifts=(8, 16), dims=(2, 3))  # multiples of the stride 8: exact
    expected = torch.roll(net(x), shifts=(8, 16), dims=(2, 3))
    # the final bilinear up-sampling clamps at the edges (pixels 0…3 and 28…31 of 32): compare where neither
    # the shifted nor the original pixel is clamped
    inside = (slice(None), slice(None), slice(12, 28), slice(20, 28))
    torch.testing.assert_close(net(shifted)[inside], expected[inside], atol=1e-5, rtol=1e-5)



def test_evaluate_counts_iou_and_accuracy_on_the_out_windows():
    view = SPEC.view("meridian_quarter")

    class Oracle(torch.nn.Module):  # predicts class 1 where channel 0 > 0, else 0
        def forward(self, patches):
            logit = patches[:, :, 0]
            return torch.stack([torch.zeros_like(logit), logit, torch.full_like(logit, -1e3)], 2)

    x = torch.randn(3, 4, 159, 101)
    y = (x[:, 0] > 0).to(torch.uint8)
    metrics = evaluate(Oracle(), view, x, y, batch_size=2)
    assert metrics["iou_background"] == 1.0 and metrics["iou_tropical_cyclone"] == 1.0
    assert np.isnan(metrics["iou_atmospheric_river"]) and metrics["pixel_accuracy"] == 1.0
    assert metrics["pixels"] == 3 * 4 * 77 ** 2
    y[:, 14, 50] = 2  # in the out window of chart 0 only (centre (50, 50), out radius 38): 3 wrong pixels
    metrics = evaluate(Oracle(), view, x, y)
    assert metrics["iou_atmospheric_river"] == 0.0 and metrics["pixels_atmospheric_river"] == 3
    assert metrics["pixel_accuracy"] == pytest.approx(1 - 3 / (3 * 4 * 77 ** 2))
    y[:, 0, 0] = 2  # outside every out window: ignored
    assert evaluate(Oracle(), view, x, y)["pixel_accuracy"] == metrics["pixel_accuracy"]


def test_reference_and_summary_extras():
    assert SPEC.reference().algebra_rank == 4 and SPEC.logits and SPEC.out_resampling == "nearest"
    assert experiments.get("climate") is SPEC
    extras = summary_extras(reference_group("GL+(2)"))
    assert extras["algebra_rank"] == 4 and all(extras[f"span_residual_{n}"] < 1e-12
                                                for n in ("J", "diag10", "diag01", "E12", "E21"))
    so2 = summary_extras(MatrixGroup("so2", J[None], np.zeros((0, 2, 2))))
    assert so2["algebra_rank"] == 1 and so2["span_residual_J"] < 1e-12
    assert so2["span_residual_diag10"] == pytest.approx(1.0) and so2["span_residual_E12"] == pytest.approx(
        np.sqrt(0.5))


def test_tiny_predictor_then_algebra_through_the_engine(tmp_path):
    data = write_file(tmp_path / "climate_train.h5", n=8)
    settings = Settings(batch_size=4)
    history = run.train_predictor(SPEC, "meridian_quarter", data, tmp_path / "predictor.pt", options=TINY, epochs=1,
                                  settings=settings, seed=0, device="cpu", threads=1)
    assert len(history) == 1 and np.isfinite(history[0]["predictor_loss"])
    algebra = run.discover_algebra(SPEC, "meridian_quarter", data, tmp_path / "predictor.pt", generators=2,
                                   epochs=1, settings=settings, seed=0, device="cpu", threads=1)
    assert np.asarray(algebra["basis"]).shape == (2, 2, 2) and np.isfinite(algebra["history"][0]["basis_loss"])
    group = run.build_group(SPEC, algebra)
    assert group.dim == 2 and set(summary_extras(group)) >= {"algebra_rank", "span_residual_J"}
    metrics = run.evaluate(SPEC, "meridian_quarter", data, tmp_path / "predictor.pt", device="cpu", threads=1)
    assert 0 <= metrics["pixel_accuracy"] <= 1 and metrics["pixels"] == 8 * 4 * 77 ** 2


def test_output_stride_4_works_at_twice_the_resolution_with_the_same_parameters():
    torch.manual_seed(0)
    paper, fine = CGNet(4, 3, m=1, n=2, channels=4).eval(), CGNet(4, 3, m=1, n=2, channels=4, stride=4).eval()
    assert parameter_count(paper) == parameter_count(fine)
    seen = {}
    for name, net in (("paper", paper), ("fine", fine)):
        net.classifier.register_forward_hook(lambda _m, _i, out, name=name: seen.__setitem__(name, out.shape[-2:]))
        assert net(torch.randn(1, 4, 32, 32)).shape == (1, 3, 32, 32)
    assert seen == {"paper": (4, 4), "fine": (8, 8)}
    # circular padding: stride 4 commutes with shifts by 4 (away from the clamped up-sampling edges), stride 8 not
    x = torch.randn(1, 4, 32, 32)
    inside = (slice(None), slice(None), slice(8, 28), slice(8, 28))
    for net, exact in ((fine, True), (paper, False)):
        moved = net(torch.roll(x, shifts=(4, 4), dims=(2, 3)))[inside]
        expected = torch.roll(net(x), shifts=(4, 4), dims=(2, 3))[inside]
        assert torch.allclose(moved, expected, atol=1e-5, rtol=1e-5) is exact
    view = SPEC.view("meridian_quarter")
    assert run.make_predictor(SPEC, view, {**TINY, "stride": 4}).net.stride == 4
    with pytest.raises(InputError, match="stride"):
        SPEC.predictor(view, stride=2)
