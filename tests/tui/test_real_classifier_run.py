"""One real classifier run through the TUI (issue 25.3): the real trainer (no fake) on a tiny
IDX Fashion-MNIST, one epoch; the learned page shows the run's own confusion matrix and its
validation pictures, the gradients page a series per trainable layer."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

from ktui.core.events import Confusion, RunStarted
from ktui.core.spec import LayerSpec
from ktui.core.spec.presets import get_preset
from ktui.ui.widgets.charts.gradients import GradientsChart
from ktui.ui.widgets.insight.confusion import ConfusionView
from ktui.ui.widgets.insight.gallery import GalleryView

from .helpers import make_test_app, settle, training, until
from .page_reading import drawn_counts, picture_colours

N_TRAIN, N_TEST = 200, 60


def _fashion_files(folder: Path) -> dict[str, np.ndarray]:
    unit = str(Path(__file__).resolve().parents[1] / "unit")
    if unit not in sys.path:
        sys.path.append(unit)
    from idx_files import make_fashion

    return make_fashion(folder, n_train=N_TRAIN, n_test=N_TEST, seed=7)


@pytest.mark.slow
async def test_a_real_run_shows_its_matrix_gallery_and_gradients(tmp_path: Path) -> None:
    arrays = _fashion_files(tmp_path / "fashion")
    spec = get_preset("fashion-mlp")
    spec.dataset.samples = 0  # every image of the tiny files
    spec.layers = [LayerSpec("Flatten"), LayerSpec("Dense", {"units": 8, "activation": "relu"}),
                   LayerSpec("Dense", {"units": 10})]
    spec.train.epochs, spec.train.batch_size, spec.train.log_every = 1, 32, 1
    n_val = round(spec.train.validation_split * N_TRAIN)  # the last images of the train file
    app = make_test_app(spec, start=True, data_dir=str(tmp_path / "fashion"))
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: getattr(getattr(app.screen, "view", None), "state", "")
                    in ("finished", "failed", "stopped"), timeout=300)
        await settle(pilot)
        screen = training(app)
        view = screen.view
        assert view.state == "finished", view.result
        started = view.started
        assert isinstance(started, RunStarted) and started.val_samples == n_val
        assert started.test_samples == N_TEST
        validation = view.insight.confusion["validation"]
        assert isinstance(validation, Confusion) and validation.epoch == 1
        assert sum(map(sum, validation.matrix)) == n_val

        await pilot.press("v")  # the learned page
        await settle(pilot)
        assert screen.page == "learned"
        confusion = screen.query_one(ConfusionView)
        drawn = drawn_counts(confusion, 10)
        test_labels = arrays["test_labels"]
        assert sum(map(sum, drawn)) == N_TEST  # the final matrix: the whole test file
        assert [sum(row) for row in drawn] == np.bincount(test_labels, minlength=10).tolist()
        assert "test set, final" in confusion.content.plain  # type: ignore[union-attr]
        confusion.show(validation, None, now=True)  # the matrix of the epoch, as it showed
        await pilot.pause()
        assert sum(map(sum, drawn_counts(confusion, 10))) == n_val
        held_out = arrays["train_images"][N_TRAIN - n_val:].astype(np.float64)
        gallery = screen.query_one(GalleryView)
        sample = gallery.sample
        assert sample is not None and gallery.predictions is not None
        assert gallery.shown and len(picture_colours(gallery)) >= 4
        for index, image in zip(sample.indices, sample.images, strict=True):
            # the validation picture at that index, stretched from its darkest to its
            # brightest pixel for the terminal
            x = held_out[index].ravel()
            stretched = (x - x.min()) / (x.max() - x.min()) * 255
            assert np.abs(np.asarray(image) - stretched).max() <= 0.5 + 1e-9

        await pilot.press("v")  # the gradients page
        await settle(pilot)
        assert screen.page == "gradients"
        trainable = [layer.name for layer in started.layers if layer.trainable_params]
        assert len(trainable) == 2
        lines = screen.query_one(GradientsChart).lines()
        assert sorted(s.label.split()[0] for s in lines) == sorted(trainable)
        assert all(s.ys for s in lines)
