"""ktui's custom Keras layers: every kind in the catalog, written as the seeds write them.

Each is a ``keras.layers.Layer`` subclass with weights made in ``build`` by ``add_weight``, the
forward pass in ``call`` (``training`` honoured where it matters) and ``get_config`` for
saving. All are registered under the ``ktui`` package, so ``import ktui.core.layers`` is all
plain Keras needs to load a ktui model with the default ``safe_mode=True``.

The math uses ``keras.ops`` (Keras 3), which compiles to TensorFlow ops on our backend.
"""

from __future__ import annotations

from typing import Any

import keras
from keras import ops

from ktui.core.catalog import LAMBDA_OPS, SEEDED_KINDS
from ktui.core.choices import initializer_config

_register = keras.saving.register_keras_serializable(package="ktui")


def make_initializer(name: str, value: float = 0.0, seed: int | None = None
                     ) -> keras.initializers.Initializer:
    """A Keras initializer from a registry name; ``value`` feeds ``constant``.

    ``uniform`` is Keras' historical U(-0.05, 0.05), which the seed's ``initializer='uniform'``
    meant. Seeds are explicit so a run is reproducible whatever thread builds it.
    """
    return keras.initializers.get(initializer_config(name, value, seed))


def _activation(name: str):
    return keras.activations.get(None if name == "linear" else name)


def _sub_seed(seed: int | None, k: int) -> int | None:
    return None if seed is None else seed * 7 + k


@_register
class Dense(keras.layers.Layer):
    """activation(x @ kernel + bias): seed 001's DenseLayer with the initializers made choices."""

    def __init__(self, units: int, activation: str = "linear",
                 kernel_initializer: str = "glorot_uniform", kernel_value: float = 0.0,
                 bias_initializer: str = "zeros", bias_value: float = 0.0,
                 use_bias: bool = True, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activation
        self.kernel_initializer = kernel_initializer
        self.kernel_value = float(kernel_value)
        self.bias_initializer = bias_initializer
        self.bias_value = float(bias_value)
        self.use_bias = bool(use_bias)
        self.seed = seed
        self._act = _activation(activation)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.kernel = self.add_weight(
            name="kernel", shape=(int(input_shape[-1]), self.units),
            initializer=make_initializer(self.kernel_initializer, self.kernel_value,
                                         _sub_seed(self.seed, 1)))
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias", shape=(self.units,),
                initializer=make_initializer(self.bias_initializer, self.bias_value,
                                             _sub_seed(self.seed, 2)))

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self._act(outputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "kernel_initializer": self.kernel_initializer, "kernel_value": self.kernel_value,
                "bias_initializer": self.bias_initializer, "bias_value": self.bias_value,
                "use_bias": self.use_bias, "seed": self.seed}


@_register
class Linear(keras.layers.Layer):
    """Seed 002's ``Linear``: x @ w + b, both drawn from N(0, 0.05²)."""

    def __init__(self, units: int = 32, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = int(units)
        self.seed = seed

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        self.w = self.add_weight(name="kernel", shape=(int(input_shape[-1]), self.units),
                                 initializer=make_initializer("random_normal",
                                                              seed=_sub_seed(self.seed, 1)))
        self.b = self.add_weight(name="bias", shape=(self.units,),
                                 initializer=make_initializer("random_normal",
                                                              seed=_sub_seed(self.seed, 2)))

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "seed": self.seed}


@_register
class Dropout(keras.layers.Layer):
    """Seed 002's ``CustomDropout``: drops only when ``training`` is true."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        if training and self.rate > 0:
            return keras.random.dropout(inputs, self.rate, seed=self.seed_generator)
        return inputs

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


_OPS = {
    "exp": ops.exp, "square": ops.square, "sqrt": ops.sqrt, "abs": ops.abs,
    "negative": ops.negative, "tanh": ops.tanh, "relu": ops.relu, "sigmoid": ops.sigmoid,
    "softplus": ops.softplus, "log1p": ops.log1p,
}
assert set(_OPS) == set(LAMBDA_OPS), "catalog and layers disagree on the Lambda menu"


@_register
class MenuLambda(keras.layers.Layer):
    """Seed 002's ``Lambda(lambda x: tf.exp(x))`` made safe: the op is a name from a menu.

    Keras' own ``Lambda`` serialises Python bytecode, which ``safe_mode`` refuses to load (and
    should); a name from a fixed table round-trips safely and never evaluates user text.
    """

    def __init__(self, op: str = "exp", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if op not in _OPS:
            raise ValueError(f"Lambda op must be one of {', '.join(_OPS)}; got {op!r}")
        self.op = op

    def call(self, inputs):
        return _OPS[self.op](inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "op": self.op}


@_register
class Flatten(keras.layers.Layer):
    def call(self, inputs):
        return ops.reshape(inputs, (-1, int(_prod(inputs.shape[1:]))))


def _prod(dims) -> int:
    total = 1
    for d in dims:
        total *= int(d)
    return total


@_register
class Reshape(keras.layers.Layer):
    """Seed 001's ``Reshape(target_shape=(784,))``."""

    def __init__(self, target_shape: list[int] | tuple[int, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs):
        return ops.reshape(inputs, (-1, *self.target_shape))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "target_shape": list(self.target_shape)}


@_register
class Activation(keras.layers.Layer):
    def __init__(self, activation: str = "relu", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activation
        self._act = _activation(activation)

    def call(self, inputs):
        return self._act(inputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "activation": self.activation}


@_register
class BatchNormalization(keras.layers.Layer):
    """Batch statistics while training (updating moving averages), moving averages otherwise."""

    def __init__(self, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        dim = (int(input_shape[-1]),)
        self.gamma = self.add_weight(name="gamma", shape=dim, initializer="ones")
        self.beta = self.add_weight(name="beta", shape=dim, initializer="zeros")
        self.moving_mean = self.add_weight(name="moving_mean", shape=dim,
                                           initializer="zeros", trainable=False)
        self.moving_variance = self.add_weight(name="moving_variance", shape=dim,
                                               initializer="ones", trainable=False)

    def call(self, inputs, training=None):
        if training:
            axes = list(range(len(inputs.shape) - 1))
            mean, variance = ops.moments(inputs, axes=axes)
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        scale = self.gamma * ops.rsqrt(variance + self.epsilon)
        return (inputs - mean) * scale + self.beta

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "epsilon": self.epsilon}


@_register
class Conv2D(keras.layers.Layer):
    """2-D convolution on channels-last images: activation(conv(x, kernel) + bias)."""

    def __init__(self, filters: int, kernel_size=(3, 3), strides=(1, 1), padding: str = "valid",
                 activation: str = "linear", use_bias: bool = True, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.filters = int(filters)
        self.kernel_size = tuple(int(k) for k in kernel_size)
        self.strides = tuple(int(s) for s in strides)
        self.padding = padding
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.seed = seed
        self._act = _activation(activation)

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        shape = (*self.kernel_size, int(input_shape[-1]), self.filters)
        self.kernel = self.add_weight(
            name="kernel", shape=shape,
            initializer=make_initializer("glorot_uniform", seed=_sub_seed(self.seed, 1)))
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")
                     if self.use_bias else None)

    def call(self, inputs):
        outputs = ops.conv(inputs, self.kernel, strides=self.strides, padding=self.padding)
        if self.bias is not None:
            outputs = outputs + self.bias
        return self._act(outputs)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "filters": self.filters,
                "kernel_size": list(self.kernel_size), "strides": list(self.strides),
                "padding": self.padding, "activation": self.activation,
                "use_bias": self.use_bias, "seed": self.seed}


@_register
class MaxPooling2D(keras.layers.Layer):
    def __init__(self, pool_size=(2, 2), strides=(2, 2), padding: str = "valid",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_size = tuple(int(p) for p in pool_size)
        self.strides = tuple(int(s) for s in strides)
        self.padding = padding

    def call(self, inputs):
        return ops.max_pool(inputs, self.pool_size, strides=self.strides, padding=self.padding)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "pool_size": list(self.pool_size),
                "strides": list(self.strides), "padding": self.padding}


@_register
class Rescaling(keras.layers.Layer):
    """``x * scale + offset``: a regression model's output in the target's units. The
    layers before it learn a standardised target (mean 0, scale 1), which trains as well as
    standardised data does, while the loss and metrics stay in the units the user reads."""

    def __init__(self, scale: float = 1.0, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def call(self, inputs):
        return inputs * self.scale + self.offset

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}


#: Catalog kind -> the class implementing it.
LAYER_CLASSES: dict[str, type[keras.layers.Layer]] = {
    "Dense": Dense, "Linear": Linear, "Dropout": Dropout, "Lambda": MenuLambda,
    "Flatten": Flatten, "Reshape": Reshape, "Activation": Activation,
    "BatchNormalization": BatchNormalization, "Conv2D": Conv2D, "MaxPooling2D": MaxPooling2D,
    "Rescaling": Rescaling,
}
assert SEEDED_KINDS <= set(LAYER_CLASSES)
