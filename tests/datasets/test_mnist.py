"""The synthetic MNIST stand-in and the 14×14 conversion."""

import gzip
import hashlib

import h5py
import numpy as np
import pytest

from symrepro.cli import main
from symrepro.datasets import mnist
from symrepro.datasets.hdf5 import write_arrays
from symrepro.errors import InputError


@pytest.fixture(scope="module")
def raw_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("mnist") / "raw"
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(out),
                 "--n-train", "40", "--n-test", "300", "--seed", "3"]) == 0
    return out


def test_synthetic_files_are_deterministic_and_in_the_official_format(raw_dir, tmp_path):
    assert sorted(p.name for p in raw_dir.iterdir()) == sorted(mnist.FILES)
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(tmp_path / "again"),
                 "--n-train", "40", "--n-test", "300", "--seed", "3"]) == 0
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(tmp_path / "other"),
                 "--n-train", "40", "--n-test", "300", "--seed", "4"]) == 0
    for name in mnist.FILES:
        data = (raw_dir / name).read_bytes()
        assert data == (tmp_path / "again" / name).read_bytes()
        assert data != (tmp_path / "other" / name).read_bytes()
        header = gzip.decompress(data)[:4]
        assert header == bytes([0, 0, 8, 3 if "images" in name else 1])
    for split, n in (("train", 40), ("test", 300)):
        images, labels = mnist.read_split(raw_dir, split)
        assert images.shape == (n, 28, 28) and images.dtype == np.uint8
        assert labels.shape == (n,) and labels.dtype == np.uint8


def test_synthetic_digits_look_like_mnist(raw_dir):
    images, labels = mnist.read_split(raw_dir, "test")
    assert set(labels.tolist()) == set(range(10))
    assert (images.reshape(len(images), -1).max(1) > 200).all()  # every image has a bright stroke
    border = np.concatenate([images[:, :2].reshape(len(images), -1), images[:, -2:].reshape(len(images), -1),
                             images[:, :, :2].reshape(len(images), -1), images[:, :, -2:].reshape(len(images), -1)], 1)
    assert border.max() == 0  # a black margin, as in MNIST
    assert 10 < images.mean() < 70  # MNIST's mean is 33


def test_synthetic_digits_are_a_learnable_task(raw_dir):
    """Nearest class mean on the 14×14 images beats chance (10 %) by far."""
    images, labels = mnist.read_split(raw_dir, "test")
    x = mnist.resize(images, 14).reshape(len(images), -1)
    train, test = slice(0, 200), slice(200, None)
    means = np.stack([x[train][labels[train] == d].mean(0) for d in range(10)])
    guess = ((x[test, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (guess == labels[test]).mean() > 0.4


def test_mnist14_resizes_like_the_reference_by_default(raw_dir, tmp_path):
    from PIL import Image

    out = tmp_path / "mnist14.h5"
    assert main(["data", "mnist14", "--raw-dir", str(raw_dir), "--out", str(out)]) == 0
    images, _ = mnist.load_mnist14(out)
    raw_images, _ = mnist.read_split(raw_dir, "test")
    assert np.array_equal(np.round(images * 255), np.round(images * 255).astype(np.uint8))  # 8-bit values
    pil = np.asarray(Image.fromarray(raw_images[5]).resize((14, 14), Image.Resampling.BILINEAR)) / 255
    np.testing.assert_allclose(images[5], pil, atol=1e-7)
    area = mnist.resize(raw_images[:20], 14, "area")
    assert np.abs(images[:20] - area).max() > 0.02  # a different filter from area averaging
    flat = mnist.resize(np.full((1, 28, 28), 200, np.uint8), 14)
    np.testing.assert_allclose(flat, 200 / 255, atol=1e-7)  # a uniform image stays uniform
    with h5py.File(out) as f:
        assert f.attrs["resample"] == "bilinear"


def test_mnist14_area_averages_the_test_split(raw_dir, tmp_path):
    out = tmp_path / "mnist14.h5"
    assert main(["data", "mnist14", "--raw-dir", str(raw_dir), "--resample", "area", "--out", str(out)]) == 0
    images, labels = mnist.load_mnist14(out)
    raw_images, raw_labels = mnist.read_split(raw_dir, "test")  # test is the default split
    assert images.shape == (300, 14, 14) and images.dtype == np.float32 and labels.dtype == np.int64
    assert np.array_equal(labels, raw_labels)
    np.testing.assert_allclose(images, raw_images.reshape(300, 14, 2, 14, 2).mean((2, 4)) / 255, atol=1e-6)
    with h5py.File(out) as f:
        assert f.attrs["split"] == "test" and f.attrs["size"] == 14 and f.attrs["source"] == "other"


def test_mnist14_recognises_the_official_files_by_md5(raw_dir, tmp_path, monkeypatch):
    md5 = {name: hashlib.md5((raw_dir / name).read_bytes()).hexdigest() for name in mnist.FILES}
    monkeypatch.setattr(mnist, "FILES", md5)
    out = tmp_path / "train14.h5"
    assert main(["data", "mnist14", "--raw-dir", str(raw_dir), "--split", "train", "--size", "7",
                 "--out", str(out)]) == 0
    images, _ = mnist.load_mnist14(out)
    assert images.shape == (40, 7, 7)
    with h5py.File(out) as f:
        assert f.attrs["split"] == "train" and f.attrs["source"] == "official"


def test_bad_inputs_are_reported_by_name(raw_dir, tmp_path, capsys):
    assert main(["data", "mnist14", "--raw-dir", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.h5")]) == 2
    assert "t10k-images-idx3-ubyte.gz" in capsys.readouterr().err
    assert main(["data", "mnist14", "--raw-dir", str(raw_dir), "--size", "29", "--out", str(tmp_path / "x.h5")]) == 2
    assert "--size" in capsys.readouterr().err
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(tmp_path / "r"),
                 "--n-test", "0"]) == 2
    assert "--n-test" in capsys.readouterr().err
    assert not (tmp_path / "x.h5").exists()

    write_arrays(tmp_path / "range.h5", {"images": np.full((2, 14, 14), 1.5, np.float32),
                                         "labels": np.zeros(2, np.int64)})
    with pytest.raises(InputError, match="range.h5.*\\[0, 1\\]"):
        mnist.load_mnist14(tmp_path / "range.h5")
    write_arrays(tmp_path / "labels.h5", {"images": np.zeros((2, 14, 14), np.float32),
                                          "labels": np.array([3, 10])})
    with pytest.raises(InputError, match="labels.h5.*digits"):
        mnist.load_mnist14(tmp_path / "labels.h5")
    write_arrays(tmp_path / "count.h5", {"images": np.zeros((2, 14, 14), np.float32),
                                         "labels": np.zeros(3, np.int64)})
    with pytest.raises(InputError, match="count.h5.*sample count"):
        mnist.load_mnist14(tmp_path / "count.h5")
