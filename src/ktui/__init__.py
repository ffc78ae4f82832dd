"""ktui: a terminal trainer for Keras models.

Importing :mod:`ktui` is cheap: it does not import TensorFlow. ``import ktui.core.layers``
registers the custom layers with Keras, so models saved by ktui load in plain Keras.
"""

__version__ = "0.1.0"
