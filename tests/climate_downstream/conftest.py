"""Tiny climate files (the `climate_<split>.h5` format) and a tiny stand-in model."""

import numpy as np
import pytest
import torch
import torch.nn as nn

from symrepro.datasets.hdf5 import write_arrays


def write_climate(path, n: int = 6, r: int = 2, channels: int = 16, seed: int = 0, annotators: int = 2,
                  drop: str | None = None, **override) -> None:
    """A learnable toy: class 1 where channel 0 > 1, class 2 where channel 1 > 1, else 0.
    Consecutive `annotators` rows share a timestamp."""
    rng = np.random.default_rng(seed)
    h, w = 2 ** r, 2 ** (r + 1)
    fields = rng.normal(size=(n, channels, 5, h, w)).astype(np.float16)
    labels = np.zeros((n, 5, h, w), dtype=np.uint8)
    labels[fields[:, 0] > 1] = 1
    labels[fields[:, 1] > 1] = 2
    times = np.array([f"2000-01-{1 + i // annotators:02d}-00".encode() for i in range(n)])
    arrays = {"ico/fields": fields, "ico/labels": labels, "time": times,
              "annotator": (np.arange(n) % annotators).astype(np.int16)}
    arrays.update(override)
    if drop:
        arrays.pop(drop)
    write_arrays(path, arrays, {"ico_resolution": r})


class TinyModel(nn.Module):
    """One 3×3 convolution per chart (charts folded into the batch); the factory signature of the trainer."""

    def __init__(self, in_channels, classes, widths, kernel_symmetry):
        super().__init__()
        self.kernel_symmetry = kernel_symmetry
        self.conv1 = nn.Conv2d(in_channels, widths[0], 3, padding=1)
        self.conv2 = nn.Conv2d(widths[0], classes, 1)

    def forward(self, x):
        b, c, charts, h, w = x.shape
        y = self.conv2(torch.relu(self.conv1(x.transpose(1, 2).reshape(b * charts, c, h, w))))
        return y.reshape(b, charts, -1, h, w).transpose(1, 2)


@pytest.fixture
def tiny_factory():
    return TinyModel


@pytest.fixture
def climate_files(tmp_path):
    write_climate(tmp_path / "climate_train.h5", n=8, seed=0)
    write_climate(tmp_path / "climate_test.h5", n=6, seed=1, annotators=3)
    return tmp_path / "climate_train.h5", tmp_path / "climate_test.h5"


@pytest.fixture
def climate_writer():
    return write_climate
