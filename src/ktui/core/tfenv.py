"""Importing TensorFlow quietly and choosing a device, once per process.

Environment knobs must be set before TensorFlow initialises its runtime, and its C++ log
level before the import, so the first TensorFlow import in ktui goes through :func:`import_tf`.

Two kinds of modules use TensorFlow, and each gets it one way:

- Modules that do TensorFlow work throughout (the compiled steps, the pipelines:
  ``ktui.core.training.steps`` and the like) import it at the top, as the keras-io guides do,
  and so get real types (``tf.Tensor``, ``keras.Model``). Their first statement after their
  light imports is :func:`ensure_imported`, then ``import tensorflow as tf`` and
  ``import keras``: whichever of them is imported first, TensorFlow's first import is still
  :func:`import_tf`'s. A call, not an import of this module for its side effect, because the
  import sorter puts first-party imports after ``import tensorflow``, and because quieting at
  this module's import would come before :func:`set_verbose` could be called. Those files say
  ``# ruff: noqa: E402`` for the imports after the call.
- Modules that must stay importable without TensorFlow (the TUI draws its first frame before
  it loads: ``ktui.core.training.loop``, ``.placement``, ``.parts``...) import the heavy
  modules, or call :func:`ensure_imported`, inside the function that needs them.
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
#: TensorFlow, once :func:`import_tf` has imported it.
_tf: ModuleType | None = None


def set_verbose(verbose: bool) -> None:
    """Let TensorFlow's own logs through (``--verbose``); call before :func:`import_tf`."""
    global _verbose
    _verbose = verbose


def import_tf() -> ModuleType:
    """Import TensorFlow with its log noise down and GPU memory growth on.

    Memory growth lets ktui share a GPU box with other jobs instead of grabbing all memory.
    """
    global _tf
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
        _tf = tf
        return tf


def ensure_imported() -> ModuleType:
    """TensorFlow, imported by :func:`import_tf` unless that was done already in this process.

    Cheap after the first time: no lock and no redirection of file descriptor 2 (which
    :func:`import_tf` does on each call), so a module may call it at its top and a light
    module in each function that needs TensorFlow.
    """
    return _tf if _tf is not None else import_tf()


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
