"""The engine: specs, layers, data, the training loop, runs. Never imports Textual.

Where things live (one room per concept; ``tests/unit/test_architecture.py`` keeps it so):

* ``spec/``: the experiment (``ExperimentSpec``), its TOML (``spec.toml``), its checks
  (``spec.validate``), the training tables, and the authoring helpers (presets, defaults,
  describe, for_data). Import the public names from ``ktui.core.spec``.
* ``schema`` (the type of every setting), ``choices`` (losses, metrics, optimizers,
  initializers, activations by name), ``catalog`` (layer kinds: parameters, shapes, problems).
* ``datasets/``: a class per dataset kind; ``user_layers/``: a user's layer file.
* ``layers``, ``losses``, ``metrics``, ``build``: the Keras side (import TensorFlow).
* ``training/``: the compiled tape steps and the loop that emits events.
* ``events/``: what the trainer says, and its one JSON codec; ``history`` and
  ``insight_history``: the fold every view reads; ``insight``: numpy helpers of the views.
* ``session``: ``start_run`` (run folder, lock, thread); ``runs/``: run folders;
  ``files``: crash-safe writes; ``export/``: standalone scripts.

Modules that need TensorFlow (``layers``, ``build``, ``training``, ``runs.keras_sink``) import
it themselves; ``spec``, ``catalog``, ``events``, ``history``, ``session``, ``runs`` stay pure
Python so that the UI can validate forms and draw its first frame before TensorFlow has loaded.
"""
