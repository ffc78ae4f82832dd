"""Validation's own rules, each pinned to its outcome (issue 25.6: the mutants of
``core/spec/validate.py`` that the fast tests let live): the whole list of problems, never
"some problem mentions X", so a lost prefix, a dropped problem or an extra echo shows."""

from __future__ import annotations

from typing import Any

import pytest

from ktui.core.catalog import StackError
from ktui.core.spec import ExperimentSpec, LayerSpec, SpecError
from ktui.core.spec.presets import get_preset
from ktui.core.spec.validate import MAX_PARAMS, check, collect_problems, stack_problem, validate

NAME_EMPTY = "name: must not be empty (it names the run)"
CLIP = ("train.clip_norm: clipping is not offered with precision mixed_float16 (its gradients "
        "are loss-scaled); use mixed_bfloat16 or float32")


def linear(**train: Any) -> ExperimentSpec:
    spec = get_preset("linear-gd")
    for key, value in train.items():
        setattr(spec.train, key, value)
    return spec


def dense(units: int, bias: bool = True) -> LayerSpec:
    return LayerSpec("Dense", {"units": units, "use_bias": bias})


def test_a_top_level_problem_keeps_its_field_and_the_others() -> None:
    spec = linear(stop_when="garbage")
    spec.name = ""
    assert validate(spec) == [
        NAME_EMPTY, "train.stop_when: must be NAME >= NUMBER or NAME <= NUMBER (like "
        "val_accuracy >= 0.9), got 'garbage'"]
    with pytest.raises(SpecError) as raised:
        check(spec)
    assert NAME_EMPTY in str(raised.value)
    assert check(linear()) is not None


def test_a_dataset_that_is_no_dataset_is_one_problem_and_nothing_breaks() -> None:
    """Neither the stack nor the loss can be checked against it: one problem, no crash."""
    spec = linear()
    spec.dataset = "csv"  # type: ignore[assignment]
    spec.name = ""
    assert validate(spec) == [
        NAME_EMPTY,
        "dataset: must be a linear or fashion_mnist or csv or npz or images dataset, got 'csv'"]


def test_a_dataset_problem_comes_after_the_top_level_ones() -> None:
    spec = linear()
    spec.name = ""
    spec.dataset.n = 0  # type: ignore[union-attr]
    problems = validate(spec)
    assert problems[0] == NAME_EMPTY and len(problems) == 2
    assert problems[1].startswith("dataset.n: ")


def test_layers_that_are_not_layers() -> None:
    spec = linear()
    spec.layers = [spec.layers[0], "Dense"]  # type: ignore[list-item]
    assert validate(spec) == ["layer 2: must be a layer, got 'Dense'"]
    spec.layers = "Dense"  # type: ignore[assignment]
    assert validate(spec) == ["layers: must be a list of layers, got 'Dense'"]
    assert collect_problems(spec, {"layers"}) == []  # the reader said it already
    spec.layers = []
    assert validate(spec) == ["layers: the model needs at least one layer"]


def test_at_most_500_layers() -> None:
    spec = linear()
    spec.layers = [dense(1) for _ in range(500)]
    assert validate(spec) == []
    spec.layers.append(dense(1))
    assert validate(spec) == ["layers: at most 500 layers, got 501"]


def test_a_broken_layer_is_reported_alone_and_the_reader_can_skip_the_stack() -> None:
    spec = linear()
    spec.layers = [dense(0)]
    problems = validate(spec)
    assert len(problems) == 1 and problems[0].startswith("layer 1 (Dense): units")
    spec.layers = [dense(3)]  # fits no target: (None, 3) for y's (None, 1)
    assert validate(spec) == [
        "layer 1 (Dense): the model outputs (None, 3) but the linear dataset needs (None, 1); "
        "end with a Dense (or Linear) of 1 unit"]
    assert collect_problems(spec, {"stack"}) == []


def test_the_parameter_limit_is_inclusive() -> None:
    """x (1 feature) -> a units -> b units -> 1 with a bias on the last: (a + 1)(b + 1)
    parameters, counted by hand."""
    spec = linear()
    spec.layers = [dense(49_999, False), dense(39_999, False), dense(1)]
    assert 50_000 * 40_000 == MAX_PARAMS and validate(spec) == []
    spec.layers = [dense(49_999, False), dense(40_249, False), dense(1)]
    assert validate(spec) == [
        "layers: the model has 2,012,500,000 parameters (8.1 GB of float32 weights, more "
        "with the optimizer's state); ktui trains models of up to 2,000,000,000: use fewer "
        "units or filters"]  # 2,012,500,000 x 4 bytes = 8.05 GB, rounded up
    spec.layers = [dense(52_578, False), dense(38_037, False)]  # 52,579 x 38,038 - 1
    spec.layers.append(dense(1, False))
    assert validate(spec)[0].startswith("layers: the model has 2,000,000,001 parameters (8.0 GB")


def test_a_classifier_that_ends_wrong_says_which_layer_and_what_fits() -> None:
    spec = get_preset("fashion-mlp")
    spec.layers = spec.layers[:-1]  # Reshape 784, Dense 200, 300, 100: 100 logits for 10
    message = ("layer 4 (Dense): the model outputs (None, 100) but Fashion-MNIST labels need "
               "(None, 10); end with a Dense of 10 units (logits, no softmax) after a Flatten "
               "or Reshape")
    assert validate(spec) == [message]
    with pytest.raises(StackError) as raised:
        stack_problem(spec)
    err = raised.value
    assert str(err) == message and err.index == 3
    # the layers before the wrong one, with their shapes and weights counted by hand
    assert [(r.output_shape, r.params) for r in err.rows] == [
        ((784,), 0), ((200,), 784 * 200 + 200), ((300,), 200 * 300 + 300)]
    good = get_preset("fashion-mlp")
    assert [r.params for r in stack_problem(good)] == [
        0, 784 * 200 + 200, 200 * 300 + 300, 300 * 100 + 100, 100 * 10 + 10]


def test_train_that_is_no_table() -> None:
    spec = linear()
    spec.train = "fast"  # type: ignore[assignment]
    assert validate(spec) == ["train: must be a table of training settings, got 'fast'"]


def test_the_device_list_and_the_sub_tables() -> None:
    assert validate(linear(devices="a")) == [
        "train.devices: must be GPU indices separated by commas, like 0,1; got 'a'"]
    assert validate(linear(schedule="x", early_stopping="y")) == [
        "train.schedule: must be a table ([train.schedule]), got 'x'",
        "train.early_stopping: must be a table ([train.early_stopping]), got 'y'"]
    spec = linear()
    spec.name = ""
    spec.train.schedule.kind = "zzz"
    assert validate(spec) == [
        NAME_EMPTY, "train.schedule.kind: must be one of constant, step, exponential, cosine, "
        "plateau; got 'zzz'"]


def test_the_loss_fit_check_is_skipped_only_when_asked() -> None:
    spec = linear(loss="sparse_categorical_crossentropy")
    assert validate(spec) == [
        "train.loss: sparse_categorical_crossentropy does not fit regression (the linear "
        "dataset); use one of mse, mae, huber"]
    assert collect_problems(spec, {"fit"}) == []


@pytest.mark.parametrize(("clip_norm", "clip_value", "precision", "refused"), [
    (1.0, 0.0, "mixed_float16", True),
    (0.5, 0.0, "mixed_float16", True),
    (0.0, 0.5, "mixed_float16", True),
    (0.0, 0.0, "mixed_float16", False),
    (1.0, 0.0, "float32", False),
    (0.0, 1.0, "mixed_bfloat16", False),
])
def test_clipping_is_refused_only_under_mixed_float16(clip_norm: float, clip_value: float,
                                                       precision: str, refused: bool) -> None:
    spec = linear(clip_norm=clip_norm, clip_value=clip_value, precision=precision)
    assert validate(spec) == ([CLIP] if refused else [])
