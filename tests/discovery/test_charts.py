"""Atlas patches and the action of 2×2 matrices on them."""

import math

import pytest
import torch

from symrepro.discovery.charts import Atlas, crop, transform_patches
from symrepro.experiments.pde import ATLAS_CENTRES, atlas
from symrepro.errors import InputError

J = torch.tensor([[0.0, -1.0], [1.0, 0.0]])


def test_extract_matches_slicing_for_every_chart():
    field = torch.randn(2, 3, 40, 50)
    chart_atlas = Atlas(((0.5, 0.5), (0.25, 0.7)), in_radius=5, out_radius=3)
    patches = chart_atlas.extract(field)
    assert patches.shape == (2, 2, 3, 11, 11)
    torch.testing.assert_close(patches[:, 0], field[:, :, 20 - 5:20 + 6, 25 - 5:25 + 6])
    torch.testing.assert_close(patches[:, 1], field[:, :, 10 - 5:10 + 6, 35 - 5:35 + 6])
    assert crop(patches, 3).shape[-2:] == (7, 7)
    torch.testing.assert_close(crop(patches, 3)[:, 0], field[:, :, 17:24, 22:29])
    with pytest.raises(InputError, match="leaves"):
        Atlas(((0.01, 0.5),), 5, 3).extract(field)


def test_pde_atlases_fit_the_grid_and_avoid_the_obstacle():
    from symrepro.datasets.heat import obstacle

    mask = obstacle()
    assert len(atlas(1)) == 19 and len(atlas(2)) == 3
    for number in ATLAS_CENTRES:
        a = atlas(number)
        for row, col in a.pixel_centres(128, 128):
            r = a.in_radius
            assert not mask[row - r:row + r + 1, col - r:col + r + 1].any()


def test_identity_and_quarter_turn():
    patches = torch.randn(2, 3, 1, 9, 9)
    eye = torch.eye(2).expand(2, 3, 2, 2)
    torch.testing.assert_close(transform_patches(patches, eye), patches)
    # out(p) = in(J p) with p = (x, y) = (column, row): out[y, x] = in[x', y'] = in at (−y, x)
    turned = transform_patches(patches, J.expand(2, 3, 2, 2), mode="nearest")
    torch.testing.assert_close(turned, torch.rot90(patches, k=1, dims=(-2, -1)))
    # bilinear agrees with nearest on exact grid points
    torch.testing.assert_close(transform_patches(patches, J.expand(2, 3, 2, 2)), turned)


def test_first_coordinate_is_the_column():
    ramp = torch.arange(9.0).expand(9, 9)[None, None, None]  # value = column index
    stretch_x = torch.diag(torch.tensor([0.5, 1.0]))[None, None]
    out = transform_patches(ramp, stretch_x)
    # sampled at x/2 about the centre column 4: value 4 + (col − 4)/2
    torch.testing.assert_close(out[0, 0, 0, 0], 4 + (torch.arange(9.0) - 4) / 2)
    stretch_y = torch.diag(torch.tensor([1.0, 0.5]))[None, None]
    torch.testing.assert_close(transform_patches(ramp, stretch_y), ramp)


def test_border_padding_and_field_representation():
    patches = torch.randn(1, 1, 2, 7, 7)
    far = torch.tensor([[3.0, 0.0], [0.0, 3.0]])[None, None]  # samples outside: border values
    out = transform_patches(patches, far)
    torch.testing.assert_close(out[..., 0, 0], patches[..., 0, 0])
    torch.testing.assert_close(out[..., -1, -1], patches[..., -1, -1])
    swap = torch.tensor([[0.0, 1.0], [1.0, 0.0]])[None, None]
    eye = torch.eye(2)[None, None]
    torch.testing.assert_close(transform_patches(patches, eye, rep=swap), patches.flip(2))
    angle = 0.3
    rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    axis = torch.arange(7.0) - 3
    linear = (0.3 * axis[None, :] - 0.8 * axis[:, None] + 1.0).expand(1, 1, 1, 7, 7)  # bilinear is exact on it
    back = transform_patches(transform_patches(linear, rot[None, None]), rot.T[None, None])
    torch.testing.assert_close(crop(back, 2), crop(linear, 2))
