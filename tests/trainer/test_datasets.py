"""IDX reader (good and crafted bad files), bundled MNIST-10k, Fashion-MNIST lookup and batch helpers."""

from __future__ import annotations

import gzip
import hashlib
import struct
import urllib.error

import numpy as np
import pytest
from conftest import need

from trainer import datasets
from trainer.datasets import loaders
from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError


def _header(code: int, dims: tuple[int, ...]) -> bytes:
    return struct.pack(f">HBB{len(dims)}I", 0, code, len(dims), *dims)


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("name", ["a.idx", "a.idx.gz"])
def test_idx_round_trip(tmp_path, dtype, name):
    a = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    datasets.write_idx(tmp_path / name, a)
    b = datasets.read_idx(tmp_path / name)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)
    assert (tmp_path / name).read_bytes()[:2] == (b"\x1f\x8b" if name.endswith(".gz") else b"\x00\x00")


def test_idx_big_endian_on_disk(tmp_path):
    (tmp_path / "x").write_bytes(_header(0x0B, (2,)) + b"\x01\x02\xff\xfe")
    np.testing.assert_array_equal(datasets.read_idx(tmp_path / "x"), np.array([258, -2], np.int16))


@pytest.mark.parametrize(
    ("payload", "error", "words"),
    [
        (b"\x00\x00", DataLossError, "too short"),
        (b"\x01\x00\x08\x01" + b"\x00\x00\x00\x01" + b"\x05", InvalidArgumentError, "bad magic"),
        (b"\x00\x00\x07\x01" + b"\x00\x00\x00\x01" + b"\x05", InvalidArgumentError, "dtype code 0x07"),
        (b"\x00\x00\x08\x00", InvalidArgumentError, "0 dimensions"),
        (b"\x00\x00\x08\x09" + b"\x00" * 36, InvalidArgumentError, "9 dimensions"),
        (b"\x00\x00\x08\x03" + b"\x00\x00\x00\x02", DataLossError, "truncated header"),
        (_header(0x08, (2, 3)) + b"\x00" * 5, DataLossError, "need 18 bytes, file has 17"),
        (_header(0x0C, (2,)) + b"\x00" * 7, DataLossError, "truncated"),
        (_header(0x08, (2,)) + b"\x00" * 3, DataLossError, "1 unexpected trailing"),
        (_header(0x08, (0xFFFFFFFF, 0xFFFFFFFF)), DataLossError, "truncated"),
    ],
)
def test_idx_bad_files_name_file_and_problem(tmp_path, payload, error, words):
    path = tmp_path / "bad-idx"
    path.write_bytes(payload)
    with pytest.raises(error, match=words) as info:
        datasets.read_idx(path)
    assert "bad-idx" in str(info.value)


def test_idx_truncated_and_corrupt_gzip(tmp_path):
    good = gzip.compress(_header(0x08, (100,)) + bytes(range(100)), mtime=0)
    (tmp_path / "cut.gz").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataLossError, match="cut.gz.*gzip"):
        datasets.read_idx(tmp_path / "cut.gz")
    corrupt = bytearray(good)
    corrupt[len(corrupt) // 2] ^= 0xFF
    (tmp_path / "bad.gz").write_bytes(bytes(corrupt))
    with pytest.raises(DataLossError, match="bad.gz"):
        datasets.read_idx(tmp_path / "bad.gz")


def test_idx_missing_file(tmp_path):
    with pytest.raises(NotFoundError, match="nope.gz"):
        datasets.read_idx(tmp_path / "nope.gz")


def test_write_idx_refuses_unknown_dtype(tmp_path):
    with pytest.raises(InvalidArgumentError, match="int64"):
        datasets.write_idx(tmp_path / "x", np.zeros(3, np.int64))


def test_mnist10k_bundled():
    images, labels = datasets.mnist10k()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and labels.dtype == np.uint8
    assert set(np.unique(labels).tolist()) == set(range(10))
    assert images.max() == 255 and images.min() == 0
    # the bundled files are the ones whose checksums the README lists
    readme = (loaders.MNIST10K_DIR / "README.md").read_text()
    for name in ("images-idx3-ubyte.gz", "labels-idx1-ubyte.gz"):
        digest = hashlib.sha256((loaders.MNIST10K_DIR / name).read_bytes()).hexdigest()
        assert digest in readme
    assert "CC BY-SA 3.0" in readme and "MIT" in readme


def test_mnist10k_split_and_class_balance():
    (xtr, ytr), (xte, yte) = datasets.mnist10k_split()
    images, labels = datasets.mnist10k()
    assert xtr.shape == (8000, 28, 28) and xte.shape == (2000, 28, 28)
    np.testing.assert_array_equal(xte, images[8000:])
    np.testing.assert_array_equal(ytr, labels[:8000])
    counts = np.bincount(yte, minlength=10)
    assert counts.min() >= 168 and counts.max() <= 224  # as stated in the data README
    with pytest.raises(InvalidArgumentError, match="num_train"):
        datasets.train_test_split(images, labels, 10000)


def test_normalize_and_batches():
    x = np.arange(10 * 2, dtype=np.uint8).reshape(10, 2) * 12
    y = np.arange(10, dtype=np.uint8)
    xf = datasets.normalize(x)
    assert xf.dtype == np.float32 and xf.max() <= 1.0
    np.testing.assert_allclose(xf, x / 255.0, rtol=1e-6)
    got = list(datasets.batches(x, y, 4, seed=3))
    assert [len(b[1]) for b in got] == [4, 4, 2] == [4, 4, 2][: datasets.num_batches(10, 4)]
    seen = np.concatenate([b[1] for b in got])
    assert sorted(seen.tolist()) == list(range(10)) and seen.tolist() != list(range(10))
    for xb, yb in got:  # pairs stay aligned
        np.testing.assert_array_equal(xb, x[yb])
    again = np.concatenate([b[1] for b in datasets.batches(x, y, 4, seed=3)])
    np.testing.assert_array_equal(seen, again)
    other = np.concatenate([b[1] for b in datasets.batches(x, y, 4, seed=4)])
    assert other.tolist() != seen.tolist()
    assert [len(b[1]) for b in datasets.batches(x, y, 4, drop_remainder=True)] == [4, 4]
    assert datasets.num_batches(10, 4, drop_remainder=True) == 2
    ordered = np.concatenate([b[1] for b in datasets.batches(x, y, 3, shuffle=False)])
    assert ordered.tolist() == list(range(10))
    with pytest.raises(InvalidArgumentError, match="samples"):
        next(datasets.batches(x, y[:3], 4))


def _fake_fashion(folder, n_train=6, n_test=4):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {
        "train-images-idx3-ubyte.gz": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte.gz": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte.gz": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte.gz": rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    for name, a in arrays.items():
        datasets.write_idx(folder / name, a)
    return arrays


def test_fashion_mnist_from_folder(tmp_path):
    arrays = _fake_fashion(tmp_path / "f")
    (xtr, ytr), (xte, yte) = datasets.fashion_mnist(tmp_path / "f", download=False)
    np.testing.assert_array_equal(xtr, arrays["train-images-idx3-ubyte.gz"])
    np.testing.assert_array_equal(yte, arrays["t10k-labels-idx1-ubyte.gz"])
    assert xte.shape == (4, 28, 28) and ytr.dtype == np.uint8


def test_fashion_mnist_bad_labels(tmp_path):
    _fake_fashion(tmp_path)
    datasets.write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.full(4, 12, np.uint8))
    with pytest.raises(InvalidArgumentError, match="label 12"):
        datasets.fashion_mnist(tmp_path, download=False)


def test_fashion_mnist_missing_without_download(tmp_path):
    with pytest.raises(NotFoundError, match="dataset-fashion-mnist"):
        datasets.fashion_mnist(tmp_path / "empty", download=False)


def test_fashion_mnist_download_offline_is_clear(tmp_path, monkeypatch):
    def offline(url, timeout):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(loaders.urllib.request, "urlopen", offline)
    with pytest.raises(NotFoundError, match="could not be downloaded.*network unreachable"):
        datasets.fashion_mnist(tmp_path / "cache")
    assert not list((tmp_path).rglob("*.gz"))  # nothing half-written


def test_fashion_mnist_download_checks_content(tmp_path, monkeypatch):
    arrays = _fake_fashion(tmp_path / "src")
    blobs = {n: (tmp_path / "src" / n).read_bytes() for n in arrays}
    sums = {n: hashlib.sha256(gzip.decompress(b)).hexdigest() for n, b in blobs.items()}

    class Response:
        def __init__(self, data):
            self.data = data

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def read(self):
            return self.data

    fetched = []

    def fake_urlopen(url, timeout):
        fetched.append(url)
        return Response(blobs[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(loaders.urllib.request, "urlopen", fake_urlopen)
    monkeypatch.setattr(loaders, "FASHION_FILES", sums)
    (xtr, _), _ = datasets.fashion_mnist(tmp_path / "dl")
    assert len(fetched) == 4 and all(u.startswith(loaders.FASHION_URL) for u in fetched)
    np.testing.assert_array_equal(xtr, arrays["train-images-idx3-ubyte.gz"])
    datasets.fashion_mnist(tmp_path / "dl")  # cached now: no second download
    assert len(fetched) == 4

    monkeypatch.setattr(loaders, "FASHION_FILES", {n: "0" * 64 for n in sums})
    with pytest.raises(DataLossError, match="sha256"):
        datasets.fashion_mnist(tmp_path / "dl2")
    assert not (tmp_path / "dl2").exists() or not list((tmp_path / "dl2").iterdir())


def test_fashion_mnist_system_copy():
    """The real data set, where Debian's dataset-fashion-mnist is installed."""
    have = all((loaders.FASHION_SYSTEM_DIR / n).is_file() for n in loaders.FASHION_FILES)
    need(have, "Debian package dataset-fashion-mnist not installed")
    (xtr, ytr), (xte, yte) = datasets.fashion_mnist(download=False)
    assert xtr.shape == (60000, 28, 28) and xte.shape == (10000, 28, 28)
    assert np.bincount(ytr).tolist() == [6000] * 10 and np.bincount(yte).tolist() == [1000] * 10
    for name, want in loaders.FASHION_FILES.items():
        data = gzip.decompress((loaders.FASHION_SYSTEM_DIR / name).read_bytes())
        assert hashlib.sha256(data).hexdigest() == want
