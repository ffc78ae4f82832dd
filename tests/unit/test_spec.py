"""Experiment specs: TOML round trips, unknown keys, and validation with field paths."""

from __future__ import annotations

import pytest

from ktui.core import spec as S
from ktui.core.presets import PRESETS, get_preset


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_valid_and_round_trip_through_toml(name: str) -> None:
    spec = get_preset(name)
    assert S.validate(spec) == []
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
    return S.validate(spec)


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
    assert any(expected in e for e in S.validate(spec)), S.validate(spec)


def test_regression_rejects_classification_loss() -> None:
    spec = get_preset("linear-gd")
    spec.train.loss = "sparse_categorical_crossentropy"
    assert any("does not fit regression" in e for e in S.validate(spec))


def test_scalar_w_in_toml_is_accepted() -> None:
    spec = S.loads('[dataset]\nkind = "linear"\nw = 4\n[[layers]]\nkind = "Dense"\nunits = 1\n')
    assert spec.dataset.w == [4.0]
    assert S.validate(spec) == []
