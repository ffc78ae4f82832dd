"""Naming a run as a user would (issue 21, item 15): an experiment's name shows its latest
run, and says so; ``ktui runs --help`` lists ``show`` once."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.core import spec as specmod
from ktui.core.files import atomic_write
from ktui.core.runs import RunDir
from ktui.core.spec.presets import get_preset


def _run(root: Path, name: str) -> RunDir:
    (root / name).mkdir(parents=True)
    run = RunDir(root / name)
    atomic_write(run.spec_file, specmod.dumps(get_preset("linear-gd")))
    run.write_summary({"status": "finished", "epochs_done": 10})
    return run


def test_an_experiment_name_shows_its_latest_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for stamp in ("20260101-090000", "20260301-090000", "20260201-090000"):
        _run(tmp_path, f"{stamp}-linear-gd")
    _run(tmp_path, "20260401-090000-fashion-mlp")
    code = main(["runs", "show", "linear-gd", "--runs-dir", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == EXIT_OK
    assert out.splitlines()[0].split() == ["run", "20260301-090000-linear-gd"]
    assert err == ("ktui: linear-gd: an experiment's name; showing the latest of 3 runs, "
                   "20260301-090000-linear-gd\n")


def test_a_name_of_no_run_or_experiment_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(tmp_path, "20260101-090000-linear-gd")
    code = main(["runs", "show", "linear", "--runs-dir", str(tmp_path)])
    assert code == EXIT_USAGE and "linear" in capsys.readouterr().err


def test_runs_help_lists_show_once(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["runs", "--help"])
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.split()[:1] == ["show"] for line in lines) == 1
