"""What changes with the dataset (ktui.core.spec.defaults): task defaults and the switch."""

from __future__ import annotations

from ktui.core.spec import validate
from ktui.core.spec.defaults import (
    TASK_DEFAULTS,
    Stash,
    apply_defaults,
    metric_choices,
    stack_fits,
    switch_dataset,
)
from ktui.core.spec.presets import get_preset


def test_metric_choices_fit_the_task() -> None:
    assert metric_choices(get_preset("linear-gd")) == ("mae", "mse", "rmse")
    assert metric_choices(get_preset("fashion-mlp"))[0] == "accuracy"
    assert "mae" not in metric_choices(get_preset("fashion-mlp"))


def test_switch_to_a_new_dataset_sets_its_task_defaults() -> None:
    spec, stash = get_preset("linear-gd"), Stash()
    switch = switch_dataset(spec, "fashion_mnist", stash)
    assert switch is not None and switch.layers_replaced
    assert spec.dataset.kind == "fashion_mnist" and spec.task == "classification"
    t, want = spec.train, TASK_DEFAULTS["classification"]
    assert (t.loss, t.optimizer, t.learning_rate, t.batch_size) == \
        (want.loss, want.optimizer, want.learning_rate, want.batch_size)
    assert t.metrics == ["accuracy"] and t.shuffle and t.momentum == 0.0
    assert [layer.kind for layer in spec.layers] == ["Flatten", "Dense", "Dense"]
    assert switch.message.startswith("Switched to Fashion-MNIST: loss, metrics")
    assert switch.message.endswith("the layers did not fit and are now "
                                   "Flatten → Dense 128 → Dense 10.")
    assert stack_fits(spec) and not validate(spec)
    assert set(stash) == {"linear"}


def test_switching_back_restores_what_the_user_had() -> None:
    spec, stash = get_preset("linear-gd"), Stash()
    before = spec.copy()
    switch_dataset(spec, "fashion_mnist", stash)
    switch = switch_dataset(spec, "linear", stash)
    assert switch is not None and switch.layers_replaced
    assert switch.message == ("Switched back to the linear dataset: its earlier settings and "
                              "layers are back.")
    assert spec.dataset == before.dataset and spec.train == before.train
    assert spec.layers == before.layers
    assert set(stash) == {"fashion_mnist"}


def test_a_stack_that_fits_is_left_alone_when_switching_back() -> None:
    spec, stash = get_preset("fashion-mlp"), Stash()
    mlp_layers = list(spec.layers)
    switch_dataset(spec, "linear", stash)  # the MLP cannot fit y = xW + b: replaced
    spec.layers = list(mlp_layers)  # the user puts a stack back that fits Fashion-MNIST
    switch = switch_dataset(spec, "fashion_mnist", stash)
    assert switch is not None and not switch.layers_replaced
    assert switch.message == "Switched back to Fashion-MNIST: its earlier settings are back."
    assert spec.layers == mlp_layers


def test_no_switch_for_the_same_or_an_unknown_kind() -> None:
    spec, stash = get_preset("linear-gd"), Stash()
    assert switch_dataset(spec, "linear", stash) is None
    assert switch_dataset(spec, "cifar", stash) is None
    assert spec == get_preset("linear-gd") and not stash


def test_apply_defaults_and_stack_fits() -> None:
    spec = get_preset("fashion-mlp")
    apply_defaults(spec.train, TASK_DEFAULTS["regression"])
    assert (spec.train.loss, spec.train.optimizer, spec.train.batch_size) == ("mse", "sgd", 32)
    assert stack_fits(get_preset("fashion-cnn"))
    empty = get_preset("linear-gd")
    empty.layers = []
    assert not stack_fits(empty)
