"""The training loop: a compiled ``tf.GradientTape`` step over a ``tf.data`` pipeline.

- :mod:`.loop`: :func:`~.loop.train`, the epoch/step loop; it emits events and obeys a
  :class:`~.control.TrainerControl` from any thread, and never raises for a training problem.
- :mod:`.steps`: the compiled train and evaluation steps and the on-device accumulators.
- :mod:`.pipeline`: the ``tf.data`` pipelines (index batches gathered from memory).
- :mod:`.weights`: weight tensors reduced to the small statistics events carry.
- :mod:`.failures`: an exception while training, as one line a user can act on.
- :mod:`.control`: pause, resume, single step and stop, from any thread.
- :mod:`.assemble`: the run's optimizer and steps, for its placement and precision.

The modules doing TensorFlow work (:mod:`.steps`, :mod:`.replicated`, :mod:`.pipeline`,
:mod:`.insight`, :mod:`.assemble`) import TensorFlow and Keras at their top, after
:func:`ktui.core.tfenv.ensure_imported`; the others stay light (the TUI, the CLI and the
export import them before TensorFlow loads), :mod:`.loop` importing the heavy ones in
:func:`~.loop.train`.

Runs are started (in a thread, recorded into a run directory) by :mod:`ktui.core.session`.
"""
