"""The real download code (mirrors, checksums, retries, atomic files) against a local server."""

import hashlib

import pytest

from symrepro.cli import main
from symrepro.datasets import download, mnist
from symrepro.datasets.download import fetch, fetch_bytes
from symrepro.errors import InputError


@pytest.fixture
def published(mirror, monkeypatch):
    """Synthetic MNIST IDX files in good/, corrupted copies in bad/; FILES holds their MD5s."""
    good, bad = mirror.root / "good", mirror.root / "bad"
    assert main(["data", "mnist-idx", "--source", "synthetic", "--out-dir", str(good),
                 "--n-train", "8", "--n-test", "8", "--seed", "1"]) == 0
    md5 = {}
    for name in mnist.FILES:  # the official order
        data = (good / name).read_bytes()
        md5[name] = hashlib.md5(data).hexdigest()
        (bad / name).write_bytes(data[:-7] + b"corrupt")
    assert sorted(p.name for p in good.iterdir()) == sorted(md5)
    monkeypatch.setattr(mnist, "FILES", md5)
    return md5


def test_official_mnist_md5s_are_pinned():
    assert mnist.FILES == {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    assert mnist.MIRRORS == ["https://ossci-datasets.s3.amazonaws.com/mnist/",
                             "https://storage.googleapis.com/cvdf-datasets/mnist/"]


def test_corrupt_mirror_is_retried_then_the_next_mirror_gives_the_right_files(mirror, published, tmp_path, caplog):
    out = tmp_path / "raw"
    with caplog.at_level("WARNING", logger="symrepro.datasets.download"):
        mnist.download_official(out, [f"{mirror.url}/bad/", f"{mirror.url}/good/"], retries=2, timeout=5, backoff=0)
    assert caplog.text.count("!= expected") == 2 * len(published)  # each file: two checksum failures on bad/
    for name in published:
        assert mirror.requests.count(f"/bad/{name}") == 2 and mirror.requests.count(f"/good/{name}") == 1
        assert (out / name).read_bytes() == (mirror.root / "good" / name).read_bytes()
    assert sorted(p.name for p in out.iterdir()) == sorted(published)  # no temporary files
    images, labels = mnist.read_split(out, "test")  # the downloaded files go through the same parser
    assert images.shape == (8, 28, 28) and labels.shape == (8,)


def test_every_mirror_bad_raises_naming_file_mirrors_and_error_and_leaves_nothing(mirror, published, tmp_path):
    name = "t10k-images-idx3-ubyte.gz"
    dest = tmp_path / "raw" / name
    urls = [f"{mirror.url}/bad/{name}", f"{mirror.url}/missing/{name}"]
    with pytest.raises(InputError) as err:
        fetch(urls, dest, checksum=("md5", published[name]), retries=3, timeout=5, backoff=0)
    message = str(err.value)
    assert name in message and all(url in message for url in urls) and "404" in message
    assert mirror.requests.count(f"/bad/{name}") == 3
    assert list(dest.parent.iterdir()) == []


def test_cli_reports_a_failed_download_and_does_not_fall_back_to_synthetic(mirror, published, tmp_path, capsys):
    out = tmp_path / "raw"
    code = main(["data", "mnist-idx", "--source", "official", "--out-dir", str(out), "--mirror", f"{mirror.url}/bad",
                 "--retries", "1", "--timeout", "5", "--backoff", "0"])
    assert code == 2
    assert "train-images-idx3-ubyte.gz" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []


def test_cli_downloads_from_the_mirror_list(mirror, published, tmp_path):
    out = tmp_path / "raw"
    assert main(["data", "mnist-idx", "--source", "official", "--out-dir", str(out),
                 "--mirror", f"{mirror.url}/missing/", "--mirror", f"{mirror.url}/good/",
                 "--retries", "2", "--timeout", "5", "--backoff", "0"]) == 0
    assert {p.name: hashlib.md5(p.read_bytes()).hexdigest() for p in out.iterdir()} == published


def test_a_mirror_without_the_file_is_skipped_at_once(mirror, published, tmp_path, caplog):
    name = "train-labels-idx1-ubyte.gz"
    with caplog.at_level("WARNING", logger="symrepro.datasets.download"):
        fetch([f"{mirror.url}/missing/{name}", f"{mirror.url}/good/{name}"], tmp_path / name,
              checksum=("md5", published[name]), retries=3, timeout=5, backoff=0)
    assert mirror.requests == [f"/missing/{name}", f"/good/{name}"]  # a 404 is not retried
    assert "404" in caplog.text
    assert hashlib.md5((tmp_path / name).read_bytes()).hexdigest() == published[name]


def test_a_dropped_connection_is_retried_and_leaves_no_partial_file(mirror, published, tmp_path):
    name = "train-images-idx3-ubyte.gz"
    dest = tmp_path / "raw" / name
    with pytest.raises(InputError, match=f"{name}.*closed after"):
        fetch([f"{mirror.url}/truncated/{name}"], dest, retries=2, timeout=5, backoff=0)  # even without checksum
    assert mirror.requests == [f"/truncated/{name}"] * 2 and list(dest.parent.iterdir()) == []
    fetch([f"{mirror.url}/truncated/{name}", f"{mirror.url}/good/{name}"], dest,
          checksum=("md5", published[name]), retries=1, timeout=5, backoff=0)
    assert [p.name for p in dest.parent.iterdir()] == [name]


def test_server_errors_are_retried_on_the_same_mirror_with_growing_pauses(mirror, published, tmp_path, monkeypatch):
    pauses = []
    monkeypatch.setattr(download.time, "sleep", pauses.append)
    mirror.flaky_failures = 2
    name = "t10k-labels-idx1-ubyte.gz"
    fetch([f"{mirror.url}/flaky/{name}"], tmp_path / name, checksum=("md5", published[name]), retries=3,
          timeout=5, backoff=0.5)
    assert mirror.requests == [f"/flaky/{name}"] * 3 and pauses == [0.5, 1.0]


def test_a_verified_file_is_kept_and_a_wrong_one_replaced(mirror, published, tmp_path):
    name = "t10k-labels-idx1-ubyte.gz"
    good = (mirror.root / "good" / name).read_bytes()
    dest = tmp_path / name
    dest.write_bytes(good)
    fetch([f"{mirror.url}/good/{name}"], dest, checksum=("md5", published[name]), retries=1, backoff=0)
    assert mirror.requests == []  # already there with the right checksum
    dest.write_bytes(b"stale")
    fetch([f"{mirror.url}/good/{name}"], dest, checksum=("md5", published[name].upper()), retries=1, backoff=0)
    assert dest.read_bytes() == good and mirror.requests == [f"/good/{name}"]


def test_sha256_and_bytes_variant(mirror, tmp_path):
    payload = b"reference archive" * 1000
    (mirror.root / "good" / "archive.tar.gz").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    urls = [f"{mirror.url}/missing/archive.tar.gz", f"{mirror.url}/good/archive.tar.gz"]
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    assert fetch_bytes(urls, checksum=("sha256", digest), retries=1, backoff=0, scratch=scratch) == payload
    with pytest.raises(InputError, match="sha256"):
        fetch_bytes(urls, checksum=("sha256", "0" * 64), retries=1, backoff=0, scratch=scratch)
    assert list(scratch.iterdir()) == []  # the scratch directory is cleaned up


def test_bad_arguments_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no URL"):
        fetch([], tmp_path / "x")
    with pytest.raises(InputError, match="retries"):
        fetch(["http://127.0.0.1:9/x"], tmp_path / "x", retries=0)
    with pytest.raises(InputError, match="algorithm"):
        fetch(["http://127.0.0.1:9/x"], tmp_path / "x", checksum=("nohash", "00"))
