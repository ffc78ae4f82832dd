"""The training view says when the step runs with XLA: ``· XLA`` on the progress line, and a
note when ``jit_compile = "auto"`` tried XLA (what it measured); a short run's "not tried"
stays quiet (every preset as shipped ends there)."""

from __future__ import annotations

from ktui.core.events import RunStarted, XlaPicked
from ktui.core.spec.presets import get_preset
from ktui.ui.widgets.progress import RunProgress

from .fakes import every_kind_events
from .helpers import feed, make_test_app, settle

TRIED = XlaPicked(True, "1.09× as fast with XLA (4.99 ms a step with XLA, 5.45 without; "
                  "compiled in 2.4 s)", 3, 40, plain_ms=5.45, xla_ms=4.99, compile_s=2.4)


def _notes(app) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def test_a_tried_pick_is_noted_and_marked_on_the_progress_line() -> None:
    start = next(e for e in every_kind_events() if isinstance(e, RunStarted))
    app = make_test_app(get_preset("fashion-mlp"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await feed(pilot, [start])
        await settle(pilot)
        progress = screen.query_one(RunProgress)
        assert "XLA" not in str(progress.render()) and not _notes(app)
        screen.handle_event(XlaPicked(False, "not tried: ...", 1, 3, tried=False, plain_ms=5.0))
        screen.flush()
        await settle(pilot)
        assert "XLA" not in str(progress.render()) and not _notes(app)
        screen.handle_event(TRIED)
        screen.flush()
        await settle(pilot)
        assert "· XLA" in str(progress.render())
        assert _notes(app) == [f"XLA on (auto): {TRIED.reason}"]
