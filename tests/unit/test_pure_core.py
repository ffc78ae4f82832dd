"""The core's pure helpers at their edges (issue 25, item 6: tests that kill the mutants
``make mutation`` found alive): the text helpers, the export literals, the schedules and the
stopping rules, the event codec, the CSV reader. Fast: no training, no TensorFlow."""

from __future__ import annotations

import pytest

from ktui.core.export import literals
from ktui.core.text import brief, clean, identifier, metric_text, plural

# ---- text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "shown"), [
    ("plain", "plain"),
    ("\x1b[2J", "\\x1b[2J"),
    ("\x00\x07\x1f", "\\x00\\x07\\x1f"),
    ("\x7f\x9b\x9f", "\\x7f\\x9b\\x9f"),
    ("\xa0é", "\xa0é"),  # printable beyond ASCII stays
    ("a\tb\nc\rd", "a\\tb\\nc\\rd"),
    ("\u202a\u202e\u2066\u2069", "\\u202a\\u202e\\u2066\\u2069"),
    ("\u2029\u202f\u2065\u206a", "\u2029\u202f\u2065\u206a"),
    ("\ud800\udfff", "\\ud800\\udfff"),
    (" ~", " ~"),
])
def test_clean_escapes_exactly_the_unsafe_characters(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_keeps_newlines_only_when_asked() -> None:
    assert clean("a\nb\tc\x0b\x1b", keep_newlines=True) == "a\nb\\tc\\x0b\\x1b"
    assert clean("a\nb", keep_newlines=False) == "a\\nb"
    assert clean(12) == "12"


def test_brief_cuts_long_and_deep_values_and_keeps_short_ones() -> None:
    assert brief("x" * 58) == repr("x" * 58)  # 60 characters with the quotes
    assert brief("x" * 59) == "'" + "x" * 27 + "..." + "x" * 28 + "'"
    assert brief(list(range(8))) == repr(list(range(8)))
    assert brief(list(range(9))) == "[0, 1, 2, 3, 4, 5, 6, 7, ...]"
    assert brief(tuple(range(9))) == "(0, 1, 2, 3, 4, 5, 6, 7, ...)"
    assert brief(dict.fromkeys(range(6), 0)) == repr(dict.fromkeys(range(6), 0))
    assert brief(dict.fromkeys(range(7), 0)).endswith("...}")
    assert brief([[[1]]]) == "[[[1]]]" and brief([[[[1]]]]) == "[[[[...]]]]"
    assert brief(10 ** 39) == str(10 ** 39) and "..." in brief(10 ** 40)


def test_identifier_rules() -> None:
    assert identifier("linear-gd") == "linear_gd"
    assert identifier("__a b__") == "a_b"
    assert identifier("ü-9") == "9"
    assert identifier("---") == "model" and identifier("", fallback="x") == "x"
    assert identifier("a" * 70) == "a" * 64
    assert identifier("abcdef", max_len=3) == "abc"
    assert identifier("ab_cd", max_len=3) == "ab"  # cut, then stripped


def test_plural_and_metric_text() -> None:
    assert plural(1, "epoch") == "1 epoch"
    assert plural(0, "epoch") == "0 epochs" and plural(2, "epoch") == "2 epochs"
    assert metric_text(1) == "1.0000" and metric_text(0.87186) == "0.8719"
    assert metric_text(999.99994) == "999.9999" and metric_text(-999.5) == "-999.5000"
    assert metric_text(1000) == "1000" and metric_text(123456.0) == "1.235e+05"
    assert metric_text(-1000.0) == "-1000"
    # Small values keep their digits (a learning rate of 5e-05 was "0.0000").
    assert metric_text(5e-05) == "5e-05" and metric_text(1.2345e-05) == "1.234e-05"
    assert metric_text(0.0005) == "0.0005" and metric_text(0.001) == "0.0010"
    assert metric_text(0.0) == "0.0000"


# ---- export literals ---------------------------------------------------------------------------

def _nest(levels: int) -> object:
    value: object = 1
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize("value", [None, "s", 3, True, 0.5, [1, "a"], (1, 2.5), {"a": [1]},
                                   _nest(20)])
def test_plain_values_are_written_as_themselves(value) -> None:
    assert literals.is_plain(value)
    assert literals.literal(value, "f") == repr(value)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), {1, 2}, b"x", object(),
                                   [float("-inf")], {"a": {1.0: float("nan")}}, {(): set()},
                                   _nest(21)])
def test_other_values_are_refused_naming_the_field(value) -> None:
    assert not literals.is_plain(value)
    with pytest.raises(literals.ExportError, match=r"^train\.x: .* cannot be written"):
        literals.literal(value, "train.x")


def test_plain_depth_limit_is_twenty_levels() -> None:
    deep = _nest(20)
    assert literals.is_plain(deep)
    assert not literals.is_plain([deep])
    assert literals.is_plain(1, depth=20) and not literals.is_plain(1, depth=21)


def test_plain_needs_exact_types() -> None:
    class Text(str):
        pass

    class Number(float):
        pass

    assert not literals.is_plain(Text("a")) and not literals.is_plain(Number(1.0))
    assert not literals.is_plain({Text("a"): 1}) and not literals.is_plain({"a": Text("b")})


def test_shown_and_usage_name() -> None:
    assert literals.shown("a'b") == repr("a'b") and literals.shown(3) == "int"
    assert literals.usage_name("train_1.py") == "train_1.py"
    assert literals.usage_name("a+b-c.py") == "a+b-c.py"
    for odd in (None, "", "a b.py", '"""', "x" * 121, "é.py", "a\n.py"):
        assert literals.usage_name(odd) == "<this file>"
    assert literals.usage_name("x" * 120) == "x" * 120


# ---- the spec check ----------------------------------------------------------------------------

def test_check_returns_a_valid_spec_and_raises_with_every_problem() -> None:
    from ktui.core.spec import SpecError
    from ktui.core.spec.presets import get_preset
    from ktui.core.spec.validate import check, validate

    spec = get_preset("linear-gd")
    assert check(spec) is spec
    spec.train.epochs = 0
    spec.train.learning_rate = -1.0
    problems = validate(spec)
    assert len(problems) >= 2
    with pytest.raises(SpecError) as caught:
        check(spec)
    assert all(p in str(caught.value) for p in problems)


# ---- the optimizer's steered scale -------------------------------------------------------------

def test_lr_scale_finds_the_steered_rate_and_nothing_else() -> None:
    import keras
    import tensorflow as tf

    from ktui.core.training.schedules import lr_scale, make_steered_rate

    steered = make_steered_rate(keras, tf, 0.1)
    optimizer = keras.optimizers.SGD(learning_rate=steered)
    assert lr_scale(optimizer) is steered.scale
    assert lr_scale(keras.mixed_precision.LossScaleOptimizer(optimizer)) is steered.scale
    assert lr_scale(keras.optimizers.SGD(learning_rate=0.1)) is None
    assert lr_scale(object()) is None
    assert steered.get_config() == {"base": 0.1}
    assert float(steered(0)) == pytest.approx(0.1)


# ---- the codec: a learning-rate change ---------------------------------------------------------

def test_lr_changed_reads_back_and_damaged_fields_are_defaulted() -> None:
    from ktui.core.events import LrChanged
    from ktui.core.events.codec import from_dict, to_dict, to_json

    event = LrChanged(epoch=3, step=7, lr=0.05, previous=0.1, source="plateau")
    assert from_dict(to_dict(event)) == event
    assert to_json(event) == ('{"event":"lr_changed","epoch":3,"step":7,"lr":0.05,'
                              '"previous":0.1,"source":"plateau"}')
    user = from_dict({"event": "lr_changed", "epoch": 1, "step": 2, "lr": 1, "previous": None,
                      "source": "someone"})
    assert isinstance(user, LrChanged) and user.source == "user" and user.lr == 1.0
    assert isinstance(user.lr, float) and user.previous != user.previous  # NaN
    assert from_dict({"event": "lr_changed", "epoch": 1, "step": 2}).source == "user"
    assert from_dict({"event": "lr_changed", "epoch": "1", "step": 2, "lr": 1.0}) is None


# ---- the CSV reader: late decoding errors and too many classes ---------------------------------

def test_a_byte_that_is_not_utf8_far_into_the_file_names_its_line(tmp_path) -> None:
    from ktui.core.datasets.base import DataCorruptError
    from ktui.core.datasets.csv_read import read_csv

    path = tmp_path / "late.csv"
    rows = b"".join(b"%d,%d\n" % (i, i % 2) for i in range(30_000))  # past the 64 KiB head
    path.write_bytes(b"x,y\n" + rows + b"1,\xe9\n2,1\n")
    with pytest.raises(DataCorruptError) as caught:
        read_csv(path, "y", [], "auto", None)
    assert str(caught.value).startswith(f"{path}, line 30002: not UTF-8 text (byte 0xe9)")


def test_more_text_classes_than_the_limit_names_the_line(tmp_path) -> None:
    from ktui.core.datasets.base import DataCorruptError
    from ktui.core.datasets.csv_read import MAX_CLASSES, read_csv

    path = tmp_path / "classes.csv"
    path.write_text("x,y\n" + "".join(f"{i},c{i}\n" for i in range(MAX_CLASSES + 5)))
    with pytest.raises(DataCorruptError) as caught:
        read_csv(path, "y", [], "classification", None)
    assert str(caught.value) == (
        f"{path}, line {MAX_CLASSES + 2}, column 'y': more than {MAX_CLASSES} distinct text "
        "values by this line: too many to be classes; choose another target column")
    path.write_text("x,y\n" + "".join(f"{i},c{i}\n" for i in range(MAX_CLASSES)))
    assert len(read_csv(path, "y", [], "classification", None).class_names) == MAX_CLASSES


# ---- the stopping rules' words and edges -------------------------------------------------------

def test_budget_reason_edges_and_words() -> None:
    from ktui.core.training.stopping import budget_reason

    assert budget_reason(0, 1e9, 3) == "" and budget_reason(-1, 1e9, 3) == ""
    assert budget_reason(2, 119.9, 3) == ""
    assert budget_reason(2, 120.0, 3) == "time budget reached at epoch 3: 2.0 of 2 minutes"
    assert budget_reason(0.5, 93, 4) == "time budget reached at epoch 4: 1.6 of 0.5 minutes"


def test_target_reason_without_a_target_or_a_value() -> None:
    from ktui.core.spec.steering import parse_stop_when
    from ktui.core.training.stopping import target_reason

    assert target_reason(None, {"loss": 0.0}, 1) == ""
    target = parse_stop_when("val_accuracy >= 0.9")
    assert target_reason(target, {"val_accuracy": 0.89}, 2) == ""
    assert target_reason(target, {}, 2) == ""
    assert target_reason(target, {"val_accuracy": float("nan")}, 2) == ""
    assert target_reason(target, {"val_accuracy": 0.9}, 2) == (
        "target reached at epoch 2: val_accuracy = 0.9 (val_accuracy >= 0.9)")


# ---- the codec: failures and the evaluating event ------------------------------------------------

def test_run_failed_reads_back_with_its_fields_defaulted_and_kinds_checked() -> None:
    from ktui.core.events import RunFailed
    from ktui.core.events.codec import from_dict, to_dict

    event = RunFailed(kind="io", message="disk full", epoch=2, step=5,
                      details={"error": "OSError"})
    assert from_dict(to_dict(event)) == event
    bare = from_dict({"event": "run_failed"})
    assert bare == RunFailed(kind="error", message="")
    odd = from_dict({"event": "run_failed", "kind": "boom", "message": 3, "details": [1]})
    assert odd == RunFailed(kind="error", message="3", details={})
    assert from_dict({"event": "run_failed", "kind": None}).kind == "error"


def test_evaluating_is_read_for_the_test_split_only() -> None:
    from ktui.core.events import Evaluating
    from ktui.core.events.codec import from_dict, to_dict

    assert from_dict(to_dict(Evaluating())) == Evaluating()
    assert from_dict({"event": "evaluating"}) == Evaluating()
    assert from_dict({"event": "evaluating", "split": "validation"}) is None
    assert from_dict({"event": "evaluating", "split": None}) is None


def test_monitored_takes_finite_values_only() -> None:
    from ktui.core.training.stopping import monitored

    assert monitored({"a": 0.0}, "a") == 0.0
    for bad in ({"a": float("nan")}, {"a": float("inf")}, {"a": None}, {}):
        assert monitored(bad, "a") is None


def test_improvement_must_beat_the_best_by_more_than_min_delta() -> None:
    from ktui.core.spec.steering import EarlyStoppingSpec
    from ktui.core.training.stopping import EarlyStopper

    for monitor, first, same, better in (("val_loss", 1.0, 0.5, 0.25),
                                         ("val_accuracy", 0.25, 0.75, 1.0)):
        stopper = EarlyStopper(EarlyStoppingSpec(enabled=True, monitor=monitor, patience=2,
                                                 min_delta=0.5))
        assert stopper.update({monitor: first}, 1) == (True, "")
        assert stopper.update({monitor: same}, 2) == (False, "")  # by exactly min_delta: no
        assert stopper.update({monitor: better}, 3) == (True, "")
        assert stopper.update({}, 4) == (False, "")  # missing: neither better nor a wait
        assert stopper.update({monitor: better}, 5) == (False, "")
        best, reason = stopper.update({monitor: better}, 6)
        assert best is False
        assert reason == (f"early stop at epoch 6: {monitor} did not improve by 0.5 for 2 "
                          f"epochs (best {better:.4g} at epoch 3)")


def test_early_stop_reason_says_one_epoch() -> None:
    from ktui.core.spec.steering import EarlyStoppingSpec
    from ktui.core.training.stopping import EarlyStopper

    stopper = EarlyStopper(EarlyStoppingSpec(enabled=True, monitor="loss", patience=1))
    assert stopper.update({"loss": 2.0}, 1) == (True, "")
    assert stopper.update({"loss": 2.0}, 2) == (
        False, "early stop at epoch 2: loss did not improve by 0 for 1 epoch (best 2 at epoch 1)")


def test_identifier_strips_only_underscores() -> None:
    assert identifier("Xylophone_X") == "Xylophone_X"


def test_literal_refusal_messages() -> None:
    with pytest.raises(literals.ExportError) as caught:
        literals.literal({1, 2}, "dataset.w")
    assert str(caught.value) == (
        "dataset.w: set value cannot be written into a script; use a string, a finite number, "
        "true/false or a list of them")


def test_dict_keys_and_values_count_towards_the_depth_limit() -> None:
    def tuples(levels: int) -> object:
        value: object = 1
        for _ in range(levels):
            value = (value,)
        return value

    assert literals.is_plain({tuples(19): 1}) and not literals.is_plain({tuples(20): 1})
    assert literals.is_plain({"a": _nest(19)}) and not literals.is_plain({"a": _nest(20)})


def test_sparkline_scales_from_lowest_to_highest() -> None:
    from ktui.core.text import sparkline

    assert sparkline([3.0, 2.0, 1.0]) == "█▄▁"
    assert sparkline([5.0, 5.0]) == "▁▁" and sparkline([]) == ""
    assert sparkline([float("nan"), 1.0, 2.0]) == "▁█"
    assert sparkline(list(range(20)), 4) == "▁▃▆█"  # the last 4: 16..19 in eighths
