"""Two custom Keras layers to train in ktui: ``ktui --layers examples/my_layers.py``.

Written the way the TF2 custom-layer tutorial (ktui's seed 001) writes them: weights made in
``build`` with ``add_weight``, the forward pass in ``call``, and ``get_config`` returning every
``__init__`` argument so the layer saves and loads. ktui makes a form from each ``__init__``:
``units: int`` becomes a number field, ``Literal[...]`` a choice, the docstring the help.
"""

from typing import Literal

import keras
from keras import ops


class MyDense(keras.layers.Layer):
    """A fully connected layer, as seed 001 writes its DenseLayer: activation(x @ w + b).

    Args:
        units: Number of output units.
        activation: Applied to x @ w + b.
    """

    def __init__(self, units: int = 32,
                 activation: Literal["linear", "relu", "tanh", "sigmoid"] = "linear",
                 **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = activation

    def build(self, input_shape):
        self.w = self.add_weight(name="kernel", shape=(input_shape[-1], self.units),
                                 initializer="glorot_uniform")
        self.b = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        outputs = ops.matmul(inputs, self.w) + self.b
        if self.activation == "linear":
            return outputs
        return keras.activations.get(self.activation)(outputs)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation}


class Centered(keras.layers.Layer):
    """Centres each feature on a running mean of the training batches, then scales it by a
    learned gain: (x - moving_mean) * gain. The mean is a non-trainable weight, updated only
    while training (as batch normalization keeps its moving averages).

    Args:
        momentum: How slowly the running mean follows the batches, in [0, 1).
    """

    def __init__(self, momentum: float = 0.9, **kwargs):
        super().__init__(**kwargs)
        self.momentum = momentum

    def build(self, input_shape):
        features = (input_shape[-1],)
        self.moving_mean = self.add_weight(name="moving_mean", shape=features,
                                           initializer="zeros", trainable=False)
        self.gain = self.add_weight(name="gain", shape=features, initializer="ones")

    def call(self, inputs, training=None):
        if training:
            batch_mean = ops.mean(inputs, axis=0)
            self.moving_mean.assign(self.momentum * self.moving_mean
                                    + (1.0 - self.momentum) * batch_mean)
        return (inputs - self.moving_mean) * self.gain

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum}
