"""MNIST IDX files (parse, write, download with mirrors and checksums) and simple shapes."""

import gzip
import hashlib

import numpy as np
import pytest

from symrepro.cli import main
from symrepro.datasets import mnist, shapes
from symrepro.datasets.download import fetch
from symrepro.datasets.idx import decode, encode, read_idx, write_idx
from symrepro.errors import InputError


# ------------------------------------------------------------------ IDX
@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.float32])
def test_idx_round_trip(tmp_path, dtype):
    array = (np.arange(2 * 3 * 5) % 251).astype(dtype).reshape(2, 3, 5)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(tmp_path / name, array)
        back = read_idx(tmp_path / name)
        assert back.dtype == array.dtype and np.array_equal(back, array)
    assert encode(array)[:4] == bytes([0, 0, {np.uint8: 8, np.int32: 12, np.float32: 13}[dtype], 3])


def test_idx_rejects_bad_magic_and_truncation(tmp_path):
    raw = encode(np.random.default_rng(0).integers(0, 255, (4, 28, 28), dtype=np.uint8))
    with pytest.raises(InputError, match="magic"):
        decode(b"\x01" + raw[1:])
    with pytest.raises(InputError, match="truncated"):
        decode(raw[:-10])
    (tmp_path / "t.gz").write_bytes(gzip.compress(raw)[:50])
    with pytest.raises(InputError, match="t.gz"):
        read_idx(tmp_path / "t.gz")


# ------------------------------------------------------------- synthetic
def test_synthetic_mnist_is_deterministic_and_in_the_official_format(tmp_path):
    for run in ("a", "b"):
        assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(tmp_path / run),
                     "--n-train", "20", "--n-test", "30", "--seed", "3"]) == 0
    for name in mnist.FILES:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    images, labels = mnist.read_split(tmp_path / "a", "test")
    assert images.shape == (30, 28, 28) and images.dtype == np.uint8 and labels.shape == (30,)
    assert set(labels) <= set(range(10)) and images.max() > 200 and (images[:, 0, :] == 0).mean() > 0.8

    out = tmp_path / "m14.h5"
    assert main(["data", "mnist14", "--raw-dir", str(tmp_path / "a"), "--out", str(out)]) == 0
    small, small_labels = mnist.load_mnist14(out)
    assert small.shape == (30, 14, 14) and np.array_equal(small_labels, labels)
    # area averaging: each 14×14 pixel is the mean of a 2×2 block
    np.testing.assert_allclose(small[0], images[0].reshape(14, 2, 14, 2).mean((1, 3)) / 255, atol=1e-6)


# -------------------------------------------------------------- download
def _publish(root, tmp_path):
    """Synthetic IDX files served from good/, corrupted copies from bad/; returns their MD5s."""
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(root / "good"),
                 "--n-train", "10", "--n-test", "10"]) == 0
    md5 = {}
    for path in (root / "good").iterdir():
        data = path.read_bytes()
        md5[path.name] = hashlib.md5(data).hexdigest()
        (root / "bad" / path.name).write_bytes(data[:-7] + b"corrupt")
    return md5


def test_download_retries_past_a_corrupt_mirror_and_leaves_nothing_partial(server, tmp_path, monkeypatch, caplog):
    root, url = server
    md5 = _publish(root, tmp_path)
    monkeypatch.setattr(mnist, "FILES", md5)
    out = tmp_path / "raw"
    with caplog.at_level("WARNING"):
        mnist.download_official(out, [f"{url}/bad/", f"{url}/good/"], retries=2, timeout=5, backoff=0)
    assert "md5" in caplog.text  # the corrupt copies were detected
    assert sorted(p.name for p in out.iterdir()) == sorted(md5)
    for name in md5:
        assert (out / name).read_bytes() == (root / "good" / name).read_bytes()
    assert mnist.read_split(out, "train")[0].shape == (10, 28, 28)


def test_download_fails_cleanly_when_every_mirror_is_bad(server, tmp_path):
    root, url = server
    md5 = _publish(root, tmp_path)
    name = "t10k-images-idx3-ubyte.gz"
    dest = tmp_path / "raw" / name
    with pytest.raises(InputError, match=f"could not download {name}.*bad.*checksum|could not download {name}"):
        fetch([f"{url}/bad/{name}", f"{url}/missing/{name}"], dest, checksum=("md5", md5[name]), retries=2,
              timeout=5, backoff=0)
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_download_skips_a_mirror_that_does_not_have_the_file(server, tmp_path, caplog):
    root, url = server
    md5 = _publish(root, tmp_path)
    name = "train-labels-idx1-ubyte.gz"
    with caplog.at_level("WARNING"):
        fetch([f"{url}/missing/{name}", f"{url}/good/{name}"], tmp_path / name, checksum=("md5", md5[name]),
              retries=3, timeout=5, backoff=0)
    assert caplog.text.count("404") == 1  # a 404 is not retried on the same mirror
    assert hashlib.md5((tmp_path / name).read_bytes()).hexdigest() == md5[name]


# ---------------------------------------------------------------- shapes
def test_shapes_are_deterministic_with_consistent_masks(tmp_path):
    a, b = shapes.generate(200, seed=4), shapes.generate(200, seed=4)
    for key in a:
        assert np.array_equal(a[key], b[key])
    assert not np.array_equal(a["images"], shapes.generate(200, seed=5)["images"])
    assert a["images"].shape == (200, 14, 14) and 0.35 < a["shape"].mean() < 0.65
    is_triangle = a["shape"] == 0
    assert (a["triangle"][~is_triangle] == 0).all() and (a["pentagon"][is_triangle] == 0).all()
    present = np.where(is_triangle[:, None, None], a["triangle"], a["pentagon"])
    assert np.array_equal(present, (a["images"] > 0.5).astype(np.float32))
    # a pentagon covers more of its circle than a triangle of the same radius
    area = a["images"].sum((1, 2))
    assert area[~is_triangle].mean() > area[is_triangle].mean()
    out = tmp_path / "shapes.h5"
    assert main(["data", "shapes", "--n-samples", "50", "--seed", "1", "--out", str(out)]) == 0
    assert shapes.load_shapes(out)["images"].shape == (50, 14, 14)


def test_shape_files_with_non_binary_masks_are_rejected(tmp_path):
    from symrepro.datasets.hdf5 import write_arrays

    data = shapes.generate(10, seed=0)
    data["triangle"] = data["triangle"] * 0.5
    write_arrays(tmp_path / "bad.h5", data)
    with pytest.raises(InputError, match="triangle mask must be 0/1"):
        shapes.load_shapes(tmp_path / "bad.h5")
