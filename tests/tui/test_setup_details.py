"""The setup view's details (issue 21, item 16): where the focus starts, the hint line as the
focus moves, switches readable without colour, long paths and hints, the spec dialogs, asking
before a past run's spec replaces edits, dimmed dialogs, the save notification's command."""

from __future__ import annotations

import io
import shlex
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual import events
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static, Switch

from ktui.core.spec.presets import get_preset
from ktui.ui.screens.confirm import ConfirmScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen, get_path
from ktui.ui.screens.spec_file import SpecFileScreen
from ktui.ui.widgets.fields import FieldRow
from ktui.ui.widgets.layer_stack import LayerStack

from .helpers import make_test_app, until
from .recorded_runs import make_runs_root

SIZE = (120, 40)


def text_of(renderable: Any, width: int = 400) -> str:
    console = Console(width=width, file=io.StringIO(), record=True)
    console.print(renderable)
    return console.export_text()


def hint_of(screen: Any) -> str:
    return text_of(screen.query_one("#hint", Static).content).strip()


def setup_of(app: Any) -> SetupScreen:
    screen = app.screen
    assert isinstance(screen, SetupScreen), type(screen).__name__
    return screen


# ---- 1: the first focus is set once and stays -------------------------------------------------

@pytest.mark.slow
async def test_the_first_focus_is_the_layer_list_and_never_moves() -> None:
    """Every widget the setup view ever focused while starting: one, the layer list. (It was
    the preset picker first, then 0.2-0.4 s later the layer list: a deferred ``focus()``.)"""
    focused: list[str] = []

    def hook(message: Message) -> None:  # a focus bubbles up: one entry per widget focused
        if isinstance(message, events.DescendantFocus):
            name = str(message.widget.id)
            if not focused or focused[-1] != name:
                focused.append(name)

    app = make_test_app()
    async with app.run_test(size=SIZE, message_hook=hook) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.focused, LayerStack)
    assert focused == ["stack"]


# ---- 2: the hint line follows the focus at once -----------------------------------------------

@pytest.mark.slow
async def test_a_section_title_hint_says_open_once_opened() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        title = setup.query_one("#section-steering CollapsibleTitle")
        title.focus()
        await pilot.pause()
        assert "Schedule & stopping: closed" in hint_of(setup)
        await pilot.press("enter")
        await pilot.pause()
        assert "Schedule & stopping: open" in hint_of(setup)
        await pilot.press("enter")
        await pilot.pause()
        assert "Schedule & stopping: closed" in hint_of(setup)


@pytest.mark.slow
async def test_the_hint_changes_in_the_same_call_as_the_focus() -> None:
    """Tabbing fast: each focus change shows its field's hint before the next key is read
    (no message later), so the line never names a field the focus has left."""
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        await pilot.pause()
        assert hint_of(setup).startswith("layers:")
        for key, label in (("train-epochs", "epochs"), ("train-seed", "seed"),
                           ("dataset-n", "n")):
            setup.set_focus(setup.query_one(f"#f-{key} Input"))
            assert hint_of(setup).startswith(f"{label}:"), key  # no await in between
        setup.focus_next()
        assert not hint_of(setup).startswith("n:")
        setup.set_focus(setup.query_one("#btn-train"))  # first in the tab order
        assert hint_of(setup).startswith("Train: check the experiment")


# ---- 3: a switch's state in words -------------------------------------------------------------

@pytest.mark.slow
async def test_each_switch_says_on_or_off_in_words() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        setup = setup_of(app)
        rows = [r for r in setup.query(FieldRow) if r.field.type == "bool"]
        assert {r.field.key for r in rows} >= {"train.nesterov", "train.shuffle"}
        for row in rows:
            word = text_of(row.query_one(".switch-state", Static).content).strip()
            assert word == ("on" if get_path(app.spec, row.field.key) else "off"), row.field.key
        nesterov = setup.query_one("#f-train-nesterov")
        state = nesterov.query_one(".switch-state", Static)
        nesterov.query_one(Switch).focus()
        await pilot.press("space")
        await pilot.pause()
        assert app.spec.train.nesterov is True
        assert text_of(state.content).strip() == "on"
        setup.load_preset("linear-gd")  # a value set by the app, not by a key
        await pilot.pause()
        assert app.spec.train.nesterov is False
        assert text_of(state.content).strip() == "off"


# ---- 4: long hints wrap, a long path shows its file name --------------------------------------

def line_text(widget: Any, y: int = 0) -> str:
    return "".join(segment.text for segment in widget.render_line(y))


@pytest.mark.slow
async def test_a_long_hint_wraps_at_80_columns() -> None:
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = setup_of(app)
        await pilot.pause()
        hint = setup.query_one("#hint", Static)
        assert hint_of(setup).startswith("layers:")
        assert hint.size.height >= 2
        shown = " ".join(line_text(hint, y).strip() for y in range(hint.size.height))
        assert shown.endswith("ctrl+t back to the fields")
        assert "…" not in shown


@pytest.mark.slow
async def test_a_long_data_path_shows_its_file_name(tmp_path: Path) -> None:
    folder = tmp_path / "a-rather-long-folder-name" / "another-quite-long-subfolder"
    folder.mkdir(parents=True)
    data = folder / "data.csv"
    data.write_text("a,b,y\n" + "".join(f"{i},{i % 3},{2 * i}\n" for i in range(30)))
    app = make_test_app()
    async with app.run_test(size=(80, 24)) as pilot:
        setup = setup_of(app)
        setup.query_one("#f-dataset-kind Select", Select).value = "csv"
        await pilot.pause()
        path = setup.query_one("#f-dataset-path Input", Input)
        path.focus()
        path.value = str(data)
        await pilot.pause()
        setup.query_one("#f-name Input", Input).focus()  # leaving the field
        await pilot.pause()
        await pilot.pause()
        assert len(str(data)) > path.size.width
        assert line_text(path).rstrip().endswith("/data.csv")


# ---- 5: the spec dialogs: no literal backticks, paths complete --------------------------------

@pytest.mark.parametrize("key", ["ctrl+s", "ctrl+o"])
@pytest.mark.slow
async def test_spec_dialogs_show_no_backticks_and_complete_paths(
        key: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "experiments-of-mine").mkdir()
    (tmp_path / "experiments-of-mine" / "first.toml").write_text('name = "x"\n')
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        dialog = app.screen
        assert isinstance(dialog, SpecFileScreen)
        help_text = text_of(dialog.query_one("#spec-file-help", Static).content)
        assert "`" not in help_text and "ktui " in help_text
        path = dialog.query_one("#spec-path", Input)
        path.value = ""
        await pilot.press("e", "x", "p")
        await until(pilot, lambda: path.value == "exp" and not app.workers)
        await pilot.pause(0.1)
        await pilot.press("right")
        assert path.value == "experiments-of-mine/"
        await pilot.press("f")
        await until(pilot, lambda: not app.workers)
        await pilot.pause(0.1)
        await pilot.press("right")
        assert path.value == "experiments-of-mine/first.toml"


# ---- 7: every dialog shows the view behind it, dimmed the same way ----------------------------

def dialogs() -> list[Any]:
    from ktui.ui.screens.help import HelpScreen
    from ktui.ui.screens.layer_form import LayerFormScreen
    from ktui.ui.screens.lr_input import LrInputScreen
    from ktui.ui.screens.problems import ProblemsScreen

    return [ConfirmScreen("Sure?"), SpecFileScreen("open"), ProblemsScreen(["a problem"]),
            HelpScreen(SetupScreen), LayerFormScreen(), LrInputScreen(0.1, blink=False)]


@pytest.mark.slow
async def test_every_dialog_dims_the_view_behind_it_alike() -> None:
    app = make_test_app()
    async with app.run_test(size=SIZE) as pilot:
        backgrounds = {}
        for dialog in dialogs():
            await app.push_screen(dialog)
            await pilot.pause()
            backgrounds[type(dialog).__name__] = dialog.styles.background
            app.pop_screen()
            await pilot.pause()
        assert all(0 < bg.a < 1 for bg in backgrounds.values()), backgrounds
        assert len(set(backgrounds.values())) == 1, backgrounds


# ---- 6: a past run's spec over edits asks first, as a preset does ---------------------------

@pytest.mark.slow
async def test_loading_a_runs_spec_over_edits_asks_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    make_runs_root(tmp_path / "ktui-runs")
    app = make_test_app(runs_dir="ktui-runs")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("d")  # an edit: the layer list now has two layers
        await pilot.pause()
        assert len(app.spec.layers) == 2
        await pilot.press("ctrl+l")
        runs = app.screen
        assert isinstance(runs, RunsScreen)
        runs.query_one(DataTable).move_cursor(row=2)  # fashion-mlp
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        question = str(app.screen.question)
        assert "Replace your custom experiment" in question and "spec.toml" in question
        await pilot.press("n")  # kept: nothing changes, the runs list stays
        await pilot.pause()
        assert app.screen is runs
        assert len(app.spec.layers) == 2 and app.spec.name == "linear-gd-custom"
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert app.spec.name == "fashion-mlp" and len(app.spec.layers) == 5
        assert app.screen.query_one("#f-dataset-kind", FieldRow).value == "fashion_mnist"
        # Nothing edited now: another run's spec loads without a question.
        await pilot.press("ctrl+l")
        app.screen.query_one(DataTable).move_cursor(row=4)  # linear-gd
        await pilot.press("l")
        await until(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert app.spec.name == "linear-gd"


# ---- 8: the saved spec's command names the user's layer files ---------------------------------

@pytest.mark.slow
async def test_the_save_notification_names_the_layer_files_the_spec_uses(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ktui.cli.parser import build_parser
    from ktui.core import user_layers

    example = Path(__file__).resolve().parents[2] / "examples" / "my_layers.py"
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my specs").mkdir()
    user_layers.use_files([example])  # what `ktui --layers examples/my_layers.py` does
    try:
        spec = get_preset("linear-gd")
        app = make_test_app(spec)
        said: list[str] = []
        async with app.run_test(size=SIZE) as pilot:
            monkeypatch.setattr(app, "notify", lambda message, **kw: said.append(message))
            for target, layer in (("my specs/plain.toml", "Dense"),
                                  ("my specs/mine.toml", "MyDense")):
                app.spec.layers[0].kind = layer
                await pilot.press("ctrl+s")
                assert isinstance(app.screen, SpecFileScreen)
                app.screen.query_one("#spec-path", Input).value = target
                await pilot.press("enter")
                await until(pilot, lambda: isinstance(app.screen, SetupScreen) and bool(said))
                # The command as a shell would split it, read by ktui's own parser.
                words = shlex.split(said.pop())
                assert words[0] == "ktui"
                args = build_parser().parse_args(words[1:])
                assert args.command == "train" and args.spec == target
                assert (args.layers or []) == ([str(example)] if layer == "MyDense" else [])
    finally:
        user_layers.register([])
