"""The training loop: a compiled ``tf.GradientTape`` step over a ``tf.data`` pipeline.

- :mod:`.loop`: :func:`~.loop.train`, the epoch/step loop; it emits events and obeys a
  :class:`~.control.TrainerControl` from any thread, and never raises for a training problem.
- :mod:`.steps`: the compiled train and evaluation steps and the on-device accumulators.
- :mod:`.pipeline`: the ``tf.data`` pipelines (index batches gathered from memory).
- :mod:`.weights`: weight tensors reduced to the small statistics events carry.
- :mod:`.failures`: an exception while training, as one line a user can act on.
- :mod:`.control`: pause, resume, single step and stop, from any thread.

Runs are started (in a thread, recorded into a run directory) by :mod:`ktui.core.session`.
"""
