"""Small data files of a user's kinds (csv, npz, image folders), written by the tests.

The learnable ones are generated from a fixed seed so a tiny model reaches a stated accuracy
in a few epochs: two well separated classes, or a linear target with little noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def write_text(path: Path, text: str, *, bom: bool = False, crlf: bool = False) -> Path:
    """``text`` as UTF-8 (with a byte-order mark, with CRLF line ends)."""
    if crlf:
        text = text.replace("\n", "\r\n")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def blobs_csv(path: Path, n: int = 240, seed: int = 0, **kw: bool) -> Path:
    """Two features, three classes (``apple``, ``kiwi``, ``pear``) in separate blobs, and a
    text column (``note``) that a model cannot use."""
    rng = np.random.default_rng(seed)
    centres = {"apple": (-3.0, 0.0), "kiwi": (3.0, 0.0), "pear": (0.0, 4.0)}
    names = list(centres)
    lines = ["width,height,note,fruit"]
    for i in range(n):
        name = names[i % 3]
        cx, cy = centres[name]
        lines.append(f"{cx + rng.normal():.4f},{cy + rng.normal():.4f},n{i},{name}")
    return write_text(path, "\n".join(lines) + "\n", **kw)


def linear_csv(path: Path, n: int = 200, seed: int = 0) -> Path:
    """y = 2a - b + 1 with a little noise: regression."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    y = 2 * a - b + 1 + 0.05 * rng.normal(size=n)
    rows = "".join(f"{a[i]:.5f};{b[i]:.5f};{y[i]:.5f}\n" for i in range(n))
    return write_text(path, "a;b;y\n" + rows)


def stripes(n: int, seed: int, side: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images: class 0 bright in the top half, class 1 in the bottom half."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.integers(0, 60, (n, side, side)).astype(np.uint8)
    half = side // 2
    x[y == 0, :half] += 150
    x[y == 1, half:] += 150
    return x, y.astype(np.int64)


def stripes_npz(path: Path, n: int = 200, test: int = 60) -> Path:
    x, y = stripes(n, 1)
    xt, yt = stripes(test, 2)
    np.savez(path, x_train=x, y_train=y, x_test=xt, y_test=yt)
    return path


def png_bytes(image: np.ndarray) -> bytes:
    import tensorflow as tf

    return tf.io.encode_png(image).numpy()


def shapes_folder(root: Path, per_class: int = 12, side: int = 12) -> Path:
    """``root/dark/*.png`` and ``root/light/*.png`` (and a .jpg each): dark or light noise."""
    import tensorflow as tf

    rng = np.random.default_rng(3)
    for c, (name, base) in enumerate((("dark", 20), ("light", 200))):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = np.clip(base + rng.integers(-20, 20, (side, side, 3)), 0, 255)
            image = image.astype(np.uint8)
            if i == 0:
                (folder / f"{c}-{i}.jpg").write_bytes(tf.io.encode_jpeg(image).numpy())
            else:
                (folder / f"{c}-{i}.png").write_bytes(png_bytes(image))
    return root
