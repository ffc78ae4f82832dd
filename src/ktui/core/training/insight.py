"""The data the insight views show, gathered as the run goes: a fixed validation sample and
the model's predictions for it after each epoch, the confusion matrix of every evaluation.

The confusion matrix is counted inside the compiled evaluation step (no second pass over the
data); the sample's predictions are one compiled call on at most a few dozen examples.
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from typing import Any

import numpy as np

from ktui.core import tfenv

tfenv.ensure_imported()  # TensorFlow's first import is the quiet one

import keras
import tensorflow as tf

from ktui.core.events import Confusion, Event, Predictions, SampleSet
from ktui.core.insight import display_images, sample_indices
from ktui.core.training.steps import StepsBase

#: Table rows are sent with the sample only up to this many features (the fitted-line view
#: plots one feature; several are shown as predicted vs true).
MAX_FEATURES = 16


class ViewData:
    """The run's validation sample and its compiled prediction function."""

    def __init__(self, model: keras.Model, splits: Any, classes: int,
                 class_names: tuple[str, ...], seed: int) -> None:
        self.classes, self.class_names = classes, class_names
        self.indices = sample_indices(splits.y_val, classes, seed)
        self.x = splits.x_val[self.indices]
        self.y = splits.y_val[self.indices]
        self._predict = (tf.function(lambda x: tf.cast(model(x, training=False), tf.float32))
                         if len(self.indices) else None)
        self._x = tf.constant(self.x) if len(self.indices) else None

    def sample(self) -> SampleSet | None:
        """The sample, once, at the start (None without a validation set)."""
        if not len(self.indices):
            return None
        targets = tuple(float(v) for v in np.asarray(self.y, np.float64).reshape(len(self.y),
                                                                                -1)[:, 0])
        base = {"split": "validation", "indices": tuple(int(i) for i in self.indices),
                "targets": targets, "class_names": self.class_names}
        if self.x.ndim >= 3:  # images (H, W) or (H, W, C)
            images = display_images(self.x)
            return SampleSet(**base, image_shape=tuple(int(d) for d in self.x.shape[1:]),
                             images=tuple(tuple(int(v) for v in im.ravel()) for im in images))
        rows = self.x.reshape(len(self.x), -1)
        if rows.shape[1] > MAX_FEATURES:
            return SampleSet(**base)
        return SampleSet(**base, features=tuple(tuple(float(v) for v in r) for r in rows))

    def predictions(self, epoch: int) -> Predictions | None:
        if self._predict is None:
            return None
        out = self._predict(self._x).numpy().reshape(len(self.indices), -1)
        if self.classes:
            shifted = np.exp(out - out.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
            best = probs.argmax(axis=1)
            return Predictions(epoch, "validation", tuple(float(v) for v in best),
                               tuple(float(probs[i, b]) for i, b in enumerate(best)))
        return Predictions(epoch, "validation", tuple(float(v) for v in out[:, 0]))

    def confusion(self, steps: StepsBase, epoch: int, split: str) -> Confusion | None:
        matrix = steps.confusion_matrix()
        if matrix is None:
            return None
        return Confusion(epoch, split, tuple(tuple(int(v) for v in row) for row in matrix),
                         self.class_names)

    def after_validation(self, steps: StepsBase, epoch: int, validated: bool) -> list[Event]:
        """The events after an epoch's validation pass."""
        events: list[Event] = []
        if validated and (c := self.confusion(steps, epoch, "validation")) is not None:
            events.append(c)
        if (p := self.predictions(epoch)) is not None:
            events.append(p)
        return events
