"""Export a run as a standalone Python script: TensorFlow/Keras and numpy only.

The script defines the custom layers (ktui's own source, so the math is identical), loads the
same data the same way, builds the model in the chosen style (the seeds' three: Sequential,
functional, subclassed), and trains it with a ``tf.function`` ``GradientTape`` loop using the
same seeds, shuffling and optimizer, so it reproduces the run's loss curve closely.
"""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from ktui.core import catalog
from ktui.core import spec as specmod
from ktui.core.catalog import SEEDED_KINDS
from ktui.core.spec import ExperimentSpec, FashionData

STYLES = specmod.MODEL_STYLES


_HERE = Path(__file__).parent
#: Catalog kind -> class name in layers.py, where they differ.
_CLASS_NAMES = {"Lambda": "MenuLambda"}


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


def _function_sources(path: Path) -> dict[str, str]:
    text = path.read_text(encoding="utf-8")
    return {node.name: ast.get_source_segment(text, node) or ""
            for node in ast.parse(text).body if isinstance(node, ast.FunctionDef)}


def _loss_source(name: str) -> str:
    """The loss function (and what it calls) from ktui.core.losses, verbatim."""
    functions = _function_sources(_HERE / "losses.py")
    needs = {"huber": ["huber_fn"], "kl_divergence": ["_one_hot_and_probs"],
             "cosine_similarity": ["_one_hot_and_probs"]}.get(name, [])
    parts = [functions[n] for n in [*needs, name]]
    return "\n\n\n".join(parts) + f"\n\n\nloss_fn = {name}\n"


_LINEAR_DATA = '''
def draw_linear(rng, count, w, b, noise):
    x = rng.standard_normal((count, w.shape[0]))
    eps = rng.standard_normal(count)
    y = x @ w + b + noise * eps
    return x.astype(np.float32), y.astype(np.float32).reshape(-1, 1)


def load_data():
    """y = x.W + b + noise; validation drawn after the training set from the same generator."""
    if EXPLICIT_X:
        x = np.array(EXPLICIT_X, np.float32).reshape(-1, N_FEATURES)
        return x, np.array(EXPLICIT_Y, np.float32).reshape(-1, 1), None, None
    w = np.asarray(TRUE_W, dtype=np.float64)
    rng = np.random.default_rng(DATA_SEED)
    x_train, y_train = draw_linear(rng, N, w, TRUE_B, NOISE)
    held_out = max(1, round(N * VALIDATION_SPLIT)) if VALIDATION_SPLIT > 0 else 0
    x_val, y_val = draw_linear(rng, held_out, w, TRUE_B, NOISE)
    return x_train, y_train, (x_val if held_out else None), (y_val if held_out else None)
'''

_FASHION_DATA = '''
import gzip
import os
from pathlib import Path

FILES = ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")


def read_idx(path):
    """An IDX file (the original Fashion-MNIST format) as a numpy array."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\\x1f\\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_dir():
    for d in (DATA_DIR, os.environ.get("KTUI_DATA_DIR"),
              os.path.expanduser("~/.keras/datasets/fashion-mnist"),
              "/usr/share/datasets/fashion-mnist"):
        if d and all(os.path.exists(os.path.join(d, f)) for f in FILES):
            return d
    raise SystemExit("Fashion-MNIST not found: sudo apt-get install dataset-fashion-mnist, "
                     "or set KTUI_DATA_DIR")


def load_data():
    """Validation = the last split of the training file; training = the first SAMPLES of the
    rest; standardised with the training images' mean and std."""
    d = find_dir()
    images = read_idx(os.path.join(d, FILES[0]))
    labels = read_idx(os.path.join(d, FILES[1])).astype(np.int32)
    n_val = round(VALIDATION_SPLIT * len(images))
    rest = len(images) - n_val
    n_train = SAMPLES or rest
    train = images[:n_train]
    if STANDARDIZE:
        counts = np.bincount(train.ravel(), minlength=256).astype(np.float64)
        values = np.arange(256, dtype=np.float64)
        mean = float(counts @ values / counts.sum())
        std = float(np.sqrt(counts @ (values - mean) ** 2 / counts.sum())) or 1.0
    else:
        mean, std = 0.0, 255.0

    def norm(a):
        return ((a.astype(np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32)

    x_val = norm(images[rest:]) if n_val else None
    y_val = labels[rest:] if n_val else None
    return norm(train), labels[:n_train], x_val, y_val
'''

_LOOP = '''
def make_optimizer():
    return OPTIMIZER


def dataset(x, y, epoch=None):
    """Index batches, shuffled per epoch with a stateless seed (as ktui does)."""
    xs, ys = tf.constant(x), tf.constant(y)
    idx = tf.range(tf.shape(xs, out_type=tf.int64)[0])
    if epoch is not None:
        idx = tf.random.experimental.stateless_shuffle(idx, seed=[SEED, epoch])
    ds = tf.data.Dataset.from_tensor_slices(idx).batch(BATCH_SIZE or len(x))
    ds = ds.map(lambda i: (tf.gather(xs, i), tf.gather(ys, i)))
    return ds.prefetch(tf.data.AUTOTUNE)


def main():
    keras.utils.set_random_seed(SEED)
    x_train, y_train, x_val, y_val = load_data()
    model = build_model()
    optimizer = make_optimizer()
    optimizer.build(model.trainable_variables)
    variables = model.trainable_variables
    train_loss = keras.metrics.Mean()
    x_spec = tf.TensorSpec((None, *x_train.shape[1:]), tf.float32)
    y_spec = tf.TensorSpec((None, *y_train.shape[1:]), tf.as_dtype(y_train.dtype))

    @tf.function(input_signature=[x_spec, y_spec])
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
            total = loss + tf.add_n(model.losses) if model.losses else loss
        grads = tape.gradient(total, variables)
        optimizer.apply(grads, variables)
        train_loss.update_state(loss)

    @tf.function(input_signature=[x_spec, y_spec])
    def eval_step(x, y):
        return loss_fn(y, model(x, training=False)) * tf.cast(tf.shape(x)[0], tf.float32)

    model.summary()
    for epoch in range(1, EPOCHS + 1):
        train_loss.reset_state()
        for x, y in dataset(x_train, y_train, epoch if SHUFFLE else None):
            train_step(x, y)
        line = f"epoch {epoch} loss {float(train_loss.result()):.6f}"
        if x_val is not None:
            total = sum(float(eval_step(x, y)) for x, y in dataset(x_val, y_val))
            line += f" val_loss {total / len(x_val):.6f}"
        print(line, flush=True)
    return model


if __name__ == "__main__":
    main()
'''


def _layer_call(layer: specmod.LayerSpec, index: int, seed: int) -> str:
    params = layer.resolved()
    if layer.kind in SEEDED_KINDS:
        own = params.get("seed", 0)
        params["seed"] = own if own else seed * 1009 + index * 31 + 1  # as ktui's build.py
    args = ", ".join(f"{k}={v!r}" for k, v in params.items())
    name = f"{layer.kind.lower()}_{index}"
    cls = _CLASS_NAMES.get(layer.kind, layer.kind)
    return f"{cls}({args}{', ' if args else ''}name={name!r})"


def _model_source(spec: ExperimentSpec, style: str) -> str:
    calls = [_layer_call(lay, i, spec.train.seed) for i, lay in enumerate(spec.layers)]
    shape = spec.input_shape()
    name = spec.name.replace("-", "_") or "model"
    indent = " " * 8
    listed = "".join(f"{indent}{c},\n" for c in calls)
    if style == "sequential":
        return (f"def build_model():\n    return keras.Sequential([\n"
                f"{indent}keras.Input(shape={shape!r}),\n{listed}    ], name={name!r})\n")
    if style == "functional":
        body = "".join(f"    x = {c}(x)\n" for c in calls)
        return (f"def build_model():\n    inputs = keras.Input(shape={shape!r})\n    x = inputs\n"
                f"{body}    return keras.Model(inputs, x, name={name!r})\n")
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
            model = StackModel(name={name!r})
            model(keras.ops.zeros((1, *{shape!r})))
            return model
        ''').lstrip()


def _optimizer_source(t: specmod.TrainSpec) -> str:
    if t.optimizer == "sgd":
        return f"keras.optimizers.SGD(learning_rate={t.learning_rate!r}, momentum={t.momentum!r})"
    if t.optimizer == "rmsprop":
        return (f"keras.optimizers.RMSprop(learning_rate={t.learning_rate!r}, "
                f"momentum={t.momentum!r})")
    return f"keras.optimizers.Adam(learning_rate={t.learning_rate!r})"


def export_script(spec: ExperimentSpec, style: str | None = None, run_name: str = "") -> str:
    """The standalone training script for ``spec`` (``style`` defaults to the spec's)."""
    style = style or spec.train.model_style
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}; got {style!r}")
    t = spec.train
    d = spec.dataset
    if isinstance(d, FashionData):
        constants = (f"DATA_DIR = {d.data_dir!r}\nSAMPLES = {d.samples!r}\n"
                     f"STANDARDIZE = {d.standardize!r}\n")
        data = _FASHION_DATA
    else:
        constants = (f"TRUE_W = {d.weights()!r}\nTRUE_B = {d.b!r}\nNOISE = {d.noise!r}\n"
                     f"N = {d.n!r}\nN_FEATURES = {d.n_features!r}\nDATA_SEED = {d.seed!r}\n"
                     f"EXPLICIT_X = {d.x!r}\nEXPLICIT_Y = {d.y!r}\n")
        data = _LINEAR_DATA
    header = f'''#!/usr/bin/env python3
"""{spec.name}: exported by ktui{f" from run {run_name}" if run_name else ""}.

{spec.description}

Needs only TensorFlow (Keras 3) and numpy: python3 {spec.name.replace("-", "_")}.py
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import ops  # noqa: E402

SEED = {t.seed!r}
EPOCHS = {t.epochs!r}
BATCH_SIZE = {t.batch_size!r}  # 0 = full batch
SHUFFLE = {t.shuffle!r}
VALIDATION_SPLIT = {t.validation_split!r}
{constants}
# ---- the custom layers (ktui.core.layers) ----------------------------------------------------
'''
    layer_src = _layers_source().replace("import keras\nfrom keras import ops\n", "")
    layer_src = layer_src.replace("from typing import Any\n", "from typing import Any  # noqa\n")
    return "\n".join([
        header, layer_src,
        "# ---- data ---------------------------------------------------------------------------",
        data,
        "# ---- loss -----------------------------------------------------------------------------",
        _loss_source(t.loss),
        "# ---- model ----------------------------------------------------------------------------",
        _model_source(spec, style),
        "# ---- training loop --------------------------------------------------------------------",
        _LOOP.replace("OPTIMIZER", _optimizer_source(t)),
    ])
