"""Top-tagging data: the real raw format served from a local HTTP server (checksums,
retries, nothing left behind), chunked conversion, and the stand-in's invariance claim."""

import hashlib

import h5py
import numpy as np
import pandas as pd
import pytest

from symrepro.cli import main
from symrepro.datasets import toptag
from symrepro.errors import InputError


@pytest.fixture(scope="module")
def jets():
    return toptag.generate(400, seed=3)


@pytest.fixture
def served(mirror, jets, tmp_path):
    """A small val.h5 in the reference format in good/ (and a corrupted copy in bad/);
    returns the expected (name, size, md5)."""
    momenta, labels = jets
    toptag.write_raw(mirror.root / "good" / "val.h5", momenta[:50], labels[:50], "val")
    data = (mirror.root / "good" / "val.h5").read_bytes()
    (mirror.root / "bad" / "val.h5").write_bytes(data[:-100] + bytes(100))
    return "val.h5", len(data), hashlib.md5(data).hexdigest()


def test_official_record_sizes_and_md5s_are_pinned():
    assert toptag.OFFICIAL == {
        "train": ("train.h5", 1038496555, "45663819f47c13724f67eb0fd80bfa5c"),
        "val": ("val.h5", 347378076, "dca4b7248027618f041f9baa86d360fc"),
        "test": ("test.h5", 347849376, "13163479dee30a5fe546e4536cc3d04d"),
    }
    assert toptag.RECORD == "https://zenodo.org/records/2603256/files/"


def test_raw_format_matches_the_reference_layout(tmp_path, jets):
    path = tmp_path / "raw.h5"
    toptag.write_raw(path, jets[0][:20], jets[1][:20], "train", chunk_rows=7)
    frame = pd.read_hdf(path, key="table")
    assert list(frame.columns[:8]) == ["E_0", "PX_0", "PY_0", "PZ_0", "E_1", "PX_1", "PY_1", "PZ_1"]
    assert list(frame.columns[-6:]) == ["truthE", "truthPX", "truthPY", "truthPZ", "ttv", "is_signal_new"]
    assert frame.shape == (20, 806) and (frame["ttv"] == 0).all()
    import tables

    with tables.open_file(path) as f:  # PyTables' own view: two value blocks as in the reference
        table = f.root.table.table
        assert table.coldtypes["values_block_0"].shape == (804,)
        assert table.coldtypes["values_block_0"].base == np.float32
        assert table.coldtypes["values_block_1"].shape == (2,)
        assert table.coldtypes["values_block_1"].base == np.int64


def test_download_then_convert(mirror, served, tmp_path):
    name, size, md5 = served
    raw = toptag.download("val", tmp_path / "raw", [f"{mirror.url}/good/{name}"], retries=1, timeout=5,
                          backoff=0, expected=served)
    assert raw.read_bytes() == (mirror.root / "good" / name).read_bytes()
    rows = toptag.convert(raw, tmp_path / "val.h5", chunk_rows=16)
    momenta, labels = toptag.load(tmp_path / "val.h5")
    assert rows == 50 and momenta.shape == (50, 30, 4) and momenta.dtype == np.float32 and labels.dtype == np.int64
    # kept when present with the right checksum: no second request
    before = len(mirror.requests)
    toptag.download("val", tmp_path / "raw", [f"{mirror.url}/good/{name}"], retries=1, timeout=5, backoff=0,
                    expected=served)
    assert len(mirror.requests) == before


@pytest.mark.parametrize("kind", ["bad", "truncated"])
def test_corrupt_or_truncated_download_fails_and_leaves_nothing(mirror, served, tmp_path, kind):
    with pytest.raises(InputError, match="val.h5"):
        toptag.download("val", tmp_path / "raw", [f"{mirror.url}/{kind}/val.h5"], retries=2, timeout=5, backoff=0,
                        expected=served)
    assert mirror.requests.count(f"/{kind}/val.h5") == 2
    assert not (tmp_path / "raw").exists() or list((tmp_path / "raw").iterdir()) == []


def test_flaky_server_is_retried(mirror, served, tmp_path):
    raw = toptag.download("val", tmp_path / "raw", [f"{mirror.url}/flaky/val.h5"], retries=2, timeout=5, backoff=0,
                          expected=served)
    assert mirror.requests.count("/flaky/val.h5") == 2 and raw.stat().st_size == served[1]


def test_wrong_published_size_is_an_error(mirror, served, tmp_path):
    name, size, md5 = served
    with pytest.raises(InputError, match="bytes expected"):
        toptag.download("val", tmp_path / "raw", [f"{mirror.url}/good/{name}"], retries=1, timeout=5, backoff=0,
                        expected=(name, size + 1, md5))


def test_conversion_round_trip_in_chunks_smaller_than_the_table(tmp_path, jets, monkeypatch):
    momenta, labels = jets
    raw = tmp_path / "raw.h5"
    toptag.write_raw(raw, momenta, labels, "test", chunk_rows=128)
    calls = []
    original = pd.HDFStore.select

    def spy(self, key, *args, **kwargs):
        calls.append((kwargs.get("start"), kwargs.get("stop")))
        return original(self, key, *args, **kwargs)

    monkeypatch.setattr(pd.HDFStore, "select", spy)
    assert toptag.convert(raw, tmp_path / "out.h5", constituents=30, chunk_rows=37) == 400
    assert all(stop - start <= 37 for start, stop in calls)  # never the whole table at once
    got_momenta, got_labels = toptag.load(tmp_path / "out.h5")
    np.testing.assert_array_equal(got_momenta, momenta)
    np.testing.assert_array_equal(got_labels, labels)
    # fewer constituents: the leading ones
    toptag.convert(raw, tmp_path / "five.h5", constituents=5, chunk_rows=1000)
    np.testing.assert_array_equal(toptag.load(tmp_path / "five.h5")[0], momenta[:, :5])


def test_cli_synthetic_split_writes_raw_and_converted_files(tmp_path):
    assert main(["data", "toptag", "--source", "synthetic", "--split", "val", "--raw-dir", str(tmp_path / "raw"),
                 "--out", str(tmp_path / "val.h5"), "--n-jets", "64", "--seed", "1", "--chunk-rows", "20"]) == 0
    assert main(["data", "toptag", "--source", "synthetic", "--split", "train", "--raw-dir",
                 str(tmp_path / "raw"), "--out", str(tmp_path / "train.h5"), "--n-jets", "64", "--seed", "1"]) == 0
    val, train = toptag.load(tmp_path / "val.h5"), toptag.load(tmp_path / "train.h5")
    assert val[0].shape == (64, 30, 4) and sorted(p.name for p in (tmp_path / "raw").iterdir()) == [
        "synthetic_train.h5", "synthetic_val.h5"]
    assert not np.array_equal(val[0], train[0])  # the splits are different draws
    again = tmp_path / "again.h5"
    main(["data", "toptag", "--source", "synthetic", "--split", "val", "--raw-dir", str(tmp_path / "raw2"),
          "--out", str(again), "--n-jets", "64", "--seed", "1"])
    np.testing.assert_array_equal(toptag.load(again)[0], val[0])  # same seed, same jets


def test_bad_raw_files_give_input_errors(tmp_path, jets):
    not_hdf5 = tmp_path / "junk.h5"
    not_hdf5.write_bytes(b"not an HDF5 file at all" * 10)
    with pytest.raises(InputError, match="not a readable"):
        toptag.convert(not_hdf5, tmp_path / "out.h5")
    with pytest.raises(InputError, match="does not exist"):
        toptag.convert(tmp_path / "missing.h5", tmp_path / "out.h5")
    other_key = tmp_path / "other.h5"
    pd.DataFrame({"E_0": [1.0]}).to_hdf(other_key, key="jets", format="table")
    with pytest.raises(InputError, match="no table under the key 'table'"):
        toptag.convert(other_key, tmp_path / "out.h5")
    few = tmp_path / "few.h5"
    frame = pd.DataFrame(jets[0][:4, :2].reshape(4, 8), columns=toptag.constituent_columns(2))
    frame["is_signal_new"] = jets[1][:4]
    frame.to_hdf(few, key="table", format="table")
    with pytest.raises(InputError, match=r"lacks the columns \[.E_2.*112 missing"):
        toptag.convert(few, tmp_path / "out.h5")
    assert toptag.convert(few, tmp_path / "out.h5", constituents=2) == 4
    fixed = tmp_path / "fixed.h5"
    frame.to_hdf(fixed, key="table", format="fixed")
    with pytest.raises(InputError, match="not a pandas table"):
        toptag.convert(fixed, tmp_path / "out2.h5", constituents=2)
    raw = tmp_path / "raw.h5"
    toptag.write_raw(raw, jets[0][:300], jets[1][:300], "val")
    cut = tmp_path / "cut.h5"
    cut.write_bytes(raw.read_bytes()[: raw.stat().st_size // 2])
    with pytest.raises(InputError):
        toptag.convert(cut, tmp_path / "out3.h5")
    assert not (tmp_path / "out3.h5").exists() and not list(tmp_path.glob(".out*"))


# ------------------------------------------------------------------ the stand-in
def test_stand_in_label_is_a_function_of_lorentz_and_scale_invariants(jets):
    momenta, labels = jets
    rng = np.random.default_rng(11)
    planarity = toptag.planarity(momenta)
    assert ((planarity > toptag.PLANARITY_CUT) == (labels == 1)).all()  # label = [invariant > cut]
    # another random element of O(1,3) × R+ (incl. parity) on every jet: the statistic is unchanged
    frames = toptag.random_frames(len(momenta), rng, max_rapidity=1.5, scale_range=(0.3, 3.0))
    eta = np.diag([1.0, -1.0, -1.0, -1.0])
    lam = frames / np.abs(np.linalg.det(frames))[:, None, None] ** 0.25
    np.testing.assert_allclose(np.einsum("nji,jk,nkl->nil", lam, eta, lam), np.broadcast_to(eta, lam.shape),
                               atol=1e-9)  # they are conformal Lorentz transformations
    moved = toptag.sort_by_energy(np.einsum("nij,nkj->nki", frames, momenta.astype(np.float64)))
    np.testing.assert_allclose(toptag.planarity(moved), planarity, atol=2e-4)
    # a statistic that is NOT Lorentz invariant (the leading constituent's energy share) does change
    share = momenta[:, 0, 0] / momenta[..., 0].sum(1)
    assert np.abs(moved[:, 0, 0] / moved[..., 0].sum(1) - share).max() > 0.05


def test_stand_in_jets_are_physical(jets):
    momenta, labels = jets
    present = momenta[..., 0] != 0
    assert (momenta[..., 0][present] > 0).all()  # E > 0: time reversal leaves the data manifold
    assert (momenta[~present] == 0).all() and present.sum(1).max() <= 30 and present.sum(1).min() >= 6
    assert (np.diff(momenta[..., 0], axis=1) <= 0).all()  # sorted by decreasing energy
    mass2 = toptag.minkowski_dot(momenta.astype(np.float64), momenta.astype(np.float64))
    assert (np.abs(mass2[present]) <= 1e-3 * momenta[..., 0][present] ** 2).all()  # massless constituents
    assert 0.45 <= labels.mean() <= 0.55
    # top jets: one mass times the random energy scale; QCD jets: a falling spectrum on top of it
    mass = toptag.invariant_mass(momenta)
    assert np.std(np.log(mass[labels == 1])) < np.std(np.log(mass[labels == 0]))


def test_stand_in_masses_before_the_random_frames():
    rng = np.random.default_rng(0)
    labels = np.array([1] * 200 + [0] * 200)
    partons, counts, spread, mass = toptag._rest_frame_partons(labels, rng)
    top = partons[:200]
    w = top[:, 1] + top[:, 2]
    np.testing.assert_allclose(np.sqrt(toptag.minkowski_dot(w, w)).mean(), toptag.W_MASS, atol=1.0)
    np.testing.assert_allclose(toptag.invariant_mass(top), mass[:200], rtol=1e-9)
    np.testing.assert_allclose(np.abs(top.sum(1)[:, 1:]).max(), 0.0, atol=1e-9)  # at rest
    assert (counts[:200] > 0).all() and (counts[200:, 2] == 0).all() and counts.sum(1).max() <= 30
    assert np.median(mass[200:]) < toptag.TOP_MASS / 2  # falling QCD spectrum


def test_generation_is_deterministic_and_checks_its_size():
    a, b = toptag.generate(50, seed=5), toptag.generate(50, seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], toptag.generate(50, seed=6)[0])
    with pytest.raises(InputError, match="--n-jets"):
        toptag.generate(1, seed=0)


def test_load_checks_the_converted_file(tmp_path):
    path = tmp_path / "x.h5"
    with h5py.File(path, "w") as f:
        f["momenta"] = np.zeros((3, 30, 3), np.float32)
        f["labels"] = np.zeros(3, np.int64)
    with pytest.raises(InputError, match="momenta"):
        toptag.load(path)
