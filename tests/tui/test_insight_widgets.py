"""The confusion matrix and the gallery as widgets: what they draw, and how seldom."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from textual.app import App, ComposeResult

from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.ui.settings import AppSettings
from ktui.ui.widgets.insight import MODES, ConfusionView, GalleryView

from .insight_events import classifier_insight_events


def insight_data() -> tuple[SampleSet, list[Predictions], list[Confusion]]:
    sample, predictions, confusions = None, [], []
    for event in classifier_insight_events(epochs=3, steps=2):
        if isinstance(event, SampleSet):
            sample = event
        elif isinstance(event, Predictions):
            predictions.append(event)
        elif isinstance(event, Confusion):
            confusions.append(event)
    assert sample is not None and predictions and confusions
    return sample, predictions, confusions


class Pictures(App[None]):
    def __init__(self, interval: float | None) -> None:
        super().__init__()
        self.settings = AppSettings(chart_min_interval=interval)

    def compose(self) -> ComposeResult:
        yield ConfusionView(id="confusion")
        yield GalleryView(id="gallery")


def plain(widget) -> str:
    return widget.content.plain


async def test_the_confusion_view_prefers_the_test_set_and_waits_without_data() -> None:
    sample, predictions, confusions = insight_data()
    app = Pictures(0.0)
    async with app.run_test(size=(100, 60)) as pilot:
        view = app.query_one(ConfusionView)
        view.show(None, None)
        await pilot.pause()
        assert "no confusion matrix yet" in plain(view)
        validation = confusions[0]
        view.show(validation, None)
        await pilot.pause()
        assert f"validation, epoch {validation.epoch}" in plain(view)
        assert "Ankle boot" in plain(view) and "recall" in plain(view)
        test = dataclasses.replace(validation, split="test")
        view.show(validation, test)
        await pilot.pause()
        assert "test set, final" in plain(view) and view.matrix is test


async def test_the_gallery_orders_labels_and_redraws_new_predictions_seldom() -> None:
    sample, predictions, _ = insight_data()
    app = Pictures(60.0)  # a minute between redraws for new predictions
    async with app.run_test(size=(100, 60)) as pilot:
        gallery = app.query_one(GalleryView)
        gallery.show(sample, predictions[0])
        await pilot.pause()
        first = plain(gallery)
        assert f"epoch {predictions[0].epoch} · misclassified" in first
        wrong = [i for i in range(len(sample.targets))
                 if int(predictions[0].predicted[i]) != int(sample.targets[i])]
        most_confident_first = sorted(wrong, key=lambda i: -predictions[0].confidence[i])
        n = min(len(wrong), len(gallery.shown))
        assert n and gallery.shown[:n] == most_confident_first[:n]
        assert "▀" in first and "→" in first
        gallery.show(sample, predictions[1])  # the next epoch: within the interval
        await pilot.pause()
        assert plain(gallery) == first
        assert gallery.cycle_mode() == MODES[1]  # a key: drawn at once, with the new data
        await pilot.pause()
        assert f"epoch {predictions[1].epoch} · random" in plain(gallery)
        gallery.cycle_mode()
        await pilot.pause()
        targets = [int(sample.targets[i]) for i in gallery.shown]
        assert targets[:len(set(targets))] == sorted(set(targets))  # one per class first


async def test_a_table_sample_says_the_gallery_is_for_images() -> None:
    sample = SampleSet(split="validation", indices=(0, 1), targets=(0.0, 1.0),
                       features=((1.0,), (2.0,)))
    app = Pictures(0.0)
    async with app.run_test(size=(80, 24)) as pilot:
        gallery = app.query_one(GalleryView)
        gallery.show(sample, Predictions(1, "validation", (0.0, 1.0), (0.9, 0.8)))
        await pilot.pause()
        assert "for image data" in plain(gallery)


# ---- the widgets alone on a page of fixed size: snapshots ---------------------------------------
SIZES = [(80, 24), (120, 40)]
IDS = ["80x24", "120x40"]


class OnAPage(App[None]):
    """One insight widget under a 4-row header and above a 2-row footer (the training view's
    bars: at 80x24 the widget gets the ~18 rows of a page)."""

    DEFAULT_CSS = """
    #bars { height: 4; background: $panel; }
    #keys { dock: bottom; height: 2; background: $panel; }
    ConfusionView, GalleryView { height: 1fr; padding: 0 1; }
    """

    def __init__(self, widget: ConfusionView | GalleryView, data: tuple) -> None:
        super().__init__()
        self.settings = AppSettings(chart_min_interval=0.0)
        self.widget, self.data = widget, data

    def compose(self) -> ComposeResult:
        from textual.widgets import Static

        yield Static("progress bars", id="bars")
        yield self.widget
        yield Static("keys", id="keys")

    def on_mount(self) -> None:
        self.call_after_refresh(self.widget.show, *self.data)


def colour_sample() -> tuple[SampleSet, Predictions, Confusion]:
    """Three classes of 16x16 RGB images from a fixed seed (a user's own small data set):
    red discs, green bars, blue rings on noise."""
    rng = np.random.default_rng(7)
    yy, xx = np.mgrid[0:16, 0:16]
    images, targets = [], []
    for i in range(9):
        c = i % 3
        cy, cx = 8 + rng.integers(-2, 3), 8 + rng.integers(-2, 3)
        r = np.hypot(yy - cy, xx - cx)
        mask = [r < 5, np.abs(xx - cx) < 2, (r > 3) & (r < 6)][c]
        img = rng.integers(0, 40, (16, 16, 3))
        img[mask, c] = 230
        images.append(tuple(int(v) for v in img.astype(np.uint8).ravel()))
        targets.append(float(c))
    names = ("red disc", "green bar", "blue ring")
    sample = SampleSet("validation", tuple(range(9)), tuple(targets), names, (16, 16, 3),
                       tuple(images))
    predicted = tuple(float((int(t) + 1) % 3) if i in (2, 7) else t
                      for i, t in enumerate(targets))
    confidence = tuple(round(0.5 + 0.05 * i, 2) for i in range(9))
    matrix = ((48, 2, 0), (5, 40, 5), (0, 1, 49))
    return (sample, Predictions(4, "validation", predicted, confidence),
            Confusion(4, "test", matrix, names))


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_insight_widget_confusion(snap_compare, size: tuple[int, int]) -> None:
    _, _, confusions = insight_data()
    assert snap_compare(OnAPage(ConfusionView(), (confusions[-1], None)), terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=IDS)
def test_insight_widget_gallery(snap_compare, size: tuple[int, int]) -> None:
    sample, predictions, _ = insight_data()
    assert snap_compare(OnAPage(GalleryView(), (sample, predictions[0])), terminal_size=size)


def test_insight_widget_colour_gallery(snap_compare) -> None:
    sample, predictions, _ = colour_sample()
    assert snap_compare(OnAPage(GalleryView(), (sample, predictions)), terminal_size=(80, 24))


def test_insight_widget_three_classes(snap_compare) -> None:
    _, _, confusion = colour_sample()
    assert snap_compare(OnAPage(ConfusionView(), (None, confusion)), terminal_size=(80, 24))


async def test_confusion_fits_a_page_of_an_80x24_terminal() -> None:
    _, _, confusions = insight_data()
    app = OnAPage(ConfusionView(), (confusions[-1], None))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        view = app.widget
        lines = plain(view).splitlines()
        assert view.size.height >= len(lines) and view.size.height <= 18
        assert max(len(line) for line in lines) <= view.size.width
        assert "recall" in lines[1] and lines[-1].startswith("9 Ankle boot")


def test_the_gallery_fills_an_80x24_page() -> None:
    """At 80x24 half-size pictures fit one band of 5 and left 7 of 16 rows empty (issue 21,
    item 7): a third of the size shows two bands, twice as many, labels whole."""
    from ktui.ui.widgets.insight.gallery import LABEL_MIN, GalleryView

    gallery = GalleryView()
    scale, cols, rows = gallery._layout((28, 28), 78, 16)
    assert (scale, rows) == (3, 2) and cols * rows >= 10
    assert LABEL_MIN >= len("→Pullover 76%")
    # Where half size already fills the page, it stays (120x40: three bands).
    scale, cols, rows = gallery._layout((28, 28), 118, 30)
    assert scale == 2 and rows == 3
