"""``python -m benchmarks.pages``: what one update of each training page costs the UI thread.

A real run's events (``ktui train --spec F --jsonl``: fashion-mlp, real images, real
predictions and confusion matrices) are replayed into the real app, in-process, on a
120×40 screen with Textual's headless driver; after each epoch the screen is flushed, the
page's pictures forced to draw, and the frame Textual composes is rendered to the bytes it
would write to the terminal. Per page (charts, learned, gradients) it reports:

* ``bytes_per_epoch``: terminal bytes of the frames that epoch caused (the first frame of a
  page, its full paint, is left out). Counted, not timed: the same on a busy machine.
* ``ms_per_epoch``: CPU time of the UI thread for them (flush, render, compose, encode), the best
  of ``--repeats`` passes over the same events: a timing, so only a ratio measured in one
  run means anything.
* ``render_calls_per_epoch``: widgets rendered (``render_lines`` calls) per epoch.

Run it on two trees (``PYTHONPATH=OTHER/src python -m benchmarks.pages``) to compare code.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

#: Colours as a terminal with COLORTERM=truecolor gets them (the pty runs' terminal); Textual
#: reads this when it is imported.
os.environ.setdefault("TEXTUAL_COLOR_SYSTEM", "truecolor")

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
PAGES = ("charts", "learned", "gradients")


def record_events(epochs: int, samples: int) -> list[dict[str, Any]]:
    """A real fashion-mlp run's events, as ``--jsonl`` prints them."""
    from benchmarks.apps import CHILD_ENV, Unavailable, write_spec

    with tempfile.TemporaryDirectory(prefix="ktui-pages-") as tmp:
        spec = write_spec(Path(tmp) / "spec.toml", epochs, samples)
        done = subprocess.run(
            [sys.executable, "-m", "ktui", "train", "--spec", str(spec), "--jsonl",
             "--runs-dir", str(Path(tmp) / "runs")],
            capture_output=True, text=True, cwd=ROOT,
            env={**os.environ, **CHILD_ENV, "TF_CPP_MIN_LOG_LEVEL": "3"})
    if done.returncode:
        raise Unavailable(f"ktui train exited {done.returncode}: {done.stderr[-300:]}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _settings() -> Any:
    """The production settings (redraw intervals included), without TensorFlow's warm-up."""
    from ktui.ui.settings import AppSettings

    return AppSettings(warm_up_tf=False, cursor_blink=False, animations=False,
                       reraise_internal_errors=True)


async def _measure(events: list[Any], page: str,
                   trace: list[tuple[int, list[str]]] | None = None) -> dict[str, float]:
    from textual.app import App
    from textual.widget import Widget

    from ktui.core.events import EpochDone
    from ktui.core.spec.presets import get_preset
    from ktui.ui.app import make_app

    frames: list[int] = []
    calls = [0]
    rendered: list[str] = []  # widgets rendered since the last frame (for ``trace``)
    app = make_app(get_preset("fashion-mlp"), settings=_settings())
    real_render_lines = Widget.render_lines

    def render_lines(self: Widget, crop: Any) -> Any:
        calls[0] += 1
        rendered.append(type(self).__name__)
        return real_render_lines(self, crop)

    def display(self: App, screen: Any, renderable: Any) -> None:
        if renderable is None:
            return
        if hasattr(renderable, "render_segments"):
            frames.append(len(renderable.render_segments(self.console).encode()))
        else:  # a full Rich renderable (not used by the compositor here)
            frames.append(len(self.console._render_buffer(self.console.render(renderable))))
        if trace is not None:
            trace.append((frames[-1], sorted(set(rendered))))
        rendered.clear()

    Widget.render_lines = render_lines  # type: ignore[method-assign]
    App._display = display  # type: ignore[method-assign]
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.open_training(start=False)
            await pilot.pause()
            for _ in range(PAGES.index(page)):
                await pilot.press("v")
                await pilot.pause()
            i = 0
            while i < len(events) and not isinstance(events[i], EpochDone):
                screen.handle_event(events[i])
                i += 1
            screen.flush()
            await pilot.pause()
            frames.clear()
            calls[0] = 0
            ui_s, epochs = 0.0, 0
            late_s, late_bytes, late = 0.0, 0, 0
            while i < len(events):
                t0 = time.thread_time()
                while i < len(events):
                    event = events[i]
                    screen.handle_event(event)
                    i += 1
                    if isinstance(event, EpochDone):
                        break
                # what comes with an epoch (predictions, matrix) arrives just after it
                while i < len(events) and type(events[i]).__name__ in (
                        "Predictions", "Confusion"):
                    screen.handle_event(events[i])
                    i += 1
                screen.flush()
                await pilot.pause()
                ui_s += time.thread_time() - t0
                epochs += 1
                # The pictures that wait for their redraw interval, forced now (as their
                # timers would, later): counted apart, per redraw.
                waiting = [w for w in screen.query("ConfusionView, GalleryView, WeightStrips")
                           if getattr(w, "_timer", None) is not None]
                if waiting:
                    before, t0 = sum(frames), time.thread_time()
                    for widget in waiting:
                        widget._timer.stop()
                        widget._later() if hasattr(widget, "_later") else widget._draw()
                    await pilot.pause()
                    late_s += time.thread_time() - t0
                    late_bytes += sum(frames) - before
                    late += 1
    finally:
        Widget.render_lines = real_render_lines  # type: ignore[method-assign]
        del App._display
    epochs = max(epochs, 1)
    return {"bytes_per_epoch": (sum(frames) - late_bytes) / epochs,
            "ms_per_epoch": 1000 * ui_s / epochs, "render_calls_per_epoch": calls[0] / epochs,
            "epochs": epochs, "bytes_per_late_redraw": late_bytes / max(late, 1),
            "ms_per_late_redraw": 1000 * late_s / max(late, 1), "late_redraws": late}


def measure(raw: list[dict[str, Any]], repeats: int) -> dict[str, dict[str, float]]:
    from ktui.core.events import from_dict

    events = [e for e in (from_dict(d) for d in raw) if e is not None]
    out: dict[str, dict[str, float]] = {}
    for page in PAGES:
        runs = [asyncio.run(_measure(events, page)) for _ in range(repeats)]
        out[page] = {
            "bytes_per_epoch": statistics.median(r["bytes_per_epoch"] for r in runs),
            "ms_per_epoch": min(r["ms_per_epoch"] for r in runs),
            "render_calls_per_epoch": statistics.median(r["render_calls_per_epoch"]
                                                        for r in runs),
            "epochs": runs[0]["epochs"],
            "bytes_per_late_redraw": statistics.median(r["bytes_per_late_redraw"] for r in runs),
            "ms_per_late_redraw": min(r["ms_per_late_redraw"] for r in runs),
            "late_redraws": runs[0]["late_redraws"],
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--samples", type=int, default=6000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--events", help="read (or write, when missing) the run's events here")
    parser.add_argument("--json", action="store_true", help="one JSON line")
    args = parser.parse_args(argv)
    path = Path(args.events) if args.events else None
    if path is not None and path.exists():
        raw = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    else:
        raw = record_events(args.epochs, args.samples)
        if path is not None:
            path.write_text("".join(json.dumps(d) + "\n" for d in raw))
    result = measure(raw, args.repeats)
    if args.json:
        print(json.dumps(result))
    else:
        for page, r in result.items():
            print(f"{page:10s} {r['bytes_per_epoch']:9,.0f} B/epoch  {r['ms_per_epoch']:7.1f} "
                  f"ms/epoch  {r['render_calls_per_epoch']:6.1f} renders/epoch "
                  f"({r['epochs']:.0f} epochs); {r['bytes_per_late_redraw']:9,.0f} B "
                  f"{r['ms_per_late_redraw']:7.1f} ms per held-back picture redraw "
                  f"({r['late_redraws']:.0f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
