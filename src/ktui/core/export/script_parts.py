"""The exported script's fixed text: its docstring and imports, and the training loop.

Nothing here depends on the spec but the file name in the usage line (shown only when it is
plain ASCII): the experiment's own values are constants written by the exporter as literals,
which this code reads by name (``EPOCHS``, ``OPTIMIZER``, ``METRICS``, ...).
"""

from __future__ import annotations

from ktui.core.export.literals import usage_name


def header(file_name: str | None) -> str:
    """The docstring and imports: fixed text only (the experiment's own words are in NAME
    and DESCRIPTION, as literals), and the file name only when it is plain."""
    return f'''#!/usr/bin/env python3
"""A Keras experiment exported by ktui: NAME, DESCRIPTION and RUN below say which.

Needs only TensorFlow (Keras 3) and numpy: python3 {usage_name(file_name)}
Prints, as `ktui train` does, each epoch's loss, metrics (val_: on the validation set) and
learning rate, then the test set's. It trains on one device: a run trained mirrored over
several devices computes the same numbers (ktui checks it), so the script needs no strategy.
"""

from __future__ import annotations

import math
import os
import re
import time
from types import SimpleNamespace
from typing import Any, NamedTuple

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# TensorFlow's C++ start-up lines (absl, cudart) ignore the level above: stderr is pointed at
# /dev/null while TensorFlow imports and finds its devices, then given back.
_stderr, _null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
os.dup2(_null, 2)
try:
    import keras
    import numpy as np
    import tensorflow as tf
    from keras import ops

    tf.config.list_physical_devices()
finally:
    os.dup2(_stderr, 2)
    os.close(_stderr)
    os.close(_null)
'''


#: The loop of ``ktui train``: same batches (a stateless per-epoch shuffle of indices), same
#: tape step, same loss mean and metrics, printed the way ``ktui train`` prints them.
LOOP = '''
def batches(x, y, batch_size, epoch=None):
    """Index batches, shuffled per epoch with a stateless seed (as ktui does)."""
    xs, ys = tf.constant(x), tf.constant(y)
    idx = tf.range(tf.shape(xs, out_type=tf.int64)[0])
    if epoch is not None:
        idx = tf.random.experimental.stateless_shuffle(idx, seed=[SEED, epoch])
    ds = tf.data.Dataset.from_tensor_slices(idx).batch(batch_size)
    ds = ds.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)))
    return ds.prefetch(tf.data.AUTOTUNE)


def fmt(value):
    """A number as ``ktui train`` prints it."""
    return f"{value:.4f}" if abs(value) < 1000 else f"{value:.4g}"


def values(metrics):
    return {m.name: float(m.result()) for m in metrics}


def clip_gradients(grads):
    """ktui's clipping: every value to ±CLIP_VALUE, then the global norm to CLIP_NORM."""
    if CLIP_VALUE > 0:
        grads = [None if g is None else tf.clip_by_value(g, -CLIP_VALUE, CLIP_VALUE)
                 for g in grads]
    if CLIP_NORM > 0:
        grads, _ = tf.clip_by_global_norm(grads, CLIP_NORM)
    return list(grads)


def main():
    keras.utils.set_random_seed(SEED)
    (x_train, y_train), val, test = load_data()
    model = build_model()
    batch_size = BATCH_SIZE or len(x_train)
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    train = SimpleNamespace(schedule=SimpleNamespace(**SCHEDULE),
                            early_stopping=SimpleNamespace(**EARLY_STOPPING),
                            stop_when=STOP_WHEN, max_minutes=MAX_MINUTES)
    rate = make_steered_rate(keras, tf, base_schedule(
        keras, train.schedule, LEARNING_RATE, steps_per_epoch, EPOCHS * steps_per_epoch))
    optimizer = type(keras.optimizers.get(OPTIMIZER))(
        **{**OPTIMIZER["config"], "learning_rate": rate})
    optimizer.build(model.trainable_variables)
    steer = Steerer(train, LearningRate(optimizer, rate), model)
    variables = model.trainable_variables
    train_loss, eval_loss = keras.metrics.Mean(), keras.metrics.Mean()
    train_metrics = [make_metric(name, *METRIC_PARTS[name]) for name in METRICS]
    eval_metrics = [make_metric(name, *METRIC_PARTS[name]) for name in METRICS]
    x_spec = tf.TensorSpec((None, *x_train.shape[1:]), tf.float32)
    y_spec = tf.TensorSpec((None, *y_train.shape[1:]), tf.as_dtype(y_train.dtype))

    @tf.function(input_signature=[x_spec, y_spec])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            # What is minimised, as Keras' fit reports it: the data's loss and what layers add.
            total = loss_fn(y, pred) + (tf.add_n(model.losses) if model.losses else 0.0)
        grads = tape.gradient(total, variables)
        if CLIP_NORM > 0 or CLIP_VALUE > 0:
            grads = clip_gradients(grads)
        optimizer.apply(grads, variables)
        train_loss.update_state(total)
        for metric in train_metrics:
            metric.update_state(y, pred)

    @tf.function(input_signature=[x_spec, y_spec])
    def eval_step(x, y):
        pred = model(x, training=False)
        eval_loss.update_state(loss_fn(y, pred) + (tf.add_n(model.losses) if model.losses
                                                   else 0.0))
        for metric in eval_metrics:
            metric.update_state(y, pred)

    def evaluate(split):
        """Loss (the mean of the batches' losses, as ktui) and metrics over one split."""
        eval_loss.reset_state()
        for metric in eval_metrics:
            metric.reset_state()
        for x, y in batches(*split, batch_size):
            eval_step(x, y)
        return float(eval_loss.result()), values(eval_metrics)

    model.summary()
    width = len(str(EPOCHS))
    started = time.perf_counter()
    epochs_done, reason = 0, ""
    for epoch in range(1, EPOCHS + 1):
        epoch_started = time.perf_counter()
        train_loss.reset_state()
        for metric in train_metrics:
            metric.reset_state()
        for x, y in batches(x_train, y_train, batch_size, epoch if SHUFFLE else None):
            train_step(x, y)
        val_loss, val_metrics = evaluate(val) if val is not None else (None, {})
        done = SimpleNamespace(epoch=epoch, loss=float(train_loss.result()), val_loss=val_loss,
                               metrics=values(train_metrics), val_metrics=val_metrics,
                               lr=steer.rate.current())
        parts = [f"epoch {epoch:>{width}}/{EPOCHS}", f"loss {fmt(done.loss)}"]
        if val_loss is not None:
            parts.append(f"val_loss {fmt(val_loss)}")
        parts += [f"{k} {fmt(v)}" for k, v in done.metrics.items()]
        parts += [f"val_{k} {fmt(v)}" for k, v in val_metrics.items()]
        parts.append(f"lr {done.lr:.4g}")
        parts.append(f"{time.perf_counter() - epoch_started:.2f}s")
        print("  ".join(parts), flush=True)
        changes, reason = steer.after_epoch(done, time.perf_counter() - started)
        for change in changes:
            print(f"learning rate {change.previous:.3g} -> {change.lr:.3g} "
                  f"(plateau, after epoch {change.epoch})", flush=True)
        epochs_done = epoch
        if reason:
            break
    restored = steer.restore(epochs_done)
    if reason or restored:
        print("; ".join(part for part in (reason, restored) if part), flush=True)
    line = f"done: {epochs_done} epochs in {time.perf_counter() - started:.1f}s"
    if test is not None:
        test_loss, test_metrics = evaluate(test)
        line += f"  test_loss {fmt(test_loss)}"
        line += "".join(f"  test_{k} {fmt(v)}" for k, v in test_metrics.items())
    print(line, flush=True)
    return model


if __name__ == "__main__":
    main()
'''
