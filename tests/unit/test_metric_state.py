"""The metrics' state as Keras sees it (issue 25.6: what ``make mutation`` found unpinned):
the seed's accuracy counts in two int32 scalars named as the seed names them, the confusion
counts in one int32 matrix, and keyword arguments (a dtype, as ``from_config`` passes one)
reach Keras."""

from __future__ import annotations

import numpy as np

from ktui.core.metrics import ConfusionCounts, SparseCategoricalAccuracy


def _state(metric) -> list[tuple[str, tuple[int, ...], str]]:
    return [(v.name, tuple(v.shape), str(v.dtype)) for v in metric.variables]


def test_accuracy_counts_in_two_named_int32_scalars() -> None:
    metric = SparseCategoricalAccuracy()
    assert _state(metric) == [("total", (), "int32"), ("count", (), "int32")]
    metric.update_state(np.array([0, 1, 1]), np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 1.0]]))
    assert (int(metric.total.numpy()), int(metric.count.numpy())) == (3, 2)
    assert SparseCategoricalAccuracy(name="acc", dtype="float64").dtype == "float64"


def test_confusion_counts_in_one_int32_matrix() -> None:
    metric = ConfusionCounts(3)
    assert _state(metric) == [("counts", (3, 3), "int32")]
    assert ConfusionCounts(2, dtype="float64").dtype == "float64"
    restored = ConfusionCounts.from_config(metric.get_config())
    assert restored.classes == 3 and restored.name == "confusion"


def test_built_metrics_report_under_their_registered_names() -> None:
    from ktui.core.metrics import build_metric

    assert build_metric("accuracy").name == "accuracy"
    auc = build_metric("auc")  # a Keras AUC inside the one-hot wrapper
    assert (auc.name, auc.inner.name) == ("auc", "auc_inner")
