"""The events that feed the insight views: a fixed validation sample, the model's predictions
for it, the confusion matrices. Part of the ``Event`` union and the codec of
:mod:`ktui.core.events`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class SampleSet:
    """A fixed sample of the validation set, chosen once per run (seeded, a few examples per
    class), that the views show predictions for: images (uint8, each scaled to 0-255 for
    display) or table rows, with their targets."""

    split: str
    indices: tuple[int, ...]
    #: Class index per example, or the (first) target value for regression.
    targets: tuple[float, ...]
    class_names: tuple[str, ...] = ()
    #: One image's shape, (H, W) or (H, W, C), and each image flattened; () for tables.
    image_shape: tuple[int, ...] = ()
    images: tuple[tuple[int, ...], ...] = ()
    #: Table rows (features) for regression views; () for images.
    features: tuple[tuple[float, ...], ...] = ()
    event: Literal["sample_set"] = "sample_set"


@dataclass(frozen=True)
class Predictions:
    """The model's predictions for the :class:`SampleSet` after an epoch: the class and its
    softmax probability, or the predicted value (regression: ``confidence`` is empty)."""

    epoch: int
    split: str
    predicted: tuple[float, ...]
    confidence: tuple[float, ...] = ()
    event: Literal["predictions"] = "predictions"


@dataclass(frozen=True)
class Confusion:
    """Counts of (true class, predicted class) over a whole split: the validation set after
    each epoch, the test set at the end; accumulated inside the compiled evaluation step."""

    epoch: int
    split: str
    matrix: tuple[tuple[int, ...], ...]
    class_names: tuple[str, ...] = ()
    event: Literal["confusion"] = "confusion"
