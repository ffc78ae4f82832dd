"""The CSV reader's edges that ``make mutation`` found untested (issue 25.6): numeric class
names, where a non-UTF-8 byte is, the decode error's last resort."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ktui.core.datasets.base import DataCorruptError
from ktui.core.datasets.csv_read import _Reader, read_csv

UTF8_ADVICE = ("ktui reads UTF-8 CSV files: save it as UTF-8 (in a spreadsheet: CSV UTF-8)")


def write(tmp_path: Path, data: bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_numeric_class_names_are_the_values_as_written(tmp_path: Path) -> None:
    """Whole numbers keep every digit (1000000, not 1e+06), fractions stay fractions."""
    big = write(tmp_path, b"x,y\n1,1000000\n2,2000000\n3,1000000\n", "big.csv")
    table = read_csv(big, "", [], "classification", None)
    assert table.class_names == ("1000000", "2000000")
    assert table.class_values == (1e6, 2e6) and table.y.tolist() == [0, 1, 0]
    halves = write(tmp_path, b"x,y\n1,0.5\n2,1.5\n3,0.5\n", "halves.csv")
    table = read_csv(halves, "", [], "classification", None)
    assert table.class_names == ("0.5", "1.5") and table.class_values == (0.5, 1.5)


def test_a_non_utf8_byte_in_the_header_names_its_line(tmp_path: Path) -> None:
    """A blank first line, then a Latin-1 byte on line 2: the message says line 2."""
    path = write(tmp_path, b"\n\xe9,b\n1,2\n")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "auto", None)
    assert str(raised.value) == (f"{path}, line 2: not UTF-8 text (byte 0xe9); " + UTF8_ADVICE)


def test_a_late_non_utf8_byte_names_its_line(tmp_path: Path) -> None:
    """Past the first 64 KiB the rows' reader finds it: the same message, the right line."""
    rows = b"".join(b"%d,%d\n" % (i, i % 2) for i in range(20_000))
    path = write(tmp_path, b"x,y\n" + rows + b"7,\xff\n")
    assert path.stat().st_size > 65536
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "auto", None)
    assert str(raised.value) == (f"{path}, line 20002: not UTF-8 text (byte 0xff); "
                                 + UTF8_ADVICE)


def test_the_decode_error_without_a_bad_line_says_the_file(tmp_path: Path) -> None:
    """The last resort (every line decodes: the file changed under the reader) still names
    the file and says what to do."""
    path = write(tmp_path, b"x,y\n1,2\n")
    reader = _Reader(path, ("x", "y"), ",", "y", ("x",), "auto")
    assert str(reader._decode_error()) == f"{path}: not UTF-8 text; save it as UTF-8"
    assert np.array_equal(read_csv(path, "", [], "regression", None).x, [[1.0]])


def test_a_header_without_rows(tmp_path: Path) -> None:
    path = write(tmp_path, b"x,y\n\n")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "auto", None)
    assert str(raised.value) == f"{path}: a header but no data rows; add one row per sample"


def test_the_table_keeps_every_column_and_the_chosen_ones(tmp_path: Path) -> None:
    path = write(tmp_path, b"a;b;c;label\n1;2;3;0.5\n4;5;6;1.5\n")
    table = read_csv(path, "label", ["c", "a"], "regression", None)
    assert (table.columns, table.features, table.target, table.delimiter) == (
        ("a", "b", "c", "label"), ("c", "a"), "label", ";")
    assert table.x.tolist() == [[3.0, 1.0], [6.0, 4.0]] and table.y.shape == (2, 1)
    assert (table.task, table.class_names, table.class_values) == ("regression", (), ())


def test_too_many_numeric_classes(tmp_path: Path) -> None:
    """1001 distinct whole numbers are no classes (at most 1000); 1000 are."""
    rows = b"".join(b"%d,%d\n" % (i, i) for i in range(1001))
    path = write(tmp_path, b"x,y\n" + rows)
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "classification", None)
    assert str(raised.value) == (f"{path}, column 'y': 1,001 distinct values: too many to be "
                                 "classes (at most 1000); use task = \"regression\"")
    fits = write(tmp_path, b"x,y\n" + rows.rsplit(b"\n", 2)[0] + b"\n", "fits.csv")
    table = read_csv(fits, "", [], "classification", None)
    assert len(table.class_names) == 1000 and table.y.tolist() == list(range(1000))


# ---- the rows' pass ----------------------------------------------------------------------------

def test_count_lines_counts_every_newline_of_every_block(tmp_path: Path) -> None:
    from ktui.core.datasets.csv_read import count_lines

    assert count_lines(write(tmp_path, b"a\nb\n", "small.csv")) == 3
    big = write(tmp_path, b"1,2\n" * 600_000, "big.csv")  # 2.4 MB: three 1 MiB blocks
    assert count_lines(big) == 600_001


def test_blank_lines_are_skipped_anywhere(tmp_path: Path) -> None:
    path = write(tmp_path, b"x,y\n1,2\n\n   \n3,4\n\n5,6\n")
    table = read_csv(path, "", [], "regression", None)
    assert table.x.dtype == np.float32 and table.x.tolist() == [[1.0], [3.0], [5.0]]
    assert table.y.ravel().tolist() == [2.0, 4.0, 6.0]


def test_a_row_with_a_missing_delimiter(tmp_path: Path) -> None:
    path = write(tmp_path, b"x,y\n1,2\n3\n")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "auto", None)
    assert str(raised.value) == (f"{path}, line 3: 1 fields, but the header has 2; every row "
                                 "needs one value per column (a missing or extra delimiter?)")


def test_a_quoted_line_break_is_kept_as_written(tmp_path: Path) -> None:
    """A text class may hold a Windows line break inside quotes: read byte for byte."""
    path = write(tmp_path, b'x,y\r\n1,"two\r\nlines"\r\n2,one\r\n3,one\r\n')
    assert read_csv(path, "", [], "classification", None).class_names == ("one", "two\r\nlines")


def test_several_blocks_of_rows(tmp_path: Path) -> None:
    """More rows than one block of 8192: every block lands in its place, and a bad cell in
    the first block names its line."""
    n = 8192 * 2 + 5
    rows = [b"%d,%d\n" % (i, 2 * i) for i in range(n)]
    path = write(tmp_path, b"x,y\n" + b"".join(rows), "many.csv")
    table = read_csv(path, "", [], "regression", None)
    assert table.x.shape == (n, 1) and table.x[-1, 0] == n - 1 and table.y[8192, 0] == 16384
    rows[100] = b"oops,1\n"
    bad = write(tmp_path, b"x,y\n" + b"".join(rows), "bad.csv")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(bad, "", [], "regression", None)
    assert str(raised.value).startswith(f"{bad}, line 102, column 'x': 'oops' is not a number")


def test_a_file_gone_between_the_header_and_the_rows(tmp_path: Path) -> None:
    from ktui.core.datasets.base import DataError

    path = write(tmp_path, b"x,y\n1,2\n")
    reader = _Reader(path, ("x", "y"), ",", "y", ("x",), "auto")
    path.unlink()
    with pytest.raises(DataError) as raised:
        reader.read()
    assert str(raised.value) == f"{path}: cannot read (No such file or directory)"


# ---- the header --------------------------------------------------------------------------------

def test_a_character_cut_at_the_end_of_the_first_64_kib(tmp_path: Path) -> None:
    """The header's 64 KiB may end inside a two-byte character: that is no decoding error."""
    data = b"x,y\n" + b"11,e\n" + b"1,e\n" * 16_381 + "1,é\n".encode()
    assert data[65535] == 0xC3  # the first byte of é is the 64 KiB's last
    table = read_csv(write(tmp_path, data), "", [], "auto", None)
    assert table.class_names == ("e", "é") and table.y.tolist()[-1] == 1


def test_a_semicolon_file_of_two_columns_is_found(tmp_path: Path) -> None:
    table = read_csv(write(tmp_path, b"x;y\n1;2\n3;4\n"), "", [], "regression", None)
    assert table.delimiter == ";" and table.columns == ("x", "y")


def test_column_errors_list_the_columns_up_to_200_characters(tmp_path: Path) -> None:
    from ktui.core.datasets.base import DataError

    path = write(tmp_path, b"a,b,c\n1,2,3\n")
    with pytest.raises(DataError) as raised:
        read_csv(path, "z", [], "auto", None)
    assert str(raised.value) == (f"{path}: no column 'z' to use as the target (its columns: "
                                 "a, b, c); set target to one of them")
    assert raised.value.field == "target"
    with pytest.raises(DataError) as raised:
        read_csv(path, "c", ["a", "c"], "auto", None)
    assert str(raised.value) == (f"{path}: column 'c' is the target; it cannot be a feature too")
    with pytest.raises(DataError) as raised:
        read_csv(path, "c", ["a", "a"], "auto", None)
    assert str(raised.value) == f"{path}: features lists a column twice"
    assert raised.value.field == "features"
    names = [f"column_{i:03d}" for i in range(40)]  # 40 x 10 + 39 x 2 = 478 characters
    wide = write(tmp_path, (",".join(names) + "\n" + ",".join("1" * 40) + "\n").encode(),
                 "wide.csv")
    with pytest.raises(DataError) as raised:
        read_csv(wide, "z", [], "auto", None)
    assert f"(its columns: {', '.join(names)[:200]}…); set target" in str(raised.value)


@pytest.mark.parametrize("cell", ["-nan", "+NaN", "NA", "?"])
def test_signed_nan_is_a_missing_value_like_the_others(tmp_path: Path, cell: str) -> None:
    path = write(tmp_path, f"x,y\n1,2\n{cell},3\n".encode())
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "regression", None)
    assert str(raised.value) == (f"{path}, line 3, column 'x': missing value ({cell!r}); ktui "
                                 "does not guess missing values: fill them in or drop the row")


def test_a_text_feature_and_bad_targets_among_text(tmp_path: Path) -> None:
    path = write(tmp_path, b"x,y\n1,2\nred,3\n", "text.csv")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(path, "", [], "regression", None)
    assert str(raised.value) == (
        f"{path}, line 3, column 'x': 'red' is not a number; features must be numbers: leave "
        "the column out by listing the others (--features a,b or features = [...] under "
        "[dataset]), or encode it as numbers")
    missing = write(tmp_path, b"x,y\n1,cat\n2,NA\n", "missing.csv")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(missing, "", [], "auto", None)
    assert str(raised.value) == (f"{missing}, line 3, column 'y': missing target ('NA'); every "
                                 "row needs its target: fill it in or drop the row")
    infinite = write(tmp_path, b"x,y\n1,cat\n2,inf\n3,dog\n", "inf.csv")
    with pytest.raises(DataCorruptError) as raised:
        read_csv(infinite, "", [], "auto", None)
    assert str(raised.value) == (f"{infinite}, line 3, column 'y': the target 'inf' is not a "
                                 "finite number")
    mixed = write(tmp_path, b"x,y\n1,cat\n2,7\n3,dog\n", "mixed.csv")
    assert read_csv(mixed, "", [], "auto", None).class_names == ("7", "cat", "dog")
