"""TUI tests: every app made with ``make_test_app`` (helpers.TEST_SETTINGS: no TensorFlow
warm-up, no clocks shown, no blink, no animation)."""

from __future__ import annotations

import os

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
