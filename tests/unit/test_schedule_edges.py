"""The schedules' edges ``make mutation`` found untested (issue 25.6): a cosine's decay length
when only the run's length gives it (checked against the cosine formula in numpy), the scale
variable's kind, ``set`` on a constant rate and at a zero point of the curve."""

from __future__ import annotations

import math

import keras
import pytest
import tensorflow as tf

from ktui.core.spec.steering import ScheduleSpec
from ktui.core.training.schedules import LearningRate, base_schedule, make_steered_rate


def cosine(step: float, lr: float, warmup: int, decay: int, alpha: float) -> float:
    """Warm-up from 0 to ``lr`` in ``warmup`` steps, then the cosine down to alpha·lr over
    ``decay`` steps (Loshchilov & Hutter's curve, Keras' definition of alpha)."""
    if step < warmup:
        return lr * step / warmup
    t = min(step - warmup, decay) / decay
    return lr * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * t)) + alpha)


@pytest.mark.parametrize(("total", "warmup"), [(40, 10), (11, 10), (10, 10)])
def test_cosine_decays_over_the_steps_after_the_warm_up(total: int, warmup: int) -> None:
    """Without decay_steps the cosine ends with the run: at least one step long."""
    spec = ScheduleSpec(kind="cosine", alpha=0.1, warmup_steps=warmup)
    rate = make_steered_rate(keras, tf, base_schedule(keras, spec, 0.2, 5, total))
    decay = max(total - warmup, 1)
    for step in sorted({0, warmup // 2, warmup, (warmup + total) // 2, total, total + 5}):
        assert float(rate(step)) == pytest.approx(cosine(step, 0.2, warmup, decay, 0.1),
                                                  rel=1e-5, abs=1e-7), step


def test_the_scale_is_one_untrained_float32_variable_read_from_the_first_replica() -> None:
    rate = make_steered_rate(keras, tf, 0.1)
    assert rate.scale.trainable is False and rate.scale.dtype == tf.float32
    assert rate.scale.aggregation == tf.VariableAggregation.ONLY_FIRST_REPLICA
    assert float(rate.scale) == 1.0


def test_config_names_the_base() -> None:
    assert make_steered_rate(keras, tf, 0.03).get_config() == {"base": 0.03}
    curve = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    assert make_steered_rate(keras, tf, curve).get_config() == {"base": str(curve)}


def test_set_on_a_constant_rate_and_where_the_curve_is_zero() -> None:
    optimizer = keras.optimizers.SGD(learning_rate=make_steered_rate(keras, tf, 0.1))
    rate = LearningRate(optimizer, optimizer._learning_rate)
    assert rate.set(0.05) == pytest.approx(0.05) and float(rate.scale) == pytest.approx(0.5)
    # at step 0 a warm-up's curve is 0: no scale makes it 0.3, and none is set (no inf)
    warm = base_schedule(keras, ScheduleSpec(kind="cosine", warmup_steps=4), 0.1, 5, 40)
    optimizer = keras.optimizers.SGD(learning_rate=make_steered_rate(keras, tf, warm))
    rate = LearningRate(optimizer, optimizer._learning_rate)
    assert rate.set(0.3) == 0.0 and float(rate.scale) == 1.0
