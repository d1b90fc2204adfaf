"""Simple shapes for the rotation experiment: synthetic generator and the paper's samples."""

import hashlib
import subprocess
from pathlib import Path

import h5py
import numpy as np
import pytest

from symrepro.cli import main
from symrepro.datasets import shapes
from symrepro.datasets.hdf5 import write_arrays
from symrepro.errors import InputError

SNAPSHOT = Path("/work/.mirror/usinedepain+eq_aug_dyn/repo")


def _snapshot_has_commit() -> bool:
    if not SNAPSHOT.is_dir():
        return False
    found = subprocess.run(["git", "-C", str(SNAPSHOT), "cat-file", "-e", f"{shapes.PAPER_COMMIT}^{{commit}}"],
                           capture_output=True)
    return found.returncode == 0


def test_generation_is_deterministic():
    a, b = shapes.generate(150, seed=4), shapes.generate(150, seed=4)
    assert a.keys() == {"images", "triangle", "pentagon", "shape"}
    for key in a:
        assert a[key].dtype == b[key].dtype and np.array_equal(a[key], b[key])
    assert not np.array_equal(a["images"], shapes.generate(150, seed=5)["images"])


def test_masks_and_images_are_consistent():
    data = shapes.generate(300, seed=0)
    images, shape = data["images"], data["shape"]
    assert images.shape == (300, 14, 14) and images.dtype == np.float32 and shape.dtype == np.uint8
    assert images.min() >= 0 and images.max() <= 1 and 0.4 < shape.mean() < 0.6
    tri = shape == 0
    for name in ("triangle", "pentagon"):
        assert data[name].dtype == np.float32 and np.isin(data[name], (0, 1)).all()
    assert (data["triangle"][~tri] == 0).all() and (data["pentagon"][tri] == 0).all()
    present = np.where(tri[:, None, None], data["triangle"], data["pentagon"])
    assert np.array_equal(present, (images > 0.5).astype(np.float32))
    assert (images.reshape(300, -1).sum(1) > 5).all()  # the offset never pushes a shape out of view


@pytest.mark.parametrize("vertices", [3, 5])
def test_rasterised_area_and_orientation(vertices):
    radius = 0.75
    image = shapes.rasterize(shapes.polygon(vertices, radius, np.zeros(2)), 14)
    exact = vertices / 2 * np.sin(2 * np.pi / vertices) * radius**2 * (14 / 2) ** 2  # polygon area in pixels
    assert abs(image.sum() - exact) < 0.02 * exact
    assert np.abs(image - image[::-1]).max() < 0.03  # a vertex on +x: symmetric about the x-axis
    assert np.abs(image - image[:, ::-1]).max() > 0.3  # but not about the y-axis
    offset = shapes.rasterize(shapes.polygon(vertices, radius, np.array([0.5, 0.0])), 14)
    assert (offset * np.arange(14)).sum() / offset.sum() > (image * np.arange(14)).sum() / image.sum() + 2.5


def test_cli_writes_a_file_the_loader_accepts(tmp_path):
    out = tmp_path / "shapes.h5"
    assert main(["data", "shapes", "--n-samples", "40", "--seed", "1", "--out", str(out)]) == 0
    data = shapes.load_shapes(out)
    assert np.array_equal(data["images"], shapes.generate(40, seed=1)["images"])
    with h5py.File(out) as f:
        assert f.attrs["source"] == "synthetic" and f.attrs["seed"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["shapes.h5"]


def test_the_loader_rejects_bad_files(tmp_path):
    good = shapes.generate(10, seed=0)
    bad = {"mask": {**good, "triangle": good["triangle"] * 0.5},
           "range": {**good, "images": good["images"] + 1},
           "grid": {**good, "pentagon": good["pentagon"][:, :7]}}
    messages = {"mask": "triangle mask must be 0/1", "range": r"\[0, 1\]", "grid": "pentagon has shape"}
    for name, arrays in bad.items():
        write_arrays(tmp_path / f"{name}.h5", arrays)
        with pytest.raises(InputError, match=f"{name}.h5.*{messages[name]}"):
            shapes.load_shapes(tmp_path / f"{name}.h5")
    write_arrays(tmp_path / "lacking.h5", {k: v for k, v in good.items() if k != "pentagon"})
    with pytest.raises(InputError, match="lacking.h5.*pentagon"):
        shapes.load_shapes(tmp_path / "lacking.h5")


# ------------------------------------------------------------------ paper
def _members(img, trig, pent, prefix="eq_aug_dyn-x"):
    return {f"{prefix}/simpshape/shps{kind}{k}.npy": array
            for kind, arrays in (("img", img), ("trig", trig), ("pent", pent)) for k, array in enumerate(arrays)}


@pytest.fixture
def few_paper_samples(monkeypatch):
    monkeypatch.setattr(shapes, "PAPER_SAMPLES", 24)  # the reference has 3000; keeps the test fast


def _fake_paper_samples():
    """Data shaped like the reference's: image 1 outside, masks with the absent one all ones."""
    rng = np.random.default_rng(0)
    n = shapes.PAPER_SAMPLES
    is_tri = rng.random(n) < 0.5
    mask = (rng.random((n, 14, 14)) < 0.3).astype(np.float64)
    img = 1 - 0.57 * mask
    trig = np.where(is_tri[:, None, None], mask, 1.0)
    pent = np.where(is_tri[:, None, None], 1.0, mask)
    return img, trig, pent, is_tri


def test_paper_source_downloads_converts_and_checks_the_content(mirror, tmp_path, monkeypatch, capsys,
                                                                few_paper_samples, npy_archive):
    img, trig, pent, is_tri = _fake_paper_samples()
    (mirror.root / "good" / "archive.tar.gz").write_bytes(npy_archive(_members(img, trig, pent)))
    monkeypatch.setattr(shapes, "PAPER_URLS", (f"{mirror.url}/missing/archive.tar.gz",
                                               f"{mirror.url}/good/archive.tar.gz"))
    out = tmp_path / "paper.h5"
    assert main(["data", "shapes", "--source", "paper", "--retries", "1", "--backoff", "0", "--out", str(out)]) == 2
    assert "content checksum" in capsys.readouterr().err and not out.exists()

    digest = hashlib.sha256(img.tobytes() + trig.tobytes() + pent.tobytes()).hexdigest()
    monkeypatch.setattr(shapes, "PAPER_CONTENT_SHA256", digest)
    assert main(["data", "shapes", "--source", "paper", "--retries", "1", "--backoff", "0", "--out", str(out)]) == 0
    data = shapes.load_shapes(out)
    assert np.array_equal(data["images"], img.astype(np.float32)) and np.array_equal(data["triangle"], trig)
    assert np.array_equal(data["shape"], (~is_tri).astype(np.uint8))
    with h5py.File(out) as f:
        assert f.attrs["source"] == "paper" and f.attrs["commit"] == shapes.PAPER_COMMIT


def test_an_archive_lacking_samples_is_refused(few_paper_samples, npy_archive):
    img, trig, pent, _ = _fake_paper_samples()
    with pytest.raises(InputError, match="shpspent"):
        shapes.convert_paper_archive(npy_archive(_members(img, trig, pent[:-1])))


@pytest.mark.skipif(not _snapshot_has_commit(), reason="no local snapshot of usinedepain/eq_aug_dyn at the commit")
def test_the_pinned_checksum_matches_the_reference_snapshot(tmp_path):
    archive = subprocess.run(["git", "-C", str(SNAPSHOT), "archive", "--format=tar.gz",
                              f"--prefix=eq_aug_dyn-{shapes.PAPER_COMMIT}/", shapes.PAPER_COMMIT, "simpshape"],
                             check=True, capture_output=True).stdout
    data = shapes.convert_paper_archive(archive)
    assert data["images"].shape == (3000, 14, 14) and 0.45 < (data["shape"] == 0).mean() < 0.55
    tri = data["shape"] == 0
    assert (data["pentagon"][tri] == 1).all() and (data["triangle"][~tri] == 1).all()  # the reference's defect
    write_arrays(tmp_path / "paper.h5", data)
    assert shapes.load_shapes(tmp_path / "paper.h5")["images"].min() > 0.4
