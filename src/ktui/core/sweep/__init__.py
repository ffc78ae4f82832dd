"""Sweeps: many runs of one experiment, on Optuna (``ktui sweep``).

* :mod:`~ktui.core.sweep.space`: the ``DOTTED=SPACE`` grammar, checked against a spec;
  :mod:`~ktui.core.sweep.table`: a spec file's ``[sweep]`` table.
* :mod:`~ktui.core.sweep.study`: storage from a URL, sampler, pruner, the settings kept in
  the study; :mod:`~ktui.core.sweep.trial`: one trial as an ordinary run, pruned by epoch;
  :mod:`~ktui.core.sweep.worker`: a worker's loop and the failing of trials whose worker died;
  :mod:`~ktui.core.sweep.report`: a study as plain lines.

Importing this package imports neither Optuna nor TensorFlow (``ktui --help`` stays quick).
"""

#: ``--sampler`` and ``--pruner`` choices.
SAMPLERS = ("tpe", "random", "grid")
PRUNERS = ("median", "hyperband", "none")
