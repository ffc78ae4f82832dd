"""``kind = "images"``: a folder with one subfolder of images per class.

``root/<class>/*.png|jpg|jpeg|bmp|gif`` (subfolders of a class folder count too; names
starting with a dot are ignored). The card lists the folder without decoding anything; the
load decodes every image up front with TensorFlow's decoders (no imaging library), the first
failure naming its file, and resizes them to ``size`` in grayscale or RGB, scaled to [0, 1].
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from ktui.core.choices import Task
from ktui.core.datasets.base import DataCorruptError, DataError, ScriptConstant
from ktui.core.datasets.card import DataCard
from ktui.core.datasets.own import Arrays, OwnData, path_field, seed_field, test_split_field
from ktui.core.schema import spec_field

if TYPE_CHECKING:
    from ktui.core.datasets.source import DataSource

COLORS = ("grayscale", "rgb")
#: Images this big or bigger are refused: the stacks here are for small pictures.
MAX_SIDE = 1024


@dataclass
class ImageFolderData(OwnData):
    """A folder of class folders of images, decoded by TensorFlow."""

    kind: ClassVar[str] = "images"
    title: ClassVar[str] = "a folder of images"
    help: ClassVar[str] = "your images: one subfolder per class (png, jpg, bmp, gif)"
    task: ClassVar[Task] = "classification"
    noun: ClassVar[str] = "the image folder"
    card_fields: ClassVar[tuple[str, ...]] = ("path", "size", "color")
    shape_fields: ClassVar[tuple[str, ...]] = ("size", "color")

    path: str = path_field("the folder holding one subfolder of images per class")
    size: list[int] = spec_field("int_pair", [32, 32], label="size",
                                 help="height, width every image is resized to")
    color: str = spec_field("choice", "grayscale", label="color", choices=COLORS,
                            help="grayscale (1 channel) or rgb (3 channels)")
    test_split: float = test_split_field()
    seed: int = seed_field()

    def channels(self) -> int:
        return 3 if self.color == "rgb" else 1

    def identity(self) -> tuple:
        """The folder and its class folders' times: adding or removing an image changes its
        folder's modification time."""
        root = self.file()
        info = os.stat(root)
        if not os.path.isdir(root):
            return (info.st_mtime_ns, info.st_ino)
        stamps = tuple((e.name, e.stat().st_mtime_ns) for e in os.scandir(root)
                       if not e.name.startswith(".") and e.is_dir())
        return (info.st_mtime_ns, info.st_ino, stamps)

    def quick(self, identity: tuple) -> bool:
        return True  # listing only; images are decoded when training starts

    def cross_problems(self, bad: set[str], path: str) -> list[str]:
        if "size" not in bad and isinstance(self.size, list) and max(self.size) > MAX_SIDE:
            return [f"{path}.size: at most {MAX_SIDE} pixels a side, got {self.size}"]
        return super().cross_problems(bad, path)

    def _listing(self) -> tuple[list[str], list[list[str]], list[str]]:
        from ktui.core.datasets.images_files import list_images  # numpy: only when read

        try:
            return list_images(str(self.file()))
        except ValueError as err:
            raise DataCorruptError(str(err)) from None
        except OSError as err:
            raise DataError(f"{err.filename or self.path}: cannot read "
                            f"({err.strerror or err})") from None

    def inspect(self) -> DataCard:
        from ktui.core.datasets.images_files import IMAGE_EXTENSIONS

        if not self.file().is_dir():
            raise DataError(f"{self.path}: not a folder; give a folder with one subfolder of "
                            "images per class (root/cat/1.png, root/dog/2.jpg)", "path")
        classes, files, ignored = self._listing()
        h, w = self.size
        notes = [f"resized to {h}×{w} {self.color} as training starts"]
        if ignored:
            first = os.path.relpath(ignored[0], self.file())
            kinds = "/".join(e[1:] for e in IMAGE_EXTENSIONS)
            notes.append(f"{len(ignored)} file{'s' * (len(ignored) != 1)} ignored (not "
                         f"{kinds}): {first}" + (", …" if len(ignored) > 1 else ""))
        return DataCard(self.path, rows=sum(map(len, files)),
                        input_shape=(h, w, self.channels()), task="classification",
                        class_names=tuple(classes), class_counts=tuple(map(len, files)),
                        notes=tuple(notes))

    def read(self) -> Arrays:
        import numpy as np

        from ktui.core.datasets.images_files import decode_images
        from ktui.core.tfenv import import_tf

        _, files, _ = self._listing()
        paths = [p for group in files for p in group]
        labels = np.repeat(np.arange(len(files), dtype=np.int32), [len(g) for g in files])
        import_tf()  # quiet, before the decoders import it
        h, w = self.size
        try:
            x = decode_images(paths, h, w, self.channels())
        except ValueError as err:
            raise DataCorruptError(str(err)) from None
        return Arrays(x, labels, per_feature=False,
                      prepared=f"resized to {h}×{w} {self.color}, scaled to [0, 1]")

    def source(self) -> DataSource:
        from ktui.core.datasets.source import fingerprint

        _, files, _ = self._listing()
        return fingerprint(self.file(), [Path(p) for group in files for p in group])

    # ---- the exported script ----------------------------------------------------------------
    def script_loader(self) -> str:
        from ktui.core.datasets.own_script import images_loader

        return images_loader()

    def script_constants(self) -> tuple[ScriptConstant, ...]:
        return (*self.split_constants(),
                ScriptConstant("SIZE", "dataset.size", list(self.size)),
                ScriptConstant("CHANNELS", "dataset.color", self.channels(), integer=True))
