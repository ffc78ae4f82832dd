"""The exported script's loaders for a user's data (csv, npz, images): the same file read
the same way, split and scaled by ktui's own functions copied in (:mod:`.splits`,
:mod:`.images_files`), so the script trains on exactly the run's rows.

The script never imports ktui. It reads the constants the kind's ``script_constants`` writes
(``DATA_PATH``, ``TEST_SPLIT``, ``SPLIT_SEED``, ``STRATIFY``, ``STANDARDIZE`` and the kind's
own); the user's path reaches it only as that literal.
"""

from __future__ import annotations

_SPLITS = ("share", "carve", "scale_of", "apply_scale")
_IMAGES = ("list_images", "_broken_link", "_walk", "decode_images")

_LOAD = '''

def load_data():
    """(x, y) for training, validation and test (None where there is none), as ktui made
    them: the data's own test split or one carved with TEST_SPLIT, validation carved with
    VALIDATION_SPLIT (stratified by class), standardised with the training rows only."""
    x, y, x_test, y_test = read_data()
    train, val, test = carve(len(x), y if STRATIFY else None, VALIDATION_SPLIT,
                             0.0 if x_test is not None else TEST_SPLIT, SPLIT_SEED)
    sets = [(x[train], y[train]), (x[val], y[val]),
            (x_test, y_test) if x_test is not None else (x[test], y[test])]
    if STANDARDIZE:
        mean, std = scale_of(sets[0][0], per_feature=sets[0][0].ndim == 2)
        for features, _ in sets:
            apply_scale(features, mean, std)
    return sets[0], *(part if len(part[0]) else None for part in sets[1:])
'''

_CSV = '''

def read_data():
    """The CSV file: the FEATURES columns as float32, the TARGET column as class indices
    (CLASS_NAMES) or float32 values, 8192 rows at a time."""
    import csv

    blocks, targets, block = [], [], []
    with open(os.path.expanduser(DATA_PATH), encoding="utf-8-sig", newline="") as f:
        rows = csv.reader(f, delimiter=DELIMITER, strict=True)
        header = [name.strip() or f"column {i + 1}" for i, name in enumerate(next(rows))]
        pick = [header.index(name) for name in FEATURES]
        column = header.index(TARGET)
        for row in rows:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            block.append([row[i] for i in pick])
            targets.append(row[column].strip())
            if len(block) == 8192:
                blocks.append(np.array(block, dtype=np.float32))
                block = []
    if block:
        blocks.append(np.array(block, dtype=np.float32))
    x = np.concatenate(blocks)
    if CLASS_VALUES:
        values = np.array(targets, dtype=np.float64)
        y = np.searchsorted(np.array(CLASS_VALUES), values).astype(np.int32)
    elif CLASS_NAMES:
        index = {name: i for i, name in enumerate(CLASS_NAMES)}
        y = np.array([index[t] for t in targets], dtype=np.int32)
    else:
        y = np.array(targets, dtype=np.float64).astype(np.float32).reshape(-1, 1)
    return x, y, None, None
'''

_NPZ = '''

def read_data():
    """The .npz file, without pickles: x_train/y_train (+ x_test/y_test) or x/y; uint8
    images scaled to [0, 1]; targets as class indices or float32 values."""
    def features(x):
        if x.dtype == np.uint8 and x.ndim > 2:
            out = x.astype(np.float32)
            out /= np.float32(255)
            return out
        return x.astype(np.float32, copy=False)

    def targets(y):
        y = y.reshape(-1)
        return y.astype(np.float32).reshape(-1, 1) if REGRESSION else y.astype(np.int32)

    with np.load(os.path.expanduser(DATA_PATH), allow_pickle=False) as npz:
        keys = set(npz.files)
        x_key, y_key = ("x_train", "y_train") if {"x_train", "y_train"} <= keys else ("x", "y")
        x, y = features(npz[x_key]), targets(npz[y_key])
        if x_key == "x_train" and "x_test" in keys:
            return x, y, features(npz["x_test"]), targets(npz["y_test"])
    return x, y, None, None
'''

_IMAGES_READ = '''

def read_data():
    """Every image of the class folders, decoded and resized by TensorFlow as ktui did."""
    _, files, _ = list_images(os.path.expanduser(DATA_PATH))
    paths = [path for group in files for path in group]
    y = np.repeat(np.arange(len(files), dtype=np.int32), [len(group) for group in files])
    return decode_images(paths, SIZE[0], SIZE[1], CHANNELS), y, None, None
'''


def _copied(module: str, names: tuple[str, ...]) -> str:
    from ktui.core.export.sources import definitions

    found = definitions(module)
    return "\n\n\n".join(found[name] for name in names)


def _with_splits(read: str) -> str:
    return ("\n\n" + _copied("ktui.core.datasets.splits", _SPLITS) + "\n" + read + _LOAD)


def csv_loader() -> str:
    return _with_splits(_CSV)


def npz_loader() -> str:
    return _with_splits(_NPZ)


def images_loader() -> str:
    from ktui.core.datasets.images_files import IMAGE_EXTENSIONS

    return (f"\nIMAGE_EXTENSIONS = {IMAGE_EXTENSIONS!r}\n\n\n"
            + _copied("ktui.core.datasets.images_files", _IMAGES) + "\n" + _with_splits(
                _IMAGES_READ))
