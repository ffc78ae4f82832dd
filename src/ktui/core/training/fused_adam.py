"""Adam and AdamW that update each variable with one fused kernel.

Keras' Adam writes an update as a dozen element-wise ops a variable (two moment updates, a
square root, a division...), each a memory-bound pass over the weights and an op for the
executor; TensorFlow's ``ResourceApplyAdam`` does the same arithmetic in one pass. On the
2-core box fashion-mlp's step runs 1.08-1.17× faster with it, fashion-cnn's the same
(``fused_adam_speedup``, benchmarks/README, session 10).

Everything else stays Keras': the moment variables are the ones ``Adam.build`` makes (so
checkpoints, their order and ``optimizer.variables`` are unchanged); loss scaling, gradient
accumulation, clipping, weight decay and the learning-rate schedule run in Keras' ``apply``
before :meth:`update_step` is called, EMA after it; the twins keep Keras' names (``adam``,
``adam_w``) and serialise as ``ktui>FusedAdam``/``ktui>FusedAdamW``. Any case the kernel does
not cover (amsgrad, a sparse gradient, a dtype other than float32/float64, a variable whose
moments it cannot find) is Keras' own ``update_step``. The moments are found through the
public ``add_variable_from_reference`` that ``build`` calls, and under a ``tf.distribute``
strategy through ``experimental_local_results``, so no private Keras name is read.
"""

# TensorFlow is imported after tfenv.ensure_imported() (see ktui.core.tfenv):
# ruff: noqa: E402

from __future__ import annotations

from typing import Any

from ktui.core import tfenv

tfenv.ensure_imported()

import keras
import tensorflow as tf

#: The dtypes ``ResourceApplyAdam`` has kernels for on every device ktui places on.
FUSED_DTYPES = (tf.float32, tf.float64)
#: The moments Keras' Adam makes for each variable, by the names it gives them.
MOMENTS = ("momentum", "velocity")


def _local(variable: Any) -> tuple[Any, ...]:
    """The per-device ``tf.Variable`` objects behind a Keras variable (one without a
    strategy; one a replica under ``MirroredStrategy``)."""
    value = variable.value if isinstance(variable, keras.Variable) else variable
    return tuple(tf.distribute.get_strategy().experimental_local_results(value))


class FusedUpdate:
    """The fused ``update_step``, mixed into Keras' Adam and AdamW (see the module)."""

    #: The name Keras' own class gives its instances (ours would be ``fused_adam``).
    keras_name = "adam"

    def __init__(self, *args: Any, name: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, name=name or self.keras_name, **kwargs)  # type: ignore[call-arg]

    def add_variable_from_reference(self, reference_variable: Any, name: str | None = None,
                                    initializer: Any = "zeros") -> Any:
        """Keras' slot variable, remembered per device for the variable it follows."""
        made = super().add_variable_from_reference(  # type: ignore[misc]
            reference_variable, name=name, initializer=initializer)
        if name in MOMENTS:  # in __dict__: not an attribute Keras' tracking would wrap
            slots = self.__dict__.setdefault("fused_slots", {})
            for var, slot in zip(_local(reference_variable), _local(made), strict=True):
                slots.setdefault(var.ref(), {})[name] = slot
        return made

    def update_step(self, gradient: Any, variable: Any, learning_rate: Any) -> Any:
        """One ``ResourceApplyAdam`` for a dense float32/64 gradient of a variable whose
        moments are known (Keras' bias correction: the powers at ``iterations + 1``);
        Keras' own update for anything else."""
        slots = self.__dict__.get("fused_slots", {}).get(variable.ref())
        if (slots is None or len(slots) != len(MOMENTS) or self.amsgrad  # type: ignore[attr-defined]
                or isinstance(gradient, tf.IndexedSlices) or variable.dtype not in FUSED_DTYPES):
            return super().update_step(gradient, variable, learning_rate)  # type: ignore[misc]
        dtype = variable.dtype
        step = tf.cast(self.iterations + 1, dtype)  # type: ignore[attr-defined]
        beta_1 = tf.cast(self.beta_1, dtype)  # type: ignore[attr-defined]
        beta_2 = tf.cast(self.beta_2, dtype)  # type: ignore[attr-defined]
        return tf.raw_ops.ResourceApplyAdam(
            var=variable.handle, m=slots["momentum"].handle, v=slots["velocity"].handle,
            beta1_power=tf.pow(beta_1, step), beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype), beta1=beta_1, beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),  # type: ignore[attr-defined]
            grad=tf.cast(gradient, dtype))


@keras.saving.register_keras_serializable(package="ktui")
class FusedAdam(FusedUpdate, keras.optimizers.Adam):
    """Keras' Adam, one kernel a variable."""


@keras.saving.register_keras_serializable(package="ktui")
class FusedAdamW(FusedUpdate, keras.optimizers.AdamW):
    """Keras' AdamW, one kernel a variable (the decay is Keras', before the update)."""

    keras_name = "adam_w"


def fused_kernels(concrete: Any) -> int:
    """How many fused Adam kernels a traced function (``tf.function``'s concrete function)
    holds, its nested functions (a ``tf.cond``'s branches, a loop's body) included: how the
    tests and the benchmark know the fused update is the one that runs."""
    graph = concrete.graph.as_graph_def()
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    return sum(n.op == "ResourceApplyAdam" for n in nodes)


#: Keras' class -> its fused twin (exact types: a user's subclass keeps its own update).
FUSED = {keras.optimizers.Adam: FusedAdam, keras.optimizers.AdamW: FusedAdamW}
