import math

import numpy as np
import pytest
import torch

from symrepro.errors import InputError
from symrepro.icosahedral import conv, grid, padding
from symrepro.symmetry import MatrixGroup
from symrepro.symmetry.lie import J, reference_group

PLANE = "R^2: tangent plane"


def rotation(angle):
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def test_so2_group_gives_rotation_tied_kernels():
    group = reference_group("SO(2)")
    symmetry = conv.kernel_symmetry(group)
    assert symmetry == "so2"
    layer = conv.HexConv(3, 4, symmetry, pool_orientations=False)
    assert layer.weight.shape == (4, 3, 7)
    kernels = layer.kernels().detach()  # (out, 6, in, 3, 3)
    assert kernels.shape == (4, 6, 3, 3, 3)
    for o in range(6):  # orientation o rotated by 60° is orientation o + 1
        torch.testing.assert_close(conv.rotate_hex(kernels[:, o]), kernels[:, (o + 1) % 6], rtol=0, atol=0)
    assert (kernels[..., 0, 2] == 0).all() and (kernels[..., 2, 0] == 0).all()
    # copy 0 holds the 7 weights themselves, all distinct taps
    assert torch.equal(kernels[:, 0, :, 1, 1], layer.weight[..., 0].detach())
    for t, (di, dj) in enumerate(conv.RING):
        assert torch.equal(kernels[:, 0, :, 1 + di, 1 + dj], layer.weight[..., 1 + t].detach())
    # the orientation axis carries 6 channels; pooling them = the C6-averaged kernel
    x = torch.randn(2, 3, 5, 4, 8, dtype=torch.float64)
    layer = layer.double()
    regular = layer(x)
    assert regular.shape == (2, 4, 6, 5, 4, 8)
    layer.pool_orientations = True
    torch.testing.assert_close(layer(x), regular.mean(2))


@pytest.mark.parametrize("group", [
    reference_group("GL(2)"),
    reference_group("GL+(2)"),
    MatrixGroup("random spanning", np.random.default_rng(3).normal(size=(4, 2, 2)), np.zeros((0, 2, 2)), PLANE),
])
def test_gl2_groups_give_uniform_kernels(group):
    symmetry = conv.kernel_symmetry(group)
    assert symmetry == "uniform"
    layer = conv.HexConv(3, 2, symmetry)
    assert layer.weight.shape == (2, 3, 1)
    kernels = layer.kernels().detach()
    assert kernels.shape == (2, 1, 3, 3, 3)
    mask = torch.ones(3, 3, dtype=torch.bool)
    mask[0, 2] = mask[2, 0] = False
    taps = kernels[..., mask]  # (2, 1, 3, 7): all 7 taps equal the single weight
    torch.testing.assert_close(taps, layer.weight.detach()[:, None].expand_as(taps), rtol=0, atol=0)
    assert (kernels[..., ~mask] == 0).all()


def test_other_groups():
    scale = MatrixGroup("scalings", np.eye(2)[None], np.zeros((0, 2, 2)), PLANE)
    assert conv.kernel_symmetry(scale) == "plain"
    similarity = MatrixGroup("CO(2)", np.stack([J, np.eye(2)]), np.zeros((0, 2, 2)), PLANE)
    assert conv.kernel_symmetry(similarity) == "so2"
    noisy = MatrixGroup("noisy SO(2)", (J + 0.05 * np.eye(2))[None], np.zeros((0, 2, 2)), PLANE)
    assert conv.kernel_symmetry(noisy, tolerance=0.15) == "so2"
    assert conv.kernel_symmetry(noisy, tolerance=0.01) == "plain"
    three_of_four = MatrixGroup("sl(2)+", np.stack([J, np.eye(2), np.diag([1.0, -1.0])]), np.zeros((0, 2, 2)), PLANE)
    assert conv.kernel_symmetry(three_of_four) == "so2"  # not all of gl(2)
    c6 = MatrixGroup("C6", np.zeros((0, 2, 2)), rotation(math.pi / 3)[None], PLANE)
    assert conv.kernel_symmetry(c6) == "so2"
    c4 = MatrixGroup("C4", np.zeros((0, 2, 2)), rotation(math.pi / 2)[None], PLANE)
    assert conv.kernel_symmetry(c4) == "plain"
    with pytest.raises(InputError, match="SO\\(3\\)"):
        conv.kernel_symmetry(reference_group("SO(3)"))
    with pytest.raises(InputError, match="MatrixGroup"):
        conv.kernel_symmetry("so2")


def test_plain_kernel_taps_are_the_hexagonal_neighbours():
    """Each kernel position multiplies the padded value at its lattice offset; stride 2
    keeps chart rows/columns 0, 2, 4, … (the grid of resolution r − 1)."""
    torch.manual_seed(0)
    layer = conv.HexConv(1, 1, "plain", bias=False).double()
    x = torch.randn(1, 1, 5, 8, 16, dtype=torch.float64)
    p = padding.pad(x)
    w = layer.weight.detach()[0, 0]
    expected = w[0] * x
    for t, (di, dj) in enumerate(conv.RING):
        expected = expected + w[1 + t] * p[..., 1 + di: 1 + di + 8, 1 + dj: 1 + dj + 16]
    torch.testing.assert_close(layer(x), expected)
    layer.stride = 2
    torch.testing.assert_close(layer(x), expected[..., ::2, ::2])
    np.testing.assert_array_equal(grid.ico_xyz(4)[:, ::2, ::2], grid.ico_xyz(3))


def test_bad_input():
    with pytest.raises(InputError, match="kernel symmetry 'c4'"):
        conv.HexConv(1, 1, "c4")
    layer = conv.HexConv(2, 1, "so2")
    with pytest.raises(InputError, match="HexConv expects"):
        layer(torch.zeros(1, 3, 5, 4, 8))
    with pytest.raises(InputError, match="2\\^r"):
        layer(torch.zeros(1, 2, 5, 4, 7))
    with pytest.raises(InputError, match="stride"):
        conv.HexConv(1, 1, "so2", stride=3)
