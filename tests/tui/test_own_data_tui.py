"""A user's own data in the setup view (issue 13): the dataset picker offers csv, npz and
images with a path field that completes paths, and a data card shows what the file holds
(class counts as bars, the target's range, the first problem) before training.

The files are written into a temporary folder made the current one, so paths on screen are
short and the same on every run.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Input, Select

from ktui.core.datasets import own as ownmod
from ktui.core.spec import ExperimentSpec
from ktui.core.spec.for_data import experiment_for
from ktui.ui.widgets.data_card import CardBody, DataCardView
from ktui.ui.widgets.fields import FieldRow
from ktui.ui.widgets.path_suggester import complete_path

from .helpers import make_test_app, settle, until

WIDE = (120, 40)
SMALL = (80, 24)


def _fruit_csv(folder: Path, n: int = 90) -> Path:
    """width, height -> fruit: three classes of 30 each."""
    rng = np.random.default_rng(0)
    names = ("apple", "kiwi", "pear")
    rows = "".join(f"{rng.normal() + 3 * (i % 3):.3f},{rng.normal():.3f},{names[i % 3]}\n"
                   for i in range(n))
    path = folder / "fruit.csv"
    path.write_text("width,height,fruit\n" + rows, encoding="utf-8")
    return path


def _prices_csv(folder: Path) -> Path:
    rows = "".join(f"{i},{(i * 7) % 11},{2.5 * i + 1:.2f}\n" for i in range(60))
    path = folder / "prices.csv"
    path.write_text("size,age,price\n" + rows, encoding="utf-8")
    return path


def _relative(spec: ExperimentSpec, path: str) -> ExperimentSpec:
    spec.dataset.path = path  # type: ignore[attr-defined]  # as a person would type it
    return spec


def _card_text(app) -> str:  # type: ignore[no-untyped-def]
    card = app.screen.query_one(DataCardView).card
    assert card is not None
    console = Console(width=60, record=True, color_system=None)
    console.print(CardBody(card))
    return console.export_text()


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
async def test_picking_csv_and_completing_the_path_fits_the_experiment(here: Path) -> None:
    _fruit_csv(here)
    app = make_test_app()  # the linear preset: regression, one Dense(1)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(DataCardView).display
        kinds = app.screen.query_one("#f-dataset-kind Select", Select)
        assert {"csv", "npz", "images"} <= {value for _, value in kinds._options}
        kinds.value = "csv"
        await settle(pilot)
        assert not app.screen.query_one(DataCardView).display  # no file yet: the field says so
        row = app.screen.query_one("#csv-fields #f-dataset-path", FieldRow)
        assert row.error == "give the CSV file to train on"
        path = row.query_one(Input)
        path.focus()
        await pilot.press("f", "r")
        await until(pilot, lambda: path._suggestion == "fruit.csv")
        await pilot.press("right")  # takes the completion
        await settle(pilot)
        assert path.value == "fruit.csv" and app.spec.dataset.path == "fruit.csv"
        text = _card_text(app)
        assert "apple" in text and "kiwi" in text and "pear" in text and "█" in text
        assert app.spec.task == "classification"
        assert app.spec.train.loss == "sparse_categorical_crossentropy"
        assert app.spec.layers[-1].params["units"] == 3
        assert "ready to train" in str(app.screen.query_one("#problems").render())


@pytest.mark.slow
async def test_a_bad_file_shows_its_first_problem_and_training_waits(here: Path) -> None:
    (here / "broken.csv").write_text("a,b,y\n1,2,3\n4,oops,6\n", encoding="utf-8")
    spec = _relative(experiment_for(str(_prices_csv(here))), "broken.csv")
    app = make_test_app(spec)
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        text = _card_text(app)
        assert "broken.csv, line 3, column 'b': 'oops' is not a number" in " ".join(
            text.split())
        assert app.screen.query_one("#btn-train").disabled


@pytest.mark.slow
async def test_a_large_file_is_read_in_the_background(here: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ownmod, "QUICK_BYTES", 10)  # every file is "large"
    spec = _relative(experiment_for(str(_fruit_csv(here))), "fruit.csv")
    spec.dataset.target = "height"  # type: ignore[attr-defined]  # a card not read yet
    spec.dataset.features = ["width"]  # type: ignore[attr-defined]
    readers: list[str] = []
    read_card = ownmod.OwnData.read_card

    def spy(self, key=None):  # type: ignore[no-untyped-def]
        readers.append(threading.current_thread().name)
        return read_card(self, key)

    monkeypatch.setattr(ownmod.OwnData, "read_card", spy)
    app = make_test_app(spec)
    async with app.run_test(size=WIDE) as pilot:
        await until(pilot, lambda: app.screen.query_one(DataCardView).card is not None)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert readers and threading.main_thread().name not in readers  # never the UI's
        assert "target" in _card_text(app)  # the worker's card, shown after its message
        # re-validated once read: a loaded spec is shown as it is, its misfit named
        problems = str(app.screen.query_one("#problems").render())
        assert app.spec.task == "regression" and "the target of fruit.csv needs" in problems


def test_path_completion_completes_names_and_folders(tmp_path: Path) -> None:
    (tmp_path / "photos").mkdir()
    (tmp_path / "prices.csv").write_text("x")
    (tmp_path / "prices.npz").write_bytes(b"x")
    (tmp_path / ".secret.csv").write_text("x")
    base = f"{tmp_path}/"
    assert complete_path(base + "ph") == base + "photos/"
    assert complete_path(base + "pr") == base + "prices."  # as far as both agree
    assert complete_path(base + "prices.c") == base + "prices.csv"
    assert complete_path(base + "zz") is None and complete_path(base + ".se") == \
        base + ".secret.csv"


# ---- snapshots ----------------------------------------------------------------------------

def _at_settings_bottom(app) -> None:  # type: ignore[no-untyped-def]
    """Scroll the settings so the card is in view at 80×24."""
    card = app.screen.query_one(DataCardView)
    app.screen.query_one("#settings").scroll_to_widget(card, animate=False, top=False)


async def _show_card(pilot: Pilot) -> None:
    await settle(pilot)
    _at_settings_bottom(pilot.app)
    await settle(pilot)


@pytest.mark.slow
def test_snapshot_csv_classes_card_120x40(snap_compare, here: Path) -> None:
    spec = _relative(experiment_for(str(_fruit_csv(here))), "fruit.csv")
    assert snap_compare(make_test_app(spec), terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_snapshot_csv_classes_card_80x24(snap_compare, here: Path) -> None:
    spec = _relative(experiment_for(str(_fruit_csv(here))), "fruit.csv")
    assert snap_compare(make_test_app(spec), terminal_size=SMALL, run_before=_show_card)


@pytest.mark.slow
def test_snapshot_csv_regression_card_80x24(snap_compare, here: Path) -> None:
    spec = _relative(experiment_for(str(_prices_csv(here))), "prices.csv")
    assert snap_compare(make_test_app(spec), terminal_size=SMALL, run_before=_show_card)


@pytest.mark.slow
def test_snapshot_bad_csv_card_120x40(snap_compare, here: Path) -> None:
    (here / "broken.csv").write_text("a,b,y\n1,2,3\n4,oops,6\n", encoding="utf-8")
    spec = _relative(experiment_for(str(_prices_csv(here))), "broken.csv")
    assert snap_compare(make_test_app(spec), terminal_size=WIDE, run_before=settle)


@pytest.mark.slow
def test_snapshot_image_folder_card_120x40(snap_compare, here: Path) -> None:
    for name, count in (("cats", 5), ("dogs", 3), ("birds", 4)):
        folder = here / "pets" / name
        folder.mkdir(parents=True)
        for i in range(count):
            (folder / f"{i}.png").write_bytes(b"listed, not decoded, by the card")
    (here / "pets" / "cats" / "notes.txt").write_text("x")
    spec = _relative(experiment_for(str(here / "pets")), "pets")
    assert snap_compare(make_test_app(spec), terminal_size=WIDE, run_before=settle)
