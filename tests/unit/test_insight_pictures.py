"""The pure parts of the confusion matrix and the gallery (ktui.ui.widgets.insight.pictures)."""

from __future__ import annotations

import numpy as np
from rich.console import Console

from ktui.core.events import Confusion
from ktui.ui.widgets.insight.confusion import confusion_table, title
from ktui.ui.widgets.insight.pictures import (
    cell_style,
    downscale,
    half_blocks,
    image_array,
    order,
    quantise,
    short_name,
    tile_size,
)

FASHION = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot")


def test_short_names_say_which_class() -> None:
    assert [short_name(n, 8) for n in FASHION] == [
        "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
        "Boot"]
    assert short_name("Ankle boot", 12) == "Ankle boot"
    assert short_name("T-shirt/top", 11) == "T-shirt/top"
    assert short_name("averyverylongname", 5) == "avery" and short_name("", 4) == "?"


def test_cell_colours_green_right_red_wrong_plain_zero() -> None:
    assert cell_style(0.0, True) == "" and cell_style(0.0, False) == ""
    right, wrong = cell_style(0.9, True), cell_style(0.05, False)
    bg = lambda s: s.split(" on #")[1]  # noqa: E731
    r, g, _ = (int(bg(right)[i:i + 2], 16) for i in (0, 2, 4))
    assert g > r  # green
    r, g, _ = (int(bg(wrong)[i:i + 2], 16) for i in (0, 2, 4))
    assert r > g  # red
    assert bg(cell_style(0.2, True)) != bg(cell_style(0.9, True))  # a ramp


def test_gallery_orders() -> None:
    targets = [0, 1, 2, 0, 1, 2]
    predicted = [0, 2, 2, 1, 1, 0]
    confidence = [0.9, 0.6, 0.8, 0.95, 0.7, 0.3]
    assert order(targets, predicted, confidence, "misclassified") == [3, 1, 5, 0, 2, 4]
    assert order(targets, predicted, confidence, "by class") == [0, 1, 2, 3, 4, 5]
    shuffled = order(targets, predicted, confidence, "random")
    assert sorted(shuffled) == list(range(6))
    assert shuffled == order(targets, predicted, confidence, "random")  # fixed


def test_half_blocks_of_a_tiny_image() -> None:
    img = image_array([0, 255, 128, 64], (2, 2))
    assert img.shape == (2, 2, 3) and img[0, 1].tolist() == [255, 255, 255]
    rows = half_blocks(img)
    assert rows == [[((0, 0, 0), (128, 128, 128)), ((255, 255, 255), (64, 64, 64))]]
    odd = half_blocks(image_array([10, 20, 30], (3, 1)))
    assert odd[1] == [((30, 30, 30), (0, 0, 0))]  # the missing lower half is black
    assert downscale(image_array([0, 100, 200, 100], (2, 2)), 2).tolist() == [[[100] * 3]]
    assert quantise(np.array([[[7, 20, 250]]], np.uint8), 16).tolist() == [[[0, 17, 255]]]
    assert tile_size((28, 28), 1) == (28, 14) and tile_size((28, 28), 2) == (14, 7)


def test_confusion_table_fits_80_columns_with_counts_and_scores() -> None:
    rng = np.random.default_rng(0)
    m = rng.integers(0, 20, (10, 10)) + np.diag(rng.integers(900, 999, 10))
    conf = Confusion(epoch=3, split="validation", matrix=tuple(tuple(int(v) for v in r)
                                                               for r in m),
                     class_names=FASHION)
    console = Console(width=78, record=True, file=None, color_system=None)
    with console.capture() as capture:
        console.print(title(conf, 78))
        console.print(confusion_table(conf, 78))
    text = capture.get()
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 78
    assert "validation, epoch 3" in lines[0] and "accuracy" in lines[0]
    assert "recall" in text and "prec." in text
    assert any(line.startswith("9 Ankle boot") for line in lines)  # room for full names
    assert any(line.startswith("0 T-shirt/top") for line in lines)
    assert str(int(m[0, 0])) in lines[2]
    narrow = Console(width=50, record=True, color_system=None)
    with narrow.capture() as capture:
        narrow.print(confusion_table(conf, 50))
    assert "recall" not in capture.get()  # the scores go when they do not fit
    tight = Console(width=74, record=True, color_system=None)
    with tight.capture() as capture:
        tight.print(confusion_table(conf, 74))
    rows = capture.get().splitlines()
    assert "recall" in rows[0] and max(len(line) for line in rows) <= 74
    assert rows[-1].startswith("9 Boot ")  # abbreviated to keep the scores


def test_three_classes_keep_their_names() -> None:
    names = ("red disc", "green bar", "blue ring")
    conf = Confusion(epoch=1, split="test", matrix=((8, 2, 0), (1, 9, 0), (0, 0, 10)),
                     class_names=names)
    console = Console(width=60, record=True, color_system=None)
    with console.capture() as capture:
        console.print(title(conf, 60))
        console.print(confusion_table(conf, 60))
    lines = capture.get().splitlines()
    assert "test set, final" in lines[0] and "accuracy 90.0%" in lines[0]
    assert [line.split()[1:3] for line in lines[2:]] == [["red", "disc"], ["green", "bar"],
                                                         ["blue", "ring"]]
    assert lines[2].split()[-2:] == ["80.0%", "88.9%"]  # recall 8/10, precision 8/9
