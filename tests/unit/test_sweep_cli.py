"""The sweep's command-line leftovers (issue 26): ``ktui train`` refusing a sweep file,
``ktui sweep status --watch`` printing only what changed, ``ktui runs`` grouping a sweep's
trials. Studies are built here on a journal file with fixed values (no training)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.cli import main
from ktui.core import spec as specmod
from ktui.core.spec.presets import get_preset


def test_train_refuses_a_sweep_file_in_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "s.toml"
    path.write_text(specmod.dumps(get_preset("linear-gd")) + '\n[sweep]\ntrials = 4\n'
                    '[sweep.params]\n"train.learning_rate" = "log:1e-3..0.5"\n')
    code = main(["train", "--spec", str(path), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err  # one line, not "unknown key" among others
    assert f"run it with `ktui sweep --spec {path}`" in err
    assert not (tmp_path / "runs").exists()


def test_the_setup_view_reading_a_sweep_file_is_told_the_same() -> None:
    with pytest.raises(specmod.SpecError) as err:
        specmod.parse_spec({"name": "x", "sweep": {"trials": 3}})
    assert err.value.errors == ["sweep: this file is a sweep (it has a [sweep] table): run it "
                                "with `ktui sweep --spec FILE`; ktui train trains one run"]
