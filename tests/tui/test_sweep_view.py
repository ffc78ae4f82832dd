"""The sweep view (``ktui sweep view``): a study built here on a journal file with fixed
values (no training, no clocks on screen): counts, the best, the table, every curve; enter
opens a trial's run, ``p`` prunes (a stop sent to the trial's run), ``+`` adds trials, ``s``
stops the sweep after asking."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.core import spec as specmod
from ktui.core.spec.presets import get_preset

optuna = pytest.importorskip("optuna")

from ktui.core.sweep.held import HeldStudy  # noqa: E402
from ktui.ui.screens.sweep import SweepScreen  # noqa: E402
from ktui.ui.sweep_app import make_sweep_app  # noqa: E402
from ktui.ui.widgets.sweep import SweepChart, SweepSummary, TrialTable  # noqa: E402

from .helpers import TEST_SETTINGS, until  # noqa: E402

LR, UNITS = "train.learning_rate", "train.batch_size"
#: (state, learning rate, batch size, the metric by epoch, value, the run's status)
FIXED = [("COMPLETE", 0.1, 32, {1: 0.9, 2: 0.6, 3: 0.45, 4: 0.42, 5: 0.4}, 0.4, "finished"),
         ("PRUNED", 0.4, 64, {1: 2.4, 2: 2.1}, None, "stopped"),
         ("COMPLETE", 0.03, 16, {1: 1.1, 2: 0.8, 3: 0.6, 4: 0.5, 5: 0.47}, 0.47, "finished"),
         ("PRUNED", 0.002, 64, {1: 2.0, 2: 1.9}, None, "stopped"),
         ("RUNNING", 0.05, 32, {1: 1.0, 2: 0.7, 3: 0.55}, None, "running"),
         ("FAIL", 0.3, 16, {}, None, "failed")]


def build_study(tmp_path: Path, name: str = "lr-test") -> HeldStudy:
    """Six trials in every state, each with a run folder, held as the view holds one."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution
    from optuna.trial import TrialState, create_trial

    from ktui.core.runs import RunDir
    from ktui.core.sweep import study as studymod
    from ktui.core.sweep.trial import trial_name

    spec = get_preset("linear-gd")
    spec.train.epochs = 5
    config = studymod.SweepConfig(
        spec=specmod.spec_to_dict(spec), trials=8,
        params=[f"{LR}=log:1e-3..0.5", f"{UNITS}=choice:16,32,64"])
    url = str(tmp_path / ".sweeps" / f"{name}.journal")
    study = studymod.create(url, name, config)
    dists = {LR: FloatDistribution(1e-3, 0.5, log=True),
             UNITS: CategoricalDistribution((16, 32, 64))}
    for number, (state, lr, units, curve, value, status) in enumerate(FIXED):
        spec.name = trial_name(name, number)
        run = RunDir.create(tmp_path, spec)
        run.write_summary({"status": status, "epochs_done": max(curve, default=0),
                           "sweep": {"study": name, "trial": number,
                                     "params": {LR: lr, UNITS: units}}})
        study.add_trial(create_trial(
            state=TrialState[state], params={LR: lr, UNITS: units}, distributions=dists,
            value=value, intermediate_values=curve, user_attrs={"run_dir": str(run.path)}))
    return HeldStudy(studymod.load(url, name), url, prune=Pruned())


class Pruned:
    """The stops the view sent, by run folder (no trainer here)."""

    def __init__(self) -> None:
        self.sent: list[Path] = []

    def __call__(self, run: Path) -> str:
        self.sent.append(run)
        return ""


def app_for(held: HeldStudy, every: float = 1.0):
    return make_sweep_app(held, every=every, settings=TEST_SETTINGS)


async def shown(pilot) -> SweepScreen:
    screen = pilot.app.screen
    assert isinstance(screen, SweepScreen)
    await until(pilot, lambda: screen.reads >= 1)
    await pilot.pause()
    return screen


async def test_the_view_shows_counts_best_table_and_curves(tmp_path: Path) -> None:
    held = build_study(tmp_path)
    async with app_for(held).run_test(size=(120, 40)) as pilot:
        screen = await shown(pilot)
        summary = screen.query_one(SweepSummary).text.plain
        assert summary == ("sweep lr-test · 6 of 8 trials: 2 complete, 2 pruned, 1 running, "
                           "1 failed\nbest: trial 0, val_loss 0.4000, "
                           f"{LR}=0.1 {UNITS}=32")
        table = screen.query_one(TrialTable)
        assert [str(c.label) for c in table.columns.values()] == [
            "rank", "trial", "state", "val_loss", "epoch", "learning_rate", "batch_size",
            "curve"]
        rows = [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]
        assert [r[:5] for r in rows] == [
            ["1", "0", "complete", "0.4000", "5"], ["2", "2", "complete", "0.4700", "5"],
            ["-", "1", "pruned", "2.1000", "2"], ["-", "3", "pruned", "1.9000", "2"],
            ["-", "4", "running", "0.5500", "3"], ["-", "5", "failed", "-", "0"]]
        assert rows[0][5:] == ["0.1", "32", "█▄▁▁▁"]  # (v - 0.4) / 0.5 * 8 bars
        chart = screen.query_one(SweepChart)
        kinds = [(s.label, len(s.xs)) for s in chart.lines()]
        assert kinds == [("pruned", 2), ("pruned", 2), ("complete", 5), ("running", 3),
                         ("best", 5)]  # the best drawn last, on top; the failed has no curve
        assert [h.plain for h in chart.header][0].count("pruned") == 1  # legend: once a kind


@pytest.mark.slow  # the watch and recorded views load the training view's charts
async def test_enter_opens_the_trials_run_p_prunes_plus_adds_s_stops(tmp_path: Path) -> None:
    from ktui.ui.screens.recorded_run import RecordedRunScreen
    from ktui.ui.screens.watch_run import WatchScreen

    held = build_study(tmp_path)
    async with app_for(held, every=0.05).run_test(size=(120, 40)) as pilot:
        screen = await shown(pilot)
        table = screen.query_one(TrialTable)
        await pilot.press("enter")  # trial 0, ended: its recorded curves
        await until(pilot, lambda: isinstance(pilot.app.screen, RecordedRunScreen))
        await pilot.press("escape")
        await until(pilot, lambda: pilot.app.screen is screen)
        table.move_cursor(row=4)  # trial 4, running (its run's pid is this process)
        assert table.selected == 4
        await pilot.press("p")
        await until(pilot, lambda: len(held._prune.sent) == 1)
        assert held._prune.sent[0].name.endswith("lr-test-t004")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(pilot.app.screen, WatchScreen))
        await pilot.press("b")
        await until(pilot, lambda: pilot.app.screen is screen)
        table.move_cursor(row=0)
        await pilot.press("p")  # a complete trial: nothing sent, a word why
        await pilot.pause()
        assert len(held._prune.sent) == 1

        await pilot.press("plus")
        await pilot.press("backspace", "3", "enter")
        await until(pilot, lambda: screen.board is not None and screen.board.total == 11)
        assert "6 of 11 trials" in screen.query_one(SweepSummary).text.plain

        await pilot.press("s")
        await pilot.press("n")  # asked first: no, nothing stopped
        await pilot.pause()
        assert not screen.stopped
        await pilot.press("s", "y")
        await until(pilot, lambda: bool(screen.stopped))
        assert "stopped from the sweep view" in screen.query_one(SweepSummary).text.plain
        await until(pilot, lambda: len(held._prune.sent) == 2)  # trial 4 asked to stop
        assert not screen.check_action("add_trials", ())


async def test_the_view_follows_the_study(tmp_path: Path) -> None:
    held = build_study(tmp_path)
    async with app_for(held, every=0.05).run_test(size=(120, 40)) as pilot:
        screen = await shown(pilot)
        study = held.study
        running = study.get_trials(deepcopy=False)[4]
        study._storage.set_trial_intermediate_value(running._trial_id, 4, 0.3)  # noqa: SLF001
        study.tell(4, 0.3)
        await until(pilot, lambda: screen.board.best is not None
                    and screen.board.best.number == 4)
        table = screen.query_one(TrialTable)
        assert [cell.plain for cell in table.get_row_at(0)][:5] == [
            "1", "4", "complete", "0.3000", "4"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_sweep_view(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    held = build_study(tmp_path)

    async def run_before(pilot) -> None:
        await shown(pilot)
        pilot.app.screen.query_one(SweepChart).flush()
        await pilot.pause()

    assert snap_compare(app_for(held, every=3600), terminal_size=size, run_before=run_before)


def test_snapshot_sweep_view_without_colour(snap_compare, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    held = build_study(tmp_path)

    async def run_before(pilot) -> None:
        await shown(pilot)

    assert snap_compare(app_for(held, every=3600), terminal_size=(80, 24),
                        run_before=run_before)


# ---- a view that started its sweep (ktui sweep --view) --------------------------------------

@pytest.mark.slow
async def test_leaving_a_sweep_it_started_asks_stop_or_leave_running(tmp_path: Path) -> None:
    """``q`` (or ``escape``) while the sweep runs asks; ``escape`` stays, ``l`` leaves it
    running (nothing stopped), ``s`` stops it (the study's stop and a stop to the running
    trial); once the sweep ended, ``q`` quits without asking."""
    from ktui.core.sweep.steer import stop_requested
    from ktui.ui.screens.sweep_leave import SweepLeaveScreen

    held = build_study(tmp_path)
    running = [True]

    async def leave(leave_key: str, answer: str):
        app = make_sweep_app(held, every=0.05, settings=TEST_SETTINGS,
                             running=lambda: running[0])
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await shown(pilot)
            await pilot.press(leave_key)
            await until(pilot, lambda: isinstance(pilot.app.screen, SweepLeaveScreen))
            await pilot.press("escape")  # stay
            await until(pilot, lambda: pilot.app.screen is screen)
            assert pilot.app.is_running and app.choice == ""
            await pilot.press(leave_key)
            await until(pilot, lambda: isinstance(pilot.app.screen, SweepLeaveScreen))
            await pilot.press(answer)
            await pilot.pause()
        return app

    for keys, choice in ((("q", "l"), "leave"), (("escape", "s"), "stop")):
        app = await leave(*keys)
        assert app.choice == choice and app.return_code == 0
        if choice == "leave":
            assert not stop_requested(held.study) and held._prune.sent == []
    assert stop_requested(held.study) == "stopped from the sweep view"
    assert len(held._prune.sent) == 1 and held._prune.sent[0].name.endswith("lr-test-t004")

    running[0] = False  # the sweep ended: nothing to ask
    app = make_sweep_app(held, settings=TEST_SETTINGS, running=lambda: running[0])
    async with app.run_test(size=(120, 40)) as pilot:
        await shown(pilot)
        await pilot.press("q")
        await pilot.pause()
    assert app.choice == "" and not app.is_running


def test_snapshot_sweep_leave_question(snap_compare, tmp_path: Path) -> None:
    held = build_study(tmp_path)

    async def run_before(pilot) -> None:
        await shown(pilot)
        await pilot.press("q")
        await pilot.pause()

    app = make_sweep_app(held, every=3600, settings=TEST_SETTINGS, running=lambda: True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
