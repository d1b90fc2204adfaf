"""LieGAN on the sphere: the resampling, the generator's axis, one short training run."""

import json
import math

import numpy as np
import pytest
import torch

from symrepro.liegan.model import LieGenerator, SegmentationDiscriminator, axis_and_magnitude
from symrepro.liegan.sphere import axis_angle_matrix, grid_points, rotate


def smooth_field(points: torch.Tensor) -> torch.Tensor:
    x, y, z = points.unbind(-1)
    return torch.stack([x + 0.5 * y * z + 0.3 * x * x, torch.exp(z) - y])  # (2, H, W)


def test_identity_and_pole_rotation_is_a_roll():
    torch.manual_seed(0)
    f = torch.rand(2, 3, 120, 60)
    eye = torch.eye(3).expand(2, 3, 3)
    body = (..., slice(1, None))  # column 0 is the pole itself: one point, whatever the longitude
    assert torch.allclose(rotate(f, eye)[body], f[body], atol=1e-4)
    for k in (1, 7, -30):
        g = axis_angle_matrix([0, 0, 1], 2 * math.pi * k / 120).float().expand(2, 3, 3)
        assert torch.allclose(rotate(f, g)[body], torch.roll(f, k, dims=-2)[body], atol=1e-4)


def test_rotation_matches_analytic_field_and_inverts():
    points = grid_points(120, 60, dtype=torch.float64)
    f = smooth_field(points)[None].float()
    g = axis_angle_matrix([1.0, 2.0, -0.5], 0.7)
    moved = rotate(f, g.float()[None])
    expected = smooth_field(torch.einsum("ji,hwj->hwi", g, points))[None].float()  # f(g⁻¹ p)
    inner = (..., slice(None), slice(5, 55))  # away from the poles, where the grid is coarse in θ
    assert (moved - expected)[inner].abs().max() < 0.05
    back = rotate(moved, g.T.float()[None])
    assert (back - f)[inner].abs().max() < 0.05
    # a rotation really moves the field
    assert (moved - f)[inner].abs().max() > 0.3


def test_generator_gradient_is_finite_near_the_identity():
    """Pixels at the pole (atan2(0, 0)) must not give NaN gradients (they crashed training)."""
    torch.manual_seed(0)
    gen = LieGenerator(init_std=1e-4)
    x = torch.rand(3, 1, 120, 60, requires_grad=False)
    gx, gy = gen(x, torch.rand(3, 11, 120, 60), torch.Generator().manual_seed(0))
    (gx.square().mean() + gy.mean()).backward()
    assert torch.isfinite(gen.coefficients.grad).all()
    with pytest.raises(ValueError, match="non-finite"):
        rotate(x, torch.full((3, 3, 3), float("nan")))


def test_axis_and_magnitude_and_generator_shapes():
    L = 0.3 * np.array([[0.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])  # about x
    axis, magnitude = axis_and_magnitude(L)
    assert np.allclose(axis, [1, 0, 0]) and magnitude == pytest.approx(0.3)
    torch.manual_seed(0)
    gen = LieGenerator()
    g = gen.sample(5, torch.Generator().manual_seed(0))
    assert torch.allclose(g @ g.transpose(1, 2), torch.eye(3).expand(5, 3, 3), atol=1e-5)
    disc = SegmentationDiscriminator()
    out = disc(torch.rand(4, 1, 120, 60), torch.rand(4, 11, 120, 60))
    assert out.shape == (4, 1) and bool(((out > 0) & (out < 1)).all())


def test_cli_writes_group_and_history(tmp_path):
    from symrepro.cli import main
    from symrepro.datasets import mnist_sphere as ms
    from symrepro.datasets.hdf5 import write_arrays
    from symrepro.symmetry import MatrixGroup

    digits = np.zeros((10, 28, 28), dtype=np.uint8)
    digits[:, 8:20, 10:14] = 255
    write_arrays(tmp_path / "d.h5", ms.generate(digits, np.arange(10, dtype=np.uint8), 8, 60, seed=0))
    assert main(["liegan", "train", "--data", str(tmp_path / "d.h5"), "--epochs", "2", "--batch-size", "4",
                 "--device", "cpu", "--seed", "3", "--out-dir", str(tmp_path / "out")]) in (0, None)
    group = MatrixGroup.read(tmp_path / "out" / "group.json")
    assert group.dim == 3 and group.lie_algebra.shape == (1, 3, 3)
    assert np.allclose(group.lie_algebra[0], -group.lie_algebra[0].T)
    history = json.loads((tmp_path / "out" / "history.json").read_text())["history"]
    assert len(history) == 2 and history[-1]["magnitude"] == pytest.approx(group.metadata["magnitude"])
