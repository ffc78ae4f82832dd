"""Importing TensorFlow quietly and choosing a device, once per process.

Environment knobs must be set before TensorFlow initialises its runtime, and its C++ log
level before the import, so every TensorFlow import in ktui goes through :func:`import_tf`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Iterator
from types import ModuleType

_lock = threading.Lock()
_verbose = False


def set_verbose(verbose: bool) -> None:
    """Let TensorFlow's own logs through (``--verbose``); call before :func:`import_tf`."""
    global _verbose
    _verbose = verbose


def import_tf() -> ModuleType:
    """Import TensorFlow with its log noise down and GPU memory growth on.

    Memory growth lets ktui share a GPU box with other jobs instead of grabbing all memory.
    """
    with _lock:
        if not _verbose:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
            os.environ.setdefault("ABSL_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        with _quiet_stderr(not _verbose):
            import tensorflow as tf

            tf.config.list_physical_devices("GPU")  # CUDA probing logs here, once

        if not _verbose:
            tf.get_logger().setLevel(logging.ERROR)
            logging.getLogger("absl").setLevel(logging.ERROR)
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError:
                pass  # the runtime is already initialised; the earlier setting stands
        return tf


@contextlib.contextmanager
def _quiet_stderr(enabled: bool) -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration.

    Some of TensorFlow's C++ start-up messages ("All log messages before absl::InitializeLog()
    ...", CUDA stubs) ignore ``TF_CPP_MIN_LOG_LEVEL``; they are written once, at import.
    """
    if not enabled:
        yield
        return
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
