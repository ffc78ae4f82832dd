"""The several-machines path: a study in a real PostgreSQL, joined by two worker processes
with only ``--storage URL --study NAME``. The test starts a throwaway cluster (Debian's
``postgresql``: ``initdb`` and ``pg_ctl``, on a loopback port) and removes it; it is skipped,
with a message, when the binaries or a driver (``psycopg``) are missing."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("optuna")
pytestmark = pytest.mark.slow


def _bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("PostgreSQL binaries missing (sudo apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("no PostgreSQL driver for Python (pip install 'psycopg[binary]')")
    as_user: list[str] = []
    home = Path(tempfile.mkdtemp(prefix="ktui-pg-"))
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: its own user runs it
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        as_user = ["runuser", "-u", "postgres", "--"]
        shutil.chown(home, "postgres")
    data, port = home / "data", _free_port()
    try:
        subprocess.run([*as_user, initdb, "-D", str(data), "-A", "trust", "-U", "ktui",
                        "--no-sync"], check=True, capture_output=True, timeout=120)
        subprocess.run([*as_user, pg_ctl, "-D", str(data), "-l", str(home / "log"), "-w",
                        "-o", f"-p {port} -k {home} -h 127.0.0.1 -F", "start"], check=True,
                       capture_output=True, timeout=120)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as err:
        shutil.rmtree(home, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL: {err}")
    try:
        yield f"postgresql://ktui@127.0.0.1:{port}/postgres"
    finally:
        with contextlib.suppress(Exception):
            subprocess.run([*as_user, pg_ctl, "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(home, ignore_errors=True)


def test_a_study_in_postgresql_joined_by_two_processes(postgres_url: str, tmp_path: Path
                                                       ) -> None:
    from ktui.core import spec as specmod
    from ktui.core.spec.presets import get_preset
    from ktui.core.sweep import study as studymod

    spec = get_preset("linear-gd")
    spec.train.epochs = 4
    config = studymod.SweepConfig(spec=specmod.spec_to_dict(spec),
                                  params=["train.learning_rate=log:1e-3..0.5"], trials=4,
                                  pruner={"kind": "none"})
    studymod.create(postgres_url, "pg", config)
    argv = [sys.executable, "-m", "ktui", "sweep", "join", "--storage", postgres_url,
            "--study", "pg", "--runs-dir", str(tmp_path)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    study = studymod.load(postgres_url, "pg")
    trials = study.get_trials()
    assert len(trials) == 4 and all(t.state.name == "COMPLETE" for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2
    status = subprocess.run([sys.executable, "-m", "ktui", "sweep", "status", "--storage",
                             postgres_url, "--study", "pg"], capture_output=True, text=True,
                            timeout=120)
    assert status.returncode == 0 and "4 of 4 trials: 4 complete" in status.stdout
