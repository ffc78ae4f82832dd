"""The exported script's Fashion-MNIST loader: :func:`~ktui.core.datasets.fashion.load_fashion`
in numpy and the standard library alone (the script never imports ktui).

It looks for the same four files in the same places (``DATA_DIR``, ``$KTUI_DATA_DIR``, Keras'
cache, the Debian package's folder), splits and standardises exactly as ktui does, so the
script trains on the run's images.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

_BODY = '''

def read_idx(path):
    """An IDX file (the original Fashion-MNIST format) as a numpy array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\\x1f\\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_files(folder):
    """The four files in ``folder`` (.gz or decompressed), or None if one is missing."""
    found = []
    for name in FILES:
        paths = [os.path.join(folder, n) for n in (name, name[:-3])]
        path = next((p for p in paths if os.path.isfile(p)), None)
        if path is None:
            return None
        found.append(path)
    return found


def find_data():
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras")
    for folder in (DATA_DIR, os.environ.get("KTUI_DATA_DIR"),
                   os.path.join(keras_home, "datasets", "fashion-mnist"), SYSTEM_DIR):
        found = folder and find_files(os.path.expanduser(folder))
        if found:
            return found
    raise SystemExit("Fashion-MNIST not found: sudo apt-get install dataset-fashion-mnist, "
                     "or set KTUI_DATA_DIR to a folder holding " + ", ".join(FILES))


def load_data():
    """(x, y) for training, validation and test (None where there is none). Validation = the
    last split of the training file; training = the first SAMPLES of the rest; test = the
    t10k file; all standardised with the training images' mean and std."""
    images, labels, test_images, test_labels = (read_idx(p) for p in find_data())
    n_val = round(VALIDATION_SPLIT * len(images))
    rest = len(images) - n_val
    n_train = SAMPLES or rest
    train = images[:n_train]
    mean, std = 0.0, 255.0
    if STANDARDIZE:
        counts = np.bincount(train.ravel(), minlength=256).astype(np.float64)
        values = np.arange(256, dtype=np.float64)
        mean = float(counts @ values / counts.sum())
        std = float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum())) or 1.0

    def norm(a):
        out = a.astype(np.float32)
        out -= np.float32(mean)
        out /= np.float32(std)
        return out

    def split(x, y):
        return (norm(x), y.astype(np.int32)) if len(x) else None

    return (split(train, labels[:n_train]), split(images[rest:], labels[rest:]),
            split(test_images, test_labels))
'''


def loader(files: Iterable[str], system_dir: Path) -> str:
    """``load_data()`` and its helpers, with ktui's file names and system folder as literals
    (the caller's: :mod:`ktui.core.datasets.fashion` owns them)."""
    return ("\nimport gzip  # noqa: E402\nfrom pathlib import Path  # noqa: E402\n\n"
            f"FILES = {tuple(files)!r}\n"
            f"SYSTEM_DIR = {str(system_dir)!r}\n" + _BODY)
