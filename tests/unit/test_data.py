"""Tests for ktui.core.datasets: IDX parsing, finding Fashion-MNIST, splits and normalisation.

Fashion-MNIST is faked with tiny IDX files written here, so these run in well under a second;
only the test marked ``integration`` reads the real files.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from idx_files import idx_bytes, make_fashion, write_idx

from ktui.core import datasets
from ktui.core.datasets import (
    DATASETS,
    KIND_FIELD,
    DataCorruptError,
    DataError,
    DataMissingError,
    FashionData,
    LinearData,
    load_splits,
)
from ktui.core.datasets import fashion as fashion_module
from ktui.core.datasets.fashion import (
    FASHION_CLASS_NAMES,
    FASHION_FILES,
    fashion_search_dirs,
    find_fashion_dir,
    load_fashion,
)
from ktui.core.datasets.idx import read_idx
from ktui.core.datasets.linear import load_linear
from ktui.core.spec import ExperimentSpec, TrainSpec

REAL_DIR = Path("/usr/share/datasets/fashion-mnist")

@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No KTUI_DATA_DIR / KERAS_HOME / download, HOME in tmp, system dir pointed at tmp."""
    for var in ("KTUI_DATA_DIR", "KERAS_HOME", "KTUI_ALLOW_DOWNLOAD"):
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setattr(fashion_module, "SYSTEM_FASHION_DIR", tmp_path / "system")
    return tmp_path


# ---- read_idx -----------------------------------------------------------------------------------

@pytest.mark.parametrize("gz", [True, False])
@pytest.mark.parametrize("shape", [(5, 28, 28), (7,), (3, 4)])
def test_read_idx_round_trip_uint8(tmp_path: Path, gz: bool, shape: tuple[int, ...]) -> None:
    arr = np.random.default_rng(1).integers(0, 256, shape, dtype=np.uint8)
    got = read_idx(write_idx(tmp_path / ("f.gz" if gz else "f"), arr, gz=gz))
    assert got.shape == shape and got.dtype == np.uint8
    np.testing.assert_array_equal(got, arr)
    assert got.flags.writeable


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_read_idx_other_types_are_big_endian(tmp_path: Path, dtype: type) -> None:
    arr = np.array([[-3, 1, 2], [300 % 127, -1, 0]], dtype=dtype)
    got = read_idx(write_idx(tmp_path / "f.gz", arr))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, arr)


def test_read_idx_detects_gzip_by_content_not_name(tmp_path: Path) -> None:
    arr = np.arange(6, dtype=np.uint8)
    # Compressed but named without .gz, and raw but named .gz: both must parse.
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "a", arr, gz=True)), arr)
    np.testing.assert_array_equal(read_idx(write_idx(tmp_path / "b.gz", arr, gz=False)), arr)


def test_read_idx_truncated(tmp_path: Path) -> None:
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8))
    path = tmp_path / "short.gz"
    path.write_bytes(gzip.compress(raw[:-10]))
    with pytest.raises(DataCorruptError, match=r"truncated: expected 3136 bytes of data, "
                                               r"found 3126") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "h"
    path.write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    with pytest.raises(DataCorruptError, match="header needs 16 bytes"):
        read_idx(path)


def test_read_idx_truncated_gzip_stream(tmp_path: Path) -> None:
    packed = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    path = tmp_path / "cut.gz"
    path.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(DataCorruptError, match="not valid gzip data"):
        read_idx(path)


def test_read_idx_trailing_bytes(tmp_path: Path) -> None:
    path = tmp_path / "long"
    path.write_bytes(idx_bytes(np.zeros(10, np.uint8)) + b"\x00\x01")
    with pytest.raises(DataCorruptError, match="2 unexpected bytes after the data"):
        read_idx(path)


def test_read_idx_nonzero_magic(tmp_path: Path) -> None:
    raw = bytearray(idx_bytes(np.zeros(10, np.uint8)))
    raw[1] = 1
    path = tmp_path / "magic"
    path.write_bytes(bytes(raw))
    with pytest.raises(DataCorruptError, match="bad magic number 0x00010801"):
        read_idx(path)


def test_read_idx_unknown_type_code(tmp_path: Path) -> None:
    raw = bytearray(idx_bytes(np.zeros(10, np.uint8)))
    raw[2] = 0x0A
    path = tmp_path / "code.gz"
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(DataCorruptError, match="unknown IDX type code 0x0A"):
        read_idx(path)


def test_read_idx_zero_dims(tmp_path: Path) -> None:
    path = tmp_path / "z"
    path.write_bytes(bytes([0, 0, 8, 0]))
    with pytest.raises(DataCorruptError, match="0 dimensions"):
        read_idx(path)


def test_read_idx_gz_name_with_garbage(tmp_path: Path) -> None:
    path = tmp_path / "page.gz"
    path.write_bytes(b"<html>Not Found</html>")
    with pytest.raises(DataCorruptError, match="neither gzip nor IDX"):
        read_idx(path)


def test_read_idx_missing_file_is_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        read_idx(tmp_path / "absent.gz")


# ---- finding the files --------------------------------------------------------------------------

def test_search_order(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = clean_env
    home = tmp / "home"
    assert fashion_search_dirs() == [home / ".keras/datasets/fashion-mnist", tmp / "system"]
    monkeypatch.setenv("KERAS_HOME", str(tmp / "kh"))
    monkeypatch.setenv("KTUI_DATA_DIR", str(tmp / "env"))
    assert fashion_search_dirs(str(tmp / "explicit")) == [
        tmp / "explicit", tmp / "env", tmp / "kh/datasets/fashion-mnist", tmp / "system"]
    assert fashion_search_dirs("") == fashion_search_dirs(None) == [
        tmp / "env", tmp / "kh/datasets/fashion-mnist", tmp / "system"]


def test_find_order_step_by_step(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = clean_env
    system = tmp / "system"
    make_fashion(system, n_train=3, n_test=2)
    assert find_fashion_dir() == system
    default_keras = tmp / "home/.keras/datasets/fashion-mnist"
    make_fashion(default_keras, n_train=3, n_test=2)
    assert find_fashion_dir() == default_keras
    keras_home = tmp / "kh/datasets/fashion-mnist"
    make_fashion(keras_home, n_train=3, n_test=2)
    monkeypatch.setenv("KERAS_HOME", str(tmp / "kh"))
    assert find_fashion_dir() == keras_home
    env = tmp / "env"
    make_fashion(env, n_train=3, n_test=2)
    monkeypatch.setenv("KTUI_DATA_DIR", str(env))
    assert find_fashion_dir() == env
    explicit = tmp / "explicit"
    make_fashion(explicit, n_train=3, n_test=2)
    assert find_fashion_dir(str(explicit)) == explicit


def test_find_skips_incomplete_dir(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = clean_env
    env = tmp / "env"
    make_fashion(env, n_train=3, n_test=2)
    (env / FASHION_FILES["test_labels"]).unlink()
    make_fashion(tmp / "system", n_train=3, n_test=2)
    monkeypatch.setenv("KTUI_DATA_DIR", str(env))
    assert find_fashion_dir() == tmp / "system"


def test_find_accepts_decompressed_files(clean_env: Path) -> None:
    arrays = make_fashion(clean_env / "plain", n_train=4, n_test=2, gz=False)
    assert find_fashion_dir(str(clean_env / "plain")) == clean_env / "plain"
    splits = load_fashion(FashionData(standardize=False), 0.0, str(clean_env / "plain"))
    np.testing.assert_allclose(splits.x_train * 255, arrays["train_images"], atol=1e-4)


def test_missing_message_names_every_place(clean_env: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    tmp = clean_env
    monkeypatch.setenv("KTUI_DATA_DIR", str(tmp / "env"))
    monkeypatch.setenv("KERAS_HOME", str(tmp / "kh"))
    partial = tmp / "kh/datasets/fashion-mnist"
    make_fashion(partial, n_train=3, n_test=2)
    (partial / FASHION_FILES["train_images"]).unlink()
    with pytest.raises(DataMissingError) as info:
        find_fashion_dir()
    message = str(info.value)
    for d in fashion_search_dirs():
        assert str(d) in message
    assert "lacks train-images-idx3-ubyte.gz" in message
    assert "does not exist" in message
    assert "dataset-fashion-mnist" in message and "--data-dir" in message
    assert "KTUI_DATA_DIR" in message


def test_explicit_dir_missing_files_does_not_fall_back(clean_env: Path) -> None:
    make_fashion(clean_env / "system", n_train=3, n_test=2)  # a good copy elsewhere
    explicit = clean_env / "explicit"
    make_fashion(explicit, n_train=3, n_test=2)
    (explicit / FASHION_FILES["test_images"]).unlink()
    (explicit / FASHION_FILES["train_labels"]).unlink()
    with pytest.raises(DataMissingError) as info:
        find_fashion_dir(str(explicit))
    message = str(info.value)
    assert str(explicit) in message
    assert "t10k-images-idx3-ubyte.gz" in message and "train-labels-idx1-ubyte.gz" in message
    assert "train-images-idx3-ubyte.gz" not in message.split("Put")[1]


def test_download_only_when_allowed(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []

    def fake_download() -> str | None:
        calls.append(1)
        make_fashion(clean_env / "home/.keras/datasets/fashion-mnist", n_train=3, n_test=2)
        return None

    monkeypatch.setattr(fashion_module, "_try_keras_download", fake_download)
    with pytest.raises(DataMissingError):
        find_fashion_dir()
    assert calls == []
    monkeypatch.setenv("KTUI_ALLOW_DOWNLOAD", "1")
    assert find_fashion_dir() == clean_env / "home/.keras/datasets/fashion-mnist"
    assert calls == [1]


def test_download_failure_is_reported(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fashion_module, "_try_keras_download", lambda: "URLError: no network")
    monkeypatch.setenv("KTUI_ALLOW_DOWNLOAD", "1")
    with pytest.raises(DataMissingError, match="download failed.*no network"):
        find_fashion_dir()


# ---- Fashion-MNIST splits -----------------------------------------------------------------------

def test_split_rule_sizes_and_positions(clean_env: Path) -> None:
    arrays = make_fashion(clean_env / "d", n_train=100, n_test=20)
    s = load_fashion(FashionData(samples=30, standardize=False), 0.1, str(clean_env / "d"))
    assert s.x_train.shape == (30, 28, 28) and s.x_val.shape == (10, 28, 28)
    assert s.x_test.shape == (20, 28, 28)
    np.testing.assert_allclose(s.x_train * 255, arrays["train_images"][:30], atol=1e-4)
    np.testing.assert_allclose(s.x_val * 255, arrays["train_images"][90:], atol=1e-4)
    np.testing.assert_allclose(s.x_test * 255, arrays["test_images"], atol=1e-4)
    np.testing.assert_array_equal(s.y_train, arrays["train_labels"][:30])
    np.testing.assert_array_equal(s.y_val, arrays["train_labels"][90:])
    np.testing.assert_array_equal(s.y_test, arrays["test_labels"])
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int32
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    assert "30 train, 10 validation, 20 test" in s.description


def test_samples_zero_takes_all_of_the_rest(clean_env: Path) -> None:
    make_fashion(clean_env / "d", n_train=100, n_test=20)
    s = load_fashion(FashionData(samples=0), 0.25, str(clean_env / "d"))
    assert s.x_train.shape[0] == 75 and s.x_val.shape[0] == 25
    s = load_fashion(FashionData(samples=0), 0.0, str(clean_env / "d"))
    assert s.x_train.shape[0] == 100 and s.x_val.shape == (0, 28, 28)


def test_too_many_samples(clean_env: Path) -> None:
    make_fashion(clean_env / "d", n_train=100, n_test=20)
    with pytest.raises(DataError, match="only 90 are available"):
        load_fashion(FashionData(samples=91), 0.1, str(clean_env / "d"))


def test_data_dir_argument_overrides_spec(clean_env: Path) -> None:
    make_fashion(clean_env / "a", n_train=10, n_test=2)
    make_fashion(clean_env / "b", n_train=20, n_test=2)
    d = FashionData(data_dir=str(clean_env / "a"))
    assert load_fashion(d, 0.0).x_train.shape[0] == 10
    assert load_fashion(d, 0.0, str(clean_env / "b")).x_train.shape[0] == 20


def test_standardisation_uses_training_statistics_only(clean_env: Path) -> None:
    directory = clean_env / "d"
    arrays = make_fashion(directory, n_train=100, n_test=20)
    # Make the validation images much brighter, so using them for the stats would show.
    arrays["train_images"][90:] = 250
    write_idx(directory / FASHION_FILES["train_images"], arrays["train_images"])
    s = load_fashion(FashionData(samples=30, standardize=True), 0.1, str(directory))
    assert abs(float(s.x_train.mean())) < 1e-4
    assert abs(float(s.x_train.std()) - 1.0) < 1e-4
    pixels = arrays["train_images"][:30].astype(np.float64)
    mean, std = pixels.mean(), pixels.std()
    np.testing.assert_allclose(s.x_val, (250 - mean) / std, rtol=1e-5)
    np.testing.assert_allclose(s.x_test, (arrays["test_images"] - mean) / std,
                               rtol=1e-5, atol=1e-5)
    assert f"mean {mean:.2f}, std {std:.2f}" in s.description


def test_constant_images_do_not_divide_by_zero(clean_env: Path) -> None:
    directory = clean_env / "d"
    arrays = make_fashion(directory, n_train=10, n_test=2)
    write_idx(directory / FASHION_FILES["train_images"],
              np.full_like(arrays["train_images"], 7))
    s = load_fashion(FashionData(), 0.0, str(directory))
    assert np.all(np.isfinite(s.x_train)) and np.all(s.x_train == 0)


def test_label_image_count_mismatch(clean_env: Path) -> None:
    directory = clean_env / "d"
    make_fashion(directory, n_train=10, n_test=2)
    write_idx(directory / FASHION_FILES["train_labels"], np.zeros(9, np.uint8))
    with pytest.raises(DataCorruptError, match="9 labels but train-images-idx3-ubyte.gz has "
                                               "10 images") as info:
        load_fashion(FashionData(), 0.0, str(directory))
    assert str(directory / FASHION_FILES["train_labels"]) in str(info.value)


def test_labels_out_of_range(clean_env: Path) -> None:
    directory = clean_env / "d"
    make_fashion(directory, n_train=10, n_test=2)
    write_idx(directory / FASHION_FILES["test_labels"], np.array([3, 10], np.uint8))
    with pytest.raises(DataCorruptError, match=r"t10k-labels.*label 10 is out of range 0\.\.9"):
        load_fashion(FashionData(), 0.0, str(directory))


def test_wrong_image_dims(clean_env: Path) -> None:
    directory = clean_env / "d"
    make_fashion(directory, n_train=10, n_test=2)
    write_idx(directory / FASHION_FILES["test_images"], np.zeros((2, 28, 27), np.uint8))
    with pytest.raises(DataCorruptError, match=r"t10k-images.*shape \(N, 28, 28\).*\(2, 28, 27\)"):
        load_fashion(FashionData(), 0.0, str(directory))


def test_class_names() -> None:
    assert len(FASHION_CLASS_NAMES) == 10
    assert FASHION_CLASS_NAMES[0] == "T-shirt/top" and FASHION_CLASS_NAMES[9] == "Ankle boot"


# ---- linear data --------------------------------------------------------------------------------

def test_linear_shapes_and_determinism() -> None:
    d = LinearData(n=1000, seed=5)
    a, b = load_linear(d, 0.1), load_linear(LinearData(n=1000, seed=5), 0.1)
    for name in ("x_train", "y_train", "x_val", "y_val", "x_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        assert getattr(a, name).dtype == np.float32
    assert a.x_train.shape == (1000, 1) and a.y_train.shape == (1000, 1)
    assert a.x_val.shape == (100, 1) and a.x_test.shape == (100, 1)
    assert not np.array_equal(a.x_val, a.x_test)
    assert a.true_w == (3.0,) and a.true_b == 2.0
    other = load_linear(LinearData(n=1000, seed=6), 0.1)
    assert not np.array_equal(a.x_train, other.x_train)


def test_linear_training_set_ignores_validation_split() -> None:
    d = LinearData(n=200, seed=1)
    none, some = load_linear(d, 0.0), load_linear(d, 0.3)
    np.testing.assert_array_equal(none.x_train, some.x_train)
    assert none.x_val.shape == (0, 1) and none.y_test.shape == (0, 1)
    assert some.x_val.shape == (60, 1)
    assert load_linear(LinearData(n=10), 0.01).x_val.shape == (1, 1)  # at least one sample


def test_linear_least_squares_recovers_w_and_b() -> None:
    d = LinearData(w=[1.5, -2.0, 0.5], b=-0.7, noise=0.3, n=5000, n_features=3, seed=2)
    s = load_linear(d, 0.1)
    design = np.hstack([s.x_train, np.ones((s.x_train.shape[0], 1), np.float32)])
    coef, *_ = np.linalg.lstsq(design.astype(np.float64), s.y_train[:, 0], rcond=None)
    np.testing.assert_allclose(coef[:3], [1.5, -2.0, 0.5], atol=0.03)
    assert abs(coef[3] - (-0.7)) < 0.03
    residual = s.y_train[:, 0] - design @ coef
    assert abs(residual.std() - 0.3) < 0.02
    assert s.x_train.shape == (5000, 3) and s.true_w == (1.5, -2.0, 0.5)


def test_linear_single_w_is_repeated() -> None:
    s = load_linear(LinearData(w=[3.0], b=0.0, noise=0.0, n=4, n_features=2), 0.0)
    np.testing.assert_allclose(s.y_train[:, 0], s.x_train.sum(axis=1) * 3, rtol=1e-5)


def test_linear_explicit_points() -> None:
    d = LinearData(x=[[1.0], [2.0], [3.0]], y=[2.0, 4.0, 6.5])
    s = load_linear(d, 0.2)
    np.testing.assert_array_equal(s.x_train, [[1.0], [2.0], [3.0]])
    np.testing.assert_array_equal(s.y_train, [[2.0], [4.0], [6.5]])
    assert s.x_train.dtype == s.y_train.dtype == np.float32
    assert s.x_val.shape == (0, 1) and s.y_val.shape == (0, 1)
    assert s.x_test.shape == (0, 1) and s.y_test.shape == (0, 1)
    assert s.true_w == () and s.true_b is None


def test_linear_explicit_points_mismatch() -> None:
    with pytest.raises(DataError, match="2 targets for 3 rows"):
        load_linear(LinearData(x=[[1.0], [2.0], [3.0]], y=[1.0, 2.0]), 0.0)


def test_load_splits_dispatch(clean_env: Path) -> None:
    spec = ExperimentSpec(dataset=LinearData(n=50), train=TrainSpec(validation_split=0.2))
    s = load_splits(spec)
    assert s.x_train.shape == (50, 1) and s.x_val.shape == (10, 1)
    make_fashion(clean_env / "d", n_train=50, n_test=5)
    spec = ExperimentSpec(dataset=FashionData(), train=TrainSpec(validation_split=0.2))
    s = load_splits(spec, data_dir=str(clean_env / "d"))
    assert s.x_train.shape == (40, 28, 28) and s.x_val.shape == (10, 28, 28)


def test_describe_dataset() -> None:
    linear = LinearData().describe()
    assert linear == "y = 3·x + 2 + N(0, 1²) noise, 1\u202f000 samples, 1 feature"
    assert FashionData(samples=10_000).describe().startswith(
        "Fashion-MNIST: 10\u202f000 training images of 28×28, 10 classes")
    multi = LinearData(w=[1.0, 2.5], b=-1.0, noise=0.5, n_features=2).describe()
    assert "W = (1, 2.5)" in multi and "- 1" in multi and "2 features" in multi
    assert "3 explicit points" in LinearData(x=[[1.0]] * 3, y=[1.0] * 3).describe()


# ---- the dataset interface ---------------------------------------------------------------------

def test_every_kind_is_registered_under_its_name_and_answers_the_interface() -> None:
    assert list(DATASETS) == ["linear", "fashion_mnist", "csv", "npz", "images"]
    assert KIND_FIELD.options == tuple(DATASETS) and KIND_FIELD.default == "linear"
    for kind in ("linear", "fashion_mnist"):  # a user's data: tests/unit/test_own_data.py
        cls = DATASETS[kind]
        d = cls()
        assert d.kind == kind and d.problems() == [], kind
        assert d.task in ("regression", "classification")
        assert d.describe() and d.in_words() and d.title and d.target_words
        assert len(d.output_shape()) == 1 and d.input_shape()
        assert (d.task == "classification") == bool(d.class_names())
    assert FashionData().class_names() == FASHION_CLASS_NAMES
    assert FashionData().output_shape() == (len(FASHION_CLASS_NAMES),)
    assert LinearData(n_features=3).input_shape() == (3,)


def test_true_params_only_for_generated_linear_data() -> None:
    assert LinearData(w=[2], b=-1.0, n_features=3).true_params() == ((2.0, 2.0, 2.0), -1.0)
    assert LinearData(x=[[1.0]], y=[2.0]).true_params() is None
    assert FashionData().true_params() is None
    s = load_linear(LinearData(w=[2.0, 1.0], n_features=2, n=10), 0.0)
    assert (s.true_w, s.true_b) == LinearData(w=[2.0, 1.0], n_features=2).true_params()


def test_settings_keep_the_file_order_and_the_form_its_own() -> None:
    assert [f.name for f in FashionData.fields()] == ["samples", "data_dir", "standardize"]
    assert [f.name for f in FashionData.form_fields()] == ["samples", "standardize", "data_dir"]
    assert [f.name for f in LinearData.form_fields()] == ["w", "b", "noise", "n", "n_features",
                                                         "seed"]  # x and y: file only


def test_checks_together_name_the_setting_to_change() -> None:
    assert LinearData(w=[1.0, 2.0], n_features=3).problems() == [
        "dataset.w: has 2 values but n_features is 3; give one W or one per feature"]
    assert LinearData(n=10_000_000, n_features=10_000).problems() == [
        "dataset.n: n × n_features = 100,000,000,000 values is too many (at most 100,000,000); "
        "lower n or n_features"]
    assert FashionData(samples=60_001).problems() == [
        "dataset.samples: must be a non-negative integer <= 60000, got 60001 (0 = all)"]
    assert FashionData(data_dir="a\x00b").problems() == [
        "dataset.data_dir: must not contain NUL characters"]


def _loaded_after(imports: str, modules: tuple[str, ...]) -> list[str]:
    """Which of ``modules`` a fresh Python has loaded after ``import <imports>``."""
    code = (f"import json, sys, {imports}; "
            f"print(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))")
    src = str(Path(datasets.__file__).resolve().parents[3])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout.strip()
    return json.loads(out)


def test_the_spec_side_imports_no_numpy() -> None:
    """Describing and checking a dataset is instant: numpy comes with loading only."""
    assert _loaded_after("ktui.core.spec, ktui.core.spec.validate, ktui.core.datasets",
                         ("numpy",)) == []


def test_module_imports_no_tensorflow() -> None:
    assert _loaded_after("ktui.core.datasets, ktui.core.datasets.idx",
                         ("tensorflow", "keras", "textual")) == []


# ---- the real dataset ---------------------------------------------------------------------------

@pytest.mark.integration
@pytest.mark.slow
def test_real_fashion_mnist() -> None:
    if not all((REAL_DIR / name).is_file() for name in FASHION_FILES.values()):
        pytest.skip(f"real Fashion-MNIST not installed in {REAL_DIR} "
                    "(sudo apt-get install dataset-fashion-mnist)")
    start = time.perf_counter()
    s = load_fashion(FashionData(samples=10_000), 0.1, str(REAL_DIR))
    elapsed = time.perf_counter() - start
    assert s.x_train.shape == (10_000, 28, 28)
    assert s.x_val.shape == (6_000, 28, 28) and s.y_val.shape == (6_000,)
    assert s.x_test.shape == (10_000, 28, 28) and s.y_test.shape == (10_000,)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int32
    assert set(np.unique(s.y_train)) == set(range(10))
    assert abs(float(s.x_train.mean())) < 1e-3 and abs(float(s.x_train.std()) - 1) < 1e-3
    assert elapsed < 5, f"loading took {elapsed:.1f} s"
