"""The setup view's head and foot as widgets on their own: what they keep and what they say."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Button, Select, Static

from ktui.core.spec.presets import get_preset
from ktui.ui.widgets.experiment_header import ExperimentHeader
from ktui.ui.widgets.setup_foot import SetupFoot


class HeadApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.spec = get_preset("fashion-mlp")
        self.picked: list[str] = []

    def compose(self) -> ComposeResult:
        yield ExperimentHeader(self.spec, blink=False)
        yield SetupFoot()

    def on_experiment_header_preset_chosen(self, event: ExperimentHeader.PresetChosen) -> None:
        self.picked.append(event.preset)


def shown(widget: Static) -> str:
    return str(widget.render())


async def test_the_head_follows_edits_and_reports_only_picks() -> None:
    app = HeadApp()
    async with app.run_test() as pilot:
        head = app.query_one(ExperimentHeader)
        picker = app.query_one("#preset", Select)
        head.follow(app.spec)
        await pilot.pause()
        assert picker.value == "fashion-mlp" and app.picked == []  # its echo is no pick
        assert not head.dirty(app.spec)
        app.spec.train.epochs = 12
        head.follow(app.spec)
        await pilot.pause()
        assert app.spec.name == "fashion-mlp-custom" and head.dirty(app.spec)
        assert picker.value is Select.NULL and app.picked == []
        assert "12 epochs" in shown(app.query_one("#spec-desc", Static))
        picker.value = "linear-gd"  # the user picks one
        await pilot.pause()
        assert app.picked == ["linear-gd"]
        head.show_custom()
        await pilot.pause()
        assert picker.value is Select.NULL and app.picked == ["linear-gd"]
        head.rebase(app.spec)
        assert not head.edited(app.spec) and not head.dirty(app.spec)


async def test_the_foot_shows_the_first_problem_and_disables_train() -> None:
    app = HeadApp()
    async with app.run_test() as pilot:
        foot = app.query_one(SetupFoot)
        foot.show_problems(["epochs: must be at least 1", "seed: not a number"])
        await pilot.pause()
        assert "+1 more" in shown(app.query_one("#problems", Static))
        assert app.query_one("#btn-train", Button).disabled
        foot.show_problems([])
        await pilot.pause()
        assert "ready to train" in shown(app.query_one("#problems", Static))
        assert not app.query_one("#btn-train", Button).disabled
