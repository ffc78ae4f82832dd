"""A folder of class folders of images: listing it and decoding every image with TensorFlow.

Plain functions of ``os``, ``re``, numpy and TensorFlow only, raising ``ValueError`` with a
message naming the file: the exporter copies them verbatim into a script
(:func:`ktui.core.export.sources.definitions`), so a script lists, decodes and resizes the
same files in the same order as ktui did; ktui turns the ValueError into a DataError.
"""

from __future__ import annotations

import os
import re

import numpy as np

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def list_images(root: str) -> tuple[list[str], list[list[str]], list[str]]:
    """``(class names, files per class, files ignored)`` of ``root/<class>/**/*.png|jpg|...``.

    Class folders and files are sorted by name; names starting with a dot are ignored, and so
    are files of other types (returned, for the card to say). A symbolic link that loops or
    leads nowhere, an empty class folder or fewer than two classes is a ValueError.
    """
    if not os.path.isdir(root):
        what = "no such folder" if not os.path.exists(root) else "not a folder"
        raise ValueError(f"{root}: {what}; give a folder with one subfolder of images per "
                         "class (root/cat/1.png, root/dog/2.jpg)")
    classes, files, ignored = [], [], []
    seen = {os.path.realpath(root)}
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if _broken_link(entry.path):
            raise ValueError(f"{entry.path}: a symbolic link that loops or leads nowhere; "
                             "remove it or point it at a folder")
        if not entry.is_dir():
            ignored.append(entry.path)
            continue
        found = []
        _walk(entry.path, found, ignored, seen)
        if not found:
            raise ValueError(f"{entry.path}: no images ({', '.join(IMAGE_EXTENSIONS)}) in this "
                             "class folder; add some or remove the folder")
        classes.append(entry.name)
        files.append(found)
    if len(classes) < 2:
        have = f"one class folder ({classes[0]})" if classes else "no class folders"
        raise ValueError(f"{root}: {have}; a classifier needs at least 2: put the images in "
                         "one subfolder per class (root/cat/1.png, root/dog/2.jpg)")
    return classes, files, ignored


def _broken_link(path: str) -> bool:
    return os.path.islink(path) and not os.path.exists(path)


def _walk(folder: str, found: list[str], ignored: list[str], seen: set[str]) -> None:
    """The images under ``folder`` (sorted, recursively), refusing a folder seen before (a
    symbolic link loop)."""
    real = os.path.realpath(folder)
    if real in seen:
        raise ValueError(f"{folder}: a symbolic link loop (it leads back to {real}); remove "
                         "the link")
    seen.add(real)
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if _broken_link(entry.path):
            raise ValueError(f"{entry.path}: a symbolic link that loops or leads nowhere; "
                             "remove it or point it at an image")
        if entry.is_dir():
            _walk(entry.path, found, ignored, seen)
        elif entry.name.lower().endswith(IMAGE_EXTENSIONS):
            found.append(entry.path)
        else:
            ignored.append(entry.path)


def decode_images(paths: list[str], height: int, width: int, channels: int) -> np.ndarray:
    """Every image decoded (the first frame of a GIF), resized to ``height × width`` with
    antialiasing, as float32 in [0, 1] of shape (N, height, width, channels)."""
    import tensorflow as tf

    out = np.empty((len(paths), height, width, channels), dtype=np.float32)
    for i, path in enumerate(paths):
        try:
            with open(path, "rb") as f:
                raw = f.read()
            image = tf.io.decode_image(raw, channels=channels, expand_animations=False)
        except OSError as err:
            raise ValueError(f"{path}: cannot read ({err.strerror or err})") from None
        except (tf.errors.OpError, ValueError) as err:
            why = re.sub(r"\{\{.*?\}\}|\[Op:\w+\]", "", str(err)).strip() or "unreadable"
            raise ValueError(f"{path}: cannot be decoded as an image ({why}); the file is "
                             "damaged or not a PNG, JPEG, BMP or GIF: replace or remove it") \
                from None
        resized = tf.image.resize(image, (height, width), antialias=True)
        out[i] = resized.numpy() / np.float32(255)
    return out
