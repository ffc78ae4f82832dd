"""The engine: specs, layers, data, the training loop. Never imports Textual.

Modules that need TensorFlow (``layers``, ``build``, ``data`` pipelines, ``training``,
``runs.keras_sink``) import it themselves; ``spec``, ``catalog``, ``events``, ``history``,
``session``, ``runs`` and ``presets`` stay pure Python so that the UI can validate forms and
draw its first frame before TensorFlow has loaded.
"""
