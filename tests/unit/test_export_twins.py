"""The exported script writes Keras' own layer where ktui's kind is one (Dense, Conv2D,
Flatten, Reshape, Activation, MaxPooling2D, Rescaling) and builds metrics without ktui's
``make_metric``: each must be, weight for weight and output for output, what a ktui run builds
(issue 21, item 14: a short script that still reproduces the run).

The script's text is read back with ``ast`` (literals and ``keras.`` names only, never
evaluated), so the layer compared is the one the script would build.
"""

from __future__ import annotations

import ast
from typing import Any

import keras
import numpy as np
import pytest

from ktui.core import metrics as ktui_metrics
from ktui.core.build import make_layer
from ktui.core.choices import INITIALIZERS, METRICS
from ktui.core.export.model_source import KERAS_TWINS, layer_call
from ktui.core.export.sources import metric_source
from ktui.core.metrics import build_metric
from ktui.core.spec import LayerSpec

RUN_SEED = 42
INDEX = 2


def _built(node: ast.expr, names: dict[str, Any]) -> Any:
    """The object a call of the script's text makes: ``keras.x.Y(...)`` or a name of
    ``names`` called with literal arguments (anything else fails the test)."""
    if isinstance(node, ast.Call):
        args = [_built(a, names) for a in node.args]
        kwargs = {k.arg: _built(k.value, names) for k in node.keywords}
        return _resolved(node.func, names)(*args, **kwargs)
    return ast.literal_eval(node)


def _resolved(node: ast.expr, names: dict[str, Any]) -> Any:
    if isinstance(node, ast.Name):
        return names[node.id]
    assert isinstance(node, ast.Attribute), ast.dump(node)
    return getattr(_resolved(node.value, names), node.attr)


def _script_layer(layer: LayerSpec) -> keras.layers.Layer:
    func, args = layer_call(layer, INDEX, RUN_SEED)
    assert func == f"keras.layers.{layer.kind}"
    call = ast.parse(f"{func}({', '.join(args)})", mode="eval").body
    return _built(call, {"keras": keras})


CASES = [
    *[LayerSpec("Dense", {"units": 3, "activation": act, "kernel_initializer": init,
                          "kernel_value": 0.7, "bias_initializer": bias, "bias_value": -1.5,
                          "use_bias": use_bias})
      for act, init, bias, use_bias in (
          ("linear", "constant", "constant", True), ("relu", "glorot_uniform", "zeros", True),
          ("tanh", "uniform", "random_normal", True), ("sigmoid", "random_normal", "ones", False),
          ("softmax", "ones", "uniform", True), ("gelu", "zeros", "glorot_uniform", True))],
    LayerSpec("Dense", {"units": 2}),
    LayerSpec("Conv2D", {"filters": 4, "kernel_size": [3, 3]}),
    LayerSpec("Conv2D", {"filters": 3, "kernel_size": [2, 3], "strides": [2, 1],
                         "padding": "same", "activation": "relu", "use_bias": False}),
    LayerSpec("Flatten"),
    LayerSpec("Reshape", {"target_shape": [6, 2]}),
    LayerSpec("Activation", {"activation": "relu"}),
    LayerSpec("Activation", {"activation": "linear"}),
    LayerSpec("MaxPooling2D", {}),
    LayerSpec("MaxPooling2D", {"pool_size": [3, 2], "strides": [1, 2], "padding": "same"}),
    LayerSpec("Rescaling", {"scale": 2.5, "offset": -1.25}),
]
#: An input each kind takes (batch first).
INPUTS = {"Dense": (5, 4), "Conv2D": (2, 6, 5, 3), "Flatten": (3, 2, 3, 2),
          "Reshape": (3, 12), "Activation": (4, 6), "MaxPooling2D": (2, 6, 5, 3),
          "Rescaling": (4, 3)}


def test_every_twin_kind_is_covered() -> None:
    assert {c.kind for c in CASES} == set(KERAS_TWINS)
    dense = [c.params.get(k) for c in CASES if c.kind == "Dense"
             for k in ("kernel_initializer", "bias_initializer")]
    assert set(INITIALIZERS) <= set(dense)


@pytest.mark.parametrize("layer", CASES, ids=[f"{c.kind}-{i}" for i, c in enumerate(CASES)])
def test_the_scripts_keras_layer_is_ktuis_weight_for_weight(layer: LayerSpec) -> None:
    ours = make_layer(layer, INDEX, RUN_SEED)
    theirs = _script_layer(layer)
    assert type(theirs).__module__.startswith("keras.")
    assert theirs.name == ours.name
    x = np.random.default_rng(7).normal(size=INPUTS[layer.kind]).astype("float32")
    expected, got = ours(x), theirs(x)
    assert [w.name for w in theirs.weights] == [w.name for w in ours.weights]
    for a, b in zip(ours.weights, theirs.weights, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(np.asarray(expected), np.asarray(got))


@pytest.mark.parametrize("name", list(METRICS))
def test_the_scripts_metrics_are_the_runs(name: str) -> None:
    """``make_metric`` of the registry entry (what a run builds) against the expression the
    script holds, fed the same batches."""
    names = {"keras": keras, "SparseCategoricalAccuracy": ktui_metrics.SparseCategoricalAccuracy,
             "OneHotSoftmax": ktui_metrics.OneHotSoftmax}
    written = _built(ast.parse(metric_source(name), mode="eval").body, names)
    built = build_metric(name)
    assert type(written) is type(built) and written.name == built.name == name
    classes = METRICS[name].tasks == ("classification",)
    rng = np.random.default_rng(3)
    for _ in range(2):
        y_pred = rng.normal(size=(6, 3 if classes else 1)).astype("float32")
        y_true = (rng.integers(0, 3, size=6).astype("int32") if classes
                  else rng.normal(size=(6, 1)).astype("float32"))
        built.update_state(y_true, y_pred)
        written.update_state(y_true, y_pred)
    assert float(written.result()) == float(built.result())
