import numpy as np
import pytest
import torch

from symrepro.errors import InputError
from symrepro.icosahedral import grid
from symrepro.icosahedral.unet import IcoUNet, parameter_count, upsample
from symrepro.symmetry.lie import reference_group


@pytest.mark.parametrize("symmetry, count", [("so2", 765_945), ("uniform", 111_321)])
def test_paper_width_parameter_counts(symmetry, count):
    model = IcoUNet(in_channels=16, classes=3, widths=(16, 16, 32, 64, 128, 256), kernel_symmetry=symmetry)
    assert parameter_count(model) == count


def test_from_group():
    assert IcoUNet.from_group(reference_group("SO(2)")).symmetry == "so2"
    assert parameter_count(IcoUNet.from_group(reference_group("GL(2)"))) == 111_321


@pytest.mark.parametrize("symmetry", ["so2", "uniform"])
@pytest.mark.parametrize("r, widths", [(3, (2, 3, 4)), (4, (2, 3, 4, 5))])
def test_commutes_with_72_degree_rotation(symmetry, r, widths):
    torch.manual_seed(1)
    model = IcoUNet(in_channels=2, classes=3, widths=widths, kernel_symmetry=symmetry).double()
    h, w = grid.chart_shape(r)
    x = torch.randn(2, 2, 5, h, w, dtype=torch.float64)
    for mode in (model.train, model.eval):
        mode()
        y = model(x)
        assert y.shape == (2, 3, 5, h, w)
        rotated = model(torch.roll(x, 1, dims=-3))
        assert (rotated - torch.roll(y, 1, dims=-3)).abs().max() < 1e-5
        assert (y - torch.roll(y, 1, dims=-3)).abs().max() > 1e-3  # not trivially invariant


def test_quick_config_trains_on_coarse_grid():
    torch.manual_seed(0)
    model = IcoUNet(in_channels=4, classes=3, widths=(4, 8, 16, 32), kernel_symmetry="so2")
    h, w = grid.chart_shape(5)
    x = torch.randn(2, 4, 5, h, w)
    target = torch.randint(0, 3, (2, 5, h, w))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(5):
        loss = torch.nn.functional.cross_entropy(model(x), target)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert np.isfinite(losses).all() and losses[-1] < losses[0]


@pytest.mark.parametrize("r", [2, 4])
def test_upsample_puts_old_points_back_and_new_ones_on_edge_midpoints(r):
    coarse = torch.from_numpy(grid.ico_xyz(r)).permute(3, 0, 1, 2)
    fine = upsample(coarse).permute(1, 2, 3, 0).numpy()
    np.testing.assert_array_equal(fine[:, ::2, ::2], grid.ico_xyz(r))
    fine /= np.linalg.norm(fine, axis=-1, keepdims=True)
    assert grid.great_circle(fine, grid.ico_xyz(r + 1)).max() < 0.1 * grid.median_spacing(r + 1)


def test_bad_input():
    with pytest.raises(InputError, match="unknown kernel symmetry"):
        IcoUNet(kernel_symmetry="c6")
    with pytest.raises(InputError, match="widths\\[0\\]"):
        IcoUNet(in_channels=4, widths=(16, 32))
    with pytest.raises(InputError, match="at least 2"):
        IcoUNet(in_channels=4, widths=(4,))
    model = IcoUNet(in_channels=2, classes=2, widths=(2, 3, 4))
    with pytest.raises(InputError, match="IcoUNet expects"):
        model(torch.zeros(1, 3, 5, 8, 16))
    with pytest.raises(InputError, match="IcoUNet expects"):
        model(torch.zeros(2, 5, 8, 16))
    with pytest.raises(InputError, match="2\\^r"):
        model(torch.zeros(1, 2, 5, 8, 12))
    with pytest.raises(InputError, match="resolution"):
        model(torch.zeros(1, 2, 5, 2, 4))  # r = 1 < 2 levels + 1
