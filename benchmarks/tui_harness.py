"""``python -m benchmarks.tui_harness ARGS`` = ``python -m ktui ARGS``, plus a tap on the events.

The TUI starts its runs with ``ktui.core.session.start_run``; this wraps that function so that
every event also goes, as one JSON line with a ``t`` field (``time.monotonic()``, comparable across
processes on Linux), to the file named by ``$KTUI_BENCH_EVENTS``. The benchmark reads
samples/s from it when the TUI records no run directory of its own, and uses the timestamps
to know when training started and ended. Each line also has ``ui_cpu_s``: the CPU seconds
of the app's main thread (Textual's event loop) so far, read from the trainer's thread at the
moment of the event (the thread's CPU clock, nanoseconds, not /proc's 10-ms ticks read
whenever the benchmark notices an event), so the UI's share of a training window is exact.
The tap costs one small write per event.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time


def _install_tap(path: str) -> None:
    import ktui.core.session as session
    from ktui.core.events import StepDone, to_dict

    real_start = session.start_run
    out = open(path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as the app
    ui_clock = time.pthread_getcpuclockid(threading.main_thread().ident)  # Linux, macOS

    def tap(event) -> None:
        if not isinstance(event, StepDone):
            data = to_dict(event)
            data.pop("weights", None)
            data.pop("layers", None)
            data["t"] = time.monotonic()
            data["ui_cpu_s"] = time.clock_gettime(ui_clock)
            out.write(json.dumps(data, default=str) + "\n")

    def start_run(spec, sinks, *args, **kwargs):
        return real_start(spec, [tap, *sinks], *args, **kwargs)

    session.start_run = start_run


def main() -> int:
    path = os.environ.get("KTUI_BENCH_EVENTS")
    if path:
        _install_tap(path)
    from ktui.cli import main as ktui_main

    return ktui_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())
