"""``ktui``: the TUI by default; ``ktui train`` headless; ``ktui presets``.

Exit codes: 0 done, 1 training failed, 2 bad arguments or spec, 130 interrupted (Ctrl+C).
This module imports neither Textual nor TensorFlow at the top: ``ktui --help`` is instant.
"""

from __future__ import annotations

import argparse
import os
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

    presets = sub.add_parser("presets", help="list the built-in experiments")
    presets_sub = presets.add_subparsers(dest="presets_command", metavar="show")
    show = presets_sub.add_parser("show", help="print a preset as a TOML spec for --spec")
    show.add_argument("name", metavar="NAME")
    return parser


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
    from ktui.core.tfenv import set_verbose
    from ktui.reporters import JsonlReporter, PlainReporter, ProgressReporter

    spec = load_spec(args)
    errors = specmod.validate(spec)
    if errors:
        raise UsageError("the experiment is not valid:\n  " + "\n  ".join(errors))
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

    def work() -> None:
        from ktui.core.trainer import train

        try:
            result.append(train(spec, sink, control, data_dir=args.data_dir))
        except BaseException as err:  # noqa: BLE001 - reported below, never a raw traceback
            crash.append(err)

    # Training runs in a worker so the main thread stays free to catch Ctrl+C at once.
    worker = threading.Thread(target=work, name="ktui-train", daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(0.1)
    except KeyboardInterrupt:
        control.stop()
        worker.join(1.0)
        if hasattr(sink, "close"):
            sink.close()
        sys.stderr.write("\nktui: interrupted; stopped training.\n")
        sys.stderr.flush()
        if worker.is_alive():  # stuck inside an import or a long op: do not wait for it
            sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)
        return EXIT_INTERRUPTED
    if crash:
        err = crash[0]
        sys.stderr.write(f"ktui: training crashed: {type(err).__name__}: {err}\n"
                         "Please report this with the spec (ktui presets show / your file).\n")
        return EXIT_FAILED
    final = result[0]
    if isinstance(final, RunFailed):
        return EXIT_USAGE if final.kind == "spec" else EXIT_FAILED
    return EXIT_OK


def cmd_tui(args: argparse.Namespace) -> int:
    spec = load_spec(args)
    try:
        from ktui.ui.app import run_app
    except ImportError as err:  # pragma: no cover - the UI ships with the package
        raise UsageError(f"the TUI is not available ({err}); use `ktui train`") from None
    return run_app(spec, start=args.start, fps=args.fps, data_dir=args.data_dir)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            return cmd_train(args)
        if args.command == "presets":
            return cmd_presets(args)
        return cmd_tui(args)
    except (UsageError, specmod.SpecError) as err:
        sys.stderr.write(f"ktui: {err}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
