"""A run without the TUI: started with :func:`ktui.core.session.start_run` (its own thread),
while the main thread waits and turns Ctrl+C, SIGTERM and SIGHUP into a clean stop (after
the batch, model saved, status ``stopped``), and a terminal or pipe that goes away into one.

Signals are caught by handlers (not as KeyboardInterrupt inside ``Thread.join``, which on
CPython 3.11 can mark a still running thread as finished).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import tempfile
import typing

from ktui.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Refused, say, silence_stdout
from ktui.core import spec as specmod
from ktui.core.processes import die_with_parent
from ktui.core.text import clean

if typing.TYPE_CHECKING:
    from ktui.core.runs.rundir import RunDir
    from ktui.core.session import RunHandle
    from ktui.core.training.placement import WorkerRole

#: After Ctrl+C, SIGTERM or SIGHUP, how long ``ktui train`` waits for the trainer to finish
#: its batch and save the model before it leaves anyway (the last checkpoint stays).
STOP_WAIT_S = 10.0
#: Signals that stop a headless run the way Ctrl+C does. SIGHUP is what an SSH session that
#: drops sends; the exit status is 128 + the signal's number (130, 143, 129), as shells do.
STOP_SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")
_SIGNAL_WORDS = {"SIGINT": "interrupted (Ctrl+C)", "SIGTERM": "terminated (SIGTERM)",
                 "SIGHUP": "hung up (SIGHUP)"}
#: Why the run stopped, as summary.json and the views say it (``stopped: Ctrl+C``).
_SIGNAL_REASONS = {"SIGINT": "Ctrl+C", "SIGTERM": "SIGTERM", "SIGHUP": "SIGHUP (terminal closed)"}


class Display:
    """The reporter, muted once its terminal or pipe is gone (a dropped SSH session,
    ``| head``): the run then stops cleanly, as on a hangup, instead of crashing on EIO."""

    def __init__(self, sink: typing.Any, stop: typing.Callable[..., None]) -> None:
        self.sink, self.stop = sink, stop
        self.lost: str | None = None
        #: The run's ending once it reached the display: the recording sinks come first,
        #: so its files are written by then, and a signal has nothing left to stop.
        self.ended: typing.Any = None
        #: Whether "run recorded in ..." was said (a late signal says it otherwise).
        self.said_where = False

    def __call__(self, event: typing.Any) -> None:
        if getattr(event, "event", "") in ("run_finished", "run_failed"):
            self.ended = event
        if self.lost is not None:
            return
        try:
            self.sink(event)
        except (OSError, ValueError) as err:
            if isinstance(err, ValueError) and "closed file" not in str(err):
                raise  # a bug in a reporter, not a lost terminal
            self.lost = getattr(err, "strerror", None) or str(err) or type(err).__name__
            self.stop(f"the output is gone ({self.lost})")
            silence_stdout()

    def close(self) -> None:
        if hasattr(self.sink, "close"):
            try:
                self.sink.close()
            except (OSError, ValueError):
                pass


def _reporter(args: argparse.Namespace) -> typing.Any:
    from ktui.cli.reporters import JsonlReporter, PlainReporter, ProgressReporter

    if args.jsonl:
        return JsonlReporter(sys.stdout)
    if sys.stdout.isatty():
        return ProgressReporter(sys.stdout, sys.stderr)
    return PlainReporter(sys.stdout, sys.stderr)


def run_headless(args: argparse.Namespace, spec: specmod.ExperimentSpec,
                 root: os.PathLike, run_dir: RunDir | None) -> int:
    """Train ``spec`` into a new run under ``root`` (or continue ``run_dir``: ``--resume``,
    ``--restart``), reporting on stdout; the exit status. A multi-worker run's workers other
    than the chief record into a scratch directory removed at the end."""

    role = _worker_role(args, spec)
    scratch = None
    if role is not None and not role.is_chief:  # its files are collective writes, not kept
        scratch = tempfile.mkdtemp(prefix="ktui-worker-")
        root = scratch
    try:
        return _run(args, spec, root, run_dir, role)
    finally:
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _worker_role(args: argparse.Namespace, spec: specmod.ExperimentSpec) -> WorkerRole | None:
    """Under ``--strategy multiworker``: this process's role, said on stderr (stdout stays
    the reporter's, pure JSON with ``--jsonl``); None otherwise."""
    if spec.train.strategy != "multiworker":
        return None
    from ktui.core.training.placement import PlacementError, worker_role

    if args.resume:
        raise Refused(EXIT_USAGE, "--resume continues a run on this machine: resume a "
                      "multi-worker run with --strategy mirrored or one (its checkpoint loads "
                      "under any strategy), or start a new multi-worker run")
    try:
        role = worker_role()
    except PlacementError as err:
        raise Refused(EXIT_USAGE, str(err)) from None
    duty = ("it records the run" if role.is_chief
            else "it writes nothing that lasts; the chief records the run")
    say(f"ktui: multiworker: this process is the {role.describe()}; {duty}\n")
    return role


def _run(args: argparse.Namespace, spec: specmod.ExperimentSpec, root: os.PathLike,
         run_dir: RunDir | None, role: WorkerRole | None) -> int:
    from ktui.core.runs.storage import RunError
    from ktui.core.session import start_run
    from ktui.core.training.control import TrainerControl

    control = TrainerControl()
    display = Display(_reporter(args), control.stop)
    received: list[int] = []
    handle_box: list[RunHandle] = []

    def on_signal(signum: int, frame: object) -> None:
        if display.ended is not None:  # the run is over and recorded: nothing to stop
            _leave_ended(display, handle_box, quiet=bool(args.jsonl))
        if received:  # a second signal: leave now (the last checkpoint stays)
            os._exit(128 + received[0])
        received.append(signum)
        control.stop(_SIGNAL_REASONS.get(signal.Signals(signum).name, "a signal"))
        say(f"\nktui: {_SIGNAL_WORDS.get(signal.Signals(signum).name, 'signal')}: stopping "
            "after this batch… (again to quit at once)\n")

    previous = {sig: signal.signal(sig, on_signal)
                for sig in (getattr(signal, n, None) for n in STOP_SIGNALS) if sig is not None}
    die_with_parent()  # an --isolate trial: SIGTERM (a clean stop) when its worker dies
    try:
        try:
            handle = start_run(spec, [display], runs_root=root, run=run_dir,
                               resume=bool(args.resume and not args.restart),
                               restart=bool(args.resume and args.restart),
                               data_dir=args.data_dir, control=control)
        except RunError as err:
            raise Refused(EXIT_FAILED, str(err)) from None
        handle_box.append(handle)
        # TensorFlow and the data take seconds before the first event: say so at once (once
        # the run folder exists: a folder that cannot be made is the one line said).
        say(f"ktui: {clean(spec.name)}: loading TensorFlow and "
            f"{clean(spec.dataset.in_words())}…\n")
        if note := spec.dataset.split_note(spec.train.validation_split):
            say(f"ktui: note: {clean(note)}\n")
        if handle.set_aside is not None:
            say(f"ktui: training {clean(handle.run_dir.name)} again from epoch 1; its earlier "
                f"files are in {clean(str(handle.set_aside))}\n")
        while not handle.done and not received:
            handle.join(0.05)
        if received:
            _leave_after_signal(received[0], handle, display)
    finally:
        if display.ended is None:  # else a late signal still exits with the run's own code
            for sig, handler in previous.items():
                signal.signal(sig, handler)
    run = handle.run_dir
    assert run is not None
    if handle.error is not None:
        return _report_crash(handle.error, run)
    if display.lost is not None:
        say(f"ktui: the output is gone ({display.lost}); training stopped (run recorded in "
            f"{clean(str(run.path))})\n")
        return EXIT_FAILED
    if role is not None and not role.is_chief:
        say(f"ktui: worker {role.index} done; the chief records the run\n")
    elif not args.jsonl:
        say(f"ktui: run recorded in {clean(str(run.path))}\n")
    display.said_where = True
    return _exit_code(handle.result)


def _exit_code(result: typing.Any) -> int:
    """A run's own exit status: 0 for an ending (finished, or stopped by a rule or a
    signal's clean stop), 2 for a spec refused, 1 for any other failure."""
    if getattr(result, "event", "") == "run_failed":
        return EXIT_USAGE if result.kind == "spec" else EXIT_FAILED
    return EXIT_OK


def _leave_ended(display: Display, handle_box: list[RunHandle], quiet: bool
                 ) -> typing.NoReturn:
    """A signal after the run ended (its files are written): leave at once with the run's
    own exit status, saying where it is recorded (once), without resume advice."""
    if not (quiet or display.said_where) and handle_box and handle_box[0].run_dir is not None:
        say(f"ktui: run recorded in {clean(str(handle_box[0].run_dir.path))}\n")
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(_exit_code(display.ended))


def _leave_after_signal(signum: int, handle: RunHandle, display: Display) -> typing.NoReturn:
    """Wait (bounded) for the stopped run to save its model and summary, say so, exit
    128 + signum without TensorFlow's slow interpreter teardown (files are closed)."""
    final = handle.join(STOP_WAIT_S)
    display.close()
    words = _SIGNAL_WORDS.get(signal.Signals(signum).name, "stopped by a signal")
    run = handle.run_dir
    assert run is not None
    name = clean(run.name)
    if handle.done:
        epochs = getattr(final, "epochs_done", None)
        after = f" after epoch {epochs}" if epochs else ""
        say(f"ktui: {words}; training stopped{after}, model saved (run recorded in "
            f"{clean(str(run.path))}; `ktui train --resume {name}` continues it)\n")
    else:
        say(f"ktui: {words}; the trainer did not stop within {STOP_WAIT_S:g} s, leaving now "
            f"(`ktui train --resume {name}` continues from the last checkpoint)\n")
    with contextlib.suppress(OSError, ValueError):
        sys.stdout.flush()
    os._exit(128 + signum)


def _report_crash(err: BaseException, run: RunDir) -> int:
    """A bug: one line on stderr, the traceback in the run directory for the report."""
    import traceback

    text = "".join(traceback.format_exception(err))
    log = run.path / "crash.log"
    try:
        log.write_text(text, encoding="utf-8")
        where = f"details in {clean(str(log))}"
    except OSError:
        where = "no details saved: the run directory cannot be written"
    first = next((ln for ln in str(err).splitlines() if ln.strip()), "")
    say(f"ktui: training crashed: {type(err).__name__}: {clean(first)[:300]} ({where}); "
        "please report it with the spec (ktui presets show / your file)\n")
    return EXIT_FAILED
