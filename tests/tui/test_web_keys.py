"""In a browser (``ktui serve``) the keys a browser keeps have others beside them: the app's
keymap (applied when it runs in a browser) makes F9 train, F8 open the runs list, r refresh
it, and the footer shows those keys."""

from __future__ import annotations

import pytest
from textual.widgets import Footer

from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.web_keys import WEB_KEYMAP

from .fakes import linear_events, scripted
from .helpers import make_test_app, training, until


async def test_the_browser_keys_work() -> None:
    app = make_test_app(train_fn=scripted(linear_events))
    async with app.run_test(size=(120, 36)) as pilot:
        app.set_keymap(WEB_KEYMAP)
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.pause()
        footer = app.screen.query_one(Footer)
        keys = " ".join(str(k.render()) for k in footer.query("FooterKey"))
        assert "f8 runs" in keys.lower() and "^l" not in keys.lower()
        await pilot.press("f8")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        await pilot.press("r", "b")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.press("f9")
        await until(pilot, lambda: training(app).view.state == "finished")


@pytest.mark.slow
async def test_in_a_browser_the_keys_are_set_and_closing_the_tab_stops_the_run(
        monkeypatch) -> None:
    from ktui.ui.app import KtuiApp

    monkeypatch.setattr(KtuiApp, "is_web", property(lambda self: True))
    app = make_test_app(train_fn=scripted(lambda: linear_events(epochs=200), step_delay=0.02))
    async with app.run_test(size=(120, 36)) as pilot:
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert app.screen.active_bindings["f9"].binding.action == "train"  # the keymap
        await pilot.press("f9")
        await until(pilot, lambda: training(app).view.epochs_done >= 1)
        screen = training(app)
        control = screen.control
        assert control is not None
        app.exit()  # what textual-serve asks when the tab closes
        await pilot.pause()
    assert control.stop_reason == "browser tab closed"


def test_the_help_says_the_browser_keys_in_a_browser() -> None:
    """The help lists the keys the app has in a browser (F9 trains there; ctrl+r reloads
    the page), not only the terminal's (issue 23, item 7)."""
    from ktui.ui.app import KtuiApp
    from ktui.ui.screens.help import section_lines, sections

    setup = next(s for s in sections(KtuiApp) if SetupScreen in s.classes)
    terminal = dict((what, keys) for keys, what in section_lines(setup))
    browser = dict((what, keys) for keys, what in section_lines(setup, WEB_KEYMAP))
    train = next(what for what in terminal if terminal[what].startswith("ctrl+r"))
    assert "f9" not in terminal[train].lower()
    assert browser[train].lower().startswith("f9")
    background = next(what for what in browser if "background" in what)
    assert browser[background].lower().startswith("f7")
