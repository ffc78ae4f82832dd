"""TUI tests: every app in test mode (no TensorFlow warm-up, no clocks, no blink)."""

from __future__ import annotations

import os

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")
