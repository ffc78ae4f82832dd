"""The app-wide hardening of issue 8: a handler's bug is survived, damaged runs are skipped,
quitting asks during a run, signals stop a run cleanly, the palette and the help show every
key once, and screenshots land in a folder that exists.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console
from textual.binding import Binding
from textual.command import CommandList
from textual.widgets import DataTable, Static

from ktui.core.runs import RunDir
from ktui.core.runs.listing import list_runs
from ktui.core.spec.presets import get_preset
from ktui.ui import app as app_module
from ktui.ui.app import KtuiApp, install_signal_handlers
from ktui.ui.commands import key_label
from ktui.ui.screens import runs as runs_module
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.help import HelpScreen, help_renderable, section_lines, sections
from ktui.ui.screens.layer_form import LayerFormScreen
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.run_columns import middle_ellipsis
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import TrainingScreen
from ktui.ui.widgets.layer_stack import LayerStack

from .fakes import classifier_events, linear_events, scripted
from .helpers import feed, make_test_app, until
from .recorded_runs import finish, make_runs_root, write_run
from .test_flows import text_of

REPO = Path(__file__).resolve().parents[2]
SIZE = (100, 30)


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """errors.log goes to the test's folder, never to the user's ~/.cache."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    return cache / "ktui"


def notifications(app: KtuiApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


def boom(*args: object) -> None:
    raise RuntimeError("injected failure [b]with markup[/b]")


def slow_run(**kwargs: object):
    """A fake trainer that goes on until it is stopped (1000 epochs of 50 steps)."""
    return scripted(lambda: linear_events(epochs=1000, steps=50), step_delay=0.01, **kwargs)


# ---- item 1: never let a handler exception kill the app -------------------------------------

async def test_an_action_that_raises_is_logged_shown_and_survived(
        private_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(SetupScreen, "action_save_spec", boom)
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+s")
        await until(pilot, lambda: bool(app.internal_errors))
        assert app.is_running and isinstance(app.screen, SetupScreen)
        shown = notifications(app)
        assert len(shown) == 1
        assert "Internal error in boom: RuntimeError: injected failure" in shown[0]
        assert "errors.log" in shown[0] and "your experiment is kept" in shown[0]
        log = (private_cache / "errors.log").read_text()
        assert "Traceback" in log and "RuntimeError: injected failure" in log
        # The app still answers keys: the runs list opens.
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        assert [e.where for e in app.take_internal_errors()] == ["boom"]
    assert app.return_code in (0, None)


async def test_a_message_handler_that_raises_keeps_its_screen_working(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual leaves a node's message loop when a handler raises: the screen would ignore
    # every later key. The guard keeps the loop going.
    monkeypatch.setattr(SetupScreen, "action_duplicate_layer", boom)
    app = make_test_app()
    async with app.run_test(size=(120, 36)) as pilot:
        screen = app.screen
        await pilot.click("#btn-duplicate")  # the button's action -> action_duplicate_layer
        await until(pilot, lambda: bool(app.internal_errors))
        assert app.internal_errors[0].where == "boom"
        layers = len(app.spec.layers)
        await pilot.click("#btn-remove")  # the same screen still handles its messages
        await until(pilot, lambda: len(app.spec.layers) == layers - 1)
        assert app.screen is screen and app.is_running
        app.take_internal_errors()


async def test_a_timer_callback_bug_in_ktui_code_is_survived() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        app.set_timer(0.01, partial(app.toggle_compare, None))  # type: ignore[arg-type]
        await until(pilot, lambda: bool(app.internal_errors))
        assert app.internal_errors[0].where == "Comparing.toggle_compare"  # an app part
        assert "AttributeError" in notifications(app)[0]
        assert app.is_running
        app.take_internal_errors()


async def test_an_error_storm_still_ends_the_app() -> None:
    app = make_test_app()
    with pytest.raises(AttributeError):
        async with app.run_test(size=SIZE) as pilot:
            for _ in range(40):
                app.call_later(app.toggle_compare, None)  # type: ignore[arg-type]
            await pilot.pause(0.2)
            assert not app.is_running
    assert app.return_code == 1


async def test_a_failure_at_startup_still_ends_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KtuiApp, "on_mount", boom)
    app = make_test_app()
    with pytest.raises(RuntimeError, match="injected failure"):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
    assert app.return_code == 1


async def test_a_pilot_test_still_fails_on_a_survived_error(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The net never hides a bug from the test suite: run_test re-raises it at the end.
    monkeypatch.setattr(SetupScreen, "action_save_spec", boom)
    app = make_test_app()
    with pytest.raises(RuntimeError, match="injected failure"):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("ctrl+s")
            await until(pilot, lambda: bool(app.internal_errors))
            assert app.is_running


# ---- item 6: damaged runs are reported and skipped, never fatal ---------------------------

def _edit_summary(run: RunDir, **fields: object) -> None:
    data = json.loads(run.summary_file.read_text())
    data.update(fields)
    run.summary_file.write_text(json.dumps(data))


#: Each damage, what it does to the run, and what the listing must do with it: ``skipped``
#: with these words in its note, or ``listed`` (a damaged metrics row is skipped inside the run,
#: not the whole run).
DAMAGES: dict[str, tuple[Callable[[RunDir], object], str, str]] = {
    "epochs_done is text": (lambda run: _edit_summary(run, epochs_done="ten"), "skipped",
                            "damaged run (summary.json: epochs_done must be a whole number"),
    "updated is a list": (lambda run: _edit_summary(run, updated=[1, 2]), "skipped",
                          "damaged run (summary.json: updated must be a number"),
    "best is a list": (lambda run: _edit_summary(run, best=[0.5]), "skipped",
                       "damaged run (summary.json: best must be an object of numbers"),
    "status is a number": (lambda run: _edit_summary(run, status=5), "skipped",
                           "damaged run (summary.json: status must be one of"),
    "summary is a list": (lambda run: run.summary_file.write_text("[1, 2]"), "skipped",
                          "not a readable ktui run (summary.json: not a JSON object)"),
    "spec has Latin-1 bytes": (lambda run: run.spec_file.write_bytes(
        run.spec_file.read_bytes().replace(b'name = "', b'name = "\xe9t\xe9 ')), "skipped",
        "not a readable ktui run (spec.toml: not UTF-8 text: byte 0xe9"),
    "spec is binary": (lambda run: run.spec_file.write_bytes(bytes(range(256)) * 4), "skipped",
                       "not a readable ktui run (spec.toml: not UTF-8 text: byte 0x80"),
    "metrics row has an extra field": (lambda run: run.metrics_file.write_text(
        run.metrics_file.read_text() + "11,0.5,0.5,0.5,0.5,9,9,9\n"), "listed", ""),
}

#: Through the whole app: one damage of each outcome in the quick loop, the rest when slow.
_QUICK_DAMAGES = {"status is a number", "metrics row has an extra field"}


def _note_words(note: str) -> str:
    """The note with a file's folder cut off (it holds tmp_path): ``(spec.toml: ...``."""
    return re.sub(r"\(\S*/(summary\.json|spec\.toml)", r"(\1", note)


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_each_damage_has_its_own_outcome_in_the_listing(damage: str, tmp_path: Path) -> None:
    runs = make_runs_root(tmp_path / "ktui-runs")
    damage_run, outcome, words = DAMAGES[damage]
    damage_run(runs["best"])
    infos, problems = list_runs(tmp_path / "ktui-runs")
    names = [info.name for info in infos]
    for key in ("worse", "fashion", "failed", "interrupted"):
        assert runs[key].name in names
    about_it = [_note_words(p) for p in problems if p.startswith(runs["best"].name)]
    if outcome == "skipped":
        assert runs["best"].name not in names
        assert len(about_it) == 1
        assert about_it[0].startswith(f"{runs['best'].name}: skipped, {words}")
    else:
        assert runs["best"].name in names and about_it == []


@pytest.mark.parametrize("damage", [
    pytest.param(name, marks=() if name in _QUICK_DAMAGES else pytest.mark.slow)
    for name in DAMAGES])
async def test_a_damaged_run_never_ends_the_app(damage: str, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")
    damage_run, outcome, words = DAMAGES[damage]
    damage_run(runs["best"])
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+l")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(DataTable)
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        # The four undamaged runs are listed whatever happens to the fifth.
        for key in ("worse", "fashion", "failed", "interrupted"):
            assert runs[key].name in names
        note = text_of(screen.query_one("#runs-note", Static))
        if outcome == "skipped":
            assert runs["best"].name not in names
            assert f"{runs['best'].name}: skipped" in note
            assert "2 runs skipped:" in note  # with the broken folder of make_runs_root
        else:  # listed: opening, comparing and loading it must not end the app either
            assert runs["best"].name in names
            assert runs["best"].name not in note
            table.move_cursor(row=names.index(runs["best"].name))
            await pilot.press("space")
            await pilot.press("enter")
            await pilot.pause()
            if isinstance(app.screen, RecordedRunScreen):
                await pilot.press("b")
            await until(pilot, lambda: isinstance(app.screen, RunsScreen))
            await pilot.press("l")
            await pilot.pause()
        assert app.is_running
        assert not app.internal_errors  # handled as damage, not as a bug


async def test_runs_list_reads_run_by_run_when_the_core_listing_raises(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")

    def broken_listing(root: Path) -> None:
        raise TypeError("an unforeseen damage")

    monkeypatch.setattr(runs_module, "list_runs", broken_listing)
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+l")
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        table = screen.query_one(DataTable)
        names = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert names == {r.name for r in runs.values()}
        note = text_of(screen.query_one("#runs-note", Static))
        assert "1 run skipped:" in note and "20260108-000000-broken: skipped" in note


# ---- item 22: the runs list at 80 columns ------------------------------------------------------

@pytest.mark.parametrize("size", [(80, 24), (200, 60)])
async def test_runs_list_shows_whole_status_words(size: tuple[int, int], tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")
    # A long experiment name, as a user would give one.
    long = get_preset("fashion-mlp")
    long.name = "fashion-mlp-with-a-much-longer-name-than-usual"
    write_run(tmp_path / "ktui-runs", long, finish(classifier_events()),
              "20260109-090000-fashion-mlp-with-a-much-longer-name-than-usual")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=size) as pilot:
        await pilot.press("ctrl+l")
        table = app.screen.query_one(DataTable)
        await pilot.pause()
        statuses = {str(table.get_row_at(i)[5]) for i in range(table.row_count)}
        assert statuses == {"finished", "failed", "interrupted"}
        used = sum(c.get_render_width(table) for c in table.columns.values())
        assert used <= table.scrollable_content_region.width  # nothing scrolled off
        assert table.columns["status"].get_render_width(table) >= len("interrupted") + 2
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        if size[0] == 80:
            assert any("…" in n for n in names)  # the long name gave way, not the status
        else:
            assert "20260109-090000-fashion-mlp-with-a-much-longer-name-than-usual" in names


def test_middle_ellipsis_keeps_both_ends() -> None:
    assert middle_ellipsis("20260103-101500-linear-gd", 25) == "20260103-101500-linear-gd"
    cut = middle_ellipsis("20260103-101500-linear-gd", 15)
    assert len(cut) == 15 and cut.startswith("2026010") and cut.endswith("near-gd")
    assert "…" in cut


# ---- item 21: quitting during a run asks; ctrl+c does not ---------------------------------

@pytest.mark.slow
async def test_q_during_a_run_asks_and_no_keeps_training() -> None:
    app = make_test_app(start=True, train_fn=slow_run())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.running and app.screen.control is not None)
        training = app.screen
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "A run is in progress. Stop it and quit?" in str(
            app.screen.query_one("#confirm-question", Static).content)
        await pilot.press("q")  # asking twice opens no second question
        await pilot.press("n")
        await until(pilot, lambda: app.screen is training)
        assert app.is_running and training.running
        assert training.control is not None and not training.control.stop_requested
        await pilot.press("q")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: not app.is_running)
        assert training.control.stop_requested
    assert app.return_code == 0


@pytest.mark.slow
async def test_ctrl_c_quits_at_once_and_still_stops_the_trainer() -> None:
    app = make_test_app(start=True, train_fn=slow_run())
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, TrainingScreen)
                    and app.screen.control is not None)
        control = app.screen.control
        await pilot.press("ctrl+c")
        await until(pilot, lambda: not app.is_running)
        assert control.stop_requested
    assert app.return_code == 0


async def test_q_without_a_run_quits_without_asking() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await until(pilot, lambda: not app.is_running)
    assert app.return_code == 0


@pytest.mark.parametrize(("key", "answer"), [("y", True), ("enter", True), ("n", False),
                                             ("escape", False)])
@pytest.mark.slow
async def test_confirm_screen_keys(key: str, answer: bool) -> None:
    answers: list[bool | None] = []
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(ConfirmScreen("Really?"), answers.append)
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(key)
        await until(pilot, lambda: bool(answers))
    assert answers == [answer]


# ---- item 15: SIGTERM and SIGHUP stop a run like ctrl+c ------------------------------------

CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
import ktui.ui.app as appmod
from tests.tui.fakes import scripted, linear_events

folder = Path({folder!r})
inner = scripted(lambda: linear_events(epochs=1000, steps=50), step_delay=0.02)

def train(spec, sink, control, *, data_dir=None):
    (folder / "started").write_text("yes")
    final = inner(spec, sink, control, data_dir=data_dir)
    time.sleep(1.5)  # saving the model takes longer than the UI waits: run_app must wait
    (folder / "ended").write_text(final.status)
    return final

make_app = appmod.make_app
appmod.make_app = lambda *a, **k: make_app(*a, **{{**k, "train_fn": train}})
sys.exit(appmod.run_app(None, start=True, fps=4.0, data_dir=None))
"""


@pytest.mark.parametrize(("signum", "hang_up"), [(signal.SIGTERM, False),
                                                 (signal.SIGHUP, True)])
@pytest.mark.slow
def test_a_signal_stops_the_run_cleanly_and_restores_the_terminal(
        signum: int, hang_up: bool, tmp_path: Path) -> None:
    sys.path.insert(0, str(REPO))
    try:
        from benchmarks.ptyrun import Pty
    finally:
        sys.path.remove(str(REPO))
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(CHILD.format(repo=str(REPO), folder=str(tmp_path))))
    pty = Pty([sys.executable, str(script)], cols=100, rows=30,
              env={"XDG_CACHE_HOME": str(tmp_path / "cache"), "TEXTUAL_ANIMATIONS": "none"})
    try:
        assert pty.read_until(lambda _: (tmp_path / "started").exists(), 60), "never started"
        time.sleep(0.3)
        if hang_up:  # an SSH connection dropping: the terminal is gone, then SIGHUP
            os.close(pty.master)
            pty._eof = True
        os.kill(pty.proc.pid, signum)
        deadline = time.monotonic() + 30
        while pty.proc.poll() is None and time.monotonic() < deadline:
            if not hang_up:
                pty.pump(0.05)
            else:
                time.sleep(0.05)
        assert pty.proc.poll() == 128 + signum
        assert (tmp_path / "ended").read_text() == "stopped"  # saved before the exit
        if not hang_up:
            while pty.pump(0.1):
                pass
            assert b"\x1b[?1049l" in bytes(pty.run.head)  # the alternate screen was left
    finally:
        if pty.proc.poll() is None:
            os.killpg(pty.proc.pid, signal.SIGKILL)
            pty.proc.wait()
        if not hang_up:
            os.close(pty.master)


def test_signal_handlers_respect_nohup_and_are_undone() -> None:
    app = make_test_app()
    before_term = signal.getsignal(signal.SIGTERM)
    before_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        restore = install_signal_handlers(app)
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN  # nohup stays in force
        assert signal.getsignal(signal.SIGTERM) is not before_term
        # Before the app runs, a signal is kept for when the loop starts.
        app.stop_from_signal(signal.SIGTERM)
        assert app._pending_signal == signal.SIGTERM
        restore()
        assert signal.getsignal(signal.SIGTERM) is before_term
    finally:
        signal.signal(signal.SIGHUP, before_hup)


@pytest.mark.slow
def test_wait_for_trainers_waits_for_the_last_save() -> None:
    done: list[str] = []

    def saving() -> None:
        time.sleep(0.4)
        done.append("saved")

    thread = threading.Thread(target=saving, name="ktui-train", daemon=True)
    thread.start()
    assert app_module.wait_for_trainers(timeout=5)
    assert done == ["saved"]


# ---- item 28: the palette -------------------------------------------------------------------

async def _palette_entries(pilot, app: KtuiApp) -> list[str]:
    await pilot.press("ctrl+p")
    await pilot.pause(0.3)
    commands = app.screen.query_one(CommandList)
    await until(pilot, lambda: commands.option_count > 5)
    entries = [str(commands.get_option_at_index(i).prompt)
               for i in range(commands.option_count)]
    await pilot.press("escape")
    return entries


@pytest.mark.slow
async def test_palette_lists_quit_once_and_shows_keys(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 36)) as pilot:
        entries = await _palette_entries(pilot, app)
        titles = [e.splitlines()[0] for e in entries]
        assert titles.count("Quit") == 1 and titles.count("Help") == 1
        by_title = {e.splitlines()[0]: e for e in entries}
        assert by_title["Quit"].endswith("(q / ctrl+q)")
        assert by_title["Help"].endswith("(? / f1)")
        assert by_title["Screenshot"].endswith("(f12)")
        assert by_title["Train"].endswith("(ctrl+r)")
        assert "ctrl+n" in by_title["Add layer"]
        await pilot.press("ctrl+l")
        await until(pilot, lambda: isinstance(app.screen, RunsScreen))
        entries = await _palette_entries(pilot, app)
        by_title = {e.splitlines()[0]: e for e in entries}
        assert by_title["Open run"].endswith("(enter)")
        assert by_title["Back"].endswith("(esc / b)")
        assert by_title["Refresh runs"].endswith("(f5 / ctrl+r)")
        assert [e.splitlines()[0] for e in entries].count("Quit") == 1


# ---- item 28: screenshots go to a folder that exists, and the user is told where ----------

@pytest.mark.slow
async def test_screenshot_key_saves_in_the_current_folder(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"  # no Downloads folder in it
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f12")
        await until(pilot, lambda: (work / "ktui-screen-1.svg").exists())
        await pilot.press("f12")
        await until(pilot, lambda: (work / "ktui-screen-2.svg").exists())
        assert "<svg" in (work / "ktui-screen-1.svg").read_text()
        assert "Screenshot: Screenshot saved: ./ktui-screen-1.svg" in notifications(app)
        assert not (home / "Downloads").exists()


@pytest.mark.slow
async def test_screenshot_of_a_past_run_goes_into_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    runs = make_runs_root(tmp_path / "ktui-runs")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+l")
        table = app.screen.query_one(DataTable)
        names = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]
        table.move_cursor(row=names.index(runs["fashion"].name))
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, RecordedRunScreen))
        # Through the palette, as a user would find it.
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        await pilot.press(*"screenshot")
        await pilot.pause(0.3)
        await pilot.press("enter")
        target = runs["fashion"].path / "screen-1.svg"
        await until(pilot, lambda: target.exists())
        expected = f"./ktui-runs/{runs['fashion'].name}/screen-1.svg"
        await until(pilot, lambda: any(expected in n for n in notifications(app)))


@pytest.mark.slow
async def test_screenshot_of_a_live_run_goes_into_its_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    run_dir = tmp_path / "ktui-runs" / "20260110-120000-linear-gd"
    run_dir.mkdir(parents=True)
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await feed(pilot, list(linear_events())[:6])
        screen.run_dir = str(run_dir)  # what the real trainer's RunRecording message sets
        await pilot.press("f12")
        await until(pilot, lambda: (run_dir / "screen-1.svg").exists())
        assert not list(tmp_path.glob("ktui-screen-*.svg"))


@pytest.mark.slow
async def test_screenshot_into_a_folder_that_cannot_be_written_is_explained(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        assert app.deliver_screenshot(path=str(tmp_path / "missing")) is None
        await pilot.pause()
        shown = notifications(app)
        assert any("Screenshot not saved" in n and "missing" in n for n in shown)
        assert not app.internal_errors


# ---- help: every key that works is listed ----------------------------------------------------

def _help_text() -> str:
    console = Console(width=200, file=io.StringIO(), record=True)
    console.print(help_renderable(sections(KtuiApp)))
    return console.export_text()


def test_help_lists_every_binding_of_every_view() -> None:
    text = _help_text()
    assert "ctrl+n" in text and "add a layer, wherever the focus is" in text
    lines = [(keys.split(), what) for s in sections(KtuiApp) for keys, what in section_lines(s)]
    for cls in (SetupScreen, LayerStack, LayerFormScreen, RunsScreen, TrainingScreen,
                RecordedRunScreen, KtuiApp):
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", ())):
            if binding.id == "run_busy":
                continue  # "r" while a run is going: the same key as "run", listed once
            assert any(key_label(binding.key) in keys for keys, _ in lines), \
                f"{cls.__name__}: {binding.key} ({binding.action}) is not in the help"
    assert "ctrl+p" in text and "f12" in text and "ctrl+q" in text


async def test_help_screen_opens_and_closes() -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
