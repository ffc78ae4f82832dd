"""The confusion matrix and the gallery as widgets: what they draw, and how seldom."""

from __future__ import annotations

import dataclasses

from textual.app import App, ComposeResult

from ktui.core.view_events import Confusion, Predictions, SampleSet
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
        assert "Boot" in plain(view) and "recall" in plain(view)
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
