"""Spec -> ``keras.Model`` in the seeds' three styles: Sequential, functional, subclassed."""

from __future__ import annotations

from typing import Any

import keras

from ktui.core import user_layers
from ktui.core.catalog import LAYER_KINDS, SEEDED_KINDS, infer_stack
from ktui.core.events import LayerSummary
from ktui.core.layers import LAYER_CLASSES
from ktui.core.spec import ExperimentSpec, LayerSpec
from ktui.core.text import identifier


def layer_name(kind: str, index: int) -> str:
    """The Keras name of the layer at 0-based ``index``: its kind and its 1-based number, as
    users see it everywhere (the first layer, a Dense, is ``dense_1``; a user's
    ``my_layers.Linear`` is ``linear_1``)."""
    return f"{kind.rsplit('.', 1)[-1].lower()}_{index + 1}"


def model_name(spec_name: str) -> str:
    """A Keras model name from any experiment name: Keras refuses ``/`` and TensorFlow's name
    scopes other punctuation, so only ASCII letters, digits and ``_`` are kept."""
    return identifier(spec_name, fallback="model")


def make_layer(layer: LayerSpec, index: int, run_seed: int) -> keras.layers.Layer:
    """One catalog layer; weight and mask seeds derive from the run seed and the position.
    A user's layer (``--layers``) is their class, built with its form's values."""
    params = LAYER_KINDS[layer.kind].arguments(layer.params)
    if layer.kind in SEEDED_KINDS:
        own = params.get("seed", 0)
        params["seed"] = own if own else run_seed * 1009 + index * 31 + 1
    mine = user_layers.user_kind(layer.kind)
    if mine is not None and not mine.takes_name:  # no name=, no **kwargs: as its author wrote
        made = mine.cls(**params)
        made.name = layer_name(layer.kind, index)  # before it is built: its weights' paths
        return made
    cls = LAYER_CLASSES.get(layer.kind) or user_layers.layer_class(layer.kind)
    return cls(name=layer_name(layer.kind, index), **params)


@keras.saving.register_keras_serializable(package="ktui")
class StackModel(keras.Model):
    """Seed 003's style: a ``keras.Model`` subclass holding its layers and chaining them in
    ``call``."""

    def __init__(self, stack: list[keras.layers.Layer], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stack = list(stack)

    def call(self, inputs, training=None):
        x = inputs
        for layer in self.stack:
            x = layer(x, training=training)
        return x

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name,
                "stack": [keras.saving.serialize_keras_object(lay) for lay in self.stack]}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> StackModel:
        stack = [keras.saving.deserialize_keras_object(c) for c in config.pop("stack")]
        return cls(stack, **config)


def build_model(spec: ExperimentSpec) -> keras.Model:
    """The model, built (weights created) for the dataset's input shape."""
    seed = spec.train.seed
    layers = [make_layer(lay, i, seed) for i, lay in enumerate(spec.layers)]
    shape = spec.input_shape()
    style = spec.train.model_style
    name = model_name(spec.name)
    if style == "sequential":
        return keras.Sequential([keras.Input(shape=shape), *layers], name=name)
    if style == "functional":
        inputs = keras.Input(shape=shape)
        x = inputs
        for layer in layers:
            x = layer(x)
        return keras.Model(inputs, x, name=name)
    model = StackModel(layers, name=name)
    model(keras.ops.zeros((1, *shape)))  # creates every weight, as Keras does on first call
    return model


def model_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """The stack's layers in order, without the functional API's InputLayer."""
    if isinstance(model, StackModel):
        return list(model.stack)
    return [lay for lay in model.layers if not isinstance(lay, keras.layers.InputLayer)]


def summarize(spec: ExperimentSpec, model: keras.Model) -> tuple[LayerSummary, ...]:
    """``model.summary()`` as data: shapes from the catalog (tested equal to Keras'), counts
    from the built layers."""
    inferred = infer_stack(spec.input_shape(), [(lay.kind, lay.params) for lay in spec.layers])
    rows = []
    for layer, info in zip(model_layers(model), inferred, strict=True):
        trainable = sum(int(_size(w.shape)) for w in layer.trainable_weights)
        rows.append(LayerSummary(layer.name, type(layer).__name__, (None, *info.output_shape),
                                 int(layer.count_params()), trainable))
    return tuple(rows)


def _size(shape) -> int:
    total = 1
    for d in shape:
        total *= int(d)
    return total
