"""What an experiment is, in words: the description that follows a user's edits, and the
name an edited preset gets.

Pure functions of an :class:`ExperimentSpec` (no Textual, no TensorFlow): the setup view shows
them, a run's header, the runs list and the exporter read the description.
"""

from __future__ import annotations

from typing import Any

from ktui.core.datasets.base import count_words
from ktui.core.spec import ExperimentSpec, LayerSpec

#: How optimizers are written in a description.
OPTIMIZER_NAMES = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop"}


def _lr_words(lr: Any) -> str:
    """``3e-4``, ``0.001`` -> ``1e-3``, ``0.05``: short, as people write learning rates."""
    if not isinstance(lr, (int, float)):
        return str(lr)
    if 0 < lr < 0.01:
        mantissa, exponent = f"{lr:.2e}".split("e")
        return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"
    return f"{lr:g}"


def model_words(layers: list[LayerSpec]) -> str:
    """``Conv2D 32-64, Dense 128-10``: the sized layers, runs of one kind joined by dashes."""
    groups: list[tuple[str, list[str]]] = []
    for layer in layers:
        params = layer.params if isinstance(layer.params, dict) else {}
        size = params.get("units", params.get("filters"))
        if layer.kind in ("Dense", "Linear") and size is None:
            size = 32
        if layer.kind == "Conv2D" and size is None:
            size = 32
        if size is None:
            continue
        shown = str(size)[:12]  # a hand-edited value can be anything, of any length
        if groups and groups[-1][0] == layer.kind:
            groups[-1][1].append(shown)
        else:
            groups.append((layer.kind, [shown]))
    if not groups:
        kinds = [str(layer.kind) for layer in layers]
        if len(kinds) > 6:
            kinds = [*kinds[:4], f"… ({len(kinds)} layers)"]
        return " → ".join(kinds) if kinds else "no layers"
    words = [f"{kind} {_sizes(sizes)}" for kind, sizes in groups]
    if len(words) > 6:  # a description, not a listing: the summary has every layer
        words = [*words[:5], f"… ({len(layers)} layers)"]
    return ", ".join(words)


def _sizes(sizes: list[str]) -> str:
    """``200-300-100-10``; a long run as ``1-1-1-…-1 (500)``."""
    if len(sizes) <= 8:
        return "-".join(sizes)
    return f"{'-'.join(sizes[:3])}-…-{sizes[-1]} ({len(sizes)})"


def experiment_description(spec: ExperimentSpec) -> str:
    """``Dense 200-300-100-10 on Fashion-MNIST (10 000 images), Adam lr 3e-4, 10 epochs``:
    what an edited experiment is, for its run's header, the runs list and the export."""
    try:
        t = spec.train
        optimizer = OPTIMIZER_NAMES.get(t.optimizer, str(t.optimizer))
        epochs = f"{count_words(t.epochs)} epoch{'s' * (t.epochs != 1)}"
        return (f"{model_words(spec.layers)} on {spec.dataset.in_words()}, "
                f"{optimizer} lr {_lr_words(t.learning_rate)}, {epochs}")
    except Exception:  # an odd value: the field says what is wrong; no description then
        return ""


def headline(spec: ExperimentSpec) -> str:
    """What a run's header and its exported script say the experiment is: the spec's own
    description as written (a person's words, kept) and, after it, what the settings make
    of it now (derived, never written into a spec file, so it cannot go stale):
    ``Tutorial 001: ... · Dense 200-300-100-10 on Fashion-MNIST (10 000 images), Adam lr
    3e-4, 3 epochs``."""
    derived = experiment_description(spec)
    own = spec.description.strip() if isinstance(spec.description, str) else ""
    if own and derived and derived not in own:
        return f"{own} · {derived}"
    return own or derived


def custom_name(name: str) -> str:
    """``fashion-mlp`` -> ``fashion-mlp-custom`` (once)."""
    if not name:
        return "custom"
    return name if name.endswith("-custom") else f"{name}-custom"


def same_experiment(a: ExperimentSpec, b: ExperimentSpec) -> bool:
    """Equal in everything but name and description."""
    return a.dataset == b.dataset and a.layers == b.layers and a.train == b.train


__all__ = ["OPTIMIZER_NAMES", "custom_name", "experiment_description", "headline", "model_words",
           "same_experiment"]
