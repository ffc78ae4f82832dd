"""An exported script says what ktui train says, and nothing of TensorFlow's start-up
(issue 21, item 14: absl's and cudart's lines came twice although it set the log level)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ktui.core.export import export_script
from ktui.core.spec.presets import get_preset


@pytest.mark.slow
def test_the_exported_script_prints_no_tensorflow_noise(tmp_path: Path) -> None:
    spec = get_preset("linear-gd")
    spec.train.epochs = 2
    script = tmp_path / "linear_gd.py"
    script.write_text(export_script(spec), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          cwd=tmp_path, env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stderr == ""
    assert [line.split()[:2] for line in done.stdout.splitlines()
            if line.startswith("epoch ")] == [["epoch", "1/2"], ["epoch", "2/2"]]
