"""Export a run as a standalone Python script: TensorFlow/Keras and numpy only.

The script defines the custom layers and metrics (ktui's own source, so the math is identical),
loads the same data the same way (training, validation and test sets), builds the model in the
chosen style (the seeds' three: Sequential, functional, subclassed), and trains it with a
``tf.function`` ``GradientTape`` loop using the same seeds, shuffling and optimizer, so it
reproduces the run's curves closely. It prints what ``ktui train`` prints: each epoch's loss
and metrics (``val_`` ones on the validation set), then the test set's.

Safety: user text (the experiment's name and description, the run folder's name, a data folder,
any string parameter) reaches the script only as a Python literal written by :func:`_literal`
(``repr`` of a plain value, checked to read back as exactly that value), never pasted into a
docstring, a comment or code; names that select code (loss, optimizer, metrics, layer kinds and
parameter names, the model style) must be ones ktui knows. A spec that breaks either rule is an
:class:`ExportError`, so a hostile ``spec.toml`` can at worst make a script that fails, never
one that runs code of its own.
"""

from __future__ import annotations

import ast
import math
import re
import textwrap
from pathlib import Path
from typing import Any

from ktui.core import catalog
from ktui.core import spec as specmod
from ktui.core.catalog import LAYER_KINDS, SEEDED_KINDS
from ktui.core.registry import LOSSES as LOSS_REGISTRY
from ktui.core.spec import ExperimentSpec, FashionData, LinearData
from ktui.core.text import identifier

STYLES = specmod.MODEL_STYLES

_HERE = Path(__file__).parent
#: Catalog kind -> class name in layers.py, where they differ.
_CLASS_NAMES = {"Lambda": "MenuLambda"}
#: A file name shown as is in the script's docstring; any other is described, not shown.
_PLAIN_FILE_NAME = re.compile(r"[A-Za-z0-9_.+-]{1,120}")


class ExportError(ValueError):
    """The spec cannot be written as a script; the message names the field and the cause."""


# ---- literals --------------------------------------------------------------------------------

def _plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is built only of the types whose ``repr`` is a Python literal."""
    if depth > 20:
        return False
    if value is None or type(value) in (str, int, bool):
        return True
    if type(value) is float:
        return math.isfinite(value)  # repr(inf) is `inf`, a name, not a literal
    if type(value) in (list, tuple):
        return all(_plain(v, depth + 1) for v in value)
    if type(value) is dict:
        return all(_plain(k, depth + 1) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _literal(value: Any, where: str) -> str:
    """``value`` as Python source that evaluates to an equal value and can do nothing else.

    Only plain values (str, int, float, bool, None, lists, tuples and dicts of them) qualify;
    their ``repr`` escapes quotes, backslashes, newlines, NUL and other non-printable
    characters. The text is read back with ``ast.literal_eval`` as a second guard.
    """
    if not _plain(value):
        raise ExportError(f"{where}: {type(value).__name__} value cannot be written into a "
                          "script; use a string, a finite number, true/false or a list of them")
    try:
        text = repr(value)
        same = ast.literal_eval(text) == value
    except (ValueError, SyntaxError, MemoryError, RecursionError) as err:
        raise ExportError(f"{where}: cannot be written into a script ({err})") from None
    if not same:
        raise ExportError(f"{where}: does not read back as the same value")
    return text


def _usage_name(file_name: str | None) -> str:
    """How the docstring names the script: the file written, when its name is plain ASCII
    (anything else could end the docstring); otherwise a description."""
    if file_name and _PLAIN_FILE_NAME.fullmatch(file_name):
        return file_name
    return "<this file>"


# ---- inlined ktui source ---------------------------------------------------------------------

def _layers_source() -> str:
    """ktui.core.layers without its ktui imports: the layer classes, verbatim. Read as text,
    so exporting does not import TensorFlow."""
    src = (_HERE / "layers.py").read_text(encoding="utf-8")
    src = src.split('"""', 2)[2]  # drop the module docstring
    src = src.replace("from __future__ import annotations\n", "")
    src = src.replace("from ktui.core.catalog import LAMBDA_OPS, SEEDED_KINDS\n",
                      f"LAMBDA_OPS = {catalog.LAMBDA_OPS!r}\n"
                      f"SEEDED_KINDS = frozenset({sorted(SEEDED_KINDS)!r})\n")
    if "ktui" in src.replace("package=\"ktui\"", ""):
        raise RuntimeError("layers.py gained a ktui import the exporter does not inline")
    return src.strip() + "\n"


def _definitions(path: Path) -> dict[str, str]:
    """Top-level functions and classes of a ktui module, by name, as source (decorators
    dropped: the script needs no Keras registration)."""
    text = path.read_text(encoding="utf-8")
    return {node.name: ast.get_source_segment(text, node) or ""
            for node in ast.parse(text).body
            if isinstance(node, ast.FunctionDef | ast.ClassDef)}


def _loss_source(name: str) -> str:
    """The per-example loss (and the helpers its registry entry needs) from
    ktui.core.losses, verbatim, and the batch mean the trainer takes of it."""
    functions = _definitions(_HERE / "losses.py")
    parts = [functions[n] for n in [*LOSS_REGISTRY[name].needs, name]]
    return ("\n\n\n".join(parts)
            + "\n\n\ndef loss_fn(y_true, y_pred):\n"
            + f"    return tf.reduce_mean({name}(y_true, y_pred))\n")


def _metrics_source() -> str:
    """ktui.core.metrics' metric classes and ``make_metric``, verbatim."""
    defs = _definitions(_HERE / "metrics.py")
    return "\n\n\n".join(defs[n] for n in ("SparseCategoricalAccuracy", "OneHotSoftmax",
                                           "make_metric")) + "\n"


# ---- the script's fixed parts ----------------------------------------------------------------

_LINEAR_DATA = '''
def draw_linear(rng, count, w, b, noise):
    x = rng.standard_normal((count, w.shape[0]))
    eps = rng.standard_normal(count)
    y = x @ w + b + noise * eps
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def load_data():
    """(x, y) for training, validation and test (None where there is none): y = x.W + b +
    noise; validation, then test, drawn after the training set from the same generator."""
    if EXPLICIT_X or EXPLICIT_Y:
        x = np.array(EXPLICIT_X, np.float32).reshape(-1, N_FEATURES)
        return (x, np.array(EXPLICIT_Y, np.float32).reshape(-1, 1)), None, None
    w = np.asarray(TRUE_W, dtype=np.float64)
    rng = np.random.default_rng(DATA_SEED)
    train = draw_linear(rng, N, w, TRUE_B, NOISE)
    held_out = max(1, round(N * VALIDATION_SPLIT)) if VALIDATION_SPLIT > 0 else 0
    if not held_out:
        return train, None, None
    val = draw_linear(rng, held_out, w, TRUE_B, NOISE)
    test = draw_linear(rng, held_out, w, TRUE_B, NOISE)
    return train, val, test
'''

_FASHION_DATA = '''
import gzip  # noqa: E402
from pathlib import Path  # noqa: E402

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")


def read_idx(path):
    """An IDX file (the original Fashion-MNIST format) as a numpy array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\\x1f\\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_files(folder):
    """The four files in ``folder`` (.gz or decompressed), or None if one is missing."""
    found = []
    for name in FILES:
        paths = [os.path.join(folder, n) for n in (name, name[:-3])]
        path = next((p for p in paths if os.path.isfile(p)), None)
        if path is None:
            return None
        found.append(path)
    return found


def find_data():
    keras_home = os.environ.get("KERAS_HOME") or os.path.expanduser("~/.keras")
    for folder in (DATA_DIR, os.environ.get("KTUI_DATA_DIR"),
                   os.path.join(keras_home, "datasets", "fashion-mnist"),
                   "/usr/share/datasets/fashion-mnist"):
        found = folder and find_files(os.path.expanduser(folder))
        if found:
            return found
    raise SystemExit("Fashion-MNIST not found: sudo apt-get install dataset-fashion-mnist, "
                     "or set KTUI_DATA_DIR to a folder holding " + ", ".join(FILES))


def load_data():
    """(x, y) for training, validation and test (None where there is none). Validation = the
    last split of the training file; training = the first SAMPLES of the rest; test = the
    t10k file; all standardised with the training images' mean and std."""
    images, labels, test_images, test_labels = (read_idx(p) for p in find_data())
    n_val = round(VALIDATION_SPLIT * len(images))
    rest = len(images) - n_val
    n_train = SAMPLES or rest
    train = images[:n_train]
    mean, std = 0.0, 255.0
    if STANDARDIZE:
        counts = np.bincount(train.ravel(), minlength=256).astype(np.float64)
        values = np.arange(256, dtype=np.float64)
        mean = float(counts @ values / counts.sum())
        std = float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum())) or 1.0

    def norm(a):
        out = a.astype(np.float32)
        out -= np.float32(mean)
        out /= np.float32(std)
        return out

    def split(x, y):
        return (norm(x), y.astype(np.int32)) if len(x) else None

    return (split(train, labels[:n_train]), split(images[rest:], labels[rest:]),
            split(test_images, test_labels))
'''

_LOOP = '''
def make_optimizer():
    return OPTIMIZER


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


def results(metrics, prefix=""):
    return [f"{prefix}{m.name} {fmt(float(m.result()))}" for m in metrics]


def main():
    keras.utils.set_random_seed(SEED)
    (x_train, y_train), val, test = load_data()
    model = build_model()
    optimizer = make_optimizer()
    optimizer.build(model.trainable_variables)
    variables = model.trainable_variables
    batch_size = BATCH_SIZE or len(x_train)
    train_loss, eval_loss = keras.metrics.Mean(), keras.metrics.Mean()
    train_metrics = [make_metric(name) for name in METRICS]
    eval_metrics = [make_metric(name) for name in METRICS]
    x_spec = tf.TensorSpec((None, *x_train.shape[1:]), tf.float32)
    y_spec = tf.TensorSpec((None, *y_train.shape[1:]), tf.as_dtype(y_train.dtype))

    @tf.function(input_signature=[x_spec, y_spec])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            pred = model(x, training=True)
            loss = loss_fn(y, pred)
            total = loss + tf.add_n(model.losses) if model.losses else loss
        grads = tape.gradient(total, variables)
        optimizer.apply(grads, variables)
        train_loss.update_state(loss)
        for metric in train_metrics:
            metric.update_state(y, pred)

    @tf.function(input_signature=[x_spec, y_spec])
    def eval_step(x, y):
        pred = model(x, training=False)
        eval_loss.update_state(loss_fn(y, pred))
        for metric in eval_metrics:
            metric.update_state(y, pred)

    def evaluate(split, prefix):
        """Loss (the mean of the batches' losses, as ktui) and metrics over one split."""
        eval_loss.reset_state()
        for metric in eval_metrics:
            metric.reset_state()
        for x, y in batches(*split, batch_size):
            eval_step(x, y)
        return [f"{prefix}loss {fmt(float(eval_loss.result()))}",
                *results(eval_metrics, prefix)]

    model.summary()
    width = len(str(EPOCHS))
    started = time.perf_counter()
    for epoch in range(1, EPOCHS + 1):
        epoch_started = time.perf_counter()
        train_loss.reset_state()
        for metric in train_metrics:
            metric.reset_state()
        for x, y in batches(x_train, y_train, batch_size, epoch if SHUFFLE else None):
            train_step(x, y)
        parts = [f"epoch {epoch:>{width}}/{EPOCHS}", f"loss {fmt(float(train_loss.result()))}"]
        validation = evaluate(val, "val_") if val is not None else []
        parts += validation[:1] + results(train_metrics) + validation[1:]
        parts.append(f"{time.perf_counter() - epoch_started:.2f}s")
        print("  ".join(parts), flush=True)
    line = f"done: {EPOCHS} epochs in {time.perf_counter() - started:.1f}s"
    if test is not None:
        line += "  " + "  ".join(evaluate(test, "test_"))
    print(line, flush=True)
    return model


if __name__ == "__main__":
    main()
'''


# ---- the spec's parts ------------------------------------------------------------------------

def _layer_call(layer: specmod.LayerSpec, index: int, seed: int) -> str:
    """``Dense(units=10, ..., name='dense_1')``: the kind and parameter names must be the
    catalog's (they become code); every value is a literal."""
    kind = LAYER_KINDS.get(layer.kind) if isinstance(layer.kind, str) else None
    if kind is None:
        raise ExportError(f"layer {index + 1}: unknown kind {_literal_or_type(layer.kind)}; "
                          f"use one of {', '.join(LAYER_KINDS)}")
    where = f"layer {index + 1} ({layer.kind})"
    known = {p.name for p in kind.params}
    params = layer.resolved()
    for key in params:
        if key not in known:
            raise ExportError(f"{where}: unknown parameter {_literal_or_type(key)}")
    if layer.kind in SEEDED_KINDS:
        own = params.get("seed", 0)
        params["seed"] = own if own else seed * 1009 + index * 31 + 1  # as ktui's build.py
    args = "".join(f"{k}={_literal(v, f'{where}.{k}')}, " for k, v in params.items())
    name = f"{layer.kind.lower()}_{index + 1}"  # as build.layer_name: 1-based, as users see
    cls = _CLASS_NAMES.get(layer.kind, layer.kind)
    return f"{cls}({args}name={name!r})"


def _literal_or_type(value: Any) -> str:
    return repr(value) if isinstance(value, str) else type(value).__name__


def _model_source(spec: ExperimentSpec, style: str) -> str:
    seed = spec.train.seed
    if type(seed) is not int:
        raise ExportError("train.seed: must be an integer")
    calls = [_layer_call(lay, i, seed) for i, lay in enumerate(spec.layers)]
    shape = _literal(tuple(spec.input_shape()), "dataset.n_features")
    name = _literal(identifier(spec.name, fallback="model"), "name")  # as build.model_name
    indent = " " * 8
    listed = "".join(f"{indent}{c},\n" for c in calls)
    if style == "sequential":
        return (f"def build_model():\n    return keras.Sequential([\n"
                f"{indent}keras.Input(shape={shape}),\n{listed}    ], name={name})\n")
    if style == "functional":
        body = "".join(f"    x = {c}(x)\n" for c in calls)
        return (f"def build_model():\n    inputs = keras.Input(shape={shape})\n    x = inputs\n"
                f"{body}    return keras.Model(inputs, x, name={name})\n")
    return textwrap.dedent(f'''
        class StackModel(keras.Model):
            """A keras.Model subclass holding its layers and chaining them in call()."""

            def __init__(self, **kwargs):
                super().__init__(**kwargs)
                self.stack = [
        {listed}        ]

            def call(self, inputs, training=None):
                x = inputs
                for layer in self.stack:
                    x = layer(x, training=training)
                return x


        def build_model():
            model = StackModel(name={name})
            model(keras.ops.zeros((1, *{shape})))
            return model
        ''').lstrip()


def _optimizer_source(t: specmod.TrainSpec) -> str:
    lr = _literal(t.learning_rate, "train.learning_rate")
    momentum = _literal(t.momentum, "train.momentum")
    if t.optimizer == "sgd":
        return f"keras.optimizers.SGD(learning_rate={lr}, momentum={momentum})"
    if t.optimizer == "rmsprop":
        return f"keras.optimizers.RMSprop(learning_rate={lr}, momentum={momentum})"
    return f"keras.optimizers.Adam(learning_rate={lr})"


def _check_names(spec: ExperimentSpec, style: str) -> None:
    """Names that select code must be ones ktui knows (they pick functions and classes)."""
    t = spec.train
    if style not in STYLES:
        raise ExportError(f"style must be one of {', '.join(STYLES)}; got "
                          f"{_literal_or_type(style)}")
    checks = (("train.loss", t.loss, specmod.LOSSES),
              ("train.optimizer", t.optimizer, specmod.OPTIMIZERS))
    for where, value, known in checks:
        if not isinstance(value, str) or value not in known:
            raise ExportError(f"{where}: must be one of {', '.join(known)}; got "
                              f"{_literal_or_type(value)}")
    if not isinstance(t.metrics, list):
        raise ExportError("train.metrics: must be a list of metric names")
    for i, metric in enumerate(t.metrics):
        if not isinstance(metric, str) or metric not in specmod.METRICS:
            raise ExportError(f"train.metrics[{i}]: must be one of "
                              f"{', '.join(specmod.METRICS)}; got {_literal_or_type(metric)}")
    if not isinstance(spec.dataset, LinearData | FashionData):
        raise ExportError("dataset: must be linear or fashion_mnist data")


def _constants(spec: ExperimentSpec, run_name: str) -> str:
    """The script's settings block: every value a checked literal."""
    t, d = spec.train, spec.dataset
    values: list[tuple[str, str, Any]] = [
        ("NAME", "name", spec.name),
        ("DESCRIPTION", "description", spec.description),
        ("RUN", "run name", run_name),
        ("SEED", "train.seed", t.seed),
        ("EPOCHS", "train.epochs", t.epochs),
        ("BATCH_SIZE", "train.batch_size", t.batch_size),
        ("SHUFFLE", "train.shuffle", t.shuffle),
        ("VALIDATION_SPLIT", "train.validation_split", t.validation_split),
        ("METRICS", "train.metrics", list(t.metrics)),
    ]
    if isinstance(d, FashionData):
        values += [("DATA_DIR", "dataset.data_dir", d.data_dir),
                   ("SAMPLES", "dataset.samples", d.samples),
                   ("STANDARDIZE", "dataset.standardize", d.standardize)]
    else:
        values += [("TRUE_W", "dataset.w", d.weights()), ("TRUE_B", "dataset.b", d.b),
                   ("NOISE", "dataset.noise", d.noise), ("N", "dataset.n", d.n),
                   ("N_FEATURES", "dataset.n_features", d.n_features),
                   ("DATA_SEED", "dataset.seed", d.seed),
                   ("EXPLICIT_X", "dataset.x", d.x), ("EXPLICIT_Y", "dataset.y", d.y)]
    for constant, where, value in values:
        if constant in ("SEED", "EPOCHS", "BATCH_SIZE", "N", "N_FEATURES", "DATA_SEED",
                        "SAMPLES") and type(value) is not int:
            raise ExportError(f"{where}: must be an integer, got {type(value).__name__}")
    notes = {"RUN": "  # the ktui run exported ('' = none)", "BATCH_SIZE": "  # 0 = full batch"}
    return "".join(f"{constant} = {_literal(value, where)}{notes.get(constant, '')}\n"
                   for constant, where, value in values)


def _header(file_name: str | None) -> str:
    """The docstring and imports: fixed text only (the experiment's own words are in NAME
    and DESCRIPTION, as literals), and the file name only when it is plain."""
    return f'''#!/usr/bin/env python3
"""A Keras experiment exported by ktui: NAME, DESCRIPTION and RUN below say which.

Needs only TensorFlow (Keras 3) and numpy: python3 {_usage_name(file_name)}
Prints, as `ktui train` does, each epoch's loss and metrics (val_: on the validation set),
then the test set's.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402
'''


def export_script(spec: ExperimentSpec, style: str | None = None, run_name: str = "",
                  file_name: str | None = None) -> str:
    """The standalone training script for ``spec`` (``style`` defaults to the spec's).

    ``run_name`` is recorded in the script's ``RUN``; ``file_name`` is the name of the file
    it will be written to, shown in its docstring's usage line (None: "<this file>").
    Raises :class:`ExportError` naming the field when the spec cannot be written safely.
    """
    style = style or spec.train.model_style
    _check_names(spec, style)
    if not isinstance(run_name, str):
        raise ExportError("run name: must be a string")
    t = spec.train
    data = _FASHION_DATA if isinstance(spec.dataset, FashionData) else _LINEAR_DATA
    layer_src = _layers_source().replace("import keras\nfrom keras import ops\n", "")
    layer_src = layer_src.replace("from typing import Any\n", "from typing import Any  # noqa\n")
    script = "\n".join([
        _header(file_name),
        _constants(spec, run_name),
        "# ---- the custom layers (ktui.core.layers) -----------------------------------------",
        layer_src,
        "# ---- data ---------------------------------------------------------------------------",
        data,
        "# ---- loss -----------------------------------------------------------------------------",
        _loss_source(t.loss),
        "# ---- metrics (ktui.core.metrics) ------------------------------------------------------",
        _metrics_source(),
        "# ---- model ----------------------------------------------------------------------------",
        _model_source(spec, style),
        "# ---- training loop --------------------------------------------------------------------",
        _LOOP.replace("OPTIMIZER", _optimizer_source(t)),
    ])
    try:
        compile(script, "<export>", "exec")
    except (SyntaxError, ValueError) as err:  # a bug here, never the user's text
        raise RuntimeError(f"the exported script does not compile: {err}") from err
    return script
