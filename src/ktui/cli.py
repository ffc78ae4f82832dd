"""``ktui``: the TUI by default; ``ktui train`` headless; ``ktui presets``.

Exit codes: 0 done, 1 training failed, 2 bad arguments or spec, 130 interrupted (Ctrl+C).
This module imports neither Textual nor TensorFlow at the top: ``ktui --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Sequence

from ktui import __version__
from ktui.core import spec as specmod
from ktui.core.presets import DEFAULT_PRESET, PRESETS, get_preset

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad arguments or spec: printed without a traceback, exit 2."""


def _add_spec_source(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--preset", metavar="NAME",
                       help=f"a built-in experiment ({', '.join(PRESETS)})")
    group.add_argument("--spec", metavar="FILE", help="an experiment TOML file")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="where the Fashion-MNIST .gz files are (else the standard places)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ktui",
        description="A terminal trainer for Keras models. Without a command, opens the TUI.",
        epilog="Commands: ktui train --help, ktui presets --help",
    )
    parser.add_argument("--version", action="version", version=f"ktui {__version__}")
    _add_spec_source(parser)
    parser.add_argument("--start", action="store_true", help="start training at once")
    parser.add_argument("--fps", type=float, default=4.0,
                        help="chart redraws per second at most (default 4)")
    _add_runs_dir(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    train = sub.add_parser("train", help="train headless, printing progress",
                           description="Train without the TUI. Exit codes: 0 done, 1 training "
                           "failed, 2 invalid spec or arguments, 130 interrupted.")
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
    _add_runs_dir(train)

    runs = sub.add_parser("runs", help="list recorded runs",
                          description="Runs live under --runs-dir, $KTUI_RUNS_DIR or ./ktui-runs.")
    _add_runs_dir(runs)
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="show")
    runs_show = runs_sub.add_parser("show", help="print one run's summary")
    runs_show.add_argument("run", metavar="RUN")
    _add_runs_dir(runs_show)

    export = sub.add_parser("export", help="write a run as a standalone Python script",
                            description="Write a script (TensorFlow/Keras and numpy only) that "
                            "defines the custom layers, builds the model and trains it with a "
                            "GradientTape loop, reproducing the run's loss curve.")
    export.add_argument("run", metavar="RUN", help="a run name (see `ktui runs`) or path")
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
    if getattr(args, "spec", None):
        spec = specmod.load(args.spec)
    else:
        name = getattr(args, "preset", None) or DEFAULT_PRESET
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


def cmd_presets(args: argparse.Namespace) -> int:
    if args.presets_command == "show":
        if args.name not in PRESETS:
            raise UsageError(f"unknown preset {args.name!r}; choose one of: "
                             f"{', '.join(PRESETS)}")
        sys.stdout.write(specmod.dumps(get_preset(args.name)))
        return EXIT_OK
    width = max(map(len, PRESETS))
    for name in PRESETS:
        print(f"{name:<{width}}  {get_preset(name).description}")
    return EXIT_OK


def cmd_train(args: argparse.Namespace) -> int:
    from ktui.core.control import TrainerControl
    from ktui.core.events import RunFailed
    from ktui.core.runs import RunDir, RunError, runs_root
    from ktui.core.tfenv import set_verbose
    from ktui.reporters import JsonlReporter, PlainReporter, ProgressReporter

    root = runs_root(getattr(args, "runs_dir", None))
    if args.resume:
        if args.preset or args.spec:
            raise UsageError("--resume continues a run with its own spec; drop --preset/--spec")
        try:
            run_dir = RunDir.find(args.resume, root)
        except RunError as err:
            raise UsageError(str(err)) from None
        args.spec = str(run_dir.spec_file)
        spec = load_spec(args)
        if args.epochs is not None:  # the new total is part of the run's spec from now on
            specmod.save(spec, run_dir.spec_file)
    else:
        spec = load_spec(args)
    errors = specmod.validate(spec)
    if errors:
        raise UsageError("the experiment is not valid:\n  " + "\n  ".join(errors))
    if not args.resume:
        run_dir = RunDir.create(root, spec)
    set_verbose(args.verbose)
    if args.jsonl:
        sink = JsonlReporter(sys.stdout)
    elif sys.stdout.isatty():
        sink = ProgressReporter(sys.stdout, sys.stderr)
    else:
        sink = PlainReporter(sys.stdout, sys.stderr)

    control = TrainerControl()
    result: list = []
    crash: list[BaseException] = []
    done = threading.Event()

    def work() -> None:
        from ktui.core.trainer import train

        try:
            result.append(train(spec, sink, control, data_dir=args.data_dir, run_dir=run_dir,
                                resume=bool(args.resume)))
        except BaseException as err:  # noqa: BLE001 - reported below, never a raw traceback
            crash.append(err)
        finally:
            done.set()

    # Training runs in a worker; the main thread only waits. Ctrl+C is caught by a signal
    # handler (not as KeyboardInterrupt inside Thread.join, which on CPython 3.11 can mark a
    # still-running thread as finished) and asks the trainer to stop after the current batch.
    interrupted = threading.Event()

    def on_sigint(signum: int, frame: object) -> None:
        if interrupted.is_set():  # a second Ctrl+C: leave now
            os._exit(EXIT_INTERRUPTED)
        interrupted.set()
        control.stop()

    previous = signal.signal(signal.SIGINT, on_sigint)
    worker = threading.Thread(target=work, name="ktui-train", daemon=True)
    worker.start()
    try:
        while not done.wait(0.05) and not interrupted.is_set():
            pass
        if interrupted.is_set():
            done.wait(1.0)  # the trainer checks the stop request between batches
            if hasattr(sink, "close"):
                sink.close()
            sys.stderr.write("\nktui: interrupted; training stopped"
                             + (f" (run recorded in {run_dir.path})\n" if done.is_set() else "\n"))
            sys.stdout.flush()
            sys.stderr.flush()
            # Files are closed by now; skip TensorFlow's slow interpreter teardown.
            os._exit(EXIT_INTERRUPTED)
    finally:
        signal.signal(signal.SIGINT, previous)
    if crash:
        err = crash[0]
        sys.stderr.write(f"ktui: training crashed: {type(err).__name__}: {err}\n"
                         "Please report this with the spec (ktui presets show / your file).\n")
        return EXIT_FAILED
    final = result[0]
    if not args.jsonl:
        sys.stderr.write(f"ktui: run recorded in {run_dir.path}\n")
    if isinstance(final, RunFailed):
        return EXIT_USAGE if final.kind == "spec" else EXIT_FAILED
    return EXIT_OK


def cmd_runs(args: argparse.Namespace) -> int:
    import json

    from ktui.core.runs import RunDir, RunError, format_age, list_runs, runs_root

    root = runs_root(getattr(args, "runs_dir", None))
    if args.runs_command == "show":
        try:
            run = RunDir.find(args.run, root)
            summary = run.summary()
            summary["status"] = run.status()
        except RunError as err:
            raise UsageError(str(err)) from None
        print(f"run: {run.path}")
        print(json.dumps(summary, indent=2))
        rows = run.epochs_logged()
        if rows:
            keys = list(rows[0])
            print("  ".join(f"{k:>10}" for k in keys))
            for row in rows:
                print("  ".join(f"{row[k]:>10.4g}" for k in keys))
        return EXIT_OK
    runs, problems = list_runs(root)
    for problem in problems:
        sys.stderr.write(f"ktui: {problem}\n")
    if not runs:
        print(f"no runs under {root}")
        return EXIT_OK
    width = max(len(r.name) for r in runs)
    print(f"{'RUN':<{width}}  {'DATASET':<13} {'EPOCHS':>7}  {'BEST':<20} {'STATUS':<11} AGE")
    for r in runs:
        epochs = f"{r.epochs_done}/{r.epochs}"
        print(f"{r.name:<{width}}  {r.dataset:<13} {epochs:>7}  {r.best:<20} {r.status:<11} "
              f"{format_age(r.age_s)}")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ktui.core.export import export_script
    from ktui.core.runs import RunDir, RunError, runs_root

    try:
        run = RunDir.find(args.run, runs_root(getattr(args, "runs_dir", None)))
        script = export_script(run.spec(), args.style, run_name=run.name)
    except RunError as err:
        raise UsageError(str(err)) from None
    target = Path(args.python)
    try:
        target.write_text(script, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {target}: {err.strerror or err}") from None
    print(f"wrote {target} (python3 {target} trains it with TensorFlow only)")
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
        sys.stderr.write(f"ktui: {err}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
