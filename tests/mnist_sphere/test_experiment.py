"""Sphere charts (inverse projection round trip), the chart predictor and the losses."""

import numpy as np
import pytest
import torch

from symrepro.datasets import mnist_sphere as ms
from symrepro.errors import InputError
from symrepro.experiments import get
from symrepro.experiments.mnist_sphere import ChartSegmenter, SphereCharts, one_hot, weighted_cross_entropy


def random_cylinders(n=4, seed=0):
    rng = np.random.default_rng(seed)
    digits = (rng.random((10, 28, 28)) > 0.6).astype(np.uint8) * rng.integers(1, 256, (10, 28, 28)).astype(np.uint8)
    labels = np.arange(10, dtype=np.uint8)
    chosen = rng.integers(0, 10, (n, 3))
    angles = 90 + rng.integers(-180, 180, (n, 3))
    return ms.cylinders(digits[chosen], labels[chosen], angles)


def test_round_trip_cylinder_sphere_chart():
    cyl, cyl_labels = random_cylinders()
    sphere = torch.from_numpy(ms.project(cyl, 0))[:, None]
    view = SphereCharts()
    patches = view.extract(sphere)  # (B, 3, 1, 29, 29)
    assert patches.shape == (4, 3, 1, 29, 29)
    for slot, r in enumerate(ms.DIGIT_ROWS):
        flat = cyl[:, r - 14:r + 15, 2:31]  # chart column k = cylinder column 16 + k
        chart = patches[:, slot, 0].numpy()
        agree = (chart == flat).mean()
        assert agree >= 0.95, agree
        # and on the digit's ink
        ink = flat > 0
        assert (chart[ink] == flat[ink]).mean() >= 0.95


def test_axis_aligned_square_is_worse():
    """The plain square chart (columns 16 ± 14 of the sphere image) does not reproduce the cylinder."""
    cyl, _ = random_cylinders()
    sphere = ms.project(cyl, 0)
    square = sphere[:, 6:35, 16:45]
    assert (square == cyl[:, 6:35, 2:31]).mean() < 0.9


def test_charts_bad_field():
    with pytest.raises(InputError, match="120×60"):
        SphereCharts().extract(torch.zeros(1, 1, 60, 60))
    with pytest.raises(InputError):
        SphereCharts(radius=20)


def test_predictor_is_per_chart_and_shapes():
    torch.manual_seed(0)
    net = ChartSegmenter(3, width=0.25).eval()
    x = torch.randn(2, 3, 1, 29, 29)
    y = net(x)
    assert y.shape == (2, 3, 11, 29, 29)
    x2 = x.clone()
    x2[:, 1] = torch.randn(2, 1, 29, 29)  # changing chart 1 changes only chart 1's output
    y2 = net(x2)
    assert torch.equal(y[:, 0], y2[:, 0]) and torch.equal(y[:, 2], y2[:, 2])
    assert not torch.allclose(y[:, 1], y2[:, 1])


def test_weighted_cross_entropy():
    loss = weighted_cross_entropy(0.1)
    logits = torch.zeros(1, 11, 2, 1)
    labels = torch.tensor([[[3], [10]]])
    target = one_hot(labels)
    assert target.shape == (1, 11, 2, 1) and target[0, 3, 0, 0] == 1 and target[0, 10, 1, 0] == 1
    expected = (np.log(11) + 0.1 * np.log(11)) / 2
    assert float(loss(logits, target)[0]) == pytest.approx(expected, rel=1e-6)


def test_spec_trains_on_tiny_data(tmp_path):
    """Through the engine: a few predictor epochs on 24 samples lower the task loss."""
    from symrepro.discovery.run import make_predictor, trainer_for
    from symrepro.discovery.trainers import Settings

    spec = get("mnist_sphere")
    digits = np.zeros((10, 28, 28), dtype=np.uint8)
    for i in range(10):
        digits[i, 4 + i:10 + i, 6:22] = 255
    arrays = ms.generate(digits, np.arange(10, dtype=np.uint8), 24, 0, seed=0)
    from symrepro.datasets.hdf5 import write_arrays
    write_arrays(tmp_path / "d.h5", arrays)
    x, y = spec.load(tmp_path / "d.h5")
    assert x.dtype == torch.float16 and y.dtype == torch.uint8
    torch.manual_seed(0)
    view = spec.view()
    net = make_predictor(spec, view, {"width": 0.25})
    trainer = trainer_for(spec, view, net, Settings(batch_size=8), "cpu")
    gen = torch.Generator().manual_seed(0)
    history = trainer.train_predictor(x, y, 6, gen)
    assert history[-1]["predictor_loss"] < 0.85 * history[0]["predictor_loss"]
    metrics = spec.evaluate(net, view, x, y)
    assert metrics["digit_pixels"] > 0 and 0 <= metrics["digit_pixel_accuracy"] <= 1
