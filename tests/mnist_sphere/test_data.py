"""The sphere data set: determinism, labels vs pixels, rotation ranges, projection geometry."""

import math

import numpy as np
import pytest

from symrepro.datasets import mnist_sphere as ms
from symrepro.datasets.mnist import write_synthetic
from symrepro.errors import InputError


def bar_digits(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Digits that are a horizontal bar (rows 12–15, columns 4–23), labels i % 10."""
    digits = np.zeros((n, 28, 28), dtype=np.uint8)
    digits[:, 12:16, 4:24] = 200
    return digits, (np.arange(n) % 10).astype(np.uint8)


def test_deterministic_and_seed_dependent():
    digits, labels = bar_digits(30)
    digits[:, 5, 5] = 7  # make digits distinguishable by their index
    a = ms.generate(digits, labels, 8, 60, seed=3)
    b = ms.generate(digits, labels, 8, 60, seed=3)
    c = ms.generate(digits, labels, 8, 60, seed=4)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a["digits"], c["digits"])


@pytest.mark.parametrize("max_rotation", [60, 180])
def test_angles_within_range(max_rotation):
    digits, labels = bar_digits(10)
    out = ms.generate(digits, labels, 400, max_rotation, seed=0)
    offsets = out["angles"] - 90
    assert offsets.min() >= -max_rotation and offsets.max() <= max_rotation - 1
    assert offsets.min() < -max_rotation * 0.8 and offsets.max() > max_rotation * 0.8  # the range is used


def test_labels_match_pixels_and_shapes():
    digits, labels = bar_digits(10)
    out = ms.generate(digits, labels, 5, 180, seed=1)
    assert out["images"].shape == (5, 1, 120, 60) and out["images"].dtype == np.uint8
    assert out["labels"].shape == (5, 120, 60)
    ink = out["images"][:, 0] > 0
    assert np.all(out["labels"][~ink] == ms.BACKGROUND)
    assert np.all(out["labels"][ink] != ms.BACKGROUND)
    # each digit region carries only that digit's class
    for i in range(5):
        for slot, r in enumerate(ms.DIGIT_ROWS):
            region = out["labels"][i, r - 14:r + 14]
            classes = set(np.unique(region)) - {ms.BACKGROUND}
            assert classes == {out["digit_labels"][i, slot]}


def test_known_geometry_unrotated_bar():
    """Angle 90° turns the horizontal bar into a vertical one: cylinder rows r−14+4…r−14+23
    and columns 2+12…2+15; the projection maps cylinder column y to sphere columns with
    round(sin φ · 120/2π + 16) = y."""
    digits, labels = bar_digits(1)
    out = ms.generate(digits, labels, 1, 0, seed=0)
    assert np.all(out["angles"] == 90)
    cols = ms.projection_columns()
    assert cols[30] == 16 and cols[0] == -1 and cols[59] == -1  # poles are off the cylinder
    expected_cyl = np.zeros((120, 32), dtype=bool)
    for r in ms.DIGIT_ROWS:
        # counter-clockwise 90° rotation of rows 12–15 × columns 4–23 about (13.5, 13.5)
        expected_cyl[r - 14 + 4:r - 14 + 24, 2 + 12:2 + 16] = True
    expected = np.zeros((120, 60), dtype=bool)
    on = cols >= 0
    expected[:, on] = expected_cyl[:, cols[on]]
    np.testing.assert_array_equal(out["images"][0, 0] > 0, expected)
    # the bar (cylinder columns 14…17) lies on exactly the sphere columns that copy 14…17
    j = np.arange(60)
    y = np.rint(np.sin((j - 30) * math.pi / 60) * 120 / (2 * math.pi) + 16)
    assert set(j[(y >= 14) & (y <= 17)]) == set(np.nonzero(expected[20])[0])


def test_bad_input():
    digits, labels = bar_digits(3)
    with pytest.raises(InputError, match="max-rotation"):
        ms.generate(digits, labels, 2, 270, seed=0)
    with pytest.raises(InputError, match="n-samples"):
        ms.generate(digits, labels, 0, 60, seed=0)


def test_cli_writes_file(tmp_path):
    from symrepro.cli import main

    write_synthetic(tmp_path / "raw", 50, 40, seed=0)
    out = tmp_path / "sphere.h5"
    main(["data", "mnist-sphere", "--raw-dir", str(tmp_path / "raw"), "--split", "test", "--n-samples", "7",
          "--max-rotation", "180", "--seed", "2", "--out", str(out)])
    images, labels = ms.load(out)
    assert images.shape == (7, 1, 120, 60) and labels.shape == (7, 120, 60)
    assert set(np.unique(labels)) - set(range(11)) == set()
    with pytest.raises(InputError):
        ms.load(tmp_path / "missing.h5")
