"""``make mutation``: mutmut over the core's pure modules, on a copy of the tree.

Usage: ``python tests/mutation.py WORKDIR MODULE... -- TESTFILE...``

The sources, tests and pyproject are copied to WORKDIR (mutmut writes its ``mutants/`` folder
there, never into the working tree), a ``setup.cfg`` there tells mutmut which modules to
mutate and which tests to run (the fast ones: ``-m "not slow"``; for each mutant mutmut runs
only the tests that executed the mutated function), and the run ends with one line::

    mutation score: K of N killed (P %)

K counts mutants a test killed (or that made the tests time out); N is every mutant, those
no selected test reaches included. ``mutmut results`` / ``mutmut show NAME`` in
``WORKDIR`` list and show the survivors; tests/MUTATION.md explains the ones left alive.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("src", "tests", "pyproject.toml", "examples", "assets")
CHILD_PYTEST_ARGS = ["-p", "no:xdist", "-p", "no:unraisableexception", "-m", "not slow", "-q"]


def _setup_cfg(modules: list[str], tests: list[str]) -> str:
    def lines(values: list[str]) -> str:
        return "".join(f"\n    {v}" for v in values)

    return ("[mutmut]\n"
            "source_paths = src\n"
            f"only_mutate ={lines(modules)}\n"
            f"pytest_add_cli_args_test_selection ={lines(tests)}\n"
            # one process per test run, no xdist, no slow (training) tests; and without
            # pytest's unraisable-exception plugin, whose end-of-session gc.collect() x 5 over
            # TensorFlow's heap took 0.95 of the 1.1 s each mutant's test run cost (measured in
            # a forked child: 0.15 s without it; it only turns unraisable exceptions into
            # warnings, which decide no verdict here)
            f"pytest_add_cli_args ={lines(CHILD_PYTEST_ARGS)}\n"
            # TensorFlow is not fork-safe once it has run an op: fork workers from a server
            # that has only imported and collected the tests
            "process_isolation = forkserver\n"
            "use_git_change_detection = false\n")


def _run_quietly(command: list[str], cwd: Path, env: dict[str, str]) -> int:
    """Runs mutmut, printing its messages but only every 25th frame of its spinner."""
    with subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, errors="replace") as proc:
        assert proc.stdout is not None
        shown = ""
        for line in iter(proc.stdout.readline, ""):
            for part in line.replace("\r", "\n").split("\n"):
                part = part.strip()
                spinner = part[:1] in "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏" and part
                if not part:
                    continue
                if not spinner:
                    print(part, flush=True)
                    continue
                words = part.split()
                progress = words[1] if len(words) > 1 and "/" in words[1] else ""
                done = progress.split("/")[0]
                if progress and progress != shown and done.isdigit() and (
                        int(done) % 25 == 0 or progress.endswith(f"/{done}")):
                    shown = progress
                    print(part, flush=True)
        return proc.wait()


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 4:
        print(__doc__)
        return 2
    split = argv.index("--")
    work, modules, tests = Path(argv[0]).resolve(), argv[1:split], argv[split + 1:]
    missing = [p for p in modules + tests if not (ROOT / p).exists()]
    if missing:
        print(f"mutation: no such file: {', '.join(missing)}")
        return 2
    if work == ROOT or ROOT in work.parents:
        print("mutation: the work folder must be outside the repository")
        return 2
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, work / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        elif source.exists():
            shutil.copy2(source, work / name)
    (work / "setup.cfg").write_text(_setup_cfg(modules, tests))
    mutmut = str(Path(sys.executable).with_name("mutmut"))
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow",
           "CUDA_VISIBLE_DEVICES": ""}
    jobs = os.environ.get("MUTATION_JOBS", str(os.cpu_count() or 1))
    returncode = _run_quietly([mutmut, "run", "--max-children", jobs], work, env)
    subprocess.run([mutmut, "export-cicd-stats"], cwd=work, env=env,
                   stdout=subprocess.DEVNULL)
    stats_file = work / "mutants" / "mutmut-cicd-stats.json"
    if not stats_file.exists():
        print(f"mutation: mutmut wrote no results (exit {returncode})")
        return 1
    stats = json.loads(stats_file.read_text())
    killed = int(stats.get("killed", 0)) + int(stats.get("timeout", 0))
    total = int(stats.get("total", 0)) - int(stats.get("skipped", 0))
    print(f"({', '.join(f'{k} {v}' for k, v in stats.items())}; survivors: "
          f"cd {work} && {mutmut} results)")
    percent = 100.0 * killed / total if total else 0.0
    print(f"mutation score: {killed} of {total} killed ({percent:.1f} %)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
