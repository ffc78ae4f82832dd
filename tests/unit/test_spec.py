"""Experiment specs: TOML round trips, unknown keys, and validation with field paths."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ktui.core import spec as S
from ktui.core.choices import LOSSES, METRICS, Entry
from ktui.core.datasets import DATASETS, LinearData
from ktui.core.schema import Field, FieldError, field_of, parse_table, table_of
from ktui.core.spec.presets import PRESETS, get_preset
from ktui.core.spec.validate import validate


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_valid_and_round_trip_through_toml(name: str) -> None:
    spec = get_preset(name)
    assert validate(spec) == []
    again = S.loads(S.dumps(spec))
    assert S.spec_to_dict(again) == S.spec_to_dict(spec)


def test_save_and_load_file(tmp_path) -> None:
    path = tmp_path / "run.toml"
    S.save(get_preset("fashion-mlp"), path)
    assert S.load(path).layers[1].params["units"] == 200


def test_unknown_keys_are_errors_everywhere() -> None:
    text = S.dumps(get_preset("linear-gd"))
    text = text.replace("[train]\n", "[train]\nepochz = 3\n")
    text = text.replace("[dataset]\n", "[dataset]\ncolour = 1\n")
    text = text.replace("[[layers]]\n", "[[layers]]\nunit = 4\n")
    with pytest.raises(S.SpecError) as err:
        S.loads("bogus = 1\n" + text)
    messages = "\n".join(err.value.errors)
    for path in ("bogus:", "train.epochz:", "dataset.colour:",
                 "layer 1 (Dense): unknown parameter 'unit'"):
        assert path in messages


def test_wrong_types_name_the_field() -> None:
    with pytest.raises(S.SpecError, match=r"train.epochs: must be an integer, got 'ten'"):
        S.loads('[train]\nepochs = "ten"\n')


def test_future_spec_version_is_refused_clearly() -> None:
    with pytest.raises(S.SpecError, match="spec version 99"):
        S.loads("ktui_spec = 99\n")


def test_bad_toml_is_a_spec_error() -> None:
    with pytest.raises(S.SpecError, match="not valid TOML"):
        S.loads("[train\n")


def test_missing_file_is_a_spec_error(tmp_path) -> None:
    with pytest.raises(S.SpecError, match="cannot read"):
        S.load(tmp_path / "nope.toml")


def _errors(mutate) -> list[str]:
    spec = get_preset("fashion-mlp")
    mutate(spec)
    return validate(spec)


def test_negative_units_message_has_the_path() -> None:
    errors = _errors(lambda s: s.layers[2].params.update(units=-3))
    assert errors == ["layer 3 (Dense): units must be a positive integer <= 100000, got -3"]


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda s: setattr(s.train, "loss", "mse"), "train.loss: mse does not fit classification"),
    (lambda s: setattr(s.train, "metrics", ["mae"]), "train.metrics[0]: mae does not fit"),
    (lambda s: setattr(s.train, "metrics", ["accuracy", "accuracy"]), "lists a metric twice"),
    (lambda s: setattr(s.train, "optimizer", "adagrad"), "train.optimizer: must be one of"),
    (lambda s: setattr(s.train, "learning_rate", 0.0), "train.learning_rate: must be in (0, 10]"),
    (lambda s: setattr(s.train, "momentum", 1.0), "train.momentum: must be in [0, 1)"),
    (lambda s: setattr(s.train, "batch_size", -1), "train.batch_size: must be a non-negative"),
    (lambda s: setattr(s.train, "validation_split", 1.0), "train.validation_split"),
    (lambda s: setattr(s.train, "model_style", "magic"), "train.model_style"),
    (lambda s: setattr(s.train, "device", "tpu"), "train.device"),
    (lambda s: setattr(s.dataset, "samples", 70_000), "dataset.samples"),
    (lambda s: s.layers.clear(), "layers: the model needs at least one layer"),
    (lambda s: s.layers[0].params.update(target_shape=[10, 10]),
     "layer 1 (Reshape): Reshape to [10, 10] needs 100 values"),
    (lambda s: s.layers[4].params.update(units=3), "the model outputs (None, 3) but"),
    (lambda s: s.layers[1].params.update(activation="swoosh"), "layer 2 (Dense): activation"),
    (lambda s: s.layers[1].params.update(kernel_initializer="he"), "kernel_initializer"),
    (lambda s: s.layers[1].params.update(use_bias="yes"), "layer 2 (Dense): use_bias"),
])
def test_validation_errors(mutate, expected: str) -> None:
    errors = _errors(mutate)
    assert any(expected in e for e in errors), errors


@pytest.mark.parametrize(("mutate", "expected"), [
    (lambda d: setattr(d, "n", 0), "dataset.n: must be a positive integer"),
    (lambda d: setattr(d, "noise", -1.0), "dataset.noise: must be >= 0"),
    (lambda d: setattr(d, "w", [1.0, 2.0]), "dataset.w: has 2 values but n_features is 1"),
    (lambda d: setattr(d, "y", [1.0]), "dataset.y: has 1 targets for 0 rows"),
])
def test_linear_dataset_validation(mutate, expected: str) -> None:
    spec = get_preset("linear-gd")
    mutate(spec.dataset)
    assert any(expected in e for e in validate(spec)), validate(spec)


def test_regression_rejects_classification_loss() -> None:
    spec = get_preset("linear-gd")
    spec.train.loss = "sparse_categorical_crossentropy"
    assert any("does not fit regression" in e for e in validate(spec))


def test_scalar_w_in_toml_is_accepted() -> None:
    spec = S.loads('[dataset]\nkind = "linear"\nw = 4\n[[layers]]\nkind = "Dense"\nunits = 1\n')
    assert spec.dataset.w == [4.0]
    assert validate(spec) == []


# ---- one schema -------------------------------------------------------------------------------

def test_every_setting_is_a_field_whose_default_passes_its_own_check() -> None:
    tables = [table_of(S.TrainSpec), table_of(S.ExperimentSpec),
              *(table_of(cls) for cls in S.TRAIN_TABLES.values()),
              *(cls.fields() for cls in DATASETS.values())]
    for table in tables:
        assert table, "a table without fields"
        for f in table:
            assert f.check(f.default) is None, f.name
    train = [f.name for f in table_of(S.TrainSpec)]
    assert train == [f.name for f in dataclasses.fields(S.TrainSpec)
                     if f.name not in S.TRAIN_TABLES]  # [train.schedule] ...: tables


@pytest.mark.parametrize(("name", "words"), [
    ("learning_rate", "in (0, 10]"), ("momentum", "in [0, 1)"),
    ("validation_split", "in [0, 1)"), ("epochs", "a positive integer <= 100000"),
    ("batch_size", "a non-negative integer <= 1000000"),
])
def test_range_words_come_from_the_field(name: str, words: str) -> None:
    """The words of a range problem and of the form's help are the field's one range."""
    f = field_of(S.TrainSpec, name)
    assert f.range_text() == words
    spec = get_preset("linear-gd")
    setattr(spec.train, name, -1)
    problem = next(e for e in validate(spec) if e.startswith(f"train.{name}:"))
    assert f"must be {words}, got -1" in problem


def test_noise_and_bias_must_be_finite() -> None:
    noise, b = field_of(LinearData, "noise"), field_of(LinearData, "b")
    assert noise.check(math.inf) == "must be >= 0 and finite, got inf"
    assert noise.check(-0.5) == "must be >= 0 and finite, got -0.5"
    assert b.check(math.nan) == "must be a finite number, got nan"
    assert b.check(-7.5) is None


def test_a_table_reports_unknown_keys_then_wrong_types_each_with_its_path() -> None:
    errors: list[str] = []
    values = parse_table(table_of(S.TrainSpec), {"seed": "x", "epochz": 1, "learning_rate": 1},
                         errors, at=lambda k: f"train.{k}: ", unknown=lambda k: f"?{k}")
    assert errors == ["?epochz", "train.seed: must be an integer, got 'x'"]
    assert values == {"learning_rate": 1.0, "seed": "x"}  # the int became a float
    assert isinstance(values["learning_rate"], float)


def test_text_parses_and_formats_by_the_field_type() -> None:
    lr, shape = field_of(S.TrainSpec, "learning_rate"), Field("s", "shape", [1])
    assert lr.parse_text(" 0.5 ") == 0.5 and lr.format(0.0003) == "0.0003"
    assert shape.parse_text("28 x 28, 1") == [28, 28, 1] and shape.format([28, 28, 1]) == \
        "28, 28, 1"
    for bad in ("", "nan", "abc"):
        with pytest.raises(FieldError):
            lr.parse_text(bad)


# ---- one registry -----------------------------------------------------------------------------

def test_a_new_loss_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A loss added to the registry is accepted for its task and refused for the other,
    with no other table to edit."""
    entry = Entry("squared_log", "mean squared log error", ("regression",),
                  "ktui.core.losses:mse")
    monkeypatch.setitem(LOSSES._entries, "squared_log", entry)  # noqa: SLF001 - the one table
    spec = get_preset("linear-gd")
    spec.train.loss = "squared_log"
    assert validate(spec) == []
    fashion = get_preset("fashion-mlp")
    fashion.train.loss = "squared_log"
    assert any(e.startswith("train.loss: squared_log does not fit classification")
               for e in validate(fashion))
    assert "squared_log" not in LOSSES.names("classification")


def test_choices_of_the_spec_are_the_registry_names() -> None:
    assert field_of(S.TrainSpec, "loss").options == tuple(LOSSES)
    assert field_of(S.TrainSpec, "metrics").options == tuple(METRICS)
    spec = get_preset("linear-gd")
    spec.train.metrics = ["accuracy", "bogus"]
    assert validate(spec) == [
        "train.metrics[0]: accuracy does not fit regression (the linear dataset); use one of "
        "mae, mse, rmse",
        f"train.metrics[1]: must be one of {', '.join(METRICS)}; got 'bogus'",
    ]
