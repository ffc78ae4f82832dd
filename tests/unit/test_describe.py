"""The words for an experiment (ktui.core.spec.describe): derived description and custom names."""

from __future__ import annotations

from ktui.core.spec import LayerSpec
from ktui.core.spec.describe import (
    custom_name,
    experiment_description,
    model_words,
    same_experiment,
)
from ktui.core.spec.presets import get_preset


def test_description_names_model_data_optimizer_and_epochs() -> None:
    mlp = get_preset("fashion-mlp")
    assert experiment_description(mlp) == \
        "Dense 200-300-100-10 on Fashion-MNIST (10 000 images), Adam lr 3e-4, 10 epochs"
    gd = get_preset("linear-gd")
    gd.train.epochs = 1
    gd.train.learning_rate = 0.0025
    assert experiment_description(gd) == \
        "Dense 1 on linear data (1 000 samples), SGD lr 2.5e-3, 1 epoch"


def test_description_of_an_odd_spec_is_empty_not_an_error() -> None:
    spec = get_preset("linear-gd")
    spec.layers = [object()]  # type: ignore[list-item]
    assert experiment_description(spec) == ""


def test_model_words_group_runs_and_shorten_long_stacks() -> None:
    assert model_words([LayerSpec("Flatten", {}), LayerSpec("Dense", {"units": 8}),
                        LayerSpec("Dense", {})]) == "Dense 8-32"
    assert model_words([LayerSpec("Dense", {"units": 1})] * 10) == "Dense 1-1-1-…-1 (10)"
    assert model_words([LayerSpec("Flatten", {}), LayerSpec("Dropout", {})]) == \
        "Flatten → Dropout"
    assert model_words([]) == "no layers"


def test_custom_name_is_added_once() -> None:
    assert custom_name("fashion-mlp") == "fashion-mlp-custom"
    assert custom_name("fashion-mlp-custom") == "fashion-mlp-custom"
    assert custom_name("") == "custom"


def test_same_experiment_ignores_name_and_description() -> None:
    a, b = get_preset("linear-gd"), get_preset("linear-gd")
    b.name, b.description = "other", "words"
    assert same_experiment(a, b)
    b.train.epochs += 1
    assert not same_experiment(a, b)
