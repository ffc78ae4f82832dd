"""Issue 21.18: with few ``samples``, Fashion-MNIST's validation images (a share of the whole
training file, so a preset validates where its tutorial does) can outnumber the training
images; the setup view and the headless run say so instead of leaving it to be noticed."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from ktui.core.spec.presets import get_preset
from ktui.core.spec.toml import dumps

FASHION_TRAIN_IMAGES = 60_000  # the real training file's size (Zalando's README)


def _fashion(samples: int):
    spec = get_preset("fashion-mlp")
    return dataclasses.replace(spec, dataset=dataclasses.replace(spec.dataset, samples=samples))


def test_validation_outnumbering_training_is_said() -> None:
    spec = _fashion(3000)
    note = spec.dataset.split_note(0.1)
    n_val = round(0.1 * FASHION_TRAIN_IMAGES)
    assert n_val > 3000
    assert "validation" in note and "outnumbers training" in note
    assert "6\u202f000" in note or "6 000" in note or "6000" in note
    assert "validation_split" in note  # what to change


@pytest.mark.parametrize(("samples", "split"), [(10_000, 0.1), (0, 0.1), (6000, 0.1),
                                                (3000, 0.05)])
def test_no_note_when_training_is_the_larger(samples: int, split: float) -> None:
    assert _fashion(samples).dataset.split_note(split) == ""


def test_other_datasets_have_no_note() -> None:
    assert get_preset("linear-gd").dataset.split_note(0.5) == ""


@pytest.mark.slow
def test_headless_run_says_it_before_loading(tmp_path: Path) -> None:
    spec = tmp_path / "few.toml"
    spec.write_text(dumps(_fashion(3000)), encoding="utf-8")
    empty = tmp_path / "no-data"
    empty.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "ktui", "train", "--spec", str(spec), "--data-dir", str(empty),
         "--epochs", "1", "--runs-dir", str(tmp_path / "runs")],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    notes = [line for line in proc.stderr.splitlines() if line.startswith("ktui: note:")]
    assert len(notes) == 1 and "outnumbers training" in notes[0], proc.stderr

