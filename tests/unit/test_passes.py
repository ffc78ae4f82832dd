"""Validation reads every epoch's pass from one iterator (training.pipeline.Passes).

A Python ``for`` over a dataset made a new iterator each epoch and ended it with an
OutOfRange error, and TensorFlow kept part of both for the life of the process: a recorded
run grew 1.38 KB per epoch (``python -m benchmarks.soak``), 0.49 with one iterator. These
tests hold the mechanism (one iterator, never exhausted) and that each pass is still exactly
the dataset, in order; the run-level test checks the validation loss against Keras' own
``evaluate`` of the saved model.
"""

from __future__ import annotations

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from ktui.core.training.pipeline import Passes, eval_dataset  # noqa: E402


def _batches(elements) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(x.numpy(), y.numpy()) for x, y in elements]


def _same(got, want) -> None:
    assert len(got) == len(want)
    for (gx, gy), (wx, wy) in zip(got, want, strict=True):
        np.testing.assert_array_equal(gx, wx)
        np.testing.assert_array_equal(gy, wy)


def _recording_place():
    """A ``place`` that keeps every dataset it is handed: one per iterator made."""
    made: list[object] = []

    def place(dataset):
        made.append(dataset)
        return dataset

    return made, place


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    x = np.arange(30, dtype=np.float32).reshape(10, 3)  # 10 samples, batches of 4: 4, 4, 2
    return x, x[:, :1] * 2


def test_every_pass_is_the_whole_dataset_in_order(data) -> None:
    ds = eval_dataset(*data, batch_size=4)
    want = _batches(ds)
    assert [len(x) for x, _ in want] == [4, 4, 2]  # the partial last batch is in the check
    passes = Passes(ds)
    assert passes.batches == 3
    for _ in range(4):
        _same(_batches(passes), want)


def test_one_iterator_serves_every_pass(data) -> None:
    ds = eval_dataset(*data, batch_size=4)
    made, place = _recording_place()
    passes = Passes(ds, place)
    for _ in range(5):
        _batches(passes)
    assert len(made) == 1  # one iterator, over the repeated dataset: no end, no new iterator
    assert int(made[0].cardinality()) == tf.data.INFINITE_CARDINALITY


def test_a_pass_left_half_way_is_finished_before_the_next(data) -> None:
    ds = eval_dataset(*data, batch_size=4)
    want = _batches(ds)
    passes = Passes(ds)
    first = iter(passes)
    next(first)  # the evaluation failed after one batch, say
    first.close()
    _same(_batches(passes), want)
    _same(_batches(passes), want)


def test_several_workers_and_unknown_lengths_iterate_each_pass_afresh(data) -> None:
    ds = eval_dataset(*data, batch_size=4)
    want = _batches(ds)
    made, place = _recording_place()
    for passes in (Passes(ds, place, repeat=False),
                   Passes(ds.filter(lambda x, y: True), place)):  # cardinality unknown
        assert passes.batches is None
        _same(_batches(passes), want)
        _same(_batches(passes), want)
    assert len(made) == 4
