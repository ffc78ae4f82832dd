"""What every ``ktui`` command that trains or shows a spec shares: the spec named on the
command line (``--spec``, ``--preset``, ``--data``, the overrides), its problems as printed."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ktui.cli.data import apply_data, spec_for_data
from ktui.cli.errors import UsageError, say
from ktui.core import spec as specmod
from ktui.core.spec.presets import DEFAULT_PRESET, PRESETS, get_preset
from ktui.core.text import clean

#: Spec problems printed before "... and N more" (a file can have thousands).
SHOWN_PROBLEMS = 40


def use_layer_files(args: argparse.Namespace) -> None:
    """Import the layer files named by ``--layers`` (and ``$KTUI_LAYERS``) and offer their
    classes, before any spec is read (a spec never imports code itself); a problem is a
    :class:`UsageError` naming the file, the class and the line."""
    from ktui.core import user_layers
    from ktui.core.user_layers.checks import refuse_on_failed_checks

    refuse_on_failed_checks(not getattr(args, "no_checks", False))
    paths = [*user_layers.env_paths(), *(getattr(args, "layers", None) or [])]
    if not paths:
        return
    try:
        files = user_layers.use_files(paths)
    except user_layers.LayerFileError as err:
        problems = err.problems
        raise UsageError(problems[0] if len(problems) == 1 else
                         "your layer files cannot be used:\n  " + "\n  ".join(problems)
                         ) from None
    for f in files:  # a class that cannot be offered blocks nothing: said, once
        for why in f.not_offered:
            say(f"ktui: warning: {clean(f.name)}: not offered: {clean(why)}\n")


def warn_user_layers(spec: specmod.ExperimentSpec) -> None:
    """Check the spec's own layers before a run folder exists: a layer that cannot be built
    or fails a check (without ``--no-checks``) is a :class:`UsageError` with the user's
    lines, and leaves no ``failed 0/N`` run behind (as other spec refusals leave none);
    each warning (a class without ``**kwargs``: model.keras cannot load it back) is said on
    stderr and training goes on."""
    from ktui.core.user_layers import uses_user_layers

    if not uses_user_layers(spec):
        return
    from ktui.core.user_layers.checks import before_training, warnings_of

    failure = before_training(spec, specmod.validate)
    if failure is not None:
        lines = [ln for ln in failure.traceback.splitlines() if ln.strip()][-6:]
        raise UsageError("\n  ".join([failure.message, *lines]))
    for line in warnings_of(spec):
        say(f"ktui: warning: {clean(line)}\n")


def load_spec(args: argparse.Namespace) -> specmod.ExperimentSpec:
    """The spec named by --preset/--spec (default preset otherwise), with overrides applied."""
    if getattr(args, "spec", None) == "":  # an unset variable in a script: never the default
        raise UsageError("--spec: the file name is empty")
    if getattr(args, "spec", None):
        try:
            spec = specmod.load(args.spec)
        except specmod.SpecError as err:
            raise UsageError(spec_problems(args.spec, err.errors)) from None
        apply_data(args, spec)
    elif getattr(args, "data", None) and getattr(args, "preset", None) is None:
        spec = spec_for_data(args)
    else:
        name = getattr(args, "preset", None)
        name = DEFAULT_PRESET if name is None else name
        if name not in PRESETS:
            raise UsageError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
        spec = get_preset(name)
        apply_data(args, spec)
    t = spec.train
    for attr, value in (("epochs", getattr(args, "epochs", None)),
                        ("batch_size", getattr(args, "batch_size", None)),
                        ("learning_rate", getattr(args, "lr", None)),
                        ("seed", getattr(args, "seed", None)),
                        ("device", getattr(args, "device", None)),
                        ("strategy", getattr(args, "strategy", None)),
                        ("devices", getattr(args, "devices", None)),
                        ("cpu_devices", getattr(args, "cpu_devices", None)),
                        ("precision", getattr(args, "precision", None)),
                        ("steps_per_execution", getattr(args, "steps_per_execution", None))):
        if value is not None:
            setattr(t, attr, value)
    if getattr(args, "jit", None):
        t.jit_compile = args.jit
    _apply_steering(args, t)
    return spec


def _apply_steering(args: argparse.Namespace, t: specmod.TrainSpec) -> None:
    """``--schedule``, ``--early-stopping`` ... onto the spec's train settings."""
    for attr, value in (("optimizer", getattr(args, "optimizer", None)),
                        ("clip_norm", getattr(args, "clip_norm", None)),
                        ("clip_value", getattr(args, "clip_value", None)),
                        ("weight_decay", getattr(args, "weight_decay", None)),
                        ("stop_when", getattr(args, "stop_when", None)),
                        ("max_minutes", getattr(args, "max_minutes", None))):
        if value is not None:
            setattr(t, attr, value)
    if getattr(args, "nesterov", False):
        t.nesterov = True
    if getattr(args, "schedule", None) is not None:
        t.schedule.kind = args.schedule
    if getattr(args, "early_stopping", None) is not None:
        t.early_stopping.enabled = True
        t.early_stopping.patience = args.early_stopping
    if getattr(args, "restore_best", False):
        t.early_stopping.restore_best = True


def spec_problems(source: str, errors: Sequence[str]) -> str:
    """A spec file's problems for stderr: one line when the file itself is the problem
    (missing, not UTF-8, not TOML), else every field problem under one heading (at most
    :data:`SHOWN_PROBLEMS` of them: a file can hold thousands)."""
    if len(errors) == 1 and errors[0].startswith(f"{source}: "):
        return errors[0]
    shown = list(errors[:SHOWN_PROBLEMS])
    if len(errors) > SHOWN_PROBLEMS:
        shown.append(f"... and {len(errors) - SHOWN_PROBLEMS} more")
    return f"{source}: the experiment is not valid:\n  " + "\n  ".join(shown)


def check_valid(spec: specmod.ExperimentSpec, source: str) -> None:
    """Raise :class:`UsageError` listing every problem of ``spec`` (from ``source``)."""
    from ktui.core.user_layers import resolve_shapes

    resolve_shapes(spec)  # your layers' output shapes (TensorFlow; only with --layers)
    errors = specmod.validate(spec)
    if errors:
        raise UsageError(spec_problems(source, errors))
