"""``--features``: the CSV columns to learn from (issue 21, item 15: the CSV error advised
listing the features, and no flag did it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ktui.cli import EXIT_OK, EXIT_USAGE, main
from ktui.core import spec as specmod

ROWS = "a,b,color,y\n" + "".join(f"{i % 7},{(i * 3) % 5},{'red' if i % 2 else 'blue'},"
                                 f"{(i % 7) * 2 + (i * 3) % 5}.5\n" for i in range(40))


@pytest.fixture
def table(tmp_path: Path) -> Path:
    path = tmp_path / "table.csv"
    path.write_text(ROWS, encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_text_column_is_refused_with_advice_that_works(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--data", str(table), "--epochs", "1", "--runs-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == EXIT_USAGE
    assert "column 'color'" in err and "is not a number" in err and "--features a,b" in err
    code = main(["train", "--data", str(table), "--features", "a, b", "--epochs", "1",
                 "--runs-dir", str(tmp_path / "runs")])
    assert code == EXIT_OK, capsys.readouterr().err
    (run,) = (tmp_path / "runs").iterdir()
    spec = specmod.load(run / "spec.toml")
    assert spec.dataset.features == ["a", "b"]  # recorded: the run means the same later


@pytest.mark.parametrize("argv, words", [
    (["--preset", "linear-gd", "--features", "a"], "--features names columns of a CSV file"),
    (["--features", " , "], "--features: name at least one column"),
])
def test_features_without_a_csv_or_names_are_refused(
        table: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        argv: list[str], words: str) -> None:
    if "--preset" not in argv:
        argv = ["--data", str(table), *argv]
    code = main(["train", *argv, "--runs-dir", str(tmp_path)])
    assert code == EXIT_USAGE and words in capsys.readouterr().err
