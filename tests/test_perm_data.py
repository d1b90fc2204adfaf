"""The stochastic-block graph data set and its validated loading."""

import hashlib

import h5py
import numpy as np
import pytest
from scipy.sparse.csgraph import connected_components

from symrepro.cli import main
from symrepro.datasets import stochastic_block as sb
from symrepro.errors import InputError


def test_generation_is_deterministic_symmetric_and_correctly_labelled():
    a1, y1 = sb.generate(300, 5, 0.5, 0.05, seed=7)
    a2, y2 = sb.generate(300, 5, 0.5, 0.05, seed=7)
    a3, _ = sb.generate(300, 5, 0.5, 0.05, seed=8)
    assert np.array_equal(a1, a2) and np.array_equal(y1, y2) and not np.array_equal(a1, a3)
    assert a1.shape == (300, 10, 10) and a1.dtype == np.uint8
    assert (a1 == a1.transpose(0, 2, 1)).all() and (a1.diagonal(0, 1, 2) == 0).all()
    truth = np.array([connected_components(a)[0] == 1 for a in a1])
    assert np.array_equal(y1.astype(bool), truth)
    assert 0.3 < y1.mean() < 0.55  # both classes well represented with the paper's p, q


def test_cli_writes_one_file_and_logs_the_connected_fraction(tmp_path, caplog):
    out = tmp_path / "perm.h5"
    with caplog.at_level("INFO"):
        assert main(["data", "perm", "--n-graphs", "50", "--seed", "1", "--out", str(out)]) == 0
    assert "fraction connected" in caplog.text
    adjacency, label = sb.load(out)
    assert adjacency.shape == (50, 10, 10) and label.shape == (50,)
    with h5py.File(out) as f:
        assert 0 <= f.attrs["fraction_connected"] <= 1 and f.attrs["source"] == "synthetic"
    assert [p.name for p in tmp_path.iterdir()] == ["perm.h5"]  # no temporary file left


def test_missing_truncated_and_misshapen_files_give_clear_errors(tmp_path, graph_file):
    with pytest.raises(InputError, match="does not exist"):
        sb.load(tmp_path / "nope.h5")
    truncated = tmp_path / "truncated.h5"
    truncated.write_bytes(graph_file.read_bytes()[:2000])
    with pytest.raises(InputError, match="truncated"):
        sb.load(truncated)
    wrong = tmp_path / "wrong.h5"
    cases = [
        ({"adjacency": np.zeros((4, 10, 9), np.uint8), "label": np.zeros(4, np.uint8)}, "square"),
        ({"adjacency": np.zeros((4, 100), np.uint8), "label": np.zeros(4, np.uint8)}, "'adjacency' has shape"),
        ({"adjacency": np.zeros((4, 10, 10), np.uint8), "label": np.zeros(5, np.uint8)}, "sample count"),
        ({"graphs": np.zeros((4, 10, 10), np.uint8)}, "no dataset 'adjacency'"),
    ]
    for arrays, message in cases:
        with h5py.File(wrong, "w") as f:
            for name, value in arrays.items():
                f[name] = value
        with pytest.raises(InputError, match=message):
            sb.load(wrong)


def test_cli_reports_bad_data_by_name(tmp_path, capsys):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"not hdf5 at all")
    code = main(["eqaug", "train", "--group", "node_permutations", "--group-size", "10", "--channels", "1", "2",
                 "--invariant-width", "2", "--experiment", "perm", "--task", "graphs", "--data", str(bad),
                 "--init", str(tmp_path / "init.pt"), "--regime", "nominal", "--seed", "0", "--epochs", "1",
                 "--lr", "0.1", "--out", str(tmp_path / "out.csv")])
    assert code == 2
    assert str(bad) in capsys.readouterr().err
    assert not (tmp_path / "out.csv").exists()


def _members(adjacency, label):
    prefix = f"eq_aug_dyn-{sb.PAPER_COMMIT}/stoch_block"
    members = {}
    for k, (a, y) in enumerate(zip(adjacency, label)):
        members[f"{prefix}/graphmat{k}.npy"] = a.astype(np.float64)
        members[f"{prefix}/graphlabel{k}.npy"] = np.float64(y)
    return members


def test_paper_archive_conversion_checks_the_content(monkeypatch, npy_archive):
    adjacency, label = sb.generate(sb.PAPER_GRAPHS, 5, 0.5, 0.05, seed=0)
    archive = npy_archive(_members(adjacency, label))
    with pytest.raises(InputError, match="content checksum"):
        sb.convert_paper_archive(archive)  # not the reference's graphs
    digest = hashlib.sha256(adjacency.tobytes() + label.tobytes()).hexdigest()
    monkeypatch.setattr(sb, "PAPER_CONTENT_SHA256", digest)
    a, y = sb.convert_paper_archive(archive)
    assert np.array_equal(a, adjacency) and np.array_equal(y, label)


def test_paper_source_downloads_converts_and_verifies(mirror, tmp_path, monkeypatch, npy_archive):
    root, url = mirror.root, mirror.url
    adjacency, label = sb.generate(sb.PAPER_GRAPHS, 5, 0.5, 0.05, seed=1)
    (root / "good" / "archive.tar.gz").write_bytes(npy_archive(_members(adjacency, label)))
    monkeypatch.setattr(sb, "PAPER_URLS", (f"{url}/missing/archive.tar.gz", f"{url}/good/archive.tar.gz"))
    monkeypatch.setattr(sb, "PAPER_CONTENT_SHA256", hashlib.sha256(adjacency.tobytes() + label.tobytes()).hexdigest())
    out = tmp_path / "perm.h5"
    assert main(["data", "perm", "--source", "paper", "--retries", "1", "--out", str(out)]) == 0
    a, y = sb.load(out)
    assert np.array_equal(a, adjacency) and np.array_equal(y, label)
    with h5py.File(out) as f:
        assert f.attrs["source"] == "paper" and f.attrs["commit"] == sb.PAPER_COMMIT
