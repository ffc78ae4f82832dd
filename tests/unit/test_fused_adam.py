"""ktui's Adam and AdamW (one ``ResourceApplyAdam`` kernel a variable, issue 24 item 3) against
Keras' own Adam and AdamW, the independent reference: the same weights and moments step by
step with decay, clipping, a schedule and float64; Keras' update wherever the kernel does not
apply (amsgrad, sparse gradients); a checkpoint written with Keras' Adam resumes; ktui's own
step (``Steps``) with and without XLA; Keras' names and serialisation; the fused kernel is
really in the traced step (else the comparisons could not fail); and the same under
``MirroredStrategy`` on two logical CPU devices, in a fresh process.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from ktui.core.choices import LOSSES
from ktui.core.losses import batch_mean
from ktui.core.runs.keras_sink import make_checkpoint
from ktui.core.spec import TrainSpec
from ktui.core.training.assemble import make_optimizer
from ktui.core.training.fused_adam import FusedAdam, FusedAdamW, fused_kernels
from ktui.core.training.steps import Insight, Steps

ROOT = Path(__file__).resolve().parents[2]


def model_of(dtype: str = "float32", embedding: bool = False) -> keras.Model:
    keras.utils.set_random_seed(3)
    if embedding:
        return keras.Sequential([keras.Input((4,), dtype="int32"),
                                 keras.layers.Embedding(50, 6), keras.layers.Flatten(),
                                 keras.layers.Dense(3)])
    return keras.Sequential([keras.Input((12,)),
                             keras.layers.Dense(16, activation="tanh", dtype=dtype),
                             keras.layers.Dense(3, dtype=dtype)])


def data(embedding: bool = False) -> tuple[tf.Tensor, tf.Tensor]:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, (32, 4)) if embedding else rng.normal(size=(32, 12))
    return (tf.constant(x.astype("int32" if embedding else "float32")),
            tf.constant(rng.integers(0, 3, 32)))


def train(optimizer: keras.Optimizer, steps: int, model: keras.Model | None = None,
          embedding: bool = False) -> tuple[keras.Model, int]:
    """``steps`` tape steps with ``optimizer``; the model and the fused kernels traced."""
    model = model or model_of(embedding=embedding)
    x, y = data(embedding)
    optimizer.build(model.trainable_variables)

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            pred = tf.cast(model(x, training=True), tf.float32)
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(
                y, pred, from_logits=True))
            if hasattr(optimizer, "scale_loss"):  # LossScaleOptimizer: as ktui's step does
                loss = optimizer.scale_loss(loss)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply(grads, model.trainable_variables)

    for _ in range(steps):
        step()
    return model, fused_kernels(step.get_concrete_function())


#: Over 40 steps with the default betas the two round differently (the kernel's
#: ``beta_1 * m + (1 - beta_1) * g`` against Keras' ``m + (g - m) * (1 - beta_1)``): measured
#: 1.8e-7 after one step, 9.5e-6 after 40, growing with the steps as rounding does (faster
#: with beta_2 nearer 1: 1 - beta_2 is formed in float32); a wrong formula is off by orders
#: more.
DRIFT = 5e-5


def assert_same(a: list, b: list, tol: float = DRIFT) -> None:
    for ours, theirs in zip(a, b, strict=True):
        np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=tol, atol=tol)


def weights(model: keras.Model) -> list[np.ndarray]:
    return [v.numpy() for v in model.trainable_variables]


def state(optimizer: keras.Optimizer) -> list[np.ndarray]:
    return [v.numpy() for v in optimizer.variables]


CASES = {
    "adam": (keras.optimizers.Adam, FusedAdam, {}),
    "adam, decay and clipnorm": (keras.optimizers.Adam, FusedAdam,
                                 {"weight_decay": 0.01, "clipnorm": 0.3}),
    "adamw, other betas": (keras.optimizers.AdamW, FusedAdamW,
                           {"weight_decay": 0.004, "beta_1": 0.8, "beta_2": 0.99,
                            "epsilon": 1e-4}),
    "adam, a schedule": (keras.optimizers.Adam, FusedAdam, {
        "learning_rate": keras.optimizers.schedules.ExponentialDecay(0.05, 5, 0.5)}),
}


def test_one_update_equals_adam_written_in_numpy() -> None:
    """From a state mid-run (step 7, moments of either sign and size), one update against
    Adam's formulas (Kingma & Ba, algorithm 1, as Keras writes them) in float64 numpy."""
    rng = np.random.default_rng(5)
    w0, m0 = rng.normal(size=(5, 4)), rng.normal(scale=0.1, size=(5, 4))
    v0, g = rng.uniform(1e-6, 0.05, size=(5, 4)), rng.normal(size=(5, 4))
    # float32 inputs, float64 arithmetic: the reference rounds only once, at the end
    w0, m0, v0, g = (a.astype("float32").astype("float64") for a in (w0, m0, v0, g))
    # The hyperparameters as a float32 variable holds them: the kernel takes beta_2 in the
    # variable's dtype and forms 1 - beta_2 there (1.3e-5 off 0.001, relatively; Keras forms
    # it in Python's float64 first, another of the roundings DRIFT allows for).
    lr, b1, b2, eps = (float(np.float32(h)) for h in (0.01, 0.9, 0.999, 1e-7))
    t = 8
    optimizer = FusedAdam(lr)
    var = keras.Variable(w0.astype("float32"))
    optimizer.build([var])
    optimizer.iterations.assign(t - 1)
    for slot, value in zip(optimizer.variables[-2:], (m0, v0), strict=True):
        slot.assign(value.astype("float32"))
    kernels = tf.function(lambda: optimizer.apply([tf.constant(g, tf.float32)], [var]))
    kernels()
    assert fused_kernels(kernels.get_concrete_function()) == 1

    m = m0 + (g - m0) * (1 - b1)
    v = v0 + (g * g - v0) * (1 - b2)
    alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    np.testing.assert_allclose(optimizer.variables[-2].numpy(), m, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(optimizer.variables[-1].numpy(), v, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(var.numpy(), w0 - alpha * m / (np.sqrt(v) + eps),
                               rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", list(CASES))
def test_the_fused_update_equals_keras(case: str) -> None:
    theirs_cls, ours_cls, kw = CASES[case]
    kw = {"learning_rate": 0.02, **kw}
    theirs, ours = theirs_cls(**kw), ours_cls(**kw)
    their_model, their_kernels = train(theirs, 40)
    our_model, our_kernels = train(ours, 40)
    assert (their_kernels, our_kernels) == (0, 4)  # one a variable: 2 kernels, 2 biases
    assert_same(weights(our_model), weights(their_model))
    assert_same(state(ours), state(theirs))
    def layout(optimizer):  # a slot's kind and shape, in order (its name has the model's)
        return [(v.name.rsplit("_", 1)[-1], tuple(v.shape)) for v in optimizer.variables]

    assert layout(ours) == layout(theirs)
    assert np.max(np.abs(weights(our_model)[0] - weights(model_of())[0])) > 0.01  # it moved


def test_float64_variables_take_the_fused_kernel_too() -> None:
    theirs, ours = keras.optimizers.Adam(0.01), FusedAdam(0.01)
    their_model, _ = train(theirs, 20, model_of("float64"))
    our_model, kernels = train(ours, 20, model_of("float64"))
    assert kernels == 4
    assert_same(weights(our_model), weights(their_model))  # its loss is float32, as ktui's


def test_under_float16_loss_scaling_the_inner_update_is_fused() -> None:
    """``mixed_float16`` keeps float32 variables: ``LossScaleOptimizer`` unscales the
    gradients and its inner Adam takes the fused kernel."""
    def scaled(cls):
        return keras.optimizers.LossScaleOptimizer(cls(0.01))

    theirs, ours = scaled(keras.optimizers.Adam), scaled(FusedAdam)
    their_model, _ = train(theirs, 20, model_of("mixed_float16"))
    our_model, kernels = train(ours, 20, model_of("mixed_float16"))
    assert kernels == 4
    # measured 1e-4: a float16 activation rounding the other way moves on; the weights move 0.2
    assert_same(weights(our_model), weights(their_model), tol=1e-3)
    assert np.max(np.abs(weights(our_model)[0] - weights(model_of())[0])) > 0.01


def test_amsgrad_is_keras_update() -> None:
    theirs, ours = keras.optimizers.Adam(0.02, amsgrad=True), FusedAdam(0.02, amsgrad=True)
    their_model, _ = train(theirs, 15)
    our_model, kernels = train(ours, 15)
    assert kernels == 0
    assert_same(weights(our_model), weights(their_model), tol=0)


def test_a_sparse_gradient_is_keras_update_and_the_dense_ones_fused() -> None:
    theirs, ours = keras.optimizers.Adam(0.02), FusedAdam(0.02)
    their_model, _ = train(theirs, 15, embedding=True)
    our_model, kernels = train(ours, 15, embedding=True)
    assert kernels == 2  # the Dense layer's kernel and bias; the embedding's rows are Keras'
    assert_same(weights(our_model), weights(their_model))


def test_a_checkpoint_written_with_keras_adam_resumes_with_the_fused_one(tmp_path) -> None:
    """Runs recorded before this change resume: the moments are the same variables, in the
    same order, under the same checkpoint names."""
    theirs = keras.optimizers.Adam(0.02)
    model, _ = train(theirs, 10)
    make_checkpoint(model, theirs).write(str(tmp_path / "ckpt"))
    reference, _ = train(theirs, 10, model)  # Keras' Adam goes on: the reference

    ours = FusedAdam(0.02)
    resumed = model_of()
    ours.build(resumed.trainable_variables)
    make_checkpoint(resumed, ours).read(str(tmp_path / "ckpt")).assert_consumed()
    assert int(ours.iterations.numpy()) == 10
    resumed, kernels = train(ours, 10, resumed)
    assert kernels == 4
    assert_same(weights(resumed), weights(reference))


@pytest.mark.parametrize("jit", [False, True], ids=["graph", "xla"])
def test_ktuis_own_step_takes_the_kernel_and_equals_keras(jit: bool) -> None:
    """The trainer's compiled step (:class:`Steps`: the NaN guard's ``tf.cond``, gradient
    norms, metrics), with and without XLA, against the same step with Keras' Adam."""
    x, y = data()

    def steps_with(cls):
        model = model_of()
        optimizer = cls(0.02)
        optimizer.build(model.trainable_variables)
        steps = Steps(model, optimizer, batch_mean(LOSSES["sparse_categorical_crossentropy"]
                                                   .load()), ["accuracy"], (12,),
                      y.numpy(), jit, insight=Insight(3, (("all", (0, 1, 2, 3)),)))
        for _ in range(25):
            steps.train(x, y)
        return model, fused_kernels(steps.train_function.get_concrete_function())

    (theirs, their_kernels), (ours, our_kernels) = (steps_with(keras.optimizers.Adam),
                                                    steps_with(FusedAdam))
    assert (their_kernels, our_kernels) == (0, 4)
    assert_same(weights(ours), weights(theirs))


def test_the_twins_keep_keras_names_and_serialise() -> None:
    """Keras names its instances after the class (``adam``, ``adam_1``...; ``adam_w``): the
    twins are named as Keras' first instance, and round-trip through Keras' serialisation."""
    for ours, keras_name in ((FusedAdam(0.01), "adam"), (FusedAdamW(0.01), "adam_w")):
        assert ours.name == keras_name
        config = keras.optimizers.serialize(ours)
        again = keras.optimizers.deserialize(config)
        assert type(again) is type(ours)
        assert again.get_config() == ours.get_config()


@pytest.mark.parametrize(("name", "precision", "expected"), [
    ("adam", "float32", FusedAdam), ("adamw", "float32", FusedAdamW),
    ("adam", "mixed_float16", FusedAdam), ("sgd", "float32", keras.optimizers.SGD)])
def test_the_trainer_makes_the_fused_optimizers(name: str, precision: str, expected) -> None:
    optimizer, _ = make_optimizer(TrainSpec(optimizer=name, precision=precision), 10, 100)
    inner = getattr(optimizer, "inner_optimizer", optimizer)
    assert type(inner) is expected
    assert isinstance(optimizer, keras.optimizers.LossScaleOptimizer) == (
        precision == "mixed_float16")


MIRRORED = textwrap.dedent("""
    import json, sys
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    import keras
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    from tests.unit.test_fused_adam import data, model_of
    from ktui.core.training.fused_adam import FusedAdam, fused_kernels

    def run(cls):
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        x, y = data()
        with strategy.scope():
            model, optimizer = model_of(), cls(0.02)
            optimizer.build(model.trainable_variables)

        @tf.function
        def step():
            def replica():  # each replica its half of the batch
                half = tf.distribute.get_replica_context().replica_id_in_sync_group * 16
                x_, y_ = x[half:half + 16], y[half:half + 16]
                with tf.GradientTape() as tape:
                    loss = tf.reduce_sum(keras.losses.sparse_categorical_crossentropy(
                        y_, model(x_, training=True), from_logits=True)) / 32
                grads = tape.gradient(loss, model.trainable_variables)
                optimizer.apply(grads, model.trainable_variables)
            strategy.run(replica)

        for _ in range(10):
            step()
        replicas = [[w.numpy().tolist() for w in strategy.experimental_local_results(v.value)]
                    for v in model.trainable_variables]
        return replicas, fused_kernels(step.get_concrete_function())

    print(json.dumps({"keras": run(keras.optimizers.Adam), "fused": run(FusedAdam)}))
""")


@pytest.mark.slow
def test_under_mirrored_strategy_each_replica_takes_the_fused_kernel() -> None:
    done = subprocess.run([sys.executable, "-c", MIRRORED, str(ROOT)], capture_output=True,
                          text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    (theirs, their_kernels), (ours, our_kernels) = out["keras"], out["fused"]
    assert their_kernels == 0 and our_kernels == 8  # 4 variables on each of 2 replicas
    for their_var, our_var in zip(theirs, ours, strict=True):
        np.testing.assert_allclose(our_var[0], our_var[1], rtol=0, atol=0)  # replicas agree
        np.testing.assert_allclose(our_var[0], their_var[0], rtol=DRIFT, atol=DRIFT)
