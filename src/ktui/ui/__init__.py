"""The Textual front end: thin, reads trainer events, sends commands.

Nothing in this package imports TensorFlow at module level: the first frame must not wait for it.
"""
