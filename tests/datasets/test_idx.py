"""The IDX format (MNIST's files) parsed and written by the package itself."""

import gzip

import numpy as np
import pytest

from symrepro.datasets.idx import decode, encode, read_idx, write_idx
from symrepro.errors import InputError


@pytest.mark.parametrize("dtype, code", [(np.uint8, 0x08), (np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C),
                                         (np.float32, 0x0D), (np.float64, 0x0E)])
def test_round_trip_plain_and_gzip(tmp_path, dtype, code):
    array = (np.arange(2 * 3 * 5) % 120 - 7).astype(dtype).reshape(2, 3, 5)
    if dtype == np.uint8:
        array = np.abs(array.astype(np.int16)).astype(np.uint8)
    for name in ("a.idx", "a.idx.gz"):
        write_idx(tmp_path / name, array)
        back = read_idx(tmp_path / name)
        assert back.dtype == array.dtype and back.shape == array.shape and np.array_equal(back, array)
    raw = encode(array)
    assert raw[:4] == bytes([0, 0, code, 3]) and raw[4:16] == bytes([0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 5])
    assert len(raw) == 16 + array.nbytes


def test_layout_is_big_endian_and_gzip_output_is_reproducible(tmp_path):
    labels = np.array([7, 2, 1], dtype=np.uint8)
    assert encode(labels) == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    assert encode(np.array([1], dtype=np.int32))[-4:] == bytes([0, 0, 0, 1])
    write_idx(tmp_path / "a.gz", labels)
    first = (tmp_path / "a.gz").read_bytes()
    write_idx(tmp_path / "a.gz", labels)
    assert (tmp_path / "a.gz").read_bytes() == first  # no timestamp in the gzip header
    assert gzip.decompress(first) == encode(labels)
    assert [p.name for p in tmp_path.iterdir()] == ["a.gz"]  # no temporary file left


def test_gzip_content_is_recognised_without_the_suffix(tmp_path):
    images = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(gzip.compress(encode(images)))
    assert np.array_equal(read_idx(tmp_path / "train-images-idx3-ubyte"), images)


def test_bad_files_raise_input_errors_naming_the_file(tmp_path):
    raw = encode(np.random.default_rng(0).integers(0, 255, (4, 28, 28), dtype=np.uint8))
    cases = {
        "magic.idx": b"\x01" + raw[1:],
        "dtype.idx": raw[:2] + b"\x07" + raw[3:],
        "short.idx": raw[:-10],
        "long.idx": raw + b"\x00",
        "header.idx": raw[:9],
        "empty.idx": b"",
        "cut.idx.gz": gzip.compress(raw)[:50],
        "notgzip.idx.gz": raw,
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(InputError, match=name.replace(".", r"\.")):
            read_idx(tmp_path / name)
    with pytest.raises(InputError, match="truncated"):
        decode(raw[:-10], "x")
    with pytest.raises(InputError, match="magic"):
        decode(b"\x01" + raw[1:], "x")
    with pytest.raises(InputError, match="missing.idx.*does not exist"):
        read_idx(tmp_path / "missing.idx")


def test_unsupported_dtype_is_refused():
    with pytest.raises(ValueError, match="IDX cannot store"):
        encode(np.zeros(3, dtype=np.complex64))
