"""A user's own data (issue 13): CSV files, NumPy .npz files and folders of images.

Every loader on small files written here: what good files give (classes, shapes, splits,
scaling), and for bad files a message naming the file and the place (line, column, key,
sample, folder), never a traceback. The bad files themselves: tests/unit/test_own_bad_files.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from own_files import blobs_csv, linear_csv, shapes_folder, stripes_npz, write_text

from ktui.core import spec as specmod
from ktui.core.datasets import CsvData, DataError, ImageFolderData, NpzData
from ktui.core.datasets import own as ownmod
from ktui.core.datasets.splits import carve
from ktui.core.form_text import parse_text
from ktui.core.spec.for_data import experiment_for, fit_to_data, kind_for_path
from ktui.core.spec.presets import get_preset

# ---- CSV -------------------------------------------------------------------------------------


def test_csv_text_classes_are_sorted_and_counted(tmp_path: Path) -> None:
    d = CsvData(path=str(blobs_csv(tmp_path / "fruit.csv")), features=["width", "height"])
    card = d.card()
    assert card.problem == "" and card.task == "classification"
    assert card.class_names == ("apple", "kiwi", "pear") and card.class_counts == (80, 80, 80)
    assert d.input_shape() == (2,) and d.output_shape() == (3,)
    assert d.class_names() == ("apple", "kiwi", "pear")
    assert card.summary() == "fruit.csv: 240 rows, 2 features → fruit (classification, 3 classes)"
    assert "  apple " in card.lines()[1] and card.lines()[1].endswith(" 80")


def test_a_bom_and_crlf_line_ends_are_accepted(tmp_path: Path) -> None:
    plain = CsvData(path=str(blobs_csv(tmp_path / "a.csv")), features=["width", "height"])
    windows = CsvData(path=str(blobs_csv(tmp_path / "b.csv", bom=True, crlf=True)),
                      features=["width", "height"])
    assert windows.problems() == [] and windows.card().features == ("width", "height")
    a, b = plain.load(0.2), windows.load(0.2)
    assert np.array_equal(a.x_train, b.x_train) and np.array_equal(a.y_test, b.y_test)


def test_the_delimiter_is_detected_or_given(tmp_path: Path) -> None:
    path = linear_csv(tmp_path / "semi.csv")
    assert CsvData(path=str(path)).card().delimiter == ";"
    tab = write_text(tmp_path / "t.tsv", "a\tb\ty\n1\t2\t3\n4\t5\t6\n")
    assert CsvData(path=str(tab)).card().input_shape == (2,)
    given = CsvData(path=str(path), delimiter="comma")  # wrong on purpose: one column
    assert "one column only" in given.card().problem


def test_numeric_targets_auto_classes_or_regression(tmp_path: Path) -> None:
    ints = write_text(tmp_path / "ints.csv", "a,y\n" + "".join(
        f"{i},{[2, 10, 7][i % 3]}\n" for i in range(30)))
    card = CsvData(path=str(ints)).card()
    assert card.task == "classification" and card.class_names == ("2", "7", "10")
    many = write_text(tmp_path / "many.csv", "a,y\n" + "".join(f"{i},{i}\n" for i in range(51)))
    assert CsvData(path=str(many)).card().task == "regression"
    assert CsvData(path=str(many), task="classification").card().task == "classification"
    reg = CsvData(path=str(linear_csv(tmp_path / "lin.csv")))
    assert reg.resolved_task() == "regression" and reg.output_shape() == (1,)
    low, mean, high = reg.card().target_range
    assert low < mean < high
    y = reg.load(0.1).y_train
    assert y.dtype == np.float32 and y.shape[1] == 1


def test_a_chosen_column_set_drops_a_text_column_and_picks_the_target(tmp_path: Path) -> None:
    path = blobs_csv(tmp_path / "fruit.csv")
    assert "column 'note'" in CsvData(path=str(path)).card().problem
    d = CsvData(path=str(path), target="height", features=["width"], task="regression")
    assert d.card().usable and d.input_shape() == (1,) and d.resolved_task() == "regression"


def test_standardisation_uses_the_training_rows_only(tmp_path: Path) -> None:
    d = CsvData(path=str(blobs_csv(tmp_path / "f.csv")), features=["width", "height"])
    scaled, raw = d.load(0.25), CsvData(**{**d.values(), "standardize": False}).load(0.25)
    mean, std = raw.x_train.mean(0, dtype=np.float64), raw.x_train.std(0, dtype=np.float64)
    assert np.allclose(scaled.x_train.mean(0), 0, atol=1e-5)
    assert np.allclose(scaled.x_val, (raw.x_val - mean) / std, atol=1e-5)
    assert np.allclose(scaled.x_test, (raw.x_test - mean) / std, atol=1e-5)


def test_splits_are_stratified_seeded_and_in_file_order() -> None:
    labels = np.array([0] * 60 + [1] * 30 + [2] * 10)
    train, val, test = carve(100, labels, 0.2, 0.1, seed=5)
    assert (len(test), len(val), len(train)) == (10, 18, 72)
    assert np.bincount(labels[test]).tolist() == [6, 3, 1]
    assert sorted(np.concatenate([train, val, test]).tolist()) == list(range(100))
    assert all(np.all(np.diff(part) > 0) for part in (train, val, test))
    again, other = carve(100, labels, 0.2, 0.1, seed=5), carve(100, labels, 0.2, 0.1, seed=6)
    assert np.array_equal(again[2], test) and not np.array_equal(other[2], test)


# ---- NPZ -------------------------------------------------------------------------------------


def test_npz_keeps_its_own_test_split_and_scales_uint8_images(tmp_path: Path) -> None:
    d = NpzData(path=str(stripes_npz(tmp_path / "s.npz")))
    card = d.card()
    assert card.rows == 260 and card.test_rows == 60 and card.input_shape == (8, 8)
    assert card.class_names == ("0", "1") and card.class_counts == (100, 100)
    s = d.load(0.1)
    assert (len(s.x_train), len(s.x_val), len(s.x_test)) == (180, 20, 60)
    assert s.x_train.dtype == np.float32 and 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    assert s.y_train.dtype == np.int32


def test_npz_x_y_layout_float_regression_and_class_names(tmp_path: Path) -> None:
    x = np.arange(40, dtype=np.float64).reshape(20, 2)
    np.savez(tmp_path / "r.npz", x=x, y=x.sum(1))
    reg = NpzData(path=str(tmp_path / "r.npz"), standardize=True)
    assert reg.resolved_task() == "regression" and reg.card().test_rows == 0
    assert len(reg.load(0.0).x_test) == 2
    np.savez(tmp_path / "c.npz", x=x, y=np.arange(20) % 3, class_names=np.array(["a", "b", "c"]))
    assert NpzData(path=str(tmp_path / "c.npz")).class_names() == ("a", "b", "c")


# ---- image folders ----------------------------------------------------------------------------


def test_image_folder_lists_classes_ignoring_dotfiles_and_others(tmp_path: Path) -> None:
    root = shapes_folder(tmp_path / "pics")
    (root / ".hidden").mkdir()
    (root / "dark" / ".DS_Store").write_bytes(b"x")
    (root / "light" / "notes.txt").write_text("x")
    d = ImageFolderData(path=str(root), size=[6, 5], color="rgb")
    card = d.card()
    assert card.class_names == ("dark", "light") and card.class_counts == (12, 12)
    assert d.input_shape() == (6, 5, 3)
    assert any("1 file ignored" in n and "notes.txt" in n for n in card.notes)
    s = d.load(0.25)
    assert s.x_train.shape[1:] == (6, 5, 3) and s.x_train.dtype == np.float32
    dark = s.x_train[s.y_train == 0].mean()
    assert dark < 0.2 < 0.7 < s.x_train[s.y_train == 1].mean()
    gray = ImageFolderData(path=str(root), size=[4, 4]).load(0.0)
    assert gray.x_train.shape[1:] == (4, 4, 1)


# ---- everything the rest of ktui asks -------------------------------------------------------


def test_each_kind_round_trips_through_toml_and_validates(tmp_path: Path) -> None:
    paths = [blobs_csv(tmp_path / "f.csv"), stripes_npz(tmp_path / "s.npz"),
             shapes_folder(tmp_path / "pics")]
    for path in paths:
        spec = experiment_for(str(path))
        if isinstance(spec.dataset, CsvData):
            spec.dataset.features = ["width", "height"]
            fit_to_data(spec)
        again = specmod.loads(specmod.dumps(spec))
        assert again.dataset == spec.dataset and specmod.validate(again) == [], path


def test_a_loss_that_does_not_fit_the_files_task_is_refused(tmp_path: Path) -> None:
    spec = experiment_for(str(linear_csv(tmp_path / "lin.csv")))
    spec.train.loss = "sparse_categorical_crossentropy"
    problems = specmod.validate(spec)
    assert any(p.startswith("train.loss: sparse_categorical_crossentropy does not fit "
                            "regression (the target of lin.csv)") for p in problems)


def test_an_unreadable_file_is_one_problem_on_the_path_not_a_task_misfit(tmp_path: Path) -> None:
    spec = get_preset("fashion-mlp")
    spec.dataset = CsvData(path=str(tmp_path / "gone.csv"), task="auto")
    problems = specmod.validate(spec)
    assert problems == [f"dataset.path: {tmp_path / 'gone.csv'}: no such file or folder; "
                        "check the path"]


def test_a_large_file_is_pending_on_a_thread_that_must_not_wait(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownmod, "QUICK_BYTES", 10)
    d = CsvData(path=str(blobs_csv(tmp_path / "big.csv")), features=["width", "height"])
    ownmod.set_waiting(False)
    try:
        assert d.card().pending and not d.task_known() and not d.shape_known()
        spec = get_preset("fashion-mlp")
        spec.dataset = d
        assert "dataset.path: reading " in specmod.validate(spec)[0]
        reader = threading.Thread(target=d.read_card)  # the TUI's worker
        reader.start()
        reader.join()
        assert d.card().usable and d.output_shape() == (3,)
    finally:
        ownmod.set_waiting(True)


def test_the_kind_comes_from_the_path(tmp_path: Path) -> None:
    assert kind_for_path(str(tmp_path)) == "images"
    assert [kind_for_path(f"x{s}") for s in (".csv", ".TSV", ".npz")] == ["csv", "csv", "npz"]
    (tmp_path / "data.parquet").write_bytes(b"x")
    with pytest.raises(DataError, match=r"data\.parquet: cannot tell the kind of data"):
        kind_for_path(str(tmp_path / "data.parquet"))


def test_default_stacks_fit_tables_and_images(tmp_path: Path) -> None:
    table = experiment_for(str(linear_csv(tmp_path / "lin.csv")))
    # A regression table: an MLP, then the output back in the target's units (item 5).
    assert [lay.kind for lay in table.layers] == ["Dense", "Dense", "Dense", "Rescaling"]
    assert table.layers[-1].params["scale"] > 0
    assert table.train.loss == "mse" and table.train.metrics == ["mae"]
    images = experiment_for(str(stripes_npz(tmp_path / "s.npz")))
    kinds = [lay.kind for lay in images.layers]
    assert kinds[0] == "Reshape" and "Conv2D" in kinds and images.train.metrics == ["accuracy"]
    assert specmod.validate(table) == [] and specmod.validate(images) == []


def test_fitting_an_edited_experiment_to_its_data(tmp_path: Path) -> None:
    spec = get_preset("fashion-mlp")
    spec.dataset = CsvData(path=str(linear_csv(tmp_path / "lin.csv")))
    change = fit_to_data(spec)
    assert change is not None and "regression" in change and spec.train.loss == "mse"
    last_dense = [layer for layer in spec.layers if layer.kind == "Dense"][-1]
    assert last_dense.params["units"] == 1 and specmod.validate(spec) == []
    assert fit_to_data(spec) is None  # fitting already


def test_feature_names_are_typed_with_commas() -> None:
    assert parse_text("names", " width, body mass ,, ") == ["width", "body mass"]
    assert parse_text("names", "") == []
