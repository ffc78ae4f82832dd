"""The tutorials' experiments (the five seed tutorials ktui grew from) as named specs.

Each preset says which tutorial it reproduces, in words that name no setting (epochs, rates,
sizes: those are the spec's own, and :func:`ktui.core.spec.describe.headline` says them as
they are), so an edited copy never carries a stale number.
"""

from __future__ import annotations

from collections.abc import Callable

from ktui.core.datasets import FashionData, LinearData
from ktui.core.spec import ExperimentSpec, LayerSpec, TrainSpec


def _linear_gd() -> ExperimentSpec:
    return ExperimentSpec(
        name="linear-gd",
        description="Tutorial 000: fit y = 3x + 2 + noise by full-batch gradient descent, "
        "W and b starting from 5 and 0.",
        dataset=LinearData(w=[3.0], b=2.0, noise=1.0, n=1000, n_features=1, seed=0),
        layers=[LayerSpec("Dense", {"units": 1, "kernel_initializer": "constant",
                                    "kernel_value": 5.0, "bias_initializer": "constant",
                                    "bias_value": 0.0})],
        train=TrainSpec(loss="mse", optimizer="sgd", learning_rate=0.1, metrics=["mae"],
                        epochs=10, batch_size=0, validation_split=0.2, shuffle=False),
    )


def _mlp_layers() -> list[LayerSpec]:
    dense = {"activation": "relu", "kernel_initializer": "uniform", "bias_initializer": "zeros"}
    return [
        LayerSpec("Reshape", {"target_shape": [784]}),
        LayerSpec("Dense", {"units": 200, **dense}),
        LayerSpec("Dense", {"units": 300, **dense}),
        LayerSpec("Dense", {"units": 100, **dense}),
        LayerSpec("Dense", {"units": 10, "kernel_initializer": "uniform",
                            "bias_initializer": "zeros"}),
    ]


def _fashion_mlp() -> ExperimentSpec:
    return ExperimentSpec(
        name="fashion-mlp",
        description="Tutorial 001: custom Dense layers (relu, then 10 logits) on "
        "standardised Fashion-MNIST images.",
        dataset=FashionData(samples=10_000, standardize=True),
        layers=_mlp_layers(),
        train=TrainSpec(loss="sparse_categorical_crossentropy", optimizer="adam",
                        learning_rate=3e-4, metrics=["accuracy"], epochs=10, batch_size=256,
                        validation_split=0.1, log_every=5),
    )


def _linear_functional() -> ExperimentSpec:
    return ExperimentSpec(
        name="linear-functional",
        description="Tutorial 002: the custom Linear layer in a functional model "
        "(Input -> Linear).",
        dataset=LinearData(),
        layers=[LayerSpec("Linear", {"units": 1})],
        # The seed compiles with Adam's default lr 1e-3, which needs ~100 epochs to reach
        # W=3 from ~0; 0.05 gets there in 20 so the preset shows the fit, not a plateau.
        train=TrainSpec(loss="mse", optimizer="adam", learning_rate=0.05, metrics=["mae"],
                        epochs=20, batch_size=32, model_style="functional"),
    )


def _linear_subclassed() -> ExperimentSpec:
    return ExperimentSpec(
        name="linear-subclassed",
        description="Tutorial 003: a subclassed keras.Model wrapping Dense(1), on two "
        "explicit points X=[[1,2,3],[4,5,6]], y=[10,20].",
        dataset=LinearData(n_features=3, x=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], y=[10.0, 20.0]),
        layers=[LayerSpec("Dense", {"units": 1, "kernel_initializer": "zeros",
                                    "bias_initializer": "zeros"})],
        train=TrainSpec(loss="mse", optimizer="sgd", learning_rate=0.01, metrics=["mae"],
                        epochs=100, batch_size=0, shuffle=False, model_style="subclassed",
                        log_every=1),
    )


def _fashion_cnn() -> ExperimentSpec:
    return ExperimentSpec(
        name="fashion-cnn",
        description="A small convnet (Conv2D and MaxPooling2D twice, Dense, Dropout) on "
        "Fashion-MNIST; reaches >= 0.91 test accuracy on all of it.",
        dataset=FashionData(samples=0, standardize=True),
        layers=[
            LayerSpec("Reshape", {"target_shape": [28, 28, 1]}),
            LayerSpec("Conv2D", {"filters": 32, "kernel_size": [3, 3], "activation": "relu",
                                 "padding": "same"}),
            LayerSpec("MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2]}),
            LayerSpec("Conv2D", {"filters": 64, "kernel_size": [3, 3], "activation": "relu",
                                 "padding": "same"}),
            LayerSpec("MaxPooling2D", {"pool_size": [2, 2], "strides": [2, 2]}),
            LayerSpec("Flatten"),
            LayerSpec("Dense", {"units": 128, "activation": "relu"}),
            LayerSpec("Dropout", {"rate": 0.3}),
            LayerSpec("Dense", {"units": 10}),
        ],
        train=TrainSpec(loss="sparse_categorical_crossentropy", optimizer="adam",
                        learning_rate=1e-3, metrics=["accuracy"], epochs=10, batch_size=128,
                        validation_split=0.1, log_every=20),
    )


PRESETS: dict[str, Callable[[], ExperimentSpec]] = {
    "linear-gd": _linear_gd,
    "linear-functional": _linear_functional,
    "linear-subclassed": _linear_subclassed,
    "fashion-mlp": _fashion_mlp,
    "fashion-cnn": _fashion_cnn,
}
DEFAULT_PRESET = "linear-gd"


def get_preset(name: str) -> ExperimentSpec:
    """A fresh copy of the named preset; ``KeyError`` names the known ones."""
    try:
        return PRESETS[name]()
    except KeyError:
        raise KeyError(f"unknown preset {name!r}; known: {', '.join(PRESETS)}") from None
