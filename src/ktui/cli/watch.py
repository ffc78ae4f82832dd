"""``ktui watch [RUN]`` (follow a run another process trains) and ``ktui control [RUN] ACTION``
(steer it through its control channel).

On a terminal, ``watch`` opens the TUI's training view on the run
(:class:`ktui.ui.screens.watch_run.WatchScreen`); otherwise (or ``--plain``/``--jsonl``) it
prints what ``ktui train`` prints (the same reporters, fed by
:class:`ktui.core.runs.follow.EventFollower` instead of the trainer), after a line on stderr
saying who trains the run; it ends when the run ends, with the run's exit code (0 finished or
stopped, 1 failed, 2 spec refused; 1 too when the trainer died without a last word). Leaving
it (Ctrl+C) never touches the run. ``control`` hands one request to the trainer and waits a
little for the trainer's event that answers it (the only acknowledgement).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import typing

from ktui.cli.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, UsageError, say
from ktui.core.text import clean

if typing.TYPE_CHECKING:
    from ktui.core.runs.follow import EventFollower
    from ktui.core.runs.rundir import RunDir

#: How often a watcher reads the log (a bounded poll: the trainer never waits for it).
POLL_S = 0.2
#: ``ktui control`` actions and the events that answer them.
ANSWERS = {"pause": ("paused",), "resume": ("resumed",), "step": ("step_done",),
           "stop": ("run_finished", "run_failed"), "lr": ("lr_changed",)}


def pick_run(root: typing.Any, name: str | None) -> RunDir:
    """A run by name, prefix or path; without one, the latest run being trained."""
    from ktui.core.runs.listing import find_run, run_dirs
    from ktui.core.runs.rundir import RunDir
    from ktui.core.runs.storage import RunError

    try:
        if name:
            return find_run(root, name)
        for path in run_dirs(root):
            run = RunDir(path)
            if run.in_use():
                return run
    except RunError as err:
        raise UsageError(str(err)) from None
    raise UsageError(f"no run is being trained under {clean(str(root))}; name one "
                     "(`ktui runs` lists them)")


def trained_by(run: RunDir) -> str:
    """``RUN is trained by pid 1234 on HOST since 12:03 (ktui train ...)``, or why not."""
    from ktui.core.runs.lock import holder_text, read_holder

    if run.in_use():
        return f"{clean(run.name)} is trained by {holder_text(read_holder(run.path))}"
    return f"{clean(run.name)} is not being trained ({run.status()}): its log as recorded"


def cmd_watch(args: argparse.Namespace) -> int:
    from ktui.cli.headless import _exit_code
    from ktui.cli.reporters import PlainReporter, ProgressReporter
    from ktui.core.runs.follow import EventFollower
    from ktui.core.runs.storage import runs_root

    run = pick_run(runs_root(getattr(args, "runs_dir", None)), args.run)
    served = "web_driver" in os.environ.get("TEXTUAL_DRIVER", "")  # ktui serve -- watch
    if ((served or (sys.stdin.isatty() and sys.stdout.isatty()))
            and not (args.plain or args.jsonl)):
        return _watch_tui(run, args)
    say(f"ktui: {trained_by(run)}\n")
    if args.jsonl:
        reporter: typing.Any = None
    elif sys.stdout.isatty() and not args.plain:
        reporter = ProgressReporter(sys.stdout, sys.stderr)
    else:
        reporter = PlainReporter(sys.stdout, sys.stderr)
    follower = EventFollower(run)
    try:
        final = _follow(run, follower, reporter)
    except KeyboardInterrupt:
        say(f"\nktui: stopped watching; {clean(run.name)} goes on (`ktui watch "
            f"{clean(run.name)}` to come back)\n")
        return EXIT_INTERRUPTED
    finally:
        follower.close()
        if reporter is not None and hasattr(reporter, "close"):
            reporter.close()
    if final is None:
        say(f"ktui: {clean(run.name)}'s trainer is gone without a last word (interrupted); "
            f"`ktui train --resume {clean(run.name)}` continues it\n")
        return EXIT_FAILED
    return _exit_code(final)


def _watch_tui(run: RunDir, args: argparse.Namespace) -> int:
    """The training view on ``run``, fed by its log and steering it over its channel; leaving
    it says whether the run goes on."""
    from ktui.ui.app import run_app

    code = run_app(None, start=False, fps=args.fps, data_dir=None,
                   runs_dir=getattr(args, "runs_dir", None), watch=run)
    if run.in_use():
        say(f"ktui: stopped watching; {clean(run.name)} goes on (`ktui watch "
            f"{clean(run.name)}` to come back)\n")
    return code


def _follow(run: RunDir, follower: EventFollower, reporter: typing.Any) -> typing.Any:
    """Print lines until the run's last event (returned) or its trainer is gone (None). An
    ending counts once nobody trains the run: a trainer resuming it still has the old ending
    in its log for a moment (then rewinds it and goes on)."""
    ending: typing.Any = None
    while True:
        alive = run.in_use()  # before reading: a trainer that ends meanwhile is read to its end
        for line in follower.poll():
            if reporter is None:
                sys.stdout.write(line.text + "\n")
                sys.stdout.flush()
            elif line.event is not None:
                reporter(line.event)
            if line.event is not None:
                kind = getattr(line.event, "event", "")
                ending = line.event if kind in ("run_finished", "run_failed") else ending
                if kind == "run_started":
                    ending = None
        if not alive:
            return ending
        time.sleep(POLL_S)


def cmd_control(args: argparse.Namespace) -> int:
    from ktui.core.runs.control_channel import OPS, ChannelError, send
    from ktui.core.runs.follow import EventFollower
    from ktui.core.runs.storage import runs_root

    words = list(args.words)
    name = None if words[0] in OPS else words.pop(0)
    if not words or words[0] not in OPS:
        raise UsageError(f"ktui control [RUN] ACTION: ACTION is one of {', '.join(OPS)}")
    op, rest = words[0], words[1:]
    request = _request(op, rest)
    run = pick_run(runs_root(getattr(args, "runs_dir", None)), name)
    follower = EventFollower(run, from_end=True)
    try:
        try:
            send(run.path, request, run.name)
        except ChannelError as err:
            say(f"ktui: {err}\n")
            return EXIT_FAILED
        answer = _answer(follower, ANSWERS[op], args.wait)
    finally:
        follower.close()
    if answer is None:
        print(f"{op}: sent to {clean(run.name)}" + (
            "; no answer from the trainer yet (it answers between batches)" if args.wait
            else ""))
    else:
        print(f"{clean(run.name)}: {answer}")
    return EXIT_OK


def _request(op: str, rest: list[str]) -> dict[str, typing.Any]:
    if op == "step":
        try:
            n = int(rest[0]) if rest else 1
        except ValueError:
            raise UsageError(f"step N: N must be a whole number, got {rest[0]!r}") from None
        return {"op": "step", "n": n}
    if op == "lr":
        if len(rest) != 1:
            raise UsageError("lr VALUE (a new learning rate) or lr xF (multiply it by F)")
        text = rest[0]
        factor = text[:1] in ("x", "*")
        try:
            value = float(text[1:] if factor else text)
        except ValueError:
            raise UsageError(f"lr: not a number: {text!r}") from None
        return {"op": "lr", ("factor" if factor else "value"): value}
    if rest:
        raise UsageError(f"{op} takes no value, got {' '.join(rest)!r}")
    return {"op": op}


def _answer(follower: EventFollower, kinds: tuple[str, ...], wait: float) -> str | None:
    """The first event of ``kinds`` within ``wait`` seconds, as ``ktui train`` says it."""
    from ktui.cli.reporters import PlainReporter, lr_line

    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for line in follower.poll():
            event = line.event
            kind = getattr(event, "event", "")
            if kind not in kinds:
                continue
            if kind == "lr_changed":
                return lr_line(event)  # type: ignore[arg-type]
            if kind == "paused":
                return f"paused at epoch {event.epoch}, step {event.step}"  # type: ignore[union-attr]
            if kind == "step_done":
                return f"stepped to epoch {event.epoch}, step {event.step}"  # type: ignore[union-attr]
            if kind == "run_finished":
                return PlainReporter(sys.stdout, sys.stderr).finish_line(event)  # type: ignore[arg-type]
            return kind.replace("_", " ")
        time.sleep(0.05)
    return None
