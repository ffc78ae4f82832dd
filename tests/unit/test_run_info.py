"""``run_info``: one run's row of the runs list, read alone, with the list's one rule for the
best metric (the TUI's fallback reading uses it instead of restating it; issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ktui.core import spec as specmod
from ktui.core.runs import RunError, list_runs, run_info
from ktui.core.spec.presets import get_preset

NOW = 1_800_000_000.0


def _write_run(root: Path, name: str, summary: dict, preset: str = "fashion-mlp") -> Path:
    """A run directory as ktui leaves it, without training: its spec and summary."""
    path = root / name
    path.mkdir(parents=True)
    (path / "spec.toml").write_text(specmod.dumps(get_preset(preset)), encoding="utf-8")
    (path / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    return path


def _summary(**fields: object) -> dict:
    return {"status": "finished", "epochs_done": 3, "epochs": 3, "monitor": "val_loss",
            "best": {"epoch": 2, "val_loss": 0.5, "val_accuracy": 0.8125},
            "updated": NOW - 120, **fields}


def test_a_runs_row_names_its_first_validation_metric_as_best(tmp_path: Path) -> None:
    path = _write_run(tmp_path, "20260101-000000-fashion-mlp", _summary())
    info = run_info(path, NOW)
    assert info.best == "val_accuracy 0.8125"
    assert (info.name, info.path, info.dataset) == (path.name, path, "fashion_mnist")
    assert (info.epochs_done, info.epochs, info.status) == (3, get_preset("fashion-mlp")
                                                            .train.epochs, "finished")
    assert info.age_s == pytest.approx(120)


def test_the_row_is_the_one_the_listing_makes(tmp_path: Path) -> None:
    path = _write_run(tmp_path, "20260101-000000-fashion-mlp", _summary())
    listed, problems = list_runs(tmp_path)
    assert problems == []
    alone = run_info(path, NOW)
    assert listed[0].best == alone.best and listed[0].status == alone.status
    assert listed[0].epochs_done == alone.epochs_done and listed[0].dataset == alone.dataset


@pytest.mark.parametrize(("best", "monitor", "shown"), [
    ({"val_loss": 0.25}, "val_loss", "val_loss 0.2500"),
    ({"loss": 1.5}, "loss", "loss 1.5000"),
    ({"val_loss": None}, "val_loss", "-"),
    ({}, "val_loss", "-"),
])
def test_without_a_validation_metric_the_monitor_is_shown(tmp_path: Path, best: dict,
                                                          monitor: str, shown: str) -> None:
    path = _write_run(tmp_path, "20260101-000000-linear-gd",
                      _summary(best=best, monitor=monitor), preset="linear-gd")
    assert run_info(path, NOW).best == shown


def test_a_damaged_summary_field_still_gives_a_row(tmp_path: Path) -> None:
    """The listing skips a run with a damaged summary; read alone, the run still gets a row,
    the damaged field at its default (what the runs screen shows when the listing fails)."""
    path = _write_run(tmp_path, "20260101-000000-damaged", _summary(epochs_done="x"))
    listed, problems = list_runs(tmp_path)
    assert listed == [] and "epochs_done" in problems[0]
    info = run_info(path, NOW)
    assert info.epochs_done == 0 and info.best == "val_accuracy 0.8125"


def test_a_folder_that_is_not_a_run_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(specmod.SpecError, match="spec.toml: cannot read"):
        run_info(tmp_path / "notes", NOW)
    no_summary = _write_run(tmp_path, "20260101-000000-no-summary", {})
    (no_summary / "summary.json").unlink()
    with pytest.raises(RunError, match="summary.json"):
        run_info(no_summary, NOW)
