"""MNIST-10k (bundled) and Fashion-MNIST loaders, plus small helpers to feed them to a Session.

>>> import trainer as tf
>>> (x_train, y_train), (x_test, y_test) = tf.datasets.mnist10k_split()
>>> x_train.shape, x_train.dtype, y_test.shape
((8000, 28, 28), dtype('uint8'), (2000,))
>>> xb, yb = next(tf.datasets.batches(tf.datasets.normalize(x_train), y_train, 128, seed=0))
>>> xb.dtype, xb.shape, float(xb.max()) <= 1.0
(dtype('float32'), (128, 28, 28), True)
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from trainer.datasets.idx import parse_idx, read_idx, write_idx
from trainer.errors import DataLossError, InvalidArgumentError, NotFoundError

DATA_DIR = Path(__file__).resolve().parent / "data"
MNIST10K_DIR = DATA_DIR / "mnist10k"
MNIST10K_TRAIN = 8000  # the first 8,000 digits train, the last 2,000 test (see data/mnist10k/README.md)

# Where Debian's `dataset-fashion-mnist` package puts the files.
FASHION_SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
# sha256 of the DECOMPRESSED files: the gzip bytes differ between mirrors (Debian recompresses), the
# arrays do not.
FASHION_FILES: dict[str, str] = {
    "train-images-idx3-ubyte.gz": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte.gz": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte.gz": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte.gz": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)  # fmt: skip

Split = tuple[np.ndarray, np.ndarray]


def _check_pair(images: np.ndarray, labels: np.ndarray, name: str) -> None:
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        raise InvalidArgumentError(
            f"{name}: images must be uint8 [N, 28, 28], got {images.dtype} {images.shape}"
        )
    if labels.dtype != np.uint8 or labels.shape != (images.shape[0],):
        raise InvalidArgumentError(
            f"{name}: labels must be uint8 [{images.shape[0]}] to match the images, got {labels.dtype} "
            f"{labels.shape}"
        )
    if labels.size and int(labels.max()) > 9:
        raise InvalidArgumentError(f"{name}: label {int(labels.max())} out of range 0..9")


def mnist10k() -> Split:
    """The 10,000 bundled MNIST digits: ``(images uint8 [10000, 28, 28], labels uint8 [10000])``.

    They ship inside the package (``trainer/datasets/data/mnist10k``, MIT / CC BY-SA 3.0, see its README),
    so this never touches the network.
    """
    images = read_idx(MNIST10K_DIR / "images-idx3-ubyte.gz")
    labels = read_idx(MNIST10K_DIR / "labels-idx1-ubyte.gz")
    _check_pair(images, labels, "mnist10k")
    return images, labels


def mnist10k_split(num_train: int = MNIST10K_TRAIN) -> tuple[Split, Split]:
    """``((x_train, y_train), (x_test, y_test))``: the first ``num_train`` digits and the rest."""
    images, labels = mnist10k()
    return train_test_split(images, labels, num_train)


def train_test_split(images: np.ndarray, labels: np.ndarray, num_train: int) -> tuple[Split, Split]:
    """Split in order (no shuffling): the first ``num_train`` samples train, the rest test."""
    if not 0 < num_train < len(images):
        raise InvalidArgumentError(f"train_test_split: num_train={num_train} must be in 1..{len(images) - 1}")
    return (images[:num_train], labels[:num_train]), (images[num_train:], labels[num_train:])


def default_cache_dir() -> Path:
    """``$TENSORLET_DATA`` or ``$XDG_CACHE_HOME/tensorlet`` (default ``~/.cache/tensorlet``)."""
    if os.environ.get("TENSORLET_DATA"):
        return Path(os.environ["TENSORLET_DATA"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "tensorlet"


def _download(url: str, dest: Path, sha256: str, timeout: float) -> None:
    """Fetch ``url`` to ``dest`` through a temporary file, checking the decompressed content's sha256."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            raw = response.read()
    except (urllib.error.URLError, OSError) as e:
        raise NotFoundError(
            f"fashion_mnist: {dest.name} is not on this machine and could not be downloaded from {url} "
            f"({e}). "
            "Install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu) or pass path= to a "
            "folder holding the four *-idx*-ubyte.gz files."
        ) from e
    try:
        digest = hashlib.sha256(gzip.decompress(raw)).hexdigest()
    except (OSError, EOFError) as e:
        raise DataLossError(f"fashion_mnist: download of {url} is not valid gzip ({e})") from e
    if digest != sha256:
        raise DataLossError(f"fashion_mnist: download of {url} has sha256 {digest}, expected {sha256}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=dest.name, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(raw)
        os.replace(tmp, dest)  # atomic: a reader never sees half a file
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _find_fashion_dir(path: str | os.PathLike[str] | None, download: bool, timeout: float) -> Path:
    names = list(FASHION_FILES)
    if path is not None:
        candidates = [Path(path)]
    else:
        candidates = [FASHION_SYSTEM_DIR, default_cache_dir() / "fashion-mnist"]
    for folder in candidates:
        if all((folder / n).is_file() for n in names):
            return folder
    target = candidates[-1]
    if not download:
        raise NotFoundError(
            "fashion_mnist: files "
            + ", ".join(n for n in names if not (target / n).is_file())
            + f" not found in {', '.join(str(c) for c in candidates)} (download=False). "
            "Install them with `apt-get install dataset-fashion-mnist`."
        )
    for n in names:
        if not (target / n).is_file():
            _download(FASHION_URL + n, target / n, FASHION_FILES[n], timeout)
    return target


def fashion_mnist(
    path: str | os.PathLike[str] | None = None, download: bool = True, timeout: float = 30.0
) -> tuple[Split, Split]:
    """Fashion-MNIST: ``((x_train uint8 [60000,28,28], y_train uint8), (x_test [10000,28,28], y_test))``.

    Looks in ``path`` if given, else in ``/usr/share/datasets/fashion-mnist`` (Debian package
    ``dataset-fashion-mnist``) and then the cache folder (:func:`default_cache_dir`). Missing files are
    downloaded from the official site into ``path`` or the cache (only when ``download`` and only now, never
    at import); without a network this raises ``NotFoundError`` saying how to install them.
    """
    folder = _find_fashion_dir(path, download, timeout)
    arrays = {n: read_idx(folder / n) for n in FASHION_FILES}
    train = arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]
    test = arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]
    _check_pair(*train, f"fashion_mnist train ({folder})")
    _check_pair(*test, f"fashion_mnist test ({folder})")
    return train, test


def normalize(images: np.ndarray) -> np.ndarray:
    """uint8 pixels -> float32 in [0, 1]."""
    return np.asarray(images, dtype=np.float32) * np.float32(1.0 / 255.0)


def batches(
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    seed: int | np.random.Generator | None = None,
    shuffle: bool = True,
    drop_remainder: bool = False,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch of ``(x_batch, y_batch)``, shuffled by ``seed`` (an int, or a Generator for many epochs).

    The same seed gives the same order. The last batch is smaller unless ``drop_remainder``.
    """
    if len(x) != len(y):
        raise InvalidArgumentError(f"batches: x has {len(x)} samples but y has {len(y)}")
    if batch_size <= 0:
        raise InvalidArgumentError(f"batches: batch_size must be positive, got {batch_size}")
    n = len(x)
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_remainder else n
    for start in range(0, stop, batch_size):
        idx = order[start : start + batch_size]
        yield x[idx], y[idx]


def num_batches(n: int, batch_size: int, drop_remainder: bool = False) -> int:
    """How many batches :func:`batches` yields for ``n`` samples."""
    return n // batch_size if drop_remainder else -(-n // batch_size)


__all__ = [
    "FASHION_CLASSES",
    "batches",
    "default_cache_dir",
    "fashion_mnist",
    "mnist10k",
    "mnist10k_split",
    "normalize",
    "num_batches",
    "parse_idx",
    "read_idx",
    "train_test_split",
    "write_idx",
]
