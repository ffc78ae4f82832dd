"""Small truths of the training view (issue 21, item 17): the help opens at the keys of the
view it was opened from, and the learning-rate dialog knows the rate before epoch 1."""

from __future__ import annotations

from itertools import islice

import pytest
from textual.widgets import Static

from ktui.ui.app import KtuiApp
from ktui.ui.screens.help import HelpScreen, here_first, sections
from ktui.ui.screens.recorded_run import RecordedRunScreen
from ktui.ui.screens.runs import RunsScreen
from ktui.ui.screens.setup import SetupScreen
from ktui.ui.screens.training import TrainingScreen

from .fakes import linear_events
from .helpers import feed, make_test_app


def test_the_help_puts_the_current_views_keys_first() -> None:
    every = sections(KtuiApp)
    assert here_first(every, None)[0].title == "Anywhere"
    for here, title in ((TrainingScreen, "Training"), (SetupScreen, "Setup"),
                        (RecordedRunScreen, "A past run (read-only)"),
                        (RunsScreen, "Past runs")):
        ordered = here_first(every, here)
        assert ordered[0].title == title
        assert sorted(s.title for s in ordered) == sorted(s.title for s in every)


@pytest.mark.slow
async def test_help_from_training_opens_at_the_training_keys() -> None:
    app = make_test_app()
    async with app.run_test(size=(120, 36)) as pilot:
        await feed(pilot, islice(linear_events(epochs=10, steps=4), 3))
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.here is TrainingScreen  # so here_first puts "Training" first
        shown = app.screen.query_one("#help-text", Static)
        assert shown.region.height > 0


@pytest.mark.slow
async def test_the_learning_rate_is_known_before_the_first_epoch() -> None:
    app = make_test_app()  # linear-gd: lr 0.1
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await feed(pilot, islice(linear_events(epochs=10, steps=4), 2))
        assert screen.view.lr is None and screen.view.epochs_done == 0
        assert screen.lr_now() == 0.1


def test_runs_list_names_at_80_columns_keep_time_and_experiment() -> None:
    # `20261206…near-gd` and `val_accur… 0.87` said neither when nor what (item 7).
    from ktui.ui.screens.run_columns import fit_best, fit_run_name

    name = "20261206-093000-linear-gd"
    assert fit_run_name(name, 30) == name
    assert fit_run_name(name, 18) == "093000-linear-gd"
    assert fit_run_name(name, 12) == "093000…ar-gd"
    assert fit_best("val_accuracy 0.8716", 15) == "val_acc 0.8716"
    assert fit_best("val_accuracy 0.8716", 12) == "val_… 0.8716"


def test_runs_list_cuts_the_dataset_before_the_undated_name() -> None:
    # At 80 columns `120000-f…ion-mlp` was cut while `fashion_mnist` stayed whole: the
    # run's time and experiment say which run it is; the dataset gives way first.
    from ktui.ui.screens.run_columns import fit_widths

    natural = {"mark": 1, "run": 25, "dataset": 13, "epochs": 6, "best": 19, "status": 11,
               "age": 7}
    widths = fit_widths(natural, 80 - 1 - 2 * 7, run_floor=len("120000-fashion-mlp"),
                        best_floor=len("val_acc 0.8716"))
    assert widths["run"] == 18 and widths["best"] == 14 and widths["dataset"] < 13
    assert sum(widths.values()) <= 80 - 1 - 2 * 7
