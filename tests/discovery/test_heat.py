"""The heat-equation simulator and its HDF5 file."""

import h5py
import numpy as np
import pytest
import torch

from symrepro.cli import main
from symrepro.datasets import heat
from symrepro.errors import InputError


def test_constant_field_stays_constant():
    mask = heat.obstacle()
    const = torch.full((2, 128, 128), heat.HOLD)  # the obstacle and pad value: nothing moves
    torch.testing.assert_close(heat.simulate(const, mask), const)
    patch = torch.full((3, 21, 21), 0.7)  # replicate boundary: any constant is kept
    torch.testing.assert_close(heat.simulate(patch, outside="replicate"), patch)


def test_obstacle_is_held_and_the_rest_diffuses():
    mask = heat.obstacle()
    assert mask.sum() > 0 and mask[20, 40] and not mask[64, 64]
    initial, final = heat.generate(3, seed=0)
    assert np.all(initial[:, mask.numpy()] == np.float32(heat.HOLD))
    assert np.all(final[:, mask.numpy()] == np.float32(heat.HOLD))
    free = ~mask.numpy()
    assert np.abs(final[:, free] - initial[:, free]).mean() > 1e-2  # it did evolve
    assert final[:, free].std() < initial[:, free].std()  # diffusion smooths


def test_axes_follow_the_patch_transform_order():
    """α_x acts along columns (x), α_y along rows (y)."""
    rows = torch.arange(24.0)[:, None].expand(24, 24)
    bump_along_rows = torch.sin(rows / 3)  # varies with the row only
    bump_along_cols = bump_along_rows.T.contiguous()
    still = heat.simulate(bump_along_rows, alpha_x=1.0, alpha_y=0.0, outside="replicate")
    moved = heat.simulate(bump_along_rows, alpha_x=0.0, alpha_y=1.0, outside="replicate")
    torch.testing.assert_close(still, bump_along_rows)
    assert (moved - bump_along_rows).abs().max() > 0.05
    torch.testing.assert_close(heat.simulate(bump_along_cols, alpha_x=0.0, alpha_y=1.0, outside="replicate"),
                               bump_along_cols)


def test_same_seed_same_data_and_the_file_round_trips(tmp_path):
    a, b = heat.generate(5, seed=3), heat.generate(5, seed=3)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], heat.generate(5, seed=4)[0])
    # chunking does not change the numbers
    assert np.array_equal(heat.generate(5, seed=3, chunk=2)[1], a[1])
    out = tmp_path / "pde.h5"
    assert main(["data", "heat", "--n-samples", "5", "--seed", "3", "--threads", "1", "--out", str(out)]) == 0
    initial, final = heat.load(out)
    assert np.array_equal(initial, a[0]) and np.array_equal(final, a[1])
    with h5py.File(out) as f:
        assert f.attrs["seed"] == 3 and f.attrs["alpha_x"] == 1.0 and f["initial"].dtype == np.float32
    assert heat.load(out, limit=2)[0].shape == (2, 128, 128)


def test_bad_inputs_are_reported(tmp_path, capsys):
    assert main(["data", "heat", "--n-samples", "2", "--alpha-x", "9", "--out", str(tmp_path / "x.h5")]) == 2
    assert "--alpha-x" in capsys.readouterr().err and not (tmp_path / "x.h5").exists()
    with pytest.raises(InputError, match="does not exist"):
        heat.load(tmp_path / "missing.h5")
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    with pytest.raises(InputError, match="broken.h5"):
        heat.load(tmp_path / "broken.h5")
