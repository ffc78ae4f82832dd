"""Run directories: every run's spec, logs, checkpoints and final model, written crash-safe.

Layout of ``<runs root>/<YYYYmmdd-HHMMSS>-<name>/``::

    spec.toml          the exact experiment (loadable with --spec)
    summary.json       status, epochs, final and best metrics, seconds, why it ended
    metrics.csv        one row per epoch, columns like Keras' CSVLogger (epoch, then sorted keys)
    events.jsonl       the event stream, as ``ktui train --jsonl`` prints it
    tensorboard/       tf.summary scalars: loss, metrics, W/b statistics per layer
    checkpoints/last/  tf.train.Checkpoint of model + optimizer after the latest epoch
    checkpoints/best/  the same for the epoch with the lowest validation (else training) loss
    model.keras        the final model; loads in plain Keras after ``import ktui``
    .lock              flock'ed by the process training into the run (pid, host, since)
    previous/STAMP/    the files of an earlier attempt, set aside by ``--restart``

One concept a module:

- :mod:`.storage`: the runs root, the errors, crash-safe writes (whole lines, write-rename);
- :mod:`.summary` and :mod:`.metrics_log`: ``summary.json`` and ``metrics.csv`` read back
  typed, damage described rather than raised;
- :mod:`.lock`: the ``flock`` that says a run is live;
- :mod:`.rundir`: one run directory (its files, creating, resuming, setting aside);
- :mod:`.listing`: the runs under a root, and finding one by name, prefix or path;
- :mod:`.recorder`: the sink writing events.jsonl, metrics.csv and summary.json;
- :mod:`.keras_sink`: the sink that also gets the model: checkpoints, TensorBoard,
  model.keras (the only module here that imports TensorFlow, when it is used);
- :mod:`.replay`: a past run read back as the events it logged.

Everything but :mod:`.keras_sink` is pure Python, so listing runs stays instant. The names
most callers need are importable from here.
"""

from ktui.core.runs.listing import RunInfo, find_run, format_age, list_runs, run_info
from ktui.core.runs.rundir import RunDir
from ktui.core.runs.storage import RunBusy, RunError, runs_root
from ktui.core.runs.summary import RunSummary

__all__ = ["RunBusy", "RunDir", "RunError", "RunInfo", "RunSummary", "find_run", "format_age",
           "list_runs", "run_info", "runs_root"]
