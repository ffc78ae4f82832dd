"""Seed 001 as written: a custom Dense layer, an eager ``GradientTape`` step, no ``tf.function``.

A faithful standalone copy of ``/work/shared/seeds/001_*.txt`` (run it: ``python -m
benchmarks.seed001 [--epochs N] [--quiet]``), with two departures, both about where the data
comes from rather than how the model trains:

- the images are read with ``ktui.core.datasets.idx.read_idx`` from the same files ktui reads (the
  Debian package's, or ``$KTUI_DATA_DIR``), instead of ``keras.datasets.fashion_mnist`` (which
  would download them into ``~/.keras``); the arrays are the same;
- the seed's ``StandardScaler().fit_transform(x.reshape(-1, 1))`` is written in numpy as
  ``(x - x.mean()) / x.std()`` over all 60 000 training images (the same numbers; sklearn is
  not a ktui dependency).

Everything else is the seed's: ``keras.optimizers.Adam(3e-4)``, ``take(10000).shuffle(10000)
.batch(256)``, 10 epochs, ``optimizer.apply_gradients`` and ``print(loss.numpy())`` every
step. The benchmarks import :func:`make_model`, :func:`make_dataset` and
:func:`train_per_step` to time this loop in-process beside ktui's trainer.
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow import keras  # noqa: E402


class DenseLayer(keras.layers.Layer):
    def __init__(self, kernel, activation=None, **kwargs):
        self.kernel = kernel
        self.activation = keras.layers.Activation(activation)
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight(name="w", shape=(input_shape[1], self.kernel),
                                 initializer="uniform", trainable=True)
        self.bias = self.add_weight(name="bias", shape=(self.kernel,), initializer="zero",
                                    trainable=True)
        super().build(input_shape)

    def call(self, x, **kwargs):
        return self.activation(x @ self.w + self.bias)


def loss_func(logits, label):
    losses = tf.nn.sparse_softmax_cross_entropy_with_logits(logits=logits, labels=label)
    return tf.reduce_mean(losses)


def train_per_step(model, x, y, optimizer):
    with tf.GradientTape() as tape:
        logit = model(x)
        loss = loss_func(logit, y)
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
    return loss


def make_model():
    # Keras 3 spells the seed's ``input_shape=(28, 28)`` on Reshape as an Input layer.
    return keras.models.Sequential([
        keras.Input(shape=(28, 28)),
        keras.layers.Reshape(target_shape=(28 * 28,)),
        DenseLayer(200, activation="relu"),
        DenseLayer(300, activation="relu"),
        DenseLayer(100, activation="relu"),
        DenseLayer(10),
    ])


def load_data():
    """(x_train, y_train) of Fashion-MNIST as the seed's ``load_data()`` returns them."""
    from ktui.core.datasets.fashion import FASHION_FILES, find_fashion_dir
    from ktui.core.datasets.idx import read_idx

    directory = find_fashion_dir(os.environ.get("KTUI_DATA_DIR") or None)
    x_train = read_idx(directory / FASHION_FILES["train_images"])
    y_train = read_idx(directory / FASHION_FILES["train_labels"])
    return x_train, y_train


def standardise(x_train):
    """The seed's StandardScaler on ``reshape(-1, 1)``: one mean and std over every pixel."""
    flat = x_train.astype(np.float32).reshape(-1, 1)
    return ((flat - flat.mean()) / flat.std()).reshape(-1, 28, 28)


def make_dataset(x_train_scaled, y_train, take=10000, batch=256):
    x_train_scaled = tf.cast(x_train_scaled, tf.float32)
    y_train = tf.cast(y_train, tf.int32)
    train_data = tf.data.Dataset.from_tensor_slices((x_train_scaled, y_train))
    return train_data.take(take).shuffle(take).batch(batch)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--take", type=int, default=10000)
    parser.add_argument("--quiet", action="store_true", help="do not print the loss per step")
    args = parser.parse_args(argv)
    x_train, y_train = load_data()
    train_data = make_dataset(standardise(x_train), y_train, take=args.take)
    model = make_model()
    optimizer = keras.optimizers.Adam(learning_rate=0.0003)  # the seed's ``lr=0.0003``
    for _ in range(args.epochs):
        for _, (x, y) in enumerate(train_data):
            loss = train_per_step(model, x, y, optimizer)
            value = loss.numpy()
            if not args.quiet:
                print(value)
    return 0


if __name__ == "__main__":
    sys.exit(main())
