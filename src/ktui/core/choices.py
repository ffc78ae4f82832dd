"""Every named choice of an experiment, described once: losses, metrics, optimizers,
initializers and activations.

Each :class:`Entry` says which tasks it fits, a line of help, and how to make it: an
implementation named as ``"module:attribute"`` and imported only when first built (so the
spec, the form and the validator stay free of TensorFlow), or a Keras config dict that
``keras.<kind>.get`` turns into an object and the exporter writes into a script with
``repr()``. The spec validator, the TUI's choices, the trainer and the exporter all read these
tables: adding a loss is one entry here plus its function.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ktui.core.text import brief

Task = Literal["regression", "classification"]
TASKS: tuple[Task, ...] = ("regression", "classification")


@dataclass(frozen=True)
class Entry:
    """One named choice.

    Attributes:
        name: The name used in specs, the CLI and the form.
        help: One line for the form's hint and the README.
        tasks: The tasks it fits (a regression loss on class labels is refused early).
        impl: ``"module:attribute"`` of the implementation, imported on first use.
        config: A Keras ``{"class_name": ..., "config": {...}}`` for objects Keras builds.
        uses: Spec fields it reads (an optimizer's ``momentum``), so others are not passed;
            for an initializer, the arguments it takes (``value``, ``seed``).
        needs: Helper functions the exporter must inline before ``impl`` (a loss's helpers).
    """

    name: str
    help: str
    tasks: tuple[Task, ...] = TASKS
    impl: str = ""
    config: Mapping[str, Any] = field(default_factory=dict)
    uses: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    #: Metrics: whether a bigger value is better (accuracy), as Keras' ``mode="auto"`` decides.
    higher_is_better: bool = False

    def fits(self, task: str) -> bool:
        return task in self.tasks

    def load(self) -> Any:
        """The implementation named by ``impl`` (imports its module on first use)."""
        module, _, attr = self.impl.partition(":")
        return getattr(importlib.import_module(module), attr)


class Registry(Mapping[str, Entry]):
    """Entries of one kind by name, in the order they are offered."""

    def __init__(self, kind: str, entries: tuple[Entry, ...]) -> None:
        self.kind = kind
        self._entries = {e.name: e for e in entries}

    def __getitem__(self, name: str) -> Entry:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def names(self, task: str | None = None) -> tuple[str, ...]:
        """Every name, or those that fit ``task``."""
        return tuple(n for n, e in self._entries.items() if task is None or e.fits(task))

    def problem(self, value: Any, task: str | None = None, task_words: str = "") -> str | None:
        """Why ``value`` is not a usable name here (wrong type, unknown, wrong task), or None.

        The message has no path; callers prefix it (``train.loss: ...``).
        """
        if not isinstance(value, str):
            return f"must be one of {', '.join(self.names(task))}; got {brief(value)}"
        entry = self._entries.get(value)
        if entry is None:
            return f"must be one of {', '.join(self)}; got {brief(value)}"
        if task is not None and not entry.fits(task):
            return (f"{value} does not fit {task}{f' ({task_words})' if task_words else ''}; "
                    f"use one of {', '.join(self.names(task))}")
        return None


LOSSES = Registry("loss", (
    Entry("mse", "mean squared error", ("regression",), "ktui.core.losses:mse"),
    Entry("mae", "mean absolute error", ("regression",), "ktui.core.losses:mae"),
    Entry("huber", "Huber loss, delta 1 (tutorial 002's huber_fn)", ("regression",),
          "ktui.core.losses:huber", needs=("huber_fn",)),
    Entry("sparse_categorical_crossentropy",
          "cross-entropy of integer labels against logits (tutorial 001)", ("classification",),
          "ktui.core.losses:sparse_categorical_crossentropy"),
    Entry("kl_divergence", "KL(one-hot labels || softmax of logits)", ("classification",),
          "ktui.core.losses:kl_divergence", needs=("_one_hot_and_probs",)),
    Entry("cosine_similarity", "negative cosine similarity of one-hot labels and softmax",
          ("classification",), "ktui.core.losses:cosine_similarity",
          needs=("_one_hot_and_probs",)),
))

METRICS = Registry("metric", (
    Entry("accuracy", "fraction of argmax predictions equal to the label", ("classification",),
          "ktui.core.metrics:SparseCategoricalAccuracy", higher_is_better=True),
    Entry("auc", "ROC AUC of one-hot labels vs softmax (micro-averaged)", ("classification",),
          "ktui.core.metrics:OneHotSoftmax", {"class_name": "AUC"}, higher_is_better=True),
    Entry("precision", "precision of softmax > 0.5 (micro-averaged)", ("classification",),
          "ktui.core.metrics:OneHotSoftmax", {"class_name": "Precision"},
          higher_is_better=True),
    Entry("recall", "recall of softmax > 0.5 (micro-averaged)", ("classification",),
          "ktui.core.metrics:OneHotSoftmax", {"class_name": "Recall"},
          higher_is_better=True),
    Entry("mae", "mean absolute error", ("regression",),
          config={"class_name": "MeanAbsoluteError"}),
    Entry("mse", "mean squared error", ("regression",), config={"class_name": "MeanSquaredError"}),
    Entry("rmse", "root mean squared error", ("regression",),
          config={"class_name": "RootMeanSquaredError"}),
))

OPTIMIZERS = Registry("optimizer", (
    Entry("sgd", "plain or momentum gradient descent (nesterov applies)",
          config={"class_name": "SGD"},
          uses=("learning_rate", "momentum", "nesterov", "weight_decay")),
    Entry("rmsprop", "RMSprop (momentum applies)", config={"class_name": "RMSprop"},
          uses=("learning_rate", "momentum", "weight_decay")),
    Entry("adam", "Adam", config={"class_name": "Adam"}, uses=("learning_rate", "weight_decay")),
    Entry("adamw", "Adam with decoupled weight decay (train.weight_decay; try 0.004)",
          config={"class_name": "AdamW"}, uses=("learning_rate", "weight_decay")),
))

INITIALIZERS = Registry("initializer", (
    Entry("glorot_uniform", "U(±sqrt(6 / (fan_in + fan_out))), Keras' default",
          config={"class_name": "GlorotUniform", "config": {}}, uses=("seed",)),
    Entry("uniform", "U(-0.05, 0.05), Keras' historical 'uniform' (tutorial 001)",
          config={"class_name": "RandomUniform", "config": {"minval": -0.05, "maxval": 0.05}},
          uses=("seed",)),
    Entry("random_normal", "N(0, 0.05²) (tutorial 002)",
          config={"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.05}},
          uses=("seed",)),
    Entry("zeros", "all zeros (tutorial 003)", config={"class_name": "Zeros", "config": {}}),
    Entry("ones", "all ones", config={"class_name": "Ones", "config": {}}),
    Entry("constant", "one value, given beside it (tutorial 000's W=5, b=0)",
          config={"class_name": "Constant", "config": {}}, uses=("value",)),
))
#: Initializer name -> (its Keras config, the arguments it takes): the plain table that
#: :func:`initializer_config` reads, so the exporter can write both into a script verbatim.
INITIALIZER_CONFIGS = {name: (dict(e.config), e.uses) for name, e in INITIALIZERS.items()}

ACTIVATIONS = Registry("activation", tuple(
    Entry(name, text) for name, text in (
        ("linear", "none: the affine map as it is (logits)"),
        ("relu", "max(x, 0)"),
        ("sigmoid", "1 / (1 + e^-x)"),
        ("tanh", "hyperbolic tangent"),
        ("softmax", "a probability distribution over the last axis"),
        ("selu", "scaled ELU (self-normalising)"),
        ("elu", "x, or e^x - 1 below 0"),
        ("gelu", "Gaussian error linear unit"),
        ("swish", "x · sigmoid(x)"),
    )
))


def optimizer_config(name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The Keras config of optimizer ``name`` with the spec's values for the fields it uses
    (``keras.optimizers.get`` builds it; the exporter writes it verbatim)."""
    entry = OPTIMIZERS[name]
    config = {key: settings[key] for key in entry.uses if key in settings}
    return {"class_name": entry.config["class_name"], "config": config}


def initializer_config(name: str, value: float = 0.0, seed: int | None = None
                       ) -> dict[str, Any]:
    """The Keras config of initializer ``name``; ``value`` feeds ``constant``, ``seed`` the
    random ones (explicit, so a run is reproducible whichever thread builds it).

    Reads only :data:`INITIALIZER_CONFIGS`: exported scripts hold this function verbatim.
    """
    if name not in INITIALIZER_CONFIGS:
        raise ValueError(f"unknown initializer {name!r}")
    base, uses = INITIALIZER_CONFIGS[name]
    given = {"value": float(value), "seed": seed}
    return {"class_name": base["class_name"],
            "config": {**base["config"], **{key: given[key] for key in uses}}}
