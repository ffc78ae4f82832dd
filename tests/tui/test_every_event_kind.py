"""The scripted fake sends every kind of event the trainer sends (issue 25.3): a new kind of
event without a fake fails here, and the whole fake run goes through the training view, every
page shown, without an error."""

from __future__ import annotations

import dataclasses
import typing

import pytest

from ktui.core.events import Event, RunFailed
from ktui.core.events.codec import _DECODERS, from_dict, to_dict
from ktui.core.spec.presets import get_preset
from ktui.ui.screens.training_pages import PAGES
from ktui.ui.widgets.charts import Chart
from ktui.ui.widgets.charts.gradients import GradientsChart
from ktui.ui.widgets.insight.confusion import ConfusionView
from ktui.ui.widgets.insight.gallery import GalleryView

from .fakes import every_kind_events, failing, scripted
from .helpers import make_test_app, settle, training, until
from .page_reading import drawn_counts, picture_colours


def _sent(train: typing.Any) -> list[Event]:
    events: list[Event] = []
    train(get_preset("fashion-mlp"), events.append)
    return events


def test_the_fakes_send_every_kind_the_codec_knows() -> None:
    """The codec's kinds are the ``Event`` union's; the scripted full run sends every one
    but RunFailed, which the failing fake sends; each reads back whole through the codec."""
    union = set(typing.get_args(Event))
    codec = {cls for cls, _ in _DECODERS.values()}
    assert codec == union
    assert {cls.__dataclass_fields__["event"].default for cls in union} == set(_DECODERS)
    full = _sent(scripted(every_kind_events))
    kinds = {type(e) for e in full}
    assert kinds == union - {RunFailed}, f"no fake sends {union - {RunFailed} - kinds}"
    assert RunFailed in {type(e) for e in _sent(failing())}
    for event in full:
        assert from_dict(to_dict(event)) == event


def test_the_full_fake_is_a_consistent_run() -> None:
    """What the trainer guarantees holds in the fake too: the sample's classes and images
    match, each validation matrix counts the validation set, the test one the test set."""
    events = list(every_kind_events(epochs=3, steps=4, val=20, test=30))
    started, sample = events[0], events[1]
    assert (type(started).__name__, type(sample).__name__) == ("RunStarted", "SampleSet")
    assert len(sample.images) == len(sample.targets) == len(sample.indices)  # type: ignore
    matrices = [e for e in events if type(e).__name__ == "Confusion"]
    assert [(m.split, sum(map(sum, m.matrix))) for m in matrices] == [  # type: ignore
        ("validation", 20)] * 3 + [("test", 30)]
    steps = [e for e in events if type(e).__name__ == "StepDone"]
    assert all(set(s.grad_norms) == {"dense_1", "dense_2"} for s in steps)  # type: ignore
    assert [dataclasses.asdict(e)["source"] for e in events
            if type(e).__name__ == "LrChanged"] == ["user", "plateau"]


@pytest.mark.slow
async def test_the_full_fake_through_the_training_view_every_page() -> None:
    app = make_test_app(get_preset("fashion-mlp"), start=True,
                        train_fn=scripted(every_kind_events, test={"loss": 0.9,
                                                                   "accuracy": 0.5}))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: getattr(app.screen, "view", None) is not None
                    and app.screen.view.state == "finished")
        await settle(pilot)
        screen = training(app)
        view = screen.view
        assert view.epochs_done == 3 and view.test == {"loss": 0.9, "accuracy": 0.5}
        assert [lr for _, lr in view.lr_points] == [0.002, 0.002, 0.001]
        seen = []
        for _ in PAGES:
            seen.append(screen.page)
            if screen.page == "charts":
                assert screen.query_one("#loss-chart", Chart).lines()
            elif screen.page == "learned":
                confusion = screen.query_one(ConfusionView)
                assert confusion.matrix is not None and confusion.matrix.split == "test"
                assert sum(map(sum, drawn_counts(confusion, 10))) == 30
                gallery = screen.query_one(GalleryView)
                assert sorted(gallery.shown) == list(range(10))
                assert len(picture_colours(gallery)) >= 4  # shades, not a flat block
            else:
                chart = screen.query_one(GradientsChart)
                assert [s.label.split()[0] for s in chart.lines()] == ["dense_1", "dense_2"]
            await pilot.press("v")
            await settle(pilot)
        assert seen == list(PAGES) and screen.page == PAGES[0]
