"""The ``[train]`` table: how an experiment is trained (loss, optimizer, schedule, early
stopping, devices, precision), with the names its choices may take. Declared once with the
schema (:func:`ktui.core.schema.spec_field`): TOML, validation and the forms read it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ktui.core import choices
from ktui.core.schema import MAX_SEED, SEED_NOTE, spec_field
from ktui.core.spec.steering import EarlyStoppingSpec, ScheduleSpec

MODEL_STYLES = ("sequential", "functional", "subclassed")
DEVICES = ("auto", "cpu", "gpu")
#: How the step is placed: ``auto`` (mirrored over every GPU when there are several, else one
#: device), ``one`` device, ``mirrored`` over the devices of this machine, ``multiworker``
#: over the machines named by ``TF_CONFIG`` (TensorFlow's ``tf.distribute`` strategies).
STRATEGIES = ("auto", "one", "mirrored", "multiworker")
#: Keras dtype policies: float32 everywhere, or float16/bfloat16 maths with float32 weights.
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")
#: Whether the step is compiled with XLA (see ``TrainSpec.jit_compile``).
JIT_SETTINGS = ("auto", "on", "off")
#: More logical CPU devices than this is no longer a simulation of a GPU box.
MAX_CPU_DEVICES = 64



@dataclass
class TrainSpec:
    loss: str = spec_field("choice", "mse", label="loss", registry=choices.LOSSES,
                           help="the loss minimised")
    optimizer: str = spec_field("choice", "sgd", label="optimizer", registry=choices.OPTIMIZERS,
                                help="how gradients update the weights")
    learning_rate: float = spec_field("float", 0.01, label="learning rate", min=0,
                                      min_inclusive=False, max=10, help="step size")
    momentum: float = spec_field("float", 0.0, label="momentum", min=0, max=1,
                                 max_inclusive=False, help="sgd / rmsprop momentum")
    metrics: list[str] = spec_field(
        "multi", ["mae"], label="metrics", registry=choices.METRICS,
        help="reported each epoch; space ticks one (those that fit the dataset)")
    epochs: int = spec_field("int", 10, label="epochs", min=1, max=100_000,
                             help="passes over the training set")
    #: Samples per step; 0 = the whole training set in one batch (seed 000's gradient descent).
    batch_size: int = spec_field("int", 32, label="batch size", min=0, max=1_000_000,
                                 note=" (0 = the whole training set)",
                                 help="samples per step (0 = all at once)")
    #: Fashion-MNIST: fraction of the training images held out. Linear: the size of the
    #: (separately drawn) validation and test sets, relative to ``n``.
    validation_split: float = spec_field("float", 0.1, label="val split", min=0, max=1,
                                         max_inclusive=False,
                                         help="fraction held out for validation")
    seed: int = spec_field("int", 42, label="seed", min=0, max=MAX_SEED, note=SEED_NOTE,
                           help="seed of weights and shuffling")
    shuffle: bool = spec_field(
        "bool", True, label="shuffle",
        help="reshuffle the training set every epoch (off: the same order each epoch)")
    model_style: str = spec_field(
        "choice", "sequential", label="model style", choices=MODEL_STYLES,
        help="how the Keras model is built: Sequential, functional or a Model subclass")
    #: Emit a step event every this many steps (each one costs a device-to-host copy).
    log_every: int = spec_field("int", 10, label="log every", min=1, max=1_000_000,
                                help="steps between step events (the per-step loss chart)")
    device: str = spec_field(
        "choice", "auto", label="device", choices=DEVICES,
        help="auto: the GPU when TensorFlow sees one; cpu; gpu (fails without one)")
    #: Compile the step with XLA: ``on``, ``off``, or ``auto``, which times both on the run's
    #: own steps when the run is long enough to repay XLA's compilation and keeps the faster
    #: (:mod:`ktui.core.training.xla_pick`). ``true``/``false`` (older files) are on/off.
    jit_compile: str = spec_field(
        "choice", "auto", label="jit (XLA)", choices=JIT_SETTINGS, bool_words=("on", "off"),
        help="auto: XLA when it measures faster (long runs); on; off")
    strategy: str = spec_field(
        "choice", "auto", label="strategy", choices=STRATEGIES,
        help="auto: mirrored over every GPU when there are several; one; mirrored; "
             "multiworker (machines from TF_CONFIG)")
    #: GPUs to use, by index (``"0,1"``); empty = all that TensorFlow sees.
    devices: str = spec_field("str", "", label="GPUs", max_len=200,
                              help="GPU indices to train on, e.g. 0,1 (empty: all)")
    #: Split the CPU into this many logical devices (a simulation aid for the mirrored path
    #: on machines without GPUs; takes effect before TensorFlow's runtime starts).
    cpu_devices: int = spec_field("int", 1, label="CPU devices", min=1, max=MAX_CPU_DEVICES,
                                  help="logical CPU devices (simulate several devices)")
    precision: str = spec_field(
        "choice", "float32", label="precision", choices=PRECISIONS,
        help="float32, or mixed float16 (GPUs) / bfloat16 maths with float32 weights")
    #: Steps per compiled call, as Keras ``fit``'s ``steps_per_execution``: the host
    #: dispatches (and syncs) once per K steps.
    steps_per_execution: int = spec_field("int", 0, label="steps per call", min=0,
                                          max=10_000,
                                          help="training steps per compiled call; 0: auto "
                                          "(up to log_every, calls under 0.1 s)")
    nesterov: bool = spec_field("bool", False, label="nesterov",
                                help="sgd: Nesterov momentum")
    weight_decay: float = spec_field("float", 0.0, label="weight decay", min=0, max=1,
                                     help="decoupled weight decay (adamw: try 0.004); 0 = none")
    #: Clip the gradients the optimizer applies (after the all-reduce when distributed).
    clip_norm: float = spec_field("float", 0.0, label="clip norm", min=0,
                                  help="clip the gradients' global norm to this; 0 = off")
    clip_value: float = spec_field("float", 0.0, label="clip value", min=0,
                                   help="clip every gradient value to ±this; 0 = off")
    stop_when: str = spec_field("str", "", label="stop when", max_len=100,
                                help="stop once a target is reached: val_accuracy >= 0.9")
    max_minutes: float = spec_field("float", 0.0, label="max minutes", min=0,
                                    help="stop after this much training time; 0 = no limit")
    schedule: ScheduleSpec = field(default_factory=ScheduleSpec)
    early_stopping: EarlyStoppingSpec = field(default_factory=EarlyStoppingSpec)


#: ``[train.NAME]`` sub-tables and their dataclasses.
TRAIN_TABLES: dict[str, type] = {"schedule": ScheduleSpec, "early_stopping": EarlyStoppingSpec}
