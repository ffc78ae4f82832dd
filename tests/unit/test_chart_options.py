"""The chart options' maths (issue 12, chart controls): TensorBoard's debiased EMA, the log
view's filter of values <= 0, the window of the last N epochs, the title line's tag."""

from __future__ import annotations

import math

import pytest

from ktui.ui.widgets.charts.transform import (
    ChartOptions,
    ema,
    in_window,
    log_filter,
    shape,
    window_span,
)


def test_ema_matches_a_hand_computed_tensorboard_example() -> None:
    # weight 0.6 over 1, 2, 3 (TensorBoard: last = last*w + (1-w)*v, divided by 1 - w**n)
    # n=1: last 0.4 -> 0.4/0.4 = 1; n=2: 0.24+0.8 = 1.04 -> 1.04/0.64 = 1.625;
    # n=3: 0.624+1.2 = 1.824 -> 1.824/0.784 = 2.326530...
    assert ema([1.0, 2.0, 3.0], 0.6) == pytest.approx([1.0, 1.625, 1.824 / 0.784])


def test_ema_debias_starts_at_the_first_value_not_near_zero() -> None:
    out = ema([10.0, 10.5, 9.5, 10.0], 0.9)
    assert out[0] == pytest.approx(10.0)
    assert all(9.4 < v < 10.6 for v in out)


def test_ema_skips_nan_and_inf_without_counting_them() -> None:
    out = ema([1.0, math.nan, 2.0, math.inf, 3.0], 0.6)
    assert math.isnan(out[1]) and out[3] == math.inf
    assert [out[0], out[2], out[4]] == pytest.approx(ema([1.0, 2.0, 3.0], 0.6))


def test_ema_zero_weight_and_constant_series_are_unchanged() -> None:
    assert ema([3.0, 1.0, 2.0], 0.0) == [3.0, 1.0, 2.0]
    assert ema([2.0, 2.0, 2.0], 0.9) == [2.0, 2.0, 2.0]
    assert ema([], 0.6) == []


def test_log_filter_leaves_out_values_at_or_below_zero_and_counts_them() -> None:
    xs, ys, hidden = log_filter([0, 1, 2, 3, 4], [0.0, 10.0, -1.0, 1000.0, math.nan])
    assert xs == [1, 3]
    assert ys == pytest.approx([1.0, 3.0])
    assert hidden == 2  # the NaN is never drawn: not counted as hidden


def test_window_span_is_the_last_n_epochs_once_there_are_more() -> None:
    assert window_span(30.0, 10) == (20, 30)
    assert window_span(30.25, 10) == (21, 31)  # a step inside epoch 31
    assert window_span(8.0, 10) is None  # every epoch fits: the usual axis
    assert window_span(30.0, None) is None
    assert window_span(None, 10) is None


def test_in_window_slices_by_x() -> None:
    assert in_window([0, 5, 10, 15], [1, 2, 3, 4], (5, 10)) == ([5, 10], [2, 3])
    assert in_window([0, 5], [1, 2], None) == ([0, 5], [1, 2])


def test_shape_smooths_before_the_window_and_logs_after() -> None:
    xs = [float(x) for x in range(1, 21)]
    ys = [float(10 ** (x % 3)) for x in range(1, 21)]
    shaped = shape(xs, ys, ChartOptions(smoothing=0.6, log_y=True, window=5), (15, 20))
    rx, ry = shaped.raw
    assert rx == xs[14:]
    assert ry == pytest.approx([math.log10(y) for y in ys[14:]])
    assert shaped.smooth is not None
    sx, sy = shaped.smooth
    assert sy == pytest.approx([math.log10(v) for v in ema(ys, 0.6)[14:]])
    assert sx == rx


def test_shape_without_smoothing_has_no_smoothed_line() -> None:
    shaped = shape([1.0, 2.0], [-1.0, 2.0], ChartOptions(log_y=True), None)
    assert shaped.smooth is None and shaped.hidden == 1


def test_options_cycle_and_say_what_they_are() -> None:
    opts = ChartOptions()
    assert opts.tag() == ""
    assert [opts.next_smoothing().smoothing, opts.next_smoothing().next_smoothing().smoothing,
            opts.next_smoothing().next_smoothing().next_smoothing().smoothing] == [0.6, 0.9, 0.0]
    assert opts.next_window().window == 10
    assert opts.next_window().next_window().window == 50
    assert opts.next_window().next_window().next_window().window is None
    full = ChartOptions(0.6, True, 10)
    assert full.tag() == "smooth 0.6 · log y · last 10"
    assert full.tag(3) == "smooth 0.6 · log y (3 points ≤ 0 hidden) · last 10"
    assert full.tag(1, compact=True) == "~0.6 · log (1≤0 hidden) · 10ep"
    assert opts.toggled_log().toggled_log() == opts
