"""ktui's custom Keras layers: shapes, ``training``, initializers, configs and saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest

from ktui.core.build import StackModel, build_model
from ktui.core.catalog import LAMBDA_OPS, LAYER_KINDS
from ktui.core.choices import (
    INITIALIZERS,
    LOSSES,
    METRICS,
    OPTIMIZERS,
    initializer_config,
    optimizer_config,
)
from ktui.core.datasets import FashionData, LinearData
from ktui.core.layers import (
    LAYER_CLASSES,
    Activation,
    BatchNormalization,
    Conv2D,
    Dense,
    Dropout,
    Flatten,
    Linear,
    MaxPooling2D,
    MenuLambda,
    Rescaling,
    Reshape,
    make_initializer,
)
from ktui.core.metrics import build_metric, make_metric
from ktui.core.spec import ExperimentSpec, LayerSpec, TrainSpec
from ktui.core.spec.validate import validate


def _rand(*shape: int, seed: int = 0, low: float = -2.0, high: float = 2.0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(low, high, size=shape).astype("float32")


def _np(x: Any) -> np.ndarray:
    return keras.ops.convert_to_numpy(x)


def test_every_catalog_kind_has_a_layer_class() -> None:
    assert set(LAYER_CLASSES) == set(LAYER_KINDS)


# ---- output shapes ---------------------------------------------------------------------------

@pytest.mark.parametrize(("layer", "in_shape", "out_shape"), [
    (Dense(5), (3, 4), (3, 5)),
    (Dense(2, use_bias=False), (3, 7), (3, 2)),
    (Linear(6), (2, 3), (2, 6)),
    (Dropout(0.5), (2, 3), (2, 3)),
    (MenuLambda("square"), (2, 3, 4), (2, 3, 4)),
    (Flatten(), (2, 3, 4, 5), (2, 60)),
    (Reshape([3, 4]), (2, 12), (2, 3, 4)),
    (Reshape([2, 2, 3]), (2, 3, 4), (2, 2, 2, 3)),
    (Activation("tanh"), (2, 5), (2, 5)),
    (BatchNormalization(), (4, 3), (4, 3)),
    (BatchNormalization(), (2, 5, 5, 3), (2, 5, 5, 3)),
    (Conv2D(4), (2, 8, 8, 3), (2, 6, 6, 4)),
    (Conv2D(4, kernel_size=(3, 3), padding="same"), (2, 8, 8, 3), (2, 8, 8, 4)),
    (Conv2D(2, kernel_size=(3, 3), strides=(2, 2), padding="same"), (1, 7, 7, 1), (1, 4, 4, 2)),
    (Conv2D(2, kernel_size=(2, 3), strides=(2, 2)), (1, 8, 9, 1), (1, 4, 4, 2)),
    (MaxPooling2D(), (2, 8, 8, 3), (2, 4, 4, 3)),
    (MaxPooling2D(padding="same"), (2, 7, 7, 3), (2, 4, 4, 3)),
    (MaxPooling2D((3, 3), strides=(1, 1)), (1, 5, 5, 2), (1, 3, 3, 2)),
], ids=lambda v: type(v).__name__ if isinstance(v, keras.layers.Layer) else None)
def test_output_shapes(layer: keras.layers.Layer, in_shape: tuple[int, ...],
                       out_shape: tuple[int, ...]) -> None:
    assert tuple(layer(_rand(*in_shape)).shape) == out_shape


def test_dense_computes_activation_of_affine_map() -> None:
    layer = Dense(3, activation="relu")
    x = _rand(4, 2)
    y = _np(layer(x))
    kernel, bias = (_np(w) for w in layer.weights)
    np.testing.assert_allclose(y, np.maximum(x @ kernel + bias, 0), rtol=1e-6, atol=1e-6)
    assert (y == 0).any() and (y > 0).any()


def test_linear_is_affine_with_small_normal_weights() -> None:
    layer = Linear(200, seed=3)
    x = _rand(2, 50)
    y = _np(layer(x))
    np.testing.assert_allclose(y, x @ _np(layer.w) + _np(layer.b), rtol=1e-5, atol=1e-5)
    w = _np(layer.w)
    assert abs(w.mean()) < 0.01 and 0.04 < w.std() < 0.06  # N(0, 0.05^2)
    assert [v.path.rsplit("/", 1)[-1] for v in layer.weights] == ["kernel", "bias"]


def test_conv2d_and_maxpool_match_keras_builtins() -> None:
    x = _rand(2, 7, 7, 3)
    ours = Conv2D(4, kernel_size=(3, 3), strides=(2, 2), padding="same", activation="relu",
                  seed=1)
    ref = keras.layers.Conv2D(4, (3, 3), strides=(2, 2), padding="same", activation="relu")
    ours(x)
    ref(x)
    ours.set_weights([_rand(3, 3, 3, 4, seed=1), _rand(4, seed=2)])
    ref.set_weights(ours.get_weights())
    np.testing.assert_allclose(_np(ours(x)), _np(ref(x)), rtol=1e-5, atol=1e-5)

    pooled = _np(MaxPooling2D()(x[:, :6, :6, :]))
    expected = x[:, :6, :6, :].reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4))
    np.testing.assert_array_equal(pooled, expected)


def test_flatten_and_reshape_keep_values_in_order() -> None:
    x = _rand(2, 3, 4)
    np.testing.assert_array_equal(_np(Flatten()(x)), x.reshape(2, 12))
    np.testing.assert_array_equal(_np(Reshape([4, 3])(x)), x.reshape(2, 4, 3))


# ---- training behaviour ----------------------------------------------------------------------

def test_dropout_is_identity_unless_training() -> None:
    layer = Dropout(0.5, seed=1)
    x = np.ones((4, 100), "float32")
    np.testing.assert_array_equal(_np(layer(x)), x)
    np.testing.assert_array_equal(_np(layer(x, training=False)), x)


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_drops_about_rate_and_rescales(rate: float) -> None:
    layer = Dropout(rate, seed=7)
    x = np.ones((100, 200), "float32")
    y = _np(layer(x, training=True))
    dropped = float((y == 0).mean())
    assert abs(dropped - rate) < 0.02, dropped
    np.testing.assert_allclose(y[y != 0], 1.0 / (1.0 - rate), rtol=1e-5)
    assert abs(float(y.mean()) - 1.0) < 0.05  # expectation preserved


def test_dropout_rate_zero_never_drops() -> None:
    x = np.ones((10, 10), "float32")
    np.testing.assert_array_equal(_np(Dropout(0.0)(x, training=True)), x)


def test_dropout_masks_reproducible_with_seed() -> None:
    x = np.ones((20, 20), "float32")
    a = _np(Dropout(0.5, seed=11)(x, training=True))
    b = _np(Dropout(0.5, seed=11)(x, training=True))
    c = _np(Dropout(0.5, seed=12)(x, training=True))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_batchnorm_training_uses_batch_stats_and_updates_moving_averages() -> None:
    layer = BatchNormalization(momentum=0.9, epsilon=1e-3)
    x = _rand(64, 3, low=3.0, high=9.0)
    y = _np(layer(x, training=True))
    mean, var = x.mean(axis=0), x.var(axis=0)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(layer.moving_mean), 0.9 * 0.0 + 0.1 * mean, rtol=1e-5)
    np.testing.assert_allclose(_np(layer.moving_variance), 0.9 * 1.0 + 0.1 * var, rtol=1e-5)


def test_batchnorm_inference_uses_moving_stats_and_leaves_them() -> None:
    layer = BatchNormalization(epsilon=1e-3)
    x = _rand(8, 2, low=3.0, high=9.0)
    layer.build(x.shape)
    gamma, beta = np.array([2.0, 0.5], "float32"), np.array([1.0, -1.0], "float32")
    mm, mv = np.array([4.0, 5.0], "float32"), np.array([3.0, 0.25], "float32")
    layer.set_weights([gamma, beta, mm, mv])
    for training in (None, False):
        y = _np(layer(x, training=training))
        np.testing.assert_allclose(y, (x - mm) / np.sqrt(mv + 1e-3) * gamma + beta,
                                   rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(_np(layer.moving_mean), mm)
    np.testing.assert_array_equal(_np(layer.moving_variance), mv)
    assert [w.trainable for w in layer.weights] == [True, True, False, False]


# ---- Dense initializers ----------------------------------------------------------------------

def test_dense_constant_initializers_use_their_values() -> None:
    layer = Dense(3, kernel_initializer="constant", kernel_value=2.5,
                  bias_initializer="constant", bias_value=-1.25)
    layer.build((None, 4))
    np.testing.assert_array_equal(_np(layer.kernel), np.full((4, 3), 2.5))
    np.testing.assert_array_equal(_np(layer.bias), np.full((3,), -1.25))
    x = _rand(2, 4)
    np.testing.assert_allclose(_np(layer(x)), x.sum(axis=1, keepdims=True) * 2.5 - 1.25
                               + np.zeros((2, 3)), rtol=1e-5, atol=1e-5)


def test_dense_zeros_and_ones() -> None:
    layer = Dense(3, kernel_initializer="zeros", bias_initializer="ones")
    layer.build((None, 4))
    np.testing.assert_array_equal(_np(layer.kernel), np.zeros((4, 3)))
    np.testing.assert_array_equal(_np(layer.bias), np.ones(3))


def test_dense_default_bias_is_zeros() -> None:
    layer = Dense(5, seed=1)
    layer.build((None, 2))
    np.testing.assert_array_equal(_np(layer.bias), np.zeros(5))
    assert np.abs(_np(layer.kernel)).max() > 0


def test_dense_uniform_within_keras_range() -> None:
    layer = Dense(100, kernel_initializer="uniform", bias_initializer="uniform", seed=5)
    layer.build((None, 50))
    kernel = _np(layer.kernel)
    assert kernel.min() >= -0.05 and kernel.max() <= 0.05
    assert kernel.min() < -0.045 and kernel.max() > 0.045  # spans the range, not a constant
    bias = _np(layer.bias)
    assert bias.min() >= -0.05 and bias.max() <= 0.05 and bias.std() > 0


@pytest.mark.parametrize("init", ["glorot_uniform", "uniform", "random_normal"])
def test_seeded_initializers_are_reproducible(init: str) -> None:
    def kernel(seed: int) -> np.ndarray:
        layer = Dense(8, kernel_initializer=init, bias_initializer=init, seed=seed)
        layer.build((None, 6))
        return np.concatenate([_np(layer.kernel).ravel(), _np(layer.bias).ravel()])

    a, b, c = kernel(123), kernel(123), kernel(124)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert np.unique(a).size > 1


def test_linear_and_conv_seeded_weights_are_reproducible() -> None:
    def weights(cls: type, seed: int, shape: tuple[int, ...]) -> list[np.ndarray]:
        layer = cls(4, seed=seed)
        layer.build(shape)
        return [_np(w) for w in layer.trainable_weights]

    for cls, shape in ((Linear, (None, 3)), (Conv2D, (None, 5, 5, 2))):
        a, b, c = weights(cls, 9, shape), weights(cls, 9, shape), weights(cls, 10, shape)
        np.testing.assert_array_equal(a[0], b[0])
        assert not np.array_equal(a[0], c[0])


def test_dense_without_bias_has_no_bias_weight() -> None:
    layer = Dense(3, use_bias=False, kernel_initializer="ones")
    x = _rand(2, 4)
    y = _np(layer(x))
    assert layer.bias is None
    assert [w.path.rsplit("/", 1)[-1] for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 12
    np.testing.assert_allclose(y, np.repeat(x.sum(axis=1, keepdims=True), 3, axis=1),
                               rtol=1e-6)


def test_conv2d_without_bias_has_no_bias_weight() -> None:
    layer = Conv2D(2, use_bias=False)
    layer(_rand(1, 4, 4, 3))
    assert [w.path.rsplit("/", 1)[-1] for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 3 * 3 * 3 * 2


def test_unknown_initializer_raises() -> None:
    with pytest.raises(ValueError, match="unknown initializer"):
        Dense(2, kernel_initializer="he_magic").build((None, 2))


# ---- Lambda ----------------------------------------------------------------------------------

_NUMPY_OPS = {
    "exp": np.exp, "square": np.square, "sqrt": np.sqrt, "abs": np.abs,
    "negative": np.negative, "tanh": np.tanh, "relu": lambda v: np.maximum(v, 0.0),
    "sigmoid": lambda v: 1.0 / (1.0 + np.exp(-v)), "softplus": lambda v: np.log1p(np.exp(v)),
    "log1p": np.log1p,
}


def test_numpy_reference_covers_every_lambda_op() -> None:
    assert set(_NUMPY_OPS) == set(LAMBDA_OPS)


@pytest.mark.parametrize("op", LAMBDA_OPS)
def test_lambda_op_matches_numpy(op: str) -> None:
    x = np.array([[-2.5, -0.7, 0.0], [0.3, 1.0, 2.0]], "float32")
    if op == "sqrt":
        x = np.abs(x)
    if op == "log1p":
        x = np.abs(x) - 0.5
    y = _np(MenuLambda(op)(x))
    np.testing.assert_allclose(y, _NUMPY_OPS[op](x.astype("float64")), rtol=1e-5, atol=1e-6)


def test_lambda_exp_of_two_as_in_seed_002() -> None:
    y = _np(MenuLambda("exp")(np.array([[2.0]], "float32")))
    assert y.item() == pytest.approx(7.389056, rel=1e-6)


def test_lambda_default_op_is_exp() -> None:
    assert MenuLambda().op == "exp" == LAYER_KINDS["Lambda"].defaults()["op"]


@pytest.mark.parametrize("op", ["eval", "EXP", "", "lambda x: x", "log"])
def test_lambda_unknown_op_raises(op: str) -> None:
    with pytest.raises(ValueError, match="Lambda op must be one of"):
        MenuLambda(op)


def test_lambda_unknown_op_in_config_raises() -> None:
    config = MenuLambda("tanh").get_config()
    config["op"] = "__import__('os')"
    # Keras wraps the constructor's ValueError in a TypeError that quotes it.
    with pytest.raises((ValueError, TypeError), match="Lambda op must be one of"):
        MenuLambda.from_config(config)


# ---- get_config round trip -------------------------------------------------------------------

_CONFIG_CASES: list[tuple[keras.layers.Layer, tuple[int, ...]]] = [
    (Dense(3, activation="tanh", kernel_initializer="constant", kernel_value=0.5,
           bias_initializer="constant", bias_value=0.25, use_bias=True, seed=4, name="d"),
     (2, 4)),
    (Dense(2, use_bias=False, kernel_initializer="uniform", seed=9), (2, 3)),
    (Linear(3, seed=5, name="lin"), (2, 4)),
    (Dropout(0.3, seed=2), (2, 4)),
    (MenuLambda("softplus"), (2, 4)),
    (Flatten(name="flat"), (2, 2, 3)),
    (Reshape([2, 3]), (2, 6)),
    (Activation("sigmoid"), (2, 4)),
    (BatchNormalization(momentum=0.8, epsilon=0.01), (3, 4)),
    (Conv2D(2, kernel_size=(2, 3), strides=(1, 2), padding="same", activation="relu",
            use_bias=True, seed=3), (1, 5, 6, 2)),
    (MaxPooling2D((3, 2), strides=(1, 2), padding="same"), (1, 5, 6, 2)),
    (Rescaling(scale=64.8, offset=152.1, name="out"), (2, 1)),
]


def test_config_cases_cover_every_class() -> None:
    assert {type(layer) for layer, _ in _CONFIG_CASES} == set(LAYER_CLASSES.values())


@pytest.mark.parametrize(("layer", "in_shape"), _CONFIG_CASES,
                         ids=[f"{type(lay).__name__}-{i}" for i, (lay, _) in
                              enumerate(_CONFIG_CASES)])
def test_get_config_round_trip(layer: keras.layers.Layer, in_shape: tuple[int, ...]) -> None:
    x = _rand(*in_shape, seed=3)
    layer(x)
    # Weights unlike any initializer's, so equal outputs come from set_weights, not chance.
    weights = [_rand(*w.shape, seed=10 + i, low=0.5, high=1.5)
               for i, w in enumerate(layer.weights)]
    layer.set_weights(weights)

    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    clone(x)
    clone.set_weights(weights)
    np.testing.assert_allclose(_np(clone(x)), _np(layer(x)), rtol=1e-6, atol=1e-6)


def test_round_trip_through_keras_serialization() -> None:
    """The registered name resolves without custom_objects."""
    layer = Conv2D(3, kernel_size=(2, 2), padding="same", seed=8)
    data = keras.saving.serialize_keras_object(layer)
    assert data["registered_name"] == "ktui>Conv2D"
    clone = keras.saving.deserialize_keras_object(data)
    assert type(clone) is Conv2D and clone.get_config() == layer.get_config()


# ---- whole models saved and loaded -----------------------------------------------------------

def _mixed_linear_spec(style: str) -> ExperimentSpec:
    return ExperimentSpec(
        name="save-linear",
        dataset=LinearData(n_features=4),
        layers=[
            LayerSpec("Dense", {"units": 6, "activation": "relu"}),
            LayerSpec("BatchNormalization"),
            LayerSpec("Dropout", {"rate": 0.25}),
            LayerSpec("Lambda", {"op": "tanh"}),
            LayerSpec("Activation", {"activation": "sigmoid"}),
            LayerSpec("Linear", {"units": 1}),
        ],
        train=TrainSpec(model_style=style),
    )


def _conv_fashion_spec(style: str) -> ExperimentSpec:
    return ExperimentSpec(
        name="save-conv",
        dataset=FashionData(samples=100),
        layers=[
            LayerSpec("Reshape", {"target_shape": [28, 28, 1]}),
            LayerSpec("Conv2D", {"filters": 2, "strides": [2, 2], "activation": "relu"}),
            LayerSpec("MaxPooling2D"),
            LayerSpec("Flatten"),
            LayerSpec("Dense", {"units": 10, "use_bias": False}),
        ],
        train=TrainSpec(model_style=style, loss="sparse_categorical_crossentropy",
                        metrics=["accuracy"]),
    )


@pytest.mark.parametrize("style", ["sequential", "functional", "subclassed"])
@pytest.mark.parametrize("make_spec", [_mixed_linear_spec, _conv_fashion_spec],
                         ids=["linear", "conv"])
@pytest.mark.slow
def test_saved_model_loads_in_plain_keras_and_predicts_identically(
        tmp_path: Path, style: str, make_spec: Any) -> None:
    spec = make_spec(style)
    assert validate(spec) == []
    model = build_model(spec)
    assert isinstance(model, StackModel) == (style == "subclassed")
    # Replace every weight (moving statistics included) by values no initializer gives, so
    # equal predictions prove the weights were saved and loaded.
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.uniform(0.5, 1.5, size=w.shape).astype("float32"))
    x = rng.normal(size=(3, *spec.input_shape())).astype("float32")
    expected = model.predict(x, verbose=0)

    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # default safe_mode, no custom_objects

    assert type(loaded) is type(model)
    assert len(loaded.weights) == len(model.weights)
    for a, b in zip(loaded.weights, model.weights, strict=True):
        np.testing.assert_array_equal(_np(a), _np(b))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-6)
    layers = loaded.stack if isinstance(loaded, StackModel) else loaded.layers
    # A reloaded functional model lists its InputLayer; the rest are ktui's own classes.
    loaded_kinds = [type(lay) for lay in layers if not isinstance(lay, keras.layers.InputLayer)]
    assert loaded_kinds == [LAYER_CLASSES[lay.kind] for lay in spec.layers]


# ---- the registry builds what ktui always built -----------------------------------------------

@pytest.mark.parametrize("name", list(INITIALIZERS))
def test_registry_initializers_give_the_same_weights(name: str) -> None:
    """``keras.initializers.get`` of a registry config draws exactly the numbers the layers'
    own ``make_initializer`` draws (the seeds' tests compare these numbers)."""
    for value, seed in ((0.0, None), (5.0, 7), (-1.5, 1234)):
        ours = make_initializer(name, value, seed)
        theirs = keras.initializers.get(initializer_config(name, value, seed))
        assert type(theirs) is type(ours) and theirs.get_config() == ours.get_config()
        if seed is not None:
            np.testing.assert_array_equal(_np(theirs((5, 3))), _np(ours((5, 3))))


@pytest.mark.parametrize("name", list(METRICS))
def test_registry_metrics_match_the_exported_make_metric(name: str) -> None:
    """The trainer builds metrics from registry entries; the exported script calls
    ``make_metric`` with its ``METRIC_PARTS`` table: both must be the same metric under the
    same name."""
    from ktui.core import metrics
    from ktui.core.export.sources import metric_parts

    cls, config = metric_parts()[name]
    built = build_metric(name)
    written = make_metric(name, getattr(metrics, cls) if cls else None, config)
    assert type(built) is type(written) and built.name == written.name == name
    inner = getattr(built, "inner", None)
    if inner is not None:
        assert type(inner) is type(written.inner)
        assert inner.get_config() == written.inner.get_config()
    else:
        assert built.get_config() == written.get_config()
    y_true = np.array([0, 1, 1, 2], dtype="int32" if name in _CLASS_METRICS else "float32")
    y_pred = _rand(4, 3, seed=4) if name in _CLASS_METRICS else _rand(4, 1, seed=4)
    if name not in _CLASS_METRICS:
        y_true = y_true.reshape(-1, 1)
    built.update_state(y_true, y_pred)
    written.update_state(y_true, y_pred)
    assert float(built.result()) == float(written.result())


_CLASS_METRICS = {n for n in METRICS if METRICS[n].fits("classification")}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_registry_optimizers_are_the_keras_classes_with_the_settings(name: str) -> None:
    """What the trainer builds: ``keras.optimizers.get`` of the entry's config, with the
    spec's settings where the optimizer uses them (momentum is not Adam's)."""
    settings = {"learning_rate": 0.25, "momentum": 0.5}
    optimizer = keras.optimizers.get(optimizer_config(name, settings))
    config = optimizer.get_config()
    assert type(optimizer).__name__ == OPTIMIZERS[name].config["class_name"]
    assert config["learning_rate"] == pytest.approx(0.25)
    if "momentum" in OPTIMIZERS[name].uses:
        assert config["momentum"] == 0.5
    else:
        assert "momentum" not in config


@pytest.mark.parametrize("name", list(LOSSES))
def test_registry_losses_are_the_functions_of_losses_py(name: str) -> None:
    from ktui.core import losses

    fn = LOSSES[name].load()
    assert fn is getattr(losses, name)
    classes = LOSSES[name].fits("classification")
    y_true = np.array([0, 2], dtype="int32") if classes else np.array([[1.0], [2.0]], "float32")
    y_pred = _rand(2, 3, seed=2) if classes else _rand(2, 1, seed=2)
    per_example = np.asarray(fn(y_true, y_pred))
    assert per_example.shape == (2,)  # one value per example (a distributed step sums them)
    assert np.isfinite(per_example).all()
    assert float(losses.batch_mean(fn)(y_true, y_pred)) == pytest.approx(per_example.mean())
