"""``ktui``: the TUI by default; ``ktui train`` headless; ``ktui presets``.

Exit codes: 0 done, 1 training failed (or the run directory cannot be used), 2 bad arguments
or spec, 128 + the signal when stopped by one (130 Ctrl+C, 143 SIGTERM, 129 SIGHUP).
This module imports neither Textual nor TensorFlow at the top: ``ktui --help`` is instant.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import signal
import sys
import threading
import typing
from collections.abc import Sequence

from ktui import __version__
from ktui.core import spec as specmod
from ktui.core.presets import DEFAULT_PRESET, PRESETS, get_preset
from ktui.core.text import clean

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

#: Redraw rates ``--fps`` accepts: below 0.5 the screen looks frozen, above 60 no terminal
#: shows the difference and the redraws cost CPU.
FPS_RANGE = (0.5, 60.0)
#: Spec problems printed before "... and N more" (a file can have thousands).
SHOWN_PROBLEMS = 40


class UsageError(Exception):
    """Bad arguments or spec: printed without a traceback, exit 2."""


class _Parser(argparse.ArgumentParser):
    """argparse, with the offending text of its errors cleaned of terminal escapes
    (``unrecognized arguments`` echoes what was typed as is)."""

    def error(self, message: str) -> typing.NoReturn:
        super().error(clean(message))


def _fps(text: str) -> float:
    """``--fps``: a finite rate in :data:`FPS_RANGE` (``nan`` would stop every redraw)."""
    low, high = FPS_RANGE
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(
            f"must be a number of redraws per second from {low:g} to {high:g}, got {text!r}")
    return value


def _add_spec_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--preset", metavar="NAME",
                       help=f"a built-in experiment ({', '.join(PRESETS)})")
    group.add_argument("--spec", metavar="FILE", help="an experiment TOML file")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the Fashion-MNIST .gz files are (else the standard places)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ktui",
        description="A terminal trainer for Keras models. Without a command, opens the TUI.",
        epilog="Commands: ktui train --help, ktui presets --help",
    )
    parser.add_argument("--version", action="version", version=f"ktui {__version__}")
    _add_spec_source(parser)
    parser.add_argument("--start", action="store_true", help="start training at once")
    parser.add_argument("--fps", type=_fps, default=4.0, metavar="N",
                        help="chart redraws per second at most, 0.5 to 60 (default 4)")
    _add_runs_dir(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = sub.add_parser("train", help="train headless, printing progress",
                           description="Train without the TUI. Exit codes: 0 done, 1 training "
                           "failed or the run directory cannot be used, 2 invalid spec or "
                           "arguments, 130/143/129 stopped by Ctrl+C/SIGTERM/SIGHUP (after the "
                           "batch, model saved).")
    _add_spec_source(train)
    train.add_argument("--epochs", type=int, metavar="N")
    train.add_argument("--batch-size", type=int, metavar="N", help="0 = full batch")
    train.add_argument("--lr", type=float, metavar="X", help="learning rate")
    train.add_argument("--seed", type=int, metavar="N")
    train.add_argument("--device", choices=specmod.DEVICES,
                       help="auto (GPU when TensorFlow sees one), cpu or gpu")
    train.add_argument("--jit", action="store_true", help="compile the step with XLA")
    train.add_argument("--jsonl", action="store_true",
                       help="one JSON object per event on stdout, nothing else")
    train.add_argument("--headless", action="store_true",
                       help="accepted for clarity; `ktui train` is always headless")
    train.add_argument("--verbose", action="store_true", help="show TensorFlow's own logs")
    train.add_argument("--resume", metavar="RUN",
                       help="continue a run from its last checkpoint (name or path)")
    train.add_argument("--restart", action="store_true",
                       help="with --resume: train the run again from epoch 1, its earlier "
                       "files moved to RUN/previous/")
    _add_runs_dir(train)

    runs = sub.add_parser("runs", help="list recorded runs",
                          description="Runs live under --runs-dir, $KTUI_RUNS_DIR or ./ktui-runs.")
    _add_runs_dir(runs)
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="show")
    runs_show = runs_sub.add_parser(
        "show", help="print one run's summary and per-epoch metrics",
        description="RUN is a run name (see `ktui runs`), a unique prefix of one, or a path; "
        "without RUN, the latest run.")
    runs_show.add_argument("run", metavar="RUN", nargs="?",
                           help="name, unique prefix or path (default: the latest run)")
    runs_show.add_argument("--json", action="store_true",
                           help="print the run's summary.json as it is")
    _add_runs_dir(runs_show)

    export = sub.add_parser("export", help="write a run as a standalone Python script",
                            description="Write a script (TensorFlow/Keras and numpy only) that "
                            "defines the custom layers, builds the model and trains it with a "
                            "GradientTape loop, reproducing the run's loss curve.")
    export.add_argument("run", metavar="RUN",
                        help="a run name (see `ktui runs`), a unique prefix of one, or a path")
    export.add_argument("--python", metavar="FILE", required=True, help="the script to write")
    export.add_argument("--style", choices=specmod.MODEL_STYLES,
                        help="how the model is built (default: the run's)")
    _add_runs_dir(export)

    presets = sub.add_parser("presets", help="list the built-in experiments")
    presets_sub = presets.add_subparsers(dest="presets_command", metavar="show")
    show = presets_sub.add_parser("show", help="print a preset as a TOML spec for --spec")
    show.add_argument("name", metavar="NAME")
    return parser


def _add_runs_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--runs-dir", metavar="DIR", default=argparse.SUPPRESS,
                        help="where runs are recorded (default $KTUI_RUNS_DIR or ./ktui-runs)")


def load_spec(args: argparse.Namespace) -> specmod.ExperimentSpec:
    """The spec named by --preset/--spec (default preset otherwise), with overrides applied."""
    if getattr(args, "spec", None) == "":  # an unset variable in a script: never the default
        raise UsageError("--spec: the file name is empty")
    if getattr(args, "spec", None):
        try:
            spec = specmod.load(args.spec)
        except specmod.SpecError as err:
            raise UsageError(spec_problems(args.spec, err.errors)) from None
    else:
        name = getattr(args, "preset", None)
        name = DEFAULT_PRESET if name is None else name
        if name not in PRESETS:
            raise UsageError(f"unknown preset {name!r}; choose one of: {', '.join(PRESETS)}")
        spec = get_preset(name)
    t = spec.train
    for attr, value in (("epochs", getattr(args, "epochs", None)),
                        ("batch_size", getattr(args, "batch_size", None)),
                        ("learning_rate", getattr(args, "lr", None)),
                        ("seed", getattr(args, "seed", None)),
                        ("device", getattr(args, "device", None))):
        if value is not None:
            setattr(t, attr, value)
    if getattr(args, "jit", False):
        t.jit_compile = True
    return spec


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


def cmd_presets(args: argparse.Namespace) -> int:
    if args.presets_command == "show":
        if args.name not in PRESETS:
            raise UsageError(f"unknown preset {args.name!r}; choose one of: "
                             f"{', '.join(PRESETS)}")
        sys.stdout.write(specmod.dumps(get_preset(args.name)))
        return EXIT_OK
    width = max(map(len, PRESETS))
    for name in PRESETS:
        print(clean(f"{name:<{width}}  {get_preset(name).description}"))
    return EXIT_OK


class _Refused(Exception):
    """``ktui train`` cannot go on: ``message`` (one line) goes to stderr, ``code`` is the
    exit status (1: the run directory cannot be used now; 2: the request makes no sense)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def _say(text: str) -> None:
    """Write to stderr, which may be gone (an SSH session that dropped): never raise."""
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def cmd_train(args: argparse.Namespace) -> int:
    from ktui.core.runs import RunDir, RunError, runs_root
    from ktui.core.tfenv import set_verbose

    set_verbose(args.verbose)  # before anything imports TensorFlow
    root = runs_root(getattr(args, "runs_dir", None))
    try:
        with contextlib.ExitStack() as held:
            if args.resume:
                run_dir, spec = _prepare_resume(args, root, held)
            else:
                if args.restart:
                    raise UsageError("--restart trains a recorded run again: use it with "
                                     "--resume RUN")
                spec = load_spec(args)
                _check_valid(spec, args.spec or f"preset {spec.name}")
                try:
                    run_dir = RunDir.create(root, spec)
                    held.enter_context(run_dir.lock())
                except RunError as err:
                    raise _Refused(EXIT_FAILED, str(err)) from None
            return _run_training(args, spec, run_dir)
    except _Refused as err:
        _say(f"ktui: {clean(str(err))}\n")
        return err.code


def _check_valid(spec: specmod.ExperimentSpec, source: str) -> None:
    errors = specmod.validate(spec)
    if errors:
        raise UsageError(spec_problems(source, errors))


#: ``ktui train`` flags that change what a run computes: a resume keeps the run's own.
_RESULT_FLAGS = (("--batch-size", "batch_size"), ("--lr", "lr"), ("--seed", "seed"))


def _prepare_resume(args: argparse.Namespace, root: os.PathLike, held: typing.Any
                    ) -> tuple[typing.Any, specmod.ExperimentSpec]:
    """Find the run, lock it, check that resuming (or ``--restart``) makes sense, and only
    then rewrite its spec.toml (a refused resume leaves the run exactly as it was)."""
    from ktui.core.runs import RunError, atomic_write
    from ktui.core.runs_lookup import find_run

    if args.preset or args.spec:
        raise UsageError("--resume continues a run with its own spec; drop --preset/--spec")
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
        raise _Refused(EXIT_FAILED, str(err)) from None
    try:
        original = specmod.dumps(run_dir.spec())
    except specmod.SpecError as err:
        raise UsageError(spec_problems(str(run_dir.spec_file), err.errors)) from None
    args.spec = str(run_dir.spec_file)
    spec = load_spec(args)
    _check_valid(spec, args.spec)
    try:
        if args.restart:
            aside = run_dir.set_aside()
            _say(f"ktui: training {clean(run_dir.name)} again from epoch 1; its earlier files "
                 f"are in {clean(str(aside))}\n")
        else:
            _check_resumable(run_dir, spec, args.epochs)
        if specmod.dumps(spec) != original:  # the new total is part of the run from now on
            atomic_write(run_dir.spec_file, specmod.dumps(spec))
    except OSError as err:
        raise _Refused(EXIT_FAILED, f"cannot update {run_dir.path}: "
                       f"{err.strerror or err}") from None
    return run_dir, spec


def _check_resumable(run_dir: typing.Any, spec: specmod.ExperimentSpec,
                     epochs: int | None) -> None:
    """Refuse (exit 2) a resume that would silently lose or redo work: logged epochs but no
    checkpoint, damaged log rows, or an epoch total that is not above the checkpoint's."""
    from ktui.core.runs import RunError

    name = clean(run_dir.name)
    again = "pass --restart to train it again from epoch 1 (its files are kept under " \
        f"{name}/previous/)"
    log = run_dir.read_metrics()
    if log.problems:
        raise UsageError(f"{name}: {log.problems[0]}; fix or delete that line, or {again}")
    logged = len(log.rows)
    checkpoint, why = run_dir.last_checkpoint()
    if checkpoint is None and logged:
        raise UsageError(f"{name} has {logged} logged epoch{'s' * (logged != 1)} but no "
                         f"checkpoint to resume from ({why}); start a new run, or {again}")
    done = checkpoint or 0
    if checkpoint is not None:
        from ktui.core.trainer import checkpoint_problem  # imports TensorFlow: checks last

        problem = checkpoint_problem(run_dir)
        if problem:
            raise UsageError(problem)
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
        _say(f"ktui: resuming {name} from its checkpoint at epoch {done}; logged epoch"
             f"{'s' * (len(redo) != 1)} {redo[0]}" + (f"-{redo[-1]}" if len(redo) > 1 else "")
             + " will be trained again\n")
    if done > logged:
        _say(f"ktui: warning: {name}: epochs {logged + 1}-{done} are checkpointed but not "
             "logged; the curves will have a gap there\n")
    try:
        problems = run_dir.read_summary().problems
    except RunError as err:
        problems = (str(err),)
    for problem in problems:
        _say(f"ktui: warning: {name}: {clean(problem)}; rewritten as the run goes on\n")


#: After Ctrl+C, SIGTERM or SIGHUP, how long ``ktui train`` waits for the trainer to finish
#: its batch and save the model before it leaves anyway (the last checkpoint stays).
STOP_WAIT_S = 10.0
#: Signals that stop a headless run the way Ctrl+C does. SIGHUP is what an SSH session that
#: drops sends; the exit status is 128 + the signal's number (130, 143, 129), as shells do.
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_SIGNAL_WORDS = {"SIGINT": "interrupted (Ctrl+C)", "SIGTERM": "terminated (SIGTERM)",
                 "SIGHUP": "hung up (SIGHUP)"}


class _Display:
    """The reporter, muted once its terminal or pipe is gone (a dropped SSH session,
    ``| head``): the run then stops cleanly, as on a hangup, instead of crashing on EIO."""

    def __init__(self, sink: typing.Any, control: typing.Any) -> None:
        self.sink, self.control = sink, control
        self.lost: str | None = None

    def __call__(self, event: typing.Any) -> None:
        if self.lost is not None:
            return
        try:
            self.sink(event)
        except (OSError, ValueError) as err:
            if isinstance(err, ValueError) and "closed file" not in str(err):
                raise  # a bug in a reporter, not a lost terminal
            self.lost = getattr(err, "strerror", None) or str(err) or type(err).__name__
            self.control.stop()
            _silence_stdout()

    def close(self) -> None:
        if hasattr(self.sink, "close"):
            try:
                self.sink.close()
            except (OSError, ValueError):
                pass


def _silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null, so the interpreter's last flush of a broken
    stdout (``| head``, a dead terminal) cannot print "Exception ignored" noise."""
    try:
        fd = sys.stdout.fileno()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return
    try:
        os.dup2(null, fd)
    except OSError:
        pass
    finally:
        os.close(null)


def _run_training(args: argparse.Namespace, spec: specmod.ExperimentSpec,
                  run_dir: typing.Any) -> int:
    """Train in a worker thread; the main thread waits and turns Ctrl+C, SIGTERM and SIGHUP
    into a clean stop (after the batch, model saved, status ``stopped``)."""
    from ktui.core.control import TrainerControl
    from ktui.core.events import RunFailed
    from ktui.reporters import JsonlReporter, PlainReporter, ProgressReporter

    if args.jsonl:
        reporter: typing.Any = JsonlReporter(sys.stdout)
    elif sys.stdout.isatty():
        reporter = ProgressReporter(sys.stdout, sys.stderr)
    else:
        reporter = PlainReporter(sys.stdout, sys.stderr)
    control = TrainerControl()
    display = _Display(reporter, control)
    result: list = []
    crash: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        from ktui.core.trainer import train

        try:
            result.append(train(spec, display, control, data_dir=args.data_dir,
                                run_dir=run_dir, resume=bool(args.resume and not args.restart)))
        except BaseException as err:  # noqa: BLE001 - reported below, never a raw traceback
            crash.append(err)
        finally:
            done.set()

    # Training runs in a worker; the main thread only waits. Signals are caught by handlers
    # (not as KeyboardInterrupt inside Thread.join, which on CPython 3.11 can mark a still
    # running thread as finished) and ask the trainer to stop after the current batch.
    received: list[int] = []

    def on_signal(signum: int, frame: object) -> None:
        if received:  # a second signal: leave now (the last checkpoint stays)
            os._exit(128 + received[0])
        received.append(signum)
        control.stop()
        _say(f"\nktui: {_SIGNAL_WORDS.get(signal.Signals(signum).name, 'signal')}: stopping "
             "after this batch… (again to quit at once)\n")

    previous = {sig: signal.signal(sig, on_signal)
                for sig in (getattr(signal, n, None) for n in STOP_SIGNALS) if sig is not None}
    worker = threading.Thread(target=work, name="ktui-train", daemon=True)
    worker.start()
    try:
        while not done.wait(0.05) and not received:
            pass
        if received:
            _leave_after_signal(received[0], done, display, run_dir, result)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if crash:
        return _report_crash(crash[0], run_dir)
    final = result[0]
    if display.lost is not None:
        _say(f"ktui: the output is gone ({display.lost}); training stopped (run recorded in "
             f"{clean(str(run_dir.path))})\n")
        return EXIT_FAILED
    if not args.jsonl:
        _say(f"ktui: run recorded in {clean(str(run_dir.path))}\n")
    if isinstance(final, RunFailed):
        return EXIT_USAGE if final.kind == "spec" else EXIT_FAILED
    return EXIT_OK


def _leave_after_signal(signum: int, done: threading.Event, display: _Display,
                        run_dir: typing.Any, result: list) -> typing.NoReturn:
    """Wait (bounded) for the stopped run to save its model and summary, say so, exit
    128 + signum without TensorFlow's slow interpreter teardown (files are closed)."""
    stopped = done.wait(STOP_WAIT_S)
    display.close()
    words = _SIGNAL_WORDS.get(signal.Signals(signum).name, "stopped by a signal")
    name = clean(run_dir.name)
    if stopped:
        final = result[0] if result else None
        epochs = getattr(final, "epochs_done", None)
        after = f" after epoch {epochs}" if epochs else ""
        _say(f"ktui: {words}; training stopped{after}, model saved (run recorded in "
             f"{clean(str(run_dir.path))}; `ktui train --resume {name}` continues it)\n")
    else:
        _say(f"ktui: {words}; the trainer did not stop within {STOP_WAIT_S:g} s, leaving now "
             f"(`ktui train --resume {name}` continues from the last checkpoint)\n")
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(128 + signum)


def _report_crash(err: BaseException, run_dir: typing.Any) -> int:
    """A bug: one line on stderr, the traceback in the run directory for the report."""
    import traceback

    text = "".join(traceback.format_exception(err))
    log = run_dir.path / "crash.log"
    try:
        log.write_text(text, encoding="utf-8")
        where = f"details in {clean(str(log))}"
    except OSError:
        where = "no details saved: the run directory cannot be written"
    first = next((ln for ln in str(err).splitlines() if ln.strip()), "")
    _say(f"ktui: training crashed: {type(err).__name__}: {clean(first)[:300]} ({where}); "
         "please report it with the spec (ktui presets show / your file)\n")
    return EXIT_FAILED


def cmd_runs(args: argparse.Namespace) -> int:
    from ktui.core.runs import format_age, list_runs, runs_root

    root = runs_root(getattr(args, "runs_dir", None))
    if args.runs_command == "show":
        return _show_run(root, args.run, raw=args.json)
    if root.exists() and not root.is_dir():
        raise UsageError(f"{root}: not a directory (--runs-dir names the folder of runs)")
    try:
        runs, problems = list_runs(root)
    except OSError as err:
        raise UsageError(f"{root}: cannot list runs ({err.strerror or err})") from None
    for problem in problems:
        sys.stderr.write(f"ktui: {clean(problem)}\n")
    if not runs:
        print(f"no runs under {clean(str(root))}")
        return EXIT_OK
    names = [clean(r.name) for r in runs]
    width = max(len(n) for n in names)
    print(f"{'RUN':<{width}}  {'DATASET':<13} {'EPOCHS':>7}  {'BEST':<20} {'STATUS':<11} AGE")
    for name, r in zip(names, runs, strict=True):
        epochs = f"{r.epochs_done}/{r.epochs}"
        print(f"{name:<{width}}  {clean(r.dataset):<13} {epochs:>7}  {clean(r.best):<20} "
              f"{clean(r.status):<11} {format_age(r.age_s)}")
    return EXIT_OK


def _show_run(root: os.PathLike, name: str | None, raw: bool) -> int:
    """``ktui runs show [RUN] [--json]``: the latest run, or one by name, prefix or path."""
    import json
    import time

    from ktui.core.runs import RunError
    from ktui.core.runs_lookup import find_run
    from ktui.run_report import epoch_table, summary_lines

    try:
        run = find_run(root, name)
        summary = run.summary()
        typed = run.read_summary()
    except RunError as err:
        raise UsageError(str(err)) from None
    for problem in typed.problems + run.read_metrics().problems:  # shown, then skipped
        sys.stderr.write(f"ktui: warning: {clean(run.name)}: {clean(problem)}\n")
    if raw:
        print(json.dumps(summary, indent=2))
        return EXIT_OK
    summary = typed.to_dict()  # every value of the right type from here on
    try:
        status = run.status()
    except (RunError, ValueError, TypeError):
        status = str(summary.get("status", "unknown"))
    try:
        spec = run.spec()
        dataset, epochs = spec.dataset.kind, spec.train.epochs
    except (specmod.SpecError, RunError, OSError):
        dataset, epochs = "(spec.toml unreadable)", None
    if isinstance(summary.get("epochs"), int):
        epochs = summary["epochs"]
    try:
        rows = run.epochs_logged()
    except (RunError, OSError, ValueError) as err:
        rows = []
        sys.stderr.write(f"ktui: {clean(str(run.metrics_file))}: unreadable ({clean(str(err))})\n")
    lines = summary_lines(run.name, str(run.path), summary, status, dataset, epochs, time.time())
    table = epoch_table(rows)
    print("\n".join(lines + ([""] + table if table else [])))
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ktui.core.export import export_script
    from ktui.core.runs import RunError, runs_root
    from ktui.core.runs_lookup import find_run

    try:
        run = find_run(runs_root(getattr(args, "runs_dir", None)), args.run)
        spec = run.spec()
    except RunError as err:
        raise UsageError(str(err)) from None
    except specmod.SpecError as err:
        raise UsageError(spec_problems(str(run.spec_file), err.errors)) from None
    errors = specmod.validate(spec)
    if errors:  # a hand-edited spec.toml: a script of it could not run either
        raise UsageError(spec_problems(str(run.spec_file), errors))
    script = export_script(spec, args.style, run_name=run.name, file_name=Path(args.python).name)
    target = Path(args.python)
    try:
        target.write_text(script, encoding="utf-8")
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the name
        raise UsageError(f"cannot write {target}: "
                         f"{getattr(err, 'strerror', None) or err}") from None
    shown = clean(str(target))
    print(f"wrote {shown} (python3 {shown} trains it with TensorFlow only)")
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    try:
        from ktui.ui.app import run_app
    except ImportError as err:  # pragma: no cover - the UI ships with the package
        raise UsageError(f"the TUI is not available ({err}); use `ktui train`") from None
    code = run_app(spec, start=args.start, fps=args.fps, data_dir=args.data_dir,
                   runs_dir=getattr(args, "runs_dir", None))
    if "tensorflow" in sys.modules:
        # The terminal is restored and the trainer has stopped (the app waits for it);
        # skip TensorFlow's interpreter teardown, which can take seconds after a quit.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args)
        if args.command == "presets":
            return cmd_presets(args)
        if args.command == "runs":
            return cmd_runs(args)
        if args.command == "export":
            return cmd_export(args)
        return cmd_tui(args)
    except (UsageError, specmod.SpecError) as err:
        # Messages quote paths, names and values the user typed: no terminal escapes.
        sys.stderr.write(f"ktui: {clean(str(err), keep_newlines=True)}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
