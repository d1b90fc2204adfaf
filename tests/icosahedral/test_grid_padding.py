import numpy as np
import pytest
import torch

from symrepro.errors import InputError
from symrepro.icosahedral import grid, padding

HEX = ((0, 1), (1, 1), (1, 0), (0, -1), (-1, -1), (-1, 0))


@pytest.mark.parametrize("r", [1, 2, 3, 4])
def test_grid_is_the_subdivided_icosahedron(r):
    h, w = grid.chart_shape(r)
    xyz = grid.ico_xyz(r)
    assert xyz.shape == (5, 2 ** r, 2 ** (r + 1), 3) == (5, h, w, 3)
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=-1), 1.0, atol=1e-12)
    vertices = grid.all_vertices(r)
    assert len(vertices) == 10 * 4 ** r + 2
    # the charts plus the poles hold every vertex exactly once
    gaps = grid.great_circle(vertices[:, None], vertices[None])
    np.fill_diagonal(gaps, np.inf)
    assert gaps.min() > 0.5 * grid.median_spacing(r)
    # 12 pentagonal vertices, all others hexagonal
    edges = grid.mesh_edges(r)
    degree = np.bincount(edges.ravel(), minlength=len(vertices))
    assert sorted(np.unique(degree, return_counts=True)[1].tolist()) == sorted([12, len(vertices) - 12])
    assert set(degree.tolist()) == {5, 6}
    # hex-lattice neighbours inside a chart are mesh neighbours
    for di, dj in HEX[:3]:
        a, b = xyz[:, : h - di, : w - dj], xyz[:, di:, dj:]
        assert grid.great_circle(a, b).max() < 1.5 * grid.median_spacing(r)


def test_lat_lon_ranges_and_rotation():
    lat, lon = grid.ico_lat_lon(3)
    assert lat.shape == lon.shape == (5, 8, 16)
    assert -90 <= lat.min() and lat.max() <= 90 and -180 <= lon.min() and lon.max() < 180
    # chart k+1 is chart k rotated by 72° about the pole
    np.testing.assert_allclose(lat[1:], lat[:-1], atol=1e-9)
    np.testing.assert_allclose(np.mod(lon[1:] - lon[:-1], 360.0), 72.0, atol=1e-9)


@pytest.mark.parametrize("r", [2, 3, 4])
def test_padded_neighbours_are_true_neighbours(r):
    """Every padded border value comes from a sphere point within 1.5 median spacings of
    each chart pixel it is a hexagonal neighbour of (poles: the mean of the 5 pixels
    around them, whose direction is the pole)."""
    h, w = grid.chart_shape(r)
    xyz = grid.ico_xyz(r)
    field = torch.from_numpy(xyz).permute(3, 0, 1, 2)  # (3, 5, H, W): a 3-channel field
    padded = padding.pad(field).permute(1, 2, 3, 0).numpy()
    np.testing.assert_array_equal(padded[:, 1:-1, 1:-1], xyz)
    padded = padded / np.linalg.norm(padded, axis=-1, keepdims=True)
    limit = 1.5 * grid.median_spacing(r)
    checked = 0
    for i in range(-1, h + 1):
        for j in range(-1, w + 1):
            if 0 <= i < h and 0 <= j < w:
                continue
            for di, dj in HEX:
                qi, qj = i - di, j - dj
                if 0 <= qi < h and 0 <= qj < w:
                    gap = grid.great_circle(padded[:, i + 1, j + 1], xyz[:, qi, qj])
                    assert gap.max() <= limit, (i, j, qi, qj, gap.max() / grid.median_spacing(r))
                    checked += 5
    assert checked >= 5 * 2 * (h + w)
    # the poles are where they should be
    np.testing.assert_allclose(padded[:, h + 1, 1], [[0, 0, 1]] * 5, atol=1e-12)
    np.testing.assert_allclose(padded[:, 1, w + 1], [[0, 0, -1]] * 5, atol=1e-12)


@pytest.mark.parametrize("r", [1, 3])
def test_padding_commutes_with_chart_roll(r):
    h, w = grid.chart_shape(r)
    x = torch.randn(2, 3, 5, h, w, dtype=torch.float64)
    torch.testing.assert_close(padding.pad(torch.roll(x, 1, dims=-3)), torch.roll(padding.pad(x), 1, dims=-3))


def test_padding_gradient_flows_and_batch_shapes():
    x = torch.randn(5, 4, 8, requires_grad=True)
    y = padding.pad(x)
    assert y.shape == (5, 6, 10)
    y.sum().backward()
    assert x.grad.shape == x.shape and (x.grad > 0).all()


@pytest.mark.parametrize("shape", [(5, 4, 9), (4, 4, 8), (5, 3, 6), (8,), (5, 1, 2)])
def test_bad_shapes(shape):
    with pytest.raises(InputError, match="2\\^r|shape"):
        padding.pad(torch.zeros(shape))


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", 11])
def test_bad_resolution(bad):
    with pytest.raises(InputError, match="resolution"):
        grid.ico_xyz(bad)
