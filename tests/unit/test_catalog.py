"""The catalog's parameter checks and its TF-free shape inference (checked against Keras)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ktui.core.catalog import LAYER_KINDS, StackError, format_shape, infer_stack, param_problems
from ktui.core.choices import ACTIVATIONS, INITIALIZERS
from ktui.core.schema import Field


@pytest.mark.parametrize(("spec", "good", "bad"), [
    (Field("units", "int", 1, "", min=1), [1, 5, 10**5], [0, -3, 2.5, True, "3"]),
    (Field("rate", "float", 0.5, "", min=0.0, max=1.0, max_inclusive=False),
     [0, 0.0, 0.99], [1.0, -0.1, math.nan, math.inf, "x", False]),
    (Field("use_bias", "bool", True, ""), [True, False], [1, 0, "yes"]),
    (Field("act", "choice", "relu", "", choices=("relu", "tanh")), ["relu", "tanh"],
     ["RELU", "", None, "exp"]),
    (Field("shape", "shape", [784], ""), [[784], [28, 28, 1], (2, 3)],
     [[], [0], [-1, 2], [2.5], "784", 784]),
    (Field("k", "int_pair", [3, 3], ""), [[3, 3], [1, 5]], [[3], [3, 3, 3], [0, 3]]),
])
def test_param_check_accepts_good_and_rejects_bad(spec: Field, good: list, bad: list) -> None:
    for value in good:
        assert spec.check(value) is None, value
    for value in bad:
        assert spec.check(value), value


def test_range_messages_say_the_range() -> None:
    units = Field("units", "int", 1, "", min=1)
    assert units.check(-3) == "must be a positive integer, got -3"
    rate = Field("rate", "float", 0.5, "", min=0.0, max=1.0, max_inclusive=False)
    assert rate.check(1.0) == "must be in [0, 1), got 1.0"


def test_every_default_passes_its_own_check() -> None:
    for kind in LAYER_KINDS.values():
        for p in kind.params:
            assert p.check(p.default) is None, (kind.name, p.name)


def test_reshape_size_mismatch_names_the_layer() -> None:
    with pytest.raises(StackError, match=r"layer 2 \(Reshape\): Reshape .*needs 100 values.*784"):
        infer_stack((28, 28), [("Flatten", {}), ("Reshape", {"target_shape": [10, 10]})])


def test_conv_on_flat_input_explains_the_fix() -> None:
    with pytest.raises(StackError, match=r"layer 1 \(Conv2D\): needs .*Reshape to \[28, 28, 1\]"):
        infer_stack((784,), [("Conv2D", {})])


def test_format_shape_matches_keras_summary() -> None:
    assert format_shape((28, 28)) == "(None, 28, 28)"


STACKS = [
    ((28, 28), [("Reshape", {"target_shape": [784]}), ("Dense", {"units": 200}),
                ("Dropout", {"rate": 0.2}), ("Linear", {"units": 7}),
                ("Activation", {"activation": "tanh"}), ("BatchNormalization", {}),
                ("Dense", {"units": 10, "use_bias": False})]),
    ((28, 28), [("Reshape", {"target_shape": [28, 28, 1]}),
                ("Conv2D", {"filters": 8, "kernel_size": [3, 3], "padding": "same"}),
                ("MaxPooling2D", {}),
                ("Conv2D", {"filters": 4, "kernel_size": [5, 3], "strides": [2, 1]}),
                ("MaxPooling2D", {"pool_size": [2, 2], "strides": [1, 1], "padding": "same"}),
                ("Flatten", {}), ("Lambda", {"op": "square"}), ("Dense", {"units": 10})]),
    ((3,), [("Dense", {"units": 1})]),
]


@pytest.mark.parametrize(("input_shape", "layers"), STACKS)
def test_inference_matches_real_keras_layers(input_shape, layers) -> None:
    """The pure-Python summary must agree with what Keras builds, layer by layer."""
    import keras

    from ktui.core.layers import LAYER_CLASSES

    inferred = infer_stack(input_shape, layers)
    x = keras.ops.zeros((2, *input_shape))
    for (kind, params), row in zip(layers, inferred, strict=True):
        merged = LAYER_KINDS[kind].resolve(params)
        layer = LAYER_CLASSES[kind](**merged)
        x = layer(x)
        assert tuple(x.shape[1:]) == row.output_shape, kind
        assert layer.count_params() == row.params, kind
    assert np.all(np.isfinite(keras.ops.convert_to_numpy(x)))


def test_activation_and_initializer_choices_come_from_the_registry() -> None:
    dense = LAYER_KINDS["Dense"]
    assert dense.param("activation").options == ACTIVATIONS.names()
    assert dense.param("kernel_initializer").options == INITIALIZERS.names()
    assert LAYER_KINDS["Activation"].param("activation").options == ACTIVATIONS.names()
    assert dense.param("activation").check("swoosh").startswith("must be one of linear, relu")


def test_defaults_are_merged_in_one_place() -> None:
    dense = LAYER_KINDS["Dense"]
    merged = dense.resolve({"units": 3})
    assert merged == {**dense.defaults(), "units": 3}
    assert dense.output((4,), {"units": 3}) == ((3,), 15)
    assert infer_stack((4,), [("Dense", {"units": 3})])[0].params == 15


def test_reading_a_file_refuses_what_a_layer_always_refused() -> None:
    """On reading, a layer's wrong types, names off its menu and non-finite numbers are
    refused; a value merely out of range is left for validation to flag."""
    dense = LAYER_KINDS["Dense"]
    problems = param_problems("layer 1 (Dense)", dense, {
        "units": 0, "activation": "swoosh", "kernel_value": math.nan, "use_bias": "yes"},
        types_only=True)
    assert problems == [
        "layer 1 (Dense): use_bias must be true or false, got 'yes'",
        "layer 1 (Dense): activation must be one of linear, relu, sigmoid, tanh, softmax, "
        "selu, elu, gelu, swish; got 'swoosh'",
        "layer 1 (Dense): kernel_value must be in [-1000000, 1000000], got nan",
    ]
    every = param_problems("layer 1 (Dense)", dense, {"units": 0})
    assert every == ["layer 1 (Dense): units must be a positive integer <= 100000, got 0"]


def test_dropout_seed_range_is_an_interval() -> None:
    seed = LAYER_KINDS["Dropout"].param("seed")
    assert seed.check(2**32) == "must be in [0, 4294967295], got 4294967296"


def test_the_tutorials_are_called_tutorials_in_what_the_user_reads() -> None:
    # "Seed" meant both the tutorials and the random seed (issue 21, item 21): the layer
    # form showed "(seed 001 DenseLayer; seed 003 Dense)" beside a seed field.
    import re

    for name, kind in LAYER_KINDS.items():
        shown = " ".join([kind.origin, kind.help, *(p.help for p in kind.params)])
        assert not re.search(r"\bseed \d{3}\b", shown, re.IGNORECASE), (name, shown)
