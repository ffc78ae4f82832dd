"""The exported script's fixed text: its docstring and imports, and the training loop.

Nothing here depends on the spec's values but the file name in the usage line (shown only
when it is plain ASCII): the experiment's own values are constants written by the exporter as
literals, which this code reads by name (``EPOCHS``, ``OPTIMIZER``, ``METRICS``, ...).

The loop is one template whose optional lines sit between ``[feature]`` and ``[/]`` lines
(``[a|b]``: either is on; ``[!a|b]``: neither is): :func:`render` keeps a block when the spec
turns its feature on (:func:`ktui.core.export.features`), so a script without a schedule or
early stopping holds no line of either.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from ktui.core.export.literals import usage_name

#: Import lines of the standard library, by the name each binds (the script gets those its
#: code reads), in the order they are written.
STDLIB_IMPORTS = {
    "hashlib": "import hashlib", "math": "import math", "os": "import os", "re": "import re",
    "sys": "import sys", "time": "import time", "types": "import types",
    "Mapping": "from collections.abc import Mapping",
    "SimpleNamespace": "from types import SimpleNamespace",
    "Any": "from typing import Any", "NamedTuple": "from typing import NamedTuple",
}
#: TensorFlow's, imported with its start-up lines hidden.
TF_IMPORTS = {"keras": "import keras", "np": "import numpy as np",
              "tf": "import tensorflow as tf", "ops": "from keras import ops"}


def _import_lines(table: dict[str, str], used: Collection[str], indent: str = "") -> str:
    """The ``import`` lines of ``table`` whose name ``used`` holds, ``from`` lines of one
    module merged (``from typing import Any, NamedTuple``)."""
    plain, froms = [], {}
    for name, line in table.items():
        if name in used:
            if line.startswith("from "):
                module = line.split()[1]
                froms.setdefault(module, []).append(line.rsplit(" ", 1)[1])
            else:
                plain.append(line)
    lines = plain + [f"from {m} import {', '.join(names)}" for m, names in froms.items()]
    return "".join(f"{indent}{line}\n" for line in lines)


def header(file_name: str | None, used: Collection[str]) -> str:
    """The docstring and imports (those of ``used``, the names the script reads): fixed
    text only (the experiment's own words are in NAME and DESCRIPTION, as literals), and the
    file name only when it is plain."""
    std = _import_lines(STDLIB_IMPORTS, {*used, "os"})
    tf_lines = _import_lines({k: v for k, v in TF_IMPORTS.items() if k != "ops"}, used, "    ")
    if "ops" in used:
        tf_lines += "    from keras import ops\n"
    usage = usage_name(file_name)
    return f'''#!/usr/bin/env python3
"""A Keras experiment exported by ktui (NAME, DESCRIPTION, RUN below): python3 {usage}

Needs only TensorFlow (Keras 3) and numpy. Prints what `ktui train` prints.
"""

{std}
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # set before TensorFlow is imported
_stderr, _null = os.dup(2), os.open(os.devnull, os.O_WRONLY)  # absl, cudart: not the level
os.dup2(_null, 2)
try:
{tf_lines}    tf.config.list_physical_devices()
finally:
    os.dup2(_stderr, 2)
    os.close(_null)
'''


_OPEN = re.compile(r"^\s*\[(!?)([a-z_|]+)\]$")
_CLOSE = re.compile(r"^\s*\[/\]$")


def render(template: str, features: Collection[str], fills: dict[str, str]) -> str:
    """``template`` with each ``[feature]`` ... ``[/]`` block kept when its feature is on (the
    marker lines themselves dropped; blocks nest) and each ``<<name>>`` replaced by
    ``fills[name]`` (code the exporter writes from the registry, never user text)."""
    kept: list[str] = []
    stack: list[bool] = []
    for line in template.splitlines(keepends=True):
        if match := _OPEN.match(line):
            on = any(name in features for name in match.group(2).split("|"))
            stack.append(on != bool(match.group(1)))
        elif _CLOSE.match(line):
            stack.pop()
        elif all(stack):
            kept.append(line)
    if stack:
        raise RuntimeError("the loop template has a block left open")
    return re.sub(r"<<(\w+)>>", lambda m: fills[m.group(1)], "".join(kept))


#: The loop of ``ktui train``: same batches (a stateless per-epoch shuffle of indices), same
#: tape step, same loss mean and metrics, printed the way ``ktui train`` prints them.
LOOP = '''
[shuffle]
def batches(x, y, batch_size, epoch=None):
    """Index batches, shuffled per epoch with a stateless seed (as ktui does)."""
    xs, ys = tf.constant(x), tf.constant(y)
    idx = tf.range(tf.shape(xs, out_type=tf.int64)[0])
    if epoch is not None:
        idx = tf.random.experimental.stateless_shuffle(idx, seed=[SEED, epoch])
    ds = tf.data.Dataset.from_tensor_slices(idx).batch(batch_size)
    return ds.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i))).prefetch(tf.data.AUTOTUNE)


[/]
[clip]
def clip_gradients(grads):
    """ktui's clipping: every value to ±CLIP_VALUE, then the global norm to CLIP_NORM."""
    if CLIP_VALUE > 0:
        grads = [None if g is None else tf.clip_by_value(g, -CLIP_VALUE, CLIP_VALUE)
                 for g in grads]
    if CLIP_NORM > 0:
        grads, _ = tf.clip_by_global_norm(grads, CLIP_NORM)
    return list(grads)


[/]
def fmt(value):
    """A number as ``ktui train`` prints it."""
    return f"{value:.4f}" if value == 0 or 0.001 <= abs(value) < 1000 else f"{value:.4g}"


def main():
    keras.utils.set_random_seed(SEED)
    (x_train, y_train), val, test = load_data()
    model = build_model()
    batch_size = BATCH_SIZE or len(x_train)
[schedule]
    steps_per_epoch = math.ceil(len(x_train) / batch_size)
    learning_rate = base_schedule(keras, SimpleNamespace(**SCHEDULE), LEARNING_RATE,
                                  steps_per_epoch, EPOCHS * steps_per_epoch)
[/]
[plateau]
    learning_rate = make_steered_rate(keras, tf, LEARNING_RATE)  # a plateau scales it
[/]
[schedule|plateau]
    optimizer = type(keras.optimizers.get(OPTIMIZER))(
        **{**OPTIMIZER["config"], "learning_rate": learning_rate})
[/]
[!schedule|plateau]
    optimizer = keras.optimizers.get(OPTIMIZER)
[/]
    optimizer.build(model.trainable_variables)
[plateau]
    plateau, rate = Plateau(SimpleNamespace(**SCHEDULE)), LearningRate(optimizer, learning_rate)
[/]
[early_stopping]
    stopper = EarlyStopper(SimpleNamespace(**EARLY_STOPPING))
[/]
[restore_best]
    best_weights = None
[/]
[stop_when]
    target = parse_stop_when(STOP_WHEN)
[/]
    mean_loss = keras.metrics.Mean(name="loss")
    metrics = <<metrics>>
    signature = [tf.TensorSpec((None, *a.shape[1:]), a.dtype) for a in (x_train, y_train)]

    def measure(y, pred, loss):
        # A mean over examples, as Keras' fit and evaluate report it: each batch's mean
        # loss weighted by its size (a short last batch counts for its examples).
        mean_loss.update_state(loss, sample_weight=tf.cast(tf.shape(y)[0], tf.float32))
        for metric in metrics:
            metric.update_state(y, pred)

[jit]
    @tf.function(input_signature=signature, jit_compile=True)  # XLA, as the run compiled it
[/]
[!jit]
    @tf.function(input_signature=signature)
[/]
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
[layer_losses]
            # What is minimised, as Keras' fit reports it: the data's loss and what layers add.
            loss = loss_fn(y, pred) + (tf.add_n(model.losses) if model.losses else 0.0)
[/]
[!layer_losses]
            loss = loss_fn(y, pred)
[/]
        grads = tape.gradient(loss, model.trainable_variables)
[clip]
        grads = clip_gradients(grads)
[/]
        optimizer.apply(grads, model.trainable_variables)
        measure(y, pred, loss)

[jit]
    @tf.function(input_signature=signature, jit_compile=True)
[/]
[!jit]
    @tf.function(input_signature=signature)
[/]
    def eval_step(x, y):
        pred = model(x, training=False)
[layer_losses]
        measure(y, pred, loss_fn(y, pred) + (tf.add_n(model.losses) if model.losses else 0.0))
[/]
[!layer_losses]
        measure(y, pred, loss_fn(y, pred))
[/]

[shuffle]
    def run(step, x, y, prefix="", epoch=None):
        """``step`` over the batches of (x, y): the mean loss and the metrics, by name."""
        for metric in [mean_loss, *metrics]:
            metric.reset_state()
        for xb, yb in batches(x, y, batch_size, epoch):
[/]
[!shuffle]
    def run(step, x, y, prefix=""):
        """``step`` over the batches of (x, y), in order: the mean loss and the metrics."""
        for metric in [mean_loss, *metrics]:
            metric.reset_state()
        for xb, yb in tf.data.Dataset.from_tensor_slices((x, y)).batch(batch_size):
[/]
            step(xb, yb)
        return {prefix + m.name: float(m.result()) for m in [mean_loss, *metrics]}

    names = ["loss", "val_loss"] + [p + m.name for p in ("", "val_") for m in metrics]
    width, started = len(str(EPOCHS)), time.perf_counter()
[stop]
    reason = ""
[/]
    for epoch in range(1, EPOCHS + 1):
        epoch_started = time.perf_counter()
[shuffle]
        logs = run(train_step, x_train, y_train, epoch=epoch)
[/]
[!shuffle]
        logs = run(train_step, x_train, y_train)
[/]
        if val is not None:
            logs.update(run(eval_step, *val, "val_"))
        lr = float(optimizer.learning_rate)
        shown = "  ".join(f"{k} {fmt(logs[k])}" for k in names if k in logs)
        print(f"epoch {epoch:>{width}}/{EPOCHS}  {shown}  lr {lr:.4g}  "
              f"{time.perf_counter() - epoch_started:.2f}s", flush=True)
[plateau]
        new = plateau.new_rate(logs, epoch, lr)
        if new is not None:
            print(f"learning rate {lr:.3g} -> {rate.set(new):.3g} (plateau, after epoch "
                  f"{epoch})", flush=True)
[/]
[early_stopping]
[restore_best]
        best, reason = stopper.update(logs, epoch)
        if best:
            best_weights = [v.numpy() for v in model.variables]
[/]
[!restore_best]
        reason = stopper.update(logs, epoch)[1]
[/]
[/]
[stop_when]
        reason = reason or target_reason(target, logs, epoch)
[/]
[max_minutes]
        reason = reason or budget_reason(MAX_MINUTES, time.perf_counter() - started, epoch)
[/]
[stop]
        if reason:
            break
[/]
[restore_best]
    if best_weights is not None and stopper.best.epoch != epoch:
        for variable, value in zip(model.variables, best_weights, strict=True):
            variable.assign(value)
        restored = f"weights restored from epoch {stopper.best.epoch}"
        reason = "; ".join(part for part in (reason, restored) if part)
[/]
[stop]
    if reason:
        print(reason, flush=True)
[/]
    test_logs = run(eval_step, *test, "test_") if test is not None else {}
    tested = "".join(f"  {k} {fmt(v)}" for k, v in test_logs.items())
    print(f"done: {epoch} epochs in {time.perf_counter() - started:.1f}s{tested}", flush=True)
    return model
'''
#: The script's last lines, after everything ``main()`` calls is defined.
MAIN_GUARD = '''if __name__ == "__main__":
    main()
'''
