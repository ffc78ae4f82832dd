"""Datasets as numpy arrays: the synthetic linear data and the real Fashion-MNIST.

Only numpy and the standard library are imported here, so the TUI can describe a dataset, and
the trainer can load one, without paying for TensorFlow; the trainer turns the arrays into
``tf.data`` pipelines itself. Every failure a user can cause (files missing, damaged or in the
wrong place) is a :class:`DataError` whose message says what is wrong and how to fix it.
"""

from __future__ import annotations

import gzip
import math
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ktui.core.spec import (
    FASHION_CLASSES,
    FASHION_SHAPE,
    DatasetSpec,
    ExperimentSpec,
    FashionData,
    LinearData,
)

#: The four files of Fashion-MNIST, by role, as Keras and the Debian package name them.
FASHION_FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
#: Label index -> class name, from the Fashion-MNIST README.
FASHION_CLASS_NAMES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
#: Where the Debian package ``dataset-fashion-mnist`` installs the files.
SYSTEM_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")

_INSTALL_HINT = (
    "install the Debian package dataset-fashion-mnist (sudo apt-get install "
    "dataset-fashion-mnist), or pass --data-dir DIR / set KTUI_DATA_DIR to a folder holding "
    + ", ".join(FASHION_FILES.values())
    + " (or set KTUI_ALLOW_DOWNLOAD=1 to let Keras download them)"
)
_REFETCH_HINT = "the file is damaged: download it again or reinstall dataset-fashion-mnist"

#: IDX type code -> big-endian numpy dtype (the IDX format stores everything big-endian).
_IDX_DTYPES: dict[int, str] = {
    0x08: ">u1",
    0x09: ">i1",
    0x0B: ">i2",
    0x0C: ">i4",
    0x0D: ">f4",
    0x0E: ">f8",
}
_GZIP_MAGIC = b"\x1f\x8b"


class DataError(Exception):
    """A dataset cannot be loaded; the message is for users and says how to fix it."""


class DataMissingError(DataError):
    """Fashion-MNIST was not found; the message names every place looked in."""


class DataCorruptError(DataError):
    """A dataset file exists but is not what it should be; the message names the file."""


@dataclass(frozen=True, eq=False)  # eq=False: comparing numpy arrays with == is ambiguous
class Splits:
    """Training, validation and test arrays, ready for ``tf.data``.

    Images are float32 ``(N, 28, 28)`` with int32 labels ``(N,)``; linear data is float32
    ``(N, n_features)`` with float32 targets ``(N, 1)``. Validation and test sets may have 0
    rows (with the right trailing shape) when the experiment has none.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    #: The generating W and b of synthetic linear data, so charts can show the target values;
    #: empty / None when unknown (Fashion-MNIST, explicit points).
    true_w: tuple[float, ...] = ()
    true_b: float | None = None
    #: One line for humans: what was loaded, from where, and how it was normalised.
    description: str = ""


# ---- IDX files ----------------------------------------------------------------------------------

def read_idx(path: str | Path) -> np.ndarray:
    """Parse an IDX file (the format of MNIST and Fashion-MNIST) into a numpy array.

    The file may be gzip-compressed (detected by its first bytes, so a decompressed copy that
    kept its ``.gz`` name still works). Everything in the header is checked, because a file
    truncated by an interrupted download otherwise turns into a confusing reshape error deep in
    training.

    Args:
        path: The IDX file.

    Returns:
        A writable array with the file's shape and a native-endian dtype.

    Raises:
        DataError: The file cannot be read.
        DataCorruptError: Not gzip data though named ``.gz``, a bad magic number, an unknown
            type code, or a payload that is not exactly the size the header promises.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise DataError(f"{path}: cannot read ({err.strerror or err})") from None
    if raw[:2] == _GZIP_MAGIC:
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as err:
            raise DataCorruptError(f"{path}: not valid gzip data ({err}); {_REFETCH_HINT}") \
                from None
    elif path.suffix == ".gz" and raw[:2] != b"\0\0":
        raise DataCorruptError(f"{path}: named .gz but is neither gzip nor IDX data; "
                               f"{_REFETCH_HINT}")

    if len(raw) < 4:
        raise DataCorruptError(f"{path}: truncated: the IDX header needs 4 bytes, found "
                               f"{len(raw)}; {_REFETCH_HINT}")
    zero1, zero2, code, ndim = raw[0], raw[1], raw[2], raw[3]
    if zero1 or zero2:
        raise DataCorruptError(f"{path}: bad magic number 0x{raw[:4].hex()} (an IDX file starts "
                               f"with two zero bytes); {_REFETCH_HINT}")
    if code not in _IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in _IDX_DTYPES)
        raise DataCorruptError(f"{path}: unknown IDX type code 0x{code:02X} (expected one of "
                               f"{known}); {_REFETCH_HINT}")
    if ndim < 1:
        raise DataCorruptError(f"{path}: the IDX header says 0 dimensions; {_REFETCH_HINT}")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataCorruptError(f"{path}: truncated: the IDX header needs {header} bytes, found "
                               f"{len(raw)}; {_REFETCH_HINT}")
    dims = tuple(int(v) for v in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    dtype = np.dtype(_IDX_DTYPES[code])
    expected = math.prod(dims) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise DataCorruptError(f"{path}: truncated: expected {expected} bytes of data, found "
                               f"{found}; {_REFETCH_HINT}")
    if found > expected:
        raise DataCorruptError(f"{path}: {found - expected} unexpected bytes after the data "
                               f"(expected {expected} bytes for shape {dims}); {_REFETCH_HINT}")
    data = np.frombuffer(raw, dtype=dtype, count=math.prod(dims), offset=header)
    # astype copies: the result is writable and native-endian, and no longer pins `raw`.
    return data.astype(dtype.newbyteorder("="), copy=True).reshape(dims)


# ---- finding Fashion-MNIST ----------------------------------------------------------------------

def fashion_search_dirs(data_dir: str | None = None) -> list[Path]:
    """The folders searched for Fashion-MNIST, in order, without duplicates.

    The order goes from most to least deliberate: an explicit ``--data-dir``, then
    ``$KTUI_DATA_DIR``, then Keras' cache (``$KERAS_HOME`` or ``~/.keras``, where
    ``keras.datasets.fashion_mnist`` would put a download), then the Debian package's folder.
    Environment variables are read at call time so tests and long-lived TUIs see changes.

    Args:
        data_dir: An explicit folder; ``None`` or empty to skip.
    """
    dirs: list[Path] = []
    if data_dir:
        dirs.append(Path(data_dir).expanduser())
    env_dir = os.environ.get("KTUI_DATA_DIR")
    if env_dir:
        dirs.append(Path(env_dir).expanduser())
    keras_home = os.environ.get("KERAS_HOME")
    keras_base = Path(keras_home).expanduser() if keras_home else Path.home() / ".keras"
    dirs.append(keras_base / "datasets" / "fashion-mnist")
    dirs.append(SYSTEM_FASHION_DIR)
    unique: list[Path] = []
    for d in dirs:
        if d not in unique:
            unique.append(d)
    return unique


def _locate(directory: Path) -> tuple[dict[str, Path], list[str]]:
    """The four files in ``directory`` (``.gz`` or already decompressed) and the missing names."""
    found: dict[str, Path] = {}
    missing: list[str] = []
    for role, name in FASHION_FILES.items():
        for candidate in (directory / name, directory / name.removesuffix(".gz")):
            if candidate.is_file():
                found[role] = candidate
                break
        else:
            missing.append(name)
    return found, missing


def _why_not(directory: Path) -> str:
    """A few words on why ``directory`` did not qualify, for the missing-data message."""
    if not directory.exists():
        return "does not exist"
    if not directory.is_dir():
        return "is not a folder"
    found, missing = _locate(directory)
    if not found:
        return "holds none of the files"
    return "lacks " + ", ".join(missing)


def _try_keras_download() -> str | None:
    """Let Keras download Fashion-MNIST into its cache; returns an error text, None on success.

    Only called when ``KTUI_ALLOW_DOWNLOAD=1``: ktui never goes on the network unasked.
    """
    try:
        import keras  # heavy and optional: imported only when a download is allowed

        keras.datasets.fashion_mnist.load_data()
    except Exception as err:  # any failure (network, disk, no keras) goes into the message
        return f"{type(err).__name__}: {err}"
    return None


def find_fashion_dir(data_dir: str | None = None) -> Path:
    """The first folder of :func:`fashion_search_dirs` holding all four Fashion-MNIST files.

    An explicit ``data_dir`` must hold them itself: falling back to another copy would hide a
    typo in ``--data-dir``. If no folder qualifies and ``KTUI_ALLOW_DOWNLOAD=1``, Keras is asked
    to download the files into its cache, which is then searched again.

    Args:
        data_dir: An explicit folder (``--data-dir``); ``None`` or empty for the standard ones.

    Raises:
        DataMissingError: No folder holds the files; the message lists every folder looked in
            and why each did not qualify.
    """
    if data_dir:
        explicit = Path(data_dir).expanduser()
        _, missing = _locate(explicit)
        if missing:
            raise DataMissingError(
                f"Fashion-MNIST not found in the data folder {explicit} given explicitly: it "
                f"{_why_not(explicit)}. Put {', '.join(missing)} there, or leave the data "
                "folder unset to search the standard places."
            )
        return explicit
    dirs = fashion_search_dirs()
    for d in dirs:
        if not _locate(d)[1]:
            return d
    download_note = ""
    if os.environ.get("KTUI_ALLOW_DOWNLOAD") == "1":
        failure = _try_keras_download()
        # Keras falls back to /tmp/.keras when its home is not writable.
        retry = fashion_search_dirs() + [Path("/tmp/.keras/datasets/fashion-mnist")]
        for d in retry:
            if not _locate(d)[1]:
                return d
        dirs = list(dict.fromkeys(dirs + retry))
        download_note = (f"The Keras download failed ({failure}).\n" if failure
                         else "The Keras download finished but left no files in these places.\n")
    looked = "\n".join(f"  {d} ({_why_not(d)})" for d in dirs)
    raise DataMissingError(
        f"Fashion-MNIST not found. Looked in:\n{looked}\n{download_note}To fix: {_INSTALL_HINT}."
    )


# ---- loaders ------------------------------------------------------------------------------------

def _draw_linear(rng: np.random.Generator, count: int, w: np.ndarray, b: float,
                 noise: float) -> tuple[np.ndarray, np.ndarray]:
    """``count`` samples of y = x·W + b + noise·N(0, 1), x ~ N(0, 1), drawn in float64."""
    x = rng.standard_normal((count, w.shape[0]))
    eps = rng.standard_normal(count)
    y = x @ w + b + noise * eps
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def load_linear(d: LinearData, validation_split: float) -> Splits:
    """Synthetic linear data, or the explicit points of ``d.x`` / ``d.y``.

    Validation and test sets are drawn *separately* from the same distribution, after the
    training set, from one generator seeded with ``d.seed``: the training set is always exactly
    ``n`` samples (as in seed 000) and does not change when ``validation_split`` does. Each of
    the other two sets has ``max(1, round(n * validation_split))`` samples, or none when the
    split is 0.

    Args:
        d: The dataset spec.
        validation_split: Size of the validation and test sets relative to ``d.n``.

    Raises:
        DataError: Explicit points whose ``x`` and ``y`` do not line up.
    """
    nf = d.n_features
    if d.x or d.y:
        x = np.array(d.x, dtype=np.float32).reshape(-1, nf) if d.x else np.zeros((0, nf),
                                                                                  np.float32)
        y = np.array(d.y, dtype=np.float32).reshape(-1, 1)
        if x.shape[0] != y.shape[0]:
            raise DataError(f"dataset.y: has {y.shape[0]} targets for {x.shape[0]} rows of x; "
                            "give one target per row")
        empty_x, empty_y = np.zeros((0, nf), np.float32), np.zeros((0, 1), np.float32)
        return Splits(
            x, y, empty_x, empty_y, empty_x.copy(), empty_y.copy(),
            description=f"{x.shape[0]} explicit points, {_features(nf)}",
        )

    w = np.asarray(d.weights(), dtype=np.float64)
    if w.shape != (nf,):
        raise DataError(f"dataset.w: has {w.shape[0]} values but n_features is {nf}; give one "
                        "W or one per feature")
    rng = np.random.default_rng(d.seed)
    x_train, y_train = _draw_linear(rng, d.n, w, d.b, d.noise)
    held_out = max(1, round(d.n * validation_split)) if validation_split > 0 else 0
    x_val, y_val = _draw_linear(rng, held_out, w, d.b, d.noise)
    x_test, y_test = _draw_linear(rng, held_out, w, d.b, d.noise)
    return Splits(
        x_train, y_train, x_val, y_val, x_test, y_test,
        true_w=tuple(float(v) for v in w), true_b=float(d.b),
        description=(f"{_linear_formula(d)}: {d.n} train, {held_out} validation, {held_out} "
                     f"test samples, {_features(nf)} (seed {d.seed})"),
    )


def _check_pair(images: np.ndarray, labels: np.ndarray, image_path: Path,
                label_path: Path) -> None:
    """Check one images/labels pair has Fashion-MNIST's shapes, types and label range."""
    if images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != FASHION_SHAPE:
        raise DataCorruptError(
            f"{image_path}: expected unsigned-byte images of shape (N, 28, 28), found "
            f"{images.dtype} of shape {images.shape}; is this really a Fashion-MNIST image file?"
        )
    if labels.dtype != np.uint8 or labels.ndim != 1:
        raise DataCorruptError(
            f"{label_path}: expected unsigned-byte labels of shape (N,), found {labels.dtype} "
            f"of shape {labels.shape}; is this really a Fashion-MNIST label file?"
        )
    if labels.shape[0] != images.shape[0]:
        raise DataCorruptError(
            f"{label_path}: has {labels.shape[0]} labels but {image_path.name} has "
            f"{images.shape[0]} images; {_REFETCH_HINT}"
        )
    if labels.size and int(labels.max()) >= FASHION_CLASSES:
        raise DataCorruptError(
            f"{label_path}: label {int(labels.max())} is out of range 0..{FASHION_CLASSES - 1}; "
            f"{_REFETCH_HINT}"
        )


def _pixel_stats(images: np.ndarray) -> tuple[float, float]:
    """Mean and (population) std of all pixels, from a 256-bin histogram.

    The histogram makes the statistics exact and avoids a float64 copy of 47 million pixels.
    """
    counts = np.bincount(images.ravel(), minlength=256).astype(np.float64)
    total = counts.sum()
    if total == 0:
        return 0.0, 1.0
    values = np.arange(256, dtype=np.float64)
    mean = float(counts @ values / total)
    var = float(counts @ (values - mean) ** 2 / total)
    return mean, math.sqrt(var)


def _normalise(images: np.ndarray, mean: float, scale: float) -> np.ndarray:
    """``(images - mean) / scale`` as float32, in place on one copy (5x faster than a table)."""
    out = images.astype(np.float32)
    out -= np.float32(mean)
    out /= np.float32(scale)
    return out


def load_fashion(d: FashionData, validation_split: float,
                 data_dir: str | None = None) -> Splits:
    """Load Fashion-MNIST and split it into training, validation and test sets.

    Split rule: validation is the *last* ``round(validation_split * T)`` images of the training
    file (T = 60 000 for the real data); training is the *first* ``d.samples`` of the rest (0 =
    all of the rest); test is the whole test file. Taking training images from the front makes
    the ``fashion-mlp`` preset (samples 10 000, split 0.1) train on exactly the images of seed
    001's ``take(10000)`` and validate on the last 6 000, which it never trains on.

    Normalisation: with ``d.standardize``, one scalar mean and std over every pixel of the
    *training* images (as the seed's ``StandardScaler`` on ``reshape(-1, 1)``; a std of 0 is
    replaced by 1, as StandardScaler does) are applied to all three sets, so nothing about the
    validation or test images leaks into training. Otherwise pixels are scaled to [0, 1].

    Args:
        d: The dataset spec.
        validation_split: Fraction of the training file held out for validation.
        data_dir: Overrides ``d.data_dir`` when given (the CLI's ``--data-dir``).

    Raises:
        DataMissingError: The files are not found (see :func:`find_fashion_dir`).
        DataCorruptError: A file is damaged or is not Fashion-MNIST.
        DataError: More training samples are asked for than remain after the validation split.
    """
    directory = find_fashion_dir(data_dir or d.data_dir or None)
    paths, _ = _locate(directory)
    train_images = read_idx(paths["train_images"])
    train_labels = read_idx(paths["train_labels"])
    test_images = read_idx(paths["test_images"])
    test_labels = read_idx(paths["test_labels"])
    _check_pair(train_images, train_labels, paths["train_images"], paths["train_labels"])
    _check_pair(test_images, test_labels, paths["test_images"], paths["test_labels"])

    total = train_images.shape[0]
    n_val = round(validation_split * total)
    rest = total - n_val
    if d.samples < 0:
        raise DataError(f"dataset.samples: must be >= 0 (0 = all), got {d.samples}")
    n_train = d.samples or rest
    if n_train > rest:
        raise DataError(
            f"dataset.samples: asks for {n_train} training images but only {rest} are "
            f"available ({total} in {paths['train_images'].name}, less {n_val} held out for "
            f"validation); use at most {rest}, 0 for all, or a smaller validation_split"
        )

    if d.standardize:
        mean, std = _pixel_stats(train_images[:n_train])
        scale = std if std > 0 else 1.0
        norm = f"standardised (mean {mean:.2f}, std {std:.2f})"
    else:
        mean, scale = 0.0, 255.0
        norm = "scaled to [0, 1]"

    return Splits(
        x_train=_normalise(train_images[:n_train], mean, scale),
        y_train=train_labels[:n_train].astype(np.int32),
        x_val=_normalise(train_images[rest:], mean, scale),
        y_val=train_labels[rest:].astype(np.int32),
        x_test=_normalise(test_images, mean, scale),
        y_test=test_labels.astype(np.int32),
        description=(f"Fashion-MNIST from {directory}: {n_train} train, {n_val} validation, "
                     f"{test_images.shape[0]} test images, {norm}"),
    )


def load_splits(spec: ExperimentSpec, data_dir: str | None = None) -> Splits:
    """Load the experiment's dataset, split by ``spec.train.validation_split``.

    Args:
        spec: The experiment.
        data_dir: Fashion-MNIST folder overriding the spec's (``--data-dir``).
    """
    dataset = spec.dataset
    if isinstance(dataset, LinearData):
        return load_linear(dataset, spec.train.validation_split)
    if isinstance(dataset, FashionData):
        return load_fashion(dataset, spec.train.validation_split, data_dir)
    raise TypeError(f"unknown dataset spec {type(dataset).__name__}")


# ---- descriptions -------------------------------------------------------------------------------

def _num(value: float) -> str:
    """A number as people write it: 3 rather than 3.0, 0.5 rather than 5e-01."""
    return f"{value:g}"


def _count(n: int) -> str:
    """10000 -> '10 000' (a space groups thousands, as in the presets' descriptions)."""
    return f"{n:,}".replace(",", " ")


def _features(n: int) -> str:
    return f"{n} feature" if n == 1 else f"{n} features"


def _linear_formula(d: LinearData) -> str:
    """'y = 3·x + 2 + N(0, 1²) noise', or with a W vector for several features."""
    w = d.weights()
    if d.n_features == 1 and len(w) == 1:
        slope = f"{_num(w[0])}·x"
    else:
        slope = "x·W"
    sign = "-" if d.b < 0 else "+"
    formula = f"y = {slope} {sign} {_num(abs(d.b))}"
    formula += f" + N(0, {_num(d.noise)}²) noise" if d.noise > 0 else " (no noise)"
    if slope == "x·W":
        formula += ", W = (" + ", ".join(_num(v) for v in w) + ")"
    return formula


def describe_dataset(spec_dataset: DatasetSpec) -> str:
    """One short line about a dataset spec, for the setup screen; loads nothing.

    Args:
        spec_dataset: A :class:`LinearData` or :class:`FashionData`.
    """
    if isinstance(spec_dataset, LinearData):
        d = spec_dataset
        if d.x or d.y:
            return f"{len(d.y)} explicit points (x, y), {_features(d.n_features)}"
        return f"{_linear_formula(d)}, {_count(d.n)} samples, {_features(d.n_features)}"
    if isinstance(spec_dataset, FashionData):
        d = spec_dataset
        images = (f"{_count(d.samples)} training images" if d.samples
                  else "all training images (60 000 less the validation split)")
        norm = "standardised" if d.standardize else "scaled to [0, 1]"
        return f"Fashion-MNIST: {images} of 28×28, {FASHION_CLASSES} classes, {norm}"
    raise TypeError(f"unknown dataset spec {type(spec_dataset).__name__}")
