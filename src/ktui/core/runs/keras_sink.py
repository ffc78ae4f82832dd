"""The run directory's model files, as a sink that also gets the model (like a Keras
callback): checkpoints after every epoch (``last``, and ``best``), TensorBoard summaries, and
``model.keras`` when the run ends; and reading the last checkpoint back to resume.

The trainer calls :meth:`KerasSink.attach` once the model is built (which restores the last
checkpoint of a resumed run), :meth:`KerasSink.on_epoch_end` after each epoch's event went to
the logs, and :meth:`KerasSink.on_train_end` before the run's last event. TensorFlow is
imported when one of these runs, never at import.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ktui.core.events import EpochDone
from ktui.core.files import as_oserror, cause, io_cause
from ktui.core.runs.recorder import RunRecorder
from ktui.core.runs.rundir import RunDir
from ktui.core.text import clean
from ktui.core.training.schedules import lr_scale

#: A checkpoint's variables are saved under these names (the epoch too: resume reads it).
EPOCH_TENSOR = "epoch/.ATTRIBUTES/VARIABLE_VALUE"


def make_checkpoint(model: Any, optimizer: Any = None, epoch: Any = None) -> Any:
    """A ``tf.train.Checkpoint`` of the model's variables (trainable, moving statistics and
    dropout seed state), the optimizer's slots and the epoch.

    Variables are listed explicitly, in the model's deterministic order: TensorFlow's object
    graph does not see layers that a Keras 3 subclassed model keeps in a list, so
    ``Checkpoint(model=model)`` would silently save nothing for them.
    """
    import tensorflow as tf

    parts: dict[str, Any] = {"model_variables": list(model.variables)}
    if optimizer is not None:
        parts["optimizer_variables"] = list(optimizer.variables)
        scale = lr_scale(optimizer)
        if scale is not None:  # the user's and the plateau's changes: a resume keeps them
            parts["lr_scale"] = scale
    if epoch is not None:
        parts["epoch"] = epoch
    return tf.train.Checkpoint(**parts)


# ---- reading checkpoints back --------------------------------------------------------------

class CheckpointUnreadable(Exception):
    """The run's last checkpoint is there but TensorFlow cannot read it; the message says
    what to do."""


def find_checkpoint(run: RunDir, folder: Path) -> tuple[Path | None, str]:
    """The checkpoint ``folder``'s index names (``tf.train.get_checkpoint_state``) and "",
    or None and why there is none (``checkpoints/last is missing``). Checks that its files
    exist; whether their bytes restore is :func:`last_checkpoint`'s question."""
    if not folder.is_dir():
        return None, f"{run.rel(folder)} is missing"
    index = folder / "checkpoint"
    try:
        index.read_bytes()
    except FileNotFoundError:
        return None, f"{run.rel(index)} is missing"
    except OSError as err:
        return None, f"{run.rel(index)} is unreadable ({cause(err)})"
    from ktui.core.tfenv import import_tf

    tf = import_tf()
    try:
        state = tf.train.get_checkpoint_state(str(folder))
    except (ValueError, UnicodeDecodeError):  # an index naming no path, bytes not text
        state = None
    if state is None or not state.model_checkpoint_path:
        return None, f"{run.rel(index)} names no checkpoint"
    prefix = Path(state.model_checkpoint_path)
    if not prefix.with_name(prefix.name + ".index").is_file():
        return None, f"{run.rel(prefix)}.index is missing"
    if not any(prefix.parent.glob(prefix.name + ".data-*")):
        return None, f"the data of {run.rel(prefix)} is missing"
    return prefix, ""


def last_checkpoint(run: RunDir) -> tuple[int | None, str]:
    """The epoch stored in the run's last checkpoint and "", or None and why there is none.

    The epoch is read from the checkpoint itself, which also proves it is readable before any
    log is cut back to it; :class:`CheckpointUnreadable` when it is not.
    """
    prefix, why = find_checkpoint(run, run.last_dir)
    if prefix is None:
        return None, why
    from ktui.core.tfenv import import_tf

    tf = import_tf()
    try:
        return int(tf.train.load_checkpoint(str(prefix)).get_tensor(EPOCH_TENSOR)), ""
    except Exception as err:  # noqa: BLE001 - any TF read error means "cannot resume"
        from ktui.core.training.failures import one_line

        raise CheckpointUnreadable(
            f"cannot resume {clean(run.name)}: its checkpoint {run.rel(prefix)} is unreadable "
            f"({one_line(str(err))}); start a new run, or train it again from epoch 1 "
            f"(`ktui train --resume {clean(run.name)} --restart`)") from None


#: A run dies (``kill -9``) at most one epoch ahead of its last checkpoint: the epoch logged
#: while its checkpoint was being written. A resume redoes it; more logged epochs than that
#: without a checkpoint means the checkpoints are gone, and a resume would drop real work.
EPOCHS_IN_FLIGHT = 1


def unresumable(logged: int, checkpoint: int | None) -> bool:
    """Whether ``logged`` epochs with the last checkpoint at ``checkpoint`` (None: none)
    cannot be resumed without dropping epochs that no checkpoint holds."""
    return checkpoint is None and logged > EPOCHS_IN_FLIGHT


def rewind(run: RunDir) -> str:
    """Cut the logs back to the last checkpoint before a resume; a message when that cannot
    be done safely (an unreadable checkpoint; no checkpoint but more logged epochs than the
    one in flight: resuming would silently retrain from epoch 1 and drop them).

    An epoch is logged before its checkpoint is written (so a crash never leaves a hole in
    the curves), so a ``kill -9`` in between leaves the logs one epoch ahead, of the first
    checkpoint too: that epoch is redone, whatever instant the run died at."""
    try:
        epoch, why = last_checkpoint(run)
    except CheckpointUnreadable as err:
        return str(err)
    if epoch is None:
        logged = len(run.epochs_logged())
        if unresumable(logged, epoch):
            return (f"{clean(run.name)} has {logged} logged epoch{'s' * (logged != 1)} but "
                    f"no checkpoint to resume from ({why or 'no readable checkpoint'}); start "
                    "a new run, or restart this one from epoch 1")
        epoch = 0
    try:
        run.truncate_logs(epoch)
    except OSError as err:
        return f"cannot rewrite the logs of {clean(run.name)}: {cause(err)}"
    return ""


def remove_partial_checkpoints(run: RunDir) -> None:
    """Delete checkpoint files newer than the one each index names (what a save that failed
    half-way left), freeing space for the run's last summary."""
    for folder in (run.last_dir, run.best_dir):
        prefix, _ = find_checkpoint(run, folder)
        kept = re.search(r"-(\d+)$", prefix.name) if prefix is not None else None
        for path in folder.glob("ckpt-*"):
            number = re.match(r"ckpt-(\d+)\.", path.name)
            if number and (kept is None or int(number.group(1)) > int(kept.group(1))):
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink(missing_ok=True)


# ---- writing -------------------------------------------------------------------------------

class KerasSink:
    """Checkpoints, TensorBoard and ``model.keras`` of a recorded run (see the module).

    ``recorder`` is the run's log writer: an epoch whose log row was not written gets no
    checkpoint (a resume would skip it), the best epoch is the one it says, and a write
    refused here is reported to it (the run then ends as ``RunFailed(kind="io")``).
    """

    def __init__(self, run: RunDir, recorder: RunRecorder, *, resume: bool = False) -> None:
        self.run, self.recorder, self.resume = run, recorder, resume
        self.model: Any = None
        #: (tags, compiled writer) of the per-epoch summaries, made at the first epoch.
        self._summaries: tuple[tuple[str, ...], Any] | None = None

    def attach(self, model: Any, optimizer: Any, layers: Sequence[Any]) -> int:
        """Set up the checkpoints and TensorBoard for ``model``; restore the last checkpoint
        of a resumed run. Returns the epoch the run starts from."""
        import tensorflow as tf

        self.tf, self.model, self.layers = tf, model, list(layers)
        run = self.run
        self.epoch_var = tf.Variable(0, dtype=tf.int64, trainable=False)
        self.checkpoint = make_checkpoint(model, optimizer, self.epoch_var)
        self.last_ckpt = tf.train.CheckpointManager(self.checkpoint, str(run.last_dir), 1,
                                                    checkpoint_name="ckpt")
        self.best_ckpt = tf.train.CheckpointManager(self.checkpoint, str(run.best_dir), 1,
                                                    checkpoint_name="ckpt")
        start = 0
        if self.resume and self.last_ckpt.latest_checkpoint:
            self.checkpoint.restore(self.last_ckpt.latest_checkpoint).expect_partial()
            start = int(self.epoch_var.numpy())
        self.tb = tf.summary.create_file_writer(str(run.tensorboard_dir))
        return start

    def on_epoch_end(self, event: EpochDone) -> None:
        """After the epoch's log lines: checkpoint (last, and best), TensorBoard summaries.

        Logs are written before the checkpoint, so a crash in between makes a resume redo
        that epoch rather than leave a hole in the curves.

        Memory stays flat however long the run (``python -m benchmarks.soak``; it grew
        18.8 KB an epoch). TensorFlow keeps every Python number it turns into a tensor in an
        eager cache that is never emptied (~0.7 KB each), so no Python float or int reaches
        TensorFlow here: the epoch and the values go in as numpy arrays, all summaries through
        one function traced once per run. Each checkpoint's new file name also stays in
        ``fnmatch``'s pattern cache (TensorFlow globs it to record the size), emptied below.
        """
        if self.recorder.failure:
            return  # the epoch's log row was not written: a checkpoint would skip it on resume
        epoch = np.asarray(event.epoch, np.int64)
        self.epoch_var.assign(epoch)
        self.last_ckpt.save(checkpoint_number=event.epoch)
        if self.recorder.is_best(event):
            self.best_ckpt.save(checkpoint_number=event.epoch)
        forget_glob_patterns()
        tags, values = summary_scalars(event)
        if self._summaries is None or self._summaries[0] != tags:
            self._summaries = (tags, self._summary_writer(tags))
        self._summaries[1](epoch, np.asarray(values, np.float32))
        self.tb.flush()

    def _summary_writer(self, tags: tuple[str, ...]) -> Any:
        """A ``tf.function`` writing one epoch's scalars (``tags``, in order, from a float32
        vector) and the histogram of every trainable weight, at a given int64 step."""
        tf, writer = self.tf, self.tb
        weights = [(f"histograms/{w.path}", w) for layer in self.layers
                   for w in layer.trainable_weights]

        @tf.function(input_signature=[tf.TensorSpec((), tf.int64),
                                      tf.TensorSpec((len(tags),), tf.float32)])
        def write(step, values):
            with writer.as_default(step=step):
                for i, tag in enumerate(tags):
                    tf.summary.scalar(tag, values[i])
                for tag, w in weights:
                    tf.summary.histogram(tag, w.value)

        return write

    def on_train_end(self) -> None:
        """``model.keras`` via write-then-rename, loadable with Keras' default safe_mode
        (also when the run stopped or hit NaN: the weights are the last good ones)."""
        if self.model is None:
            return
        target = self.run.model_file
        tmp = target.with_name(".model-partial.keras")
        try:
            self.model.save(tmp)
            os.replace(tmp, target)
        except Exception as err:  # a full disk must not lose the run's ending
            reason = io_cause(err)
            if reason is None:
                raise
            tmp.unlink(missing_ok=True)
            self.recorder.io_failed(target, as_oserror(err, reason))

    def io_failure(self, err: BaseException, reason: str) -> str | None:
        """A write refused while training (``reason``: the OS's words), told to the
        recorder as a failure of the run-directory file the error names."""
        path = getattr(err, "filename", None) or _path_in(str(err), self.run)
        self.recorder.io_failed(Path(path) if path else self.run.path,
                                as_oserror(err, reason))
        return self.recorder.failure or reason

    def remove_partial_files(self) -> None:
        """Before the run's last summary after a failed write: half-written checkpoints."""
        remove_partial_checkpoints(self.run)


def _path_in(text: str, run: RunDir) -> str | None:
    """The run-directory file a TF error message names (TF messages also hold device names
    like ``/job:localhost``, so only paths inside the run count)."""
    root = str(run.path)
    match = re.search(re.escape(root) + r"[^\s;:'\",\]\[]*", text)
    if not match:
        return None
    parts = Path(match.group(0)).relative_to(run.path).parts
    if parts[:1] == ("checkpoints",):  # TF's temporary names say nothing: name the folder
        return str(run.path.joinpath(*parts[:2]))
    return match.group(0)


def summary_scalars(event: EpochDone) -> tuple[tuple[str, ...], list[float]]:
    """The epoch's TensorBoard scalars as (tags, values): losses, metrics, and W/b (or their
    mean, std and norm) per layer. The tags are the same every epoch of a run."""
    pairs: list[tuple[str, float]] = [("loss/train", event.loss)]
    if event.val_loss is not None:
        pairs.append(("loss/validation", event.val_loss))
    if event.lr is not None:
        pairs.append(("learning_rate", event.lr))
    pairs += [(f"{name}/train", value) for name, value in event.metrics.items()]
    pairs += [(f"{name}/validation", value) for name, value in event.val_metrics.items()]
    for layer in event.weights:
        for part, stats in (("kernel", layer.kernel), ("bias", layer.bias)):
            if stats is None:
                continue
            if stats.size == 1:
                pairs.append((f"weights/{layer.layer}/{part}", stats.values[0]))
            else:
                pairs += [(f"weights/{layer.layer}/{part}_{stat}", getattr(stats, stat))
                          for stat in ("mean", "std", "norm")]
    return tuple(tag for tag, _ in pairs), [value for _, value in pairs]


def forget_glob_patterns() -> None:
    """Empty ``fnmatch``'s cache of compiled patterns (CPython keeps up to 32 768). Each
    checkpoint save globs ``<new file name>*`` inside TensorFlow, which would otherwise keep
    ~0.8 KB per checkpoint (measured), some 25 MB by the cache's limit."""
    import fnmatch

    clear = getattr(getattr(fnmatch, "_compile_pattern", None), "cache_clear", None)
    if clear is not None:
        clear()
