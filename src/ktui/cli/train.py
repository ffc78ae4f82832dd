"""``ktui train``: a new run, or ``--resume RUN`` (``--restart``) of a recorded one.

Everything that can be refused is checked before anything changes: a refused resume leaves
the run exactly as it was. The run itself is started by :mod:`.headless`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import typing

from ktui.cli.common import (
    check_valid,
    load_spec,
    spec_problems,
    use_layer_files,
    warn_user_layers,
)
from ktui.cli.data import refuse_changed_data, show_card
from ktui.cli.errors import EXIT_FAILED, Refused, UsageError, say
from ktui.core import spec as specmod
from ktui.core.text import clean

if typing.TYPE_CHECKING:
    from ktui.core.runs.rundir import RunDir

#: ``ktui train`` flags that change what a run computes: a resume keeps the run's own.
_RESULT_FLAGS = (("--batch-size", "batch_size"), ("--lr", "lr"), ("--seed", "seed"))


def cmd_train(args: argparse.Namespace) -> int:
    from ktui.cli.headless import run_headless
    from ktui.core.runs.storage import runs_root
    from ktui.core.tfenv import set_verbose

    set_verbose(args.verbose)  # before anything imports TensorFlow
    use_layer_files(args)  # your layers (--layers) before any spec, a resumed run's too
    root = runs_root(getattr(args, "runs_dir", None))
    try:
        with contextlib.ExitStack() as held:
            run_dir: RunDir | None = None
            if args.resume:
                run_dir, spec = _prepare_resume(args, root, held)
            else:
                if args.restart:
                    raise UsageError("--restart trains a recorded run again: use it with "
                                     "--resume RUN")
                spec = load_spec(args)
                check_valid(spec, args.spec or args.data or f"preset {spec.name}")
            show_card(spec)
            warn_user_layers(spec)
            if getattr(args, "detach", False):  # the background process takes the lock
                from ktui.cli.detach import detach

                held.close()
                return detach(args, spec, root, run_dir)
            if run_dir is None:
                from ktui.cli.detach import into_run

                run_dir = into_run(args)
            return run_headless(args, spec, root, run_dir)
    except Refused as err:
        say(f"ktui: {clean(str(err))}\n")
        return err.code


def _prepare_resume(args: argparse.Namespace, root: os.PathLike, held: contextlib.ExitStack
                    ) -> tuple[RunDir, specmod.ExperimentSpec]:
    """Find the run, lock it (until the command ends) and check that resuming (or
    ``--restart``) makes sense; the run's spec is the one to train (its spec.toml is only
    rewritten once the run starts)."""
    from ktui.core.runs.listing import find_run
    from ktui.core.runs.storage import RunError

    if args.preset or args.spec or getattr(args, "data", None) or getattr(args, "target", None):
        raise UsageError("--resume continues a run with its own spec; drop "
                         "--preset/--spec/--data/--target")
    changed = [flag for flag, attr in _RESULT_FLAGS if getattr(args, attr, None) is not None]
    if changed and not args.restart:
        raise UsageError(f"--resume continues a run with its recorded settings; "
                         f"{', '.join(changed)} would change them mid-run (add --restart to "
                         "train it again from epoch 1 with them)")
    try:
        run_dir = find_run(root, args.resume)
    except RunError as err:
        raise UsageError(str(err)) from None
    try:
        held.enter_context(run_dir.lock())
    except RunError as err:
        raise Refused(EXIT_FAILED, str(err)) from None
    try:
        run_dir.spec()
    except specmod.SpecError as err:
        raise UsageError(spec_problems(str(run_dir.spec_file), err.errors)) from None
    args.spec = str(run_dir.spec_file)
    spec = load_spec(args)
    if not args.restart:  # the data first: a changed file is why the spec may not fit it
        refuse_changed_data(run_dir, spec)
    check_valid(spec, args.spec)
    if not args.restart:
        _check_resumable(run_dir, spec, args.epochs)
    return run_dir, spec


def _check_resumable(run_dir: RunDir, spec: specmod.ExperimentSpec,
                     epochs: int | None) -> None:
    """Refuse (exit 2) a resume that would silently lose or redo work: logged epochs but no
    checkpoint (or an unreadable one), damaged log rows, or an epoch total that is not above
    the checkpoint's."""
    from ktui.core.runs.keras_sink import CheckpointUnreadable, last_checkpoint, unresumable
    from ktui.core.runs.storage import RunError

    name = clean(run_dir.name)
    again = "pass --restart to train it again from epoch 1 (its files are kept under " \
        f"{name}/previous/)"
    log = run_dir.read_metrics()
    if log.problems:
        raise UsageError(f"{name}: {log.problems[0]}; fix or delete that line, or {again}")
    logged = len(log.rows)
    try:
        checkpoint, why = last_checkpoint(run_dir)  # imports TensorFlow when there is one
    except CheckpointUnreadable as err:
        raise UsageError(str(err)) from None
    if unresumable(logged, checkpoint):
        raise UsageError(f"{name} has {logged} logged epoch{'s' * (logged != 1)} but no "
                         f"checkpoint to resume from ({why}); start a new run, or {again}")
    done = checkpoint or 0
    total = spec.train.epochs
    if total <= done:
        more = f"pass --epochs N with N > {done} to train it further"
        if epochs is None:
            raise UsageError(f"{name} has trained all its {total} epochs (checkpoint at epoch "
                             f"{done}); {more}")
        words = "leaves nothing to train" if epochs == done else "is fewer than that"
        raise UsageError(f"{name} already has {done} epochs (checkpoint at epoch {done}); "
                         f"--epochs {epochs} {words}: {more}")
    redo = [int(r["epoch"]) for r in log.rows if r["epoch"] > done]
    if redo:
        say(f"ktui: resuming {name} from its checkpoint at epoch {done}; logged epoch"
            f"{'s' * (len(redo) != 1)} {redo[0]}" + (f"-{redo[-1]}" if len(redo) > 1 else "")
            + " will be trained again\n")
    if done > logged:
        say(f"ktui: warning: {name}: epochs {logged + 1}-{done} are checkpointed but not "
            "logged; the curves will have a gap there\n")
    try:
        problems = run_dir.read_summary().problems
    except RunError as err:
        problems = (str(err),)
    for problem in problems:
        say(f"ktui: warning: {name}: {clean(problem)}; rewritten as the run goes on\n")
