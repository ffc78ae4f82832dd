"""Bad files of a user's own data: each gives one line naming the file and the place (the
line and column of a CSV cell, the key and sample of a .npz, the file or folder of an image),
never a traceback, and the file is left as it was.

Problems the card finds are the spec's problems (``dataset: ...``, or ``dataset.target: ...``
when a setting is at fault: what the form and ``ktui train`` show); those only decoding or
loading finds (a corrupt PNG, a NaN pixel) are the loader's DataError, as the trainer
reports it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from own_files import png_bytes, shapes_folder, write_text

from ktui.core.datasets import CsvData, DataError, DatasetSpec, ImageFolderData, NpzData

Case = Callable[[Path], tuple[DatasetSpec, Path, tuple[str, ...]]]
GOOD_ROWS = "a,b,y\n1,2,x\n3,4,z\n"


def _csv(text: str | bytes, *places: str, **settings: object) -> Case:
    def make(tmp: Path) -> tuple[DatasetSpec, Path, tuple[str, ...]]:
        path = tmp / "data.csv"
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            write_text(path, text)
        return CsvData(path=str(path), **settings), path, places  # type: ignore[arg-type]
    return make


def _npz(places: tuple[str, ...], settings: dict | None = None, **arrays: np.ndarray) -> Case:
    def make(tmp: Path) -> tuple[DatasetSpec, Path, tuple[str, ...]]:
        path = tmp / "data.npz"
        np.savez(path, **arrays)
        return NpzData(path=str(path), **(settings or {})), path, places
    return make


def _npz_bytes(raw: bytes, *places: str) -> Case:
    def make(tmp: Path) -> tuple[DatasetSpec, Path, tuple[str, ...]]:
        path = tmp / "data.npz"
        path.write_bytes(raw)
        return NpzData(path=str(path)), path, places
    return make


def _images(build: Callable[[Path], Path], *places: str) -> Case:
    def make(tmp: Path) -> tuple[DatasetSpec, Path, tuple[str, ...]]:
        root = tmp / "pics"
        named = build(root)
        return ImageFolderData(path=str(root), size=[4, 4]), named, places
    return make


def _corrupt_png(root: Path) -> Path:
    shapes_folder(root, per_class=3, side=4)
    bad = root / "light" / "broken.png"
    bad.write_bytes(png_bytes(np.zeros((4, 4, 3), np.uint8))[:30])
    return bad


def _empty_class(root: Path) -> Path:
    shapes_folder(root, per_class=2, side=4)
    (root / "empty").mkdir()
    return root / "empty"


def _link_loop(root: Path) -> Path:
    shapes_folder(root, per_class=2, side=4)
    os.symlink(root / "dark", root / "dark" / "again")
    return root / "dark" / "again"


def _self_link(root: Path) -> Path:
    shapes_folder(root, per_class=2, side=4)
    os.symlink(root / "light" / "me.png", root / "light" / "me.png")
    return root / "light" / "me.png"


def _one_class(root: Path) -> Path:
    shapes_folder(root, per_class=2, side=4)
    for file in (root / "light").iterdir():
        file.unlink()
    (root / "light").rmdir()
    return root


def _a_file(root: Path) -> Path:
    root.write_text("not a folder")
    return root


X = np.zeros((6, 3), np.float32)
Y = np.array([0, 1, 0, 1, 0, 1])
IMAGES = np.zeros((6, 4, 4), np.uint8)

BAD: dict[str, Case] = {
    # CSV: the file, then the line and the column
    "csv empty": _csv("", "is empty"),
    "csv blank lines only": _csv("\n\n  \n", "is empty"),
    "csv header only": _csv("a,b,y\n", "a header but no data rows"),
    "csv ragged row": _csv("a,b,y\n1,2,3\n4,5\n", "line 3", "2 fields"),
    "csv text cell": _csv("a,b,y\n1,2,3\n4,four,5\n", "line 3, column 'b'", "not a number"),
    "csv NaN cell": _csv("a,b,y\n1,2,3\n4,NaN,5\n", "line 3, column 'b'", "missing value"),
    "csv empty cell": _csv("a,b,y\n1,2,3\n,5,6\n", "line 3, column 'a'", "missing value"),
    "csv NA cell": _csv("a,b,y\n1,NA,3\n", "line 2, column 'b'", "missing value"),
    "csv infinite cell": _csv("a,b,y\n1,2,3\n4,inf,5\n", "line 3, column 'b'", "not a finite"),
    "csv decimal comma": _csv("a;b;y\n1;2,5;3\n", "line 2, column 'b'", "decimal comma"),
    "csv latin-1 bytes": _csv("a,b,y\n1,2,3\n4,5,caf\xe9\n".encode("latin-1"), "line 3",
                              "not UTF-8"),
    "csv latin-1 in header": _csv(b"a,\xe9,y\n1,2,3\n", "line 1", "not UTF-8"),
    "csv NUL byte": _csv(b"a,b,y\n1,\x002,3\n", "line 2", "NUL"),
    "csv bad quotes": _csv('a,b,y\n1,"2"x,3\n', "line 2", "not valid CSV"),
    "csv one class": _csv("a,b,y\n1,2,cat\n3,4,cat\n", "column 'y'", "at least 2 classes"),
    "csv missing target": _csv("a,b,y\n1,2,cat\n3,4,\n", "line 3, column 'y'",
                               "missing target"),
    "csv text target for regression": _csv(GOOD_ROWS, "line 2, column 'y'", "not a number",
                                           task="regression"),
    "csv too many text classes": _csv("a,y\n" + "".join(f"{i},c{i}\n" for i in range(60)),
                                      "column 'y'", "60 distinct text values"),
    "csv no such target": _csv(GOOD_ROWS, "no column 'z'", "a, b, y", target="z"),
    "csv no such feature": _csv(GOOD_ROWS, "no column 'c'", features=["a", "c"]),
    "csv feature is the target": _csv(GOOD_ROWS, "column 'y' is the target",
                                      features=["a", "y"]),
    "csv duplicate column": _csv("a,a,y\n1,2,3\n", "line 1", "'a' appears twice"),
    "csv one column": _csv("a y\n1 2\n", "line 1", "one column only", delimiter="comma"),
    "csv a folder": lambda tmp: (CsvData(path=str(tmp)), tmp, ("cannot read",)),
    # NPZ: the file, then the key (and the sample)
    "npz pickled objects": _npz(("key 'y'", "Python objects"), x=X,
                                y=np.array([0, "a", None, 1, 0, 1], dtype=object)),
    "npz lengths differ": _npz(("key 'y_train'", "5 targets", "6 samples"), x_train=X,
                               y_train=Y[:5]),
    "npz no y": _npz(("has x but no y",), x=X),
    "npz no arrays we know": _npz(("no x_train/y_train or x/y", "features, labels"),
                                  features=X, labels=Y),
    "npz x_test without y_test": _npz(("has x_test but no y_test",), x_train=X, y_train=Y,
                                      x_test=X),
    "npz negative label": _npz(("key 'y'", "sample 2", "label -1 is out of range"), x=X,
                               y=np.array([0, 1, -1, 1, 0, 1])),
    "npz label past class_names": _npz(("key 'y'", "sample 3", "label 2", "class_names has 2"),
                                       x=X, y=np.array([0, 1, 0, 2, 0, 1]),
                                       class_names=np.array(["a", "b"])),
    "npz one class": _npz(("key 'y'", "one class only"), x=X, y=np.zeros(6, np.int64)),
    "npz text features": _npz(("key 'x'", "<U1", "real numbers"), x=np.full((6, 2), "a"),
                              y=Y),
    "npz one-dimensional x": _npz(("key 'x'", "shape (6,)", "reshape it to (N, 1)"),
                                  x=np.zeros(6), y=Y),
    "npz test images of another size": _npz(("key 'x_test'", "(5, 5)", "(4, 4)"),
                                            x_train=IMAGES, y_train=Y,
                                            x_test=np.zeros((2, 5, 5), np.uint8),
                                            y_test=Y[:2]),
    "npz fractional class label": _npz(("key 'y'", "sample 1", "not a class index"),
                                       {"task": "classification"}, x=X,
                                       y=np.array([0.0, 0.5, 1, 1, 0, 1])),
    "npz not a zip": _npz_bytes(b"\x93NUMPY not an npz", "not a .npz file"),
    "npz empty": _npz_bytes(b"", "empty"),
    "npz truncated zip": _npz_bytes(b"PK\x03\x04" + b"\0" * 20, "damaged"),
    # image folders: the file or folder
    "images empty class folder": _images(_empty_class, "no images", "class folder"),
    "images symlink loop": _images(_link_loop, "symbolic link loop"),
    "images link to itself": _images(_self_link, "loops or leads nowhere"),
    "images one class": _images(_one_class, "one class folder (dark)", "at least 2"),
    "images a file, not a folder": _images(_a_file, "not a folder"),
}
#: The setting at fault, where one is (else the data itself: ``dataset: ...``).
FIELDS = {"csv no such target": ".target", "csv no such feature": ".features",
          "csv feature is the target": ".features", "csv one column": ".delimiter",
          "images a file, not a folder": ".path", "csv a folder": ".path"}

#: Only loading finds these (decoding every image; reading every pixel).
AT_LOAD: dict[str, Case] = {
    "images corrupt png": _images(_corrupt_png, "cannot be decoded as an image", "damaged"),
    "npz NaN pixel": _npz(("key 'x'", "sample 4", "NaN or infinite"),
                          x=np.where(np.arange(18).reshape(6, 3) == 13, np.nan, 1.0),
                          y=Y.astype(np.float64)),
}


def _unchanged(path: Path) -> tuple:
    if path.is_symlink() or not path.exists():
        return ()
    if path.is_dir():
        return tuple(sorted(p.name for p in path.iterdir()))
    return (path.read_bytes(),)


@pytest.mark.parametrize("name", list(BAD))
def test_a_bad_file_is_one_problem_naming_the_file_and_place(name: str, tmp_path: Path) -> None:
    dataset, named, places = BAD[name](tmp_path)
    before = _unchanged(named)
    problems = dataset.problems()
    assert len(problems) == 1, problems
    problem = problems[0]
    where, _, message = problem.partition(": ")
    assert where == f"dataset{FIELDS.get(name, '')}" and "\n" not in problem, problem
    assert str(named) in problem, problem
    for place in places:
        assert place in problem, problem
    with pytest.raises(DataError) as err:
        dataset.load(0.1)
    assert str(err.value) == message
    assert _unchanged(named) == before  # nothing the user owns is modified


@pytest.mark.parametrize("name", list(AT_LOAD))
def test_a_file_that_only_loading_finds_bad_is_named_by_the_loader(name: str,
                                                                   tmp_path: Path) -> None:
    dataset, named, places = AT_LOAD[name](tmp_path)
    assert dataset.problems() == []
    with pytest.raises(DataError) as err:
        dataset.load(0.1)
    message = str(err.value)
    assert str(named) in message and "\n" not in message, message
    for place in places:
        assert place in message, message


def test_there_are_at_least_25_bad_files() -> None:
    assert len(BAD) + len(AT_LOAD) >= 25
