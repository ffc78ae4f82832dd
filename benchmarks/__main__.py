"""``python -m benchmarks --quick | --full``: measure, print a table, write results.json.

Benchmarks report; they never fail the build on a slow machine. A missed target is printed as
MISSED and the exit code is 0 (2 only for bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Mode:
    name: str
    #: In-process throughput: training images, epochs, and how many ktui/fit pairs.
    samples: int
    epochs: int
    pairs: int
    #: Seed loop: images and epochs (it is ~6x slower; quick mode keeps it short).
    seed_samples: int
    seed_epochs: int
    #: Subprocess runs: epochs of the fashion-mlp spec, headless/TUI pairs, repeats of the
    #: start-up timings, TUI frame rates to compare, and whether to measure XLA.
    app_epochs: int
    app_pairs: int
    startup_repeats: int
    fps_scan: tuple[float, ...]
    jit: bool
    #: Memory soak: epochs of a small recorded run (benchmarks/soak.py), and whether to
    #: measure the unrecorded baseline too.
    soak_epochs: int
    soak_baseline: bool
    #: Presets whose XLA speed-up is measured (``jit``), on this many images.
    jit_presets: tuple[str, ...] = ("fashion-mlp",)
    jit_samples: int = 15_000
    #: Presets whose fused-Adam speed-up is measured (benchmarks/fused_adam.py).
    fused_presets: tuple[str, ...] = ("fashion-mlp",)


QUICK = Mode("quick", samples=15_000, epochs=3, pairs=2, seed_samples=10_000, seed_epochs=2,
             app_epochs=3, app_pairs=1, startup_repeats=1, fps_scan=(1.0,), jit=False,
             soak_epochs=2000, soak_baseline=False)
FULL = Mode("full", samples=0, epochs=5, pairs=2, seed_samples=0, seed_epochs=2,
            app_epochs=8, app_pairs=2, startup_repeats=3, fps_scan=(1.0, 10.0), jit=True,
            soak_epochs=6000, soak_baseline=True, jit_presets=("fashion-mlp", "fashion-cnn"),
            jit_samples=6_000, fused_presets=("fashion-mlp", "fashion-cnn"))

#: name -> (target, higher is better, what it is)
TARGETS: dict[str, tuple[float | None, bool, str]] = {
    "tape_vs_fit": (1.0, True, "ktui trainer ÷ model.fit, samples/s"),
    "vs_seed_script": (None, True, "ktui trainer ÷ seed 001's eager loop"),
    "tui_vs_headless": (0.97, True, "training samples/s in the TUI ÷ headless"),
    "first_frame_s": (1.0, False, "launch → first frame of `ktui` in a pty (s)"),
    "tf_import_s": (None, False, "`python -c 'import tensorflow'` (s)"),
    "tty_bytes_per_s": (10_000, False, "bytes/s to the terminal while training (120×40)"),
    "tty_bytes_per_s_fps1": (6_000, False, "the same at --fps 1"),
    "tty_bytes_per_s_learned": (10_000, False, "the same, the learned page (gallery) open"),
    "tui_vs_headless_learned": (0.97, True, "training samples/s, learned page open ÷ headless"),
    "tui_vs_headless_gradients": (0.97, True, "the same, the gradients page open"),
    "ui_cpu_fraction": (None, False, "the TUI's main thread CPU ÷ training time"),
    "peak_rss_ratio": (1.25, False, "peak RSS of ktui train ÷ seed 001 script"),
    "matmul_fraction": (None, True, "MLP epoch FLOP/s ÷ 2048² matmul FLOP/s"),
    "model_matmul_fraction": (0.7, True, "MLP epoch FLOP/s ÷ its own matmul shapes' FLOP/s"),
    "model_chain_fraction": (0.85, True, "the same ÷ those matmuls run in a step's order"),
    "soak_kb_per_epoch": (1.0, False, "RSS growth of a recorded run after warm-up, KB/epoch"),
    "mirrored_vs_fit": (1.0, True, "ktui ÷ fit under MirroredStrategy, 2 logical CPUs"),
    "spe_speedup_cpu": (None, True, "steps_per_execution 8 ÷ 1, batch 32, one CPU device"),
    "auto_calls_speedup": (None, True, "default (auto steps per call) ÷ one step per call"),
    "fused_adam_speedup": (None, True, "ktui's step with its fused Adam ÷ with Keras' Adam"),
    "scaling_efficiency": (None, True, "GPUs only: mirrored on N GPUs ÷ (N × one GPU)"),
    "mixed_f16_speedup": (None, True, "GPUs only: mixed_float16 ÷ float32 samples/s"),
}


class Bench:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.results: dict[str, float] = {}
        self.extra: dict[str, float | str | list] = {}
        self.notes: dict[str, str] = {}

    def attempt(self, names: list[str], fn: Callable[[], None]) -> None:
        """Run one benchmark; on any failure its figures become n/a with the reason."""
        t0 = time.perf_counter()
        label = ", ".join(names)
        print(f"… {label}", file=sys.stderr, flush=True)
        try:
            fn()
        except Exception as err:  # noqa: BLE001 - a benchmark reports, never crashes
            from benchmarks.apps import Unavailable

            reason = str(err) if isinstance(err, Unavailable) else \
                f"{type(err).__name__}: {err}"
            if not isinstance(err, Unavailable):
                traceback.print_exc()
            for name in names:
                if name not in self.results:
                    self.notes[name] = f"n/a: {reason}"
        print(f"  done in {time.perf_counter() - t0:.1f} s", file=sys.stderr, flush=True)

    # -- in-process ------------------------------------------------------------------------
    def throughput(self) -> None:
        from benchmarks import throughput as tp

        m = self.mode
        spec = tp.bench_spec(m.samples, m.epochs)
        splits = tp.load(spec)
        n = len(splits.x_train)
        ktui, fit = [], []
        for _ in range(m.pairs):  # interleaved, so a busy neighbour hits both alike
            ktui += tp.ktui_rates(spec).steady
            fit += tp.fit_rates(spec, splits).steady
        k, f = max(ktui), max(fit)
        self.results["tape_vs_fit"] = k / f
        self.extra.update(ktui_samples_per_s=k, fit_samples_per_s=f,
                          ktui_epoch_rates=_r(ktui), fit_epoch_rates=_r(fit),
                          ktui_median_samples_per_s=statistics.median(ktui),
                          fit_median_samples_per_s=statistics.median(fit),
                          throughput_images=n)
        self.notes["tape_vs_fit"] = (f"{k:,.0f} vs {f:,.0f} samples/s (best steady epoch of "
                                     f"{len(ktui)} each, {n} images)")

        flops = tp.mlp_flops_per_sample(spec)
        peak = tp.matmul_flops()
        self.results["matmul_fraction"] = k * flops / peak
        self.extra.update(mlp_gflop_per_s=k * flops / 1e9, matmul_gflop_per_s=peak / 1e9,
                          mlp_flops_per_sample=flops)
        self.notes["matmul_fraction"] = f"{k * flops / 1e9:.1f} of {peak / 1e9:.1f} GFLOP/s"
        ceiling = tp.model_matmul_flops(spec)
        self.results["model_matmul_fraction"] = k * flops / ceiling
        self.extra["model_matmul_gflop_per_s"] = ceiling / 1e9
        self.notes["model_matmul_fraction"] = (f"{k * flops / 1e9:.1f} of {ceiling / 1e9:.1f} "
                                               "GFLOP/s (the model's own matmul shapes)")
        chain = tp.model_chain_flops(spec)
        self.results["model_chain_fraction"] = k * flops / chain
        self.extra["model_chain_gflop_per_s"] = chain / 1e9
        self.notes["model_chain_fraction"] = (f"{k * flops / 1e9:.1f} of {chain / 1e9:.1f} "
                                              "GFLOP/s (its matmuls in a step's order)")

        seed_spec = tp.bench_spec(m.seed_samples, m.seed_epochs)
        seed_splits = splits if m.seed_samples == m.samples else tp.load(seed_spec)
        s = max(tp.seed_rates(seed_spec, seed_splits).steady)
        self.results["vs_seed_script"] = k / s
        self.extra["seed_samples_per_s"] = s
        self.notes["vs_seed_script"] = (f"seed loop {s:,.0f} samples/s on "
                                        f"{len(seed_splits.x_train)} images")

        # Before -> after, side by side: one step per call (the default until session 4)
        # against auto steps_per_execution (the default now).
        one = []
        for _ in range(m.pairs):
            one += tp.ktui_rates(tp.bench_spec(m.samples, m.epochs, per_call=1)).steady
        o = max(one)
        self.results["auto_calls_speedup"] = k / o
        self.extra.update(one_step_calls_samples_per_s=o, one_step_calls_epoch_rates=_r(one),
                          one_step_calls_model_matmul_fraction=o * flops / ceiling)
        self.notes["auto_calls_speedup"] = (f"{k:,.0f} vs {o:,.0f} samples/s; "
                                            f"model_matmul_fraction {o * flops / ceiling:.2f} "
                                            f"-> {k * flops / ceiling:.2f}")

        if m.jit:  # XLA per model: where it pays, where it does not
            for preset in m.jit_presets:
                base, fused = [], []
                for _ in range(m.pairs):
                    base += tp.ktui_rates(tp.bench_spec(m.jit_samples, m.epochs,
                                                        preset=preset)).steady
                    fused += tp.ktui_rates(tp.bench_spec(m.jit_samples, m.epochs, jit=True,
                                                         preset=preset)).steady
                b, j = max(base), max(fused)
                self.extra[f"jit_vs_nojit_{preset}"] = j / b
                self.extra[f"jit_samples_per_s_{preset}"] = j
                self.extra[f"nojit_samples_per_s_{preset}"] = b
                # What jit_compile = "auto" picks here (the bar lowered so it tries XLA),
                # beside the side-by-side ratio above: the default should pick the faster.
                picked = tp.auto_pick(tp.bench_spec(m.jit_samples, m.epochs, preset=preset))
                if picked is not None and picked.xla_ms:
                    self.extra[f"jit_auto_picked_{preset}"] = float(picked.xla)
                    self.extra[f"jit_auto_gain_{preset}"] = picked.plain_ms / picked.xla_ms
            self.notes["jit"] = "--jit ÷ default: " + ", ".join(
                f"{p} {self.extra[f'jit_vs_nojit_{p}']:.2f}×"
                + (f" (auto measured {self.extra[f'jit_auto_gain_{p}']:.2f}×, picked "
                   f"{'XLA' if self.extra[f'jit_auto_picked_{p}'] else 'plain'})"
                   if f"jit_auto_gain_{p}" in self.extra else "")
                for p in m.jit_presets)

        from benchmarks import fused_adam

        notes = []
        for preset in m.fused_presets:  # the first is the figure, the others in extra
            c = fused_adam.compare(preset)
            if preset == m.fused_presets[0]:
                self.results["fused_adam_speedup"] = c.speedup
            self.extra[f"fused_adam_speedup_{preset}"] = c.speedup
            self.extra[f"fused_adam_cpu_speedup_{preset}"] = c.cpu_speedup
            self.extra[f"fused_adam_ms_per_step_{preset}"] = [round(c.keras_ms, 3),
                                                              round(c.fused_ms, 3)]
            notes.append(f"{preset} {c.keras_ms:.2f} -> {c.fused_ms:.2f} ms a step "
                         f"({c.speedup:.2f}×; CPU time {c.cpu_speedup:.2f}×)")
        self.notes["fused_adam_speedup"] = "; ".join(notes)

    # -- subprocesses ----------------------------------------------------------------------
    def startup(self) -> None:
        from benchmarks import apps

        frames, imports = [], []
        for _ in range(self.mode.startup_repeats):  # alternate, so both see the same load
            frames.append(apps.first_frame_s())
            imports.append(apps.tf_import_s())
        ff, tfi = statistics.median(frames), statistics.median(imports)
        self.results["first_frame_s"] = ff
        self.results["tf_import_s"] = tfi
        self.extra.update(first_frame_samples=_r(frames, 3), tf_import_samples=_r(imports, 3),
                          first_frame_vs_tf_import=ff / tfi)
        self.notes["first_frame_s"] = (f"{ff / tfi:.2f}× the TF import (target < 0.5); "
                                       f"median of {len(frames)}")

    def apps(self, tmp: Path) -> None:
        from benchmarks import apps

        m = self.mode
        spec_file = apps.write_spec(tmp / "fashion-mlp.toml", m.app_epochs)
        heads, tuis = [], []
        for _ in range(m.app_pairs):
            heads.append(apps.run_headless(spec_file, tmp / "runs"))
            tuis.append(apps.run_tui(spec_file))
        h = max(max(_steady_rates(r)) for r in heads)
        t = max(max(_steady_rates(r)) for r in tuis)
        self.results["tui_vs_headless"] = t / h
        bps = statistics.median(r.tty_bytes_per_s or 0.0 for r in tuis)
        self.results["tty_bytes_per_s"] = bps
        self.extra.update(headless_samples_per_s=h, tui_samples_per_s=t,
                          tui_rates_source=tuis[0].source,
                          headless_peak_rss_mb=max(r.maxrss_mb for r in heads),
                          tui_peak_rss_mb=max(r.maxrss_mb for r in tuis))
        self.notes["tui_vs_headless"] = (f"{t:,.0f} vs {h:,.0f} samples/s, fashion-mlp "
                                         f"{m.app_epochs} epochs; TUI rates from "
                                         f"{tuis[0].source}")
        self.notes["tty_bytes_per_s"] = "at the default --fps 4"
        ui = [r.ui_cpu_fraction for r in tuis if r.ui_cpu_fraction is not None]
        if ui:
            self.results["ui_cpu_fraction"] = statistics.median(ui)
            self.notes["ui_cpu_fraction"] = ("CPU seconds of the TUI's event loop per second of "
                                             "training (run_started to run_finished), fps 4")
        steady = [r.ui_cpu_fraction_steady for r in tuis
                  if r.ui_cpu_fraction_steady is not None]
        if steady:  # without the run's fixed costs: what a long run pays per second
            self.extra["ui_cpu_fraction_steady"] = statistics.median(steady)
        polled = [r.ui_cpu_fraction_polled for r in tuis if r.ui_cpu_fraction_polled is not None]
        if polled:  # as measured until session 9 (see TrainRun.ui_cpu_fraction_polled)
            self.extra["ui_cpu_fraction_polled"] = statistics.median(polled)
        # Before -> after, side by side: whole widgets repainted (KTUI_FULL_REPAINT=1, as
        # until session 4) against only the cells that changed (the default now).
        full = apps.run_tui(spec_file, env={"KTUI_FULL_REPAINT": "1"})
        self.extra["tty_bytes_per_s_full_repaint"] = full.tty_bytes_per_s or 0.0
        self.extra["ui_cpu_fraction_full_repaint"] = full.ui_cpu_fraction
        # The insight views open: the learned page (confusion matrix and prediction gallery)
        # and the gradients page (norms per layer, the kernels' heat strips).
        learned = apps.run_tui(spec_file, keys=b"v")
        grads = apps.run_tui(spec_file, keys=b"vv")
        lv, gv = max(_steady_rates(learned)) / h, max(_steady_rates(grads)) / h
        self.results["tty_bytes_per_s_learned"] = learned.tty_bytes_per_s or 0.0
        self.results["tui_vs_headless_learned"] = lv
        self.results["tui_vs_headless_gradients"] = gv
        self.extra.update(tty_bytes_per_s_gradients=grads.tty_bytes_per_s or 0.0,
                          tty_bytes_per_s_learned_steady=learned.tty_bytes_per_s_steady,
                          tty_bytes_per_s_gradients_steady=grads.tty_bytes_per_s_steady,
                          ui_cpu_fraction_learned=learned.ui_cpu_fraction,
                          ui_cpu_fraction_gradients=grads.ui_cpu_fraction,
                          ui_cpu_fraction_learned_steady=learned.ui_cpu_fraction_steady,
                          ui_cpu_fraction_gradients_steady=grads.ui_cpu_fraction_steady)
        self.notes["tty_bytes_per_s_learned"] = (
            f"the learned page shown (v): {lv:.2f}× speed; UI thread "
            f"{learned.ui_cpu_fraction or 0:.3f} of the training time; "
            f"{learned.tty_bytes_per_s_steady or 0:,.0f} B/s from the second epoch on")
        self.notes["tui_vs_headless_learned"] = "the learned page shown from run_started (v)"
        self.notes["tui_vs_headless_gradients"] = (
            f"the gradients page shown (v v): {grads.tty_bytes_per_s or 0:,.0f} B/s, UI thread "
            f"{grads.ui_cpu_fraction or 0:.3f}")
        self.notes["tty_bytes_per_s"] += (f"; {full.tty_bytes_per_s or 0:,.0f} repainting "
                                          "whole widgets (KTUI_FULL_REPAINT=1)")
        scan = {}
        for fps in m.fps_scan:
            r = apps.run_tui(spec_file, fps=fps)
            scan[fps] = r
            self.extra[f"tty_bytes_per_s_fps{fps:g}"] = r.tty_bytes_per_s or 0.0
            if fps == 1.0:
                self.results["tty_bytes_per_s_fps1"] = r.tty_bytes_per_s or 0.0
            self.extra[f"tui_vs_headless_fps{fps:g}"] = max(_steady_rates(r)) / h
        if scan:
            scan[4.0] = tuis[0]
            self.extra["tty_bytes_per_s_fps4"] = bps
            self.extra["tui_vs_headless_fps4"] = t / h
            self.notes["tty_bytes_per_s"] += "; by fps: " + ", ".join(
                f"{self.extra[f'tty_bytes_per_s_fps{f:g}']:,.0f} B/s "
                f"({self.extra[f'tui_vs_headless_fps{f:g}']:.2f}× speed)"
                for f in sorted(scan))

        # Peak memory: ktui train (measured above, through wait4) vs the seed script.
        seed = apps.measure_rss([sys.executable, "-m", "benchmarks.seed001", "--quiet",
                                 "--epochs", str(m.app_epochs)])
        k = max(r.maxrss_mb for r in heads)
        self.results["peak_rss_ratio"] = k / seed
        self.extra.update(ktui_peak_rss_mb=k, seed_peak_rss_mb=seed)
        self.notes["peak_rss_ratio"] = f"{k:,.0f} MB vs {seed:,.0f} MB"


    # -- memory soak (a subprocess: its RSS is its own) ----------------------------------
    def soak(self) -> None:
        m = self.mode
        main = _soak_run(m.soak_epochs)
        k = main["kb_per_epoch"]
        self.results["soak_kb_per_epoch"] = k
        self.extra.update(soak_mb_per_1000_epochs=main["mb_per_1000_epochs"],
                          soak_epochs=main["epochs"], soak_warmup=main["warmup"],
                          soak_rss_mb=[round(main["start_mb"], 1), round(main["end_mb"], 1)])
        note = (f"{main['mb_per_1000_epochs']:.2f} MB per 1000 epochs; {main['epochs']} epochs, "
                f"{main['warmup']} warm-up")
        if m.soak_baseline:
            base = _soak_run(min(m.soak_epochs, 2000), "--no-run-dir")
            self.extra["soak_no_run_dir_kb_per_epoch"] = base["kb_per_epoch"]
            note += f"; {base['kb_per_epoch']:.2f} KB/epoch with no run directory"
        self.notes["soak_kb_per_epoch"] = note


    # -- tf.distribute (a subprocess: the CPU is split before TensorFlow starts) ----------
    def distributed(self) -> None:
        import subprocess

        from benchmarks.apps import Unavailable

        flags = ["--quick"] if self.mode is QUICK else []
        done = subprocess.run([sys.executable, "-m", "benchmarks.distributed", "--json",
                               *flags], capture_output=True, text=True, cwd=HERE.parent)
        lines = done.stdout.strip().splitlines()
        if done.returncode or not lines:
            raise Unavailable(f"benchmarks.distributed exited {done.returncode}: "
                              f"{done.stderr[-300:]}")
        figures = json.loads(lines[-1])
        for name in ("mirrored_vs_fit", "spe_speedup_cpu", "scaling_efficiency",
                     "mixed_f16_speedup"):
            if name in figures:
                self.results[name] = figures.pop(name)
        self.extra.update(figures)
        self.notes["mirrored_vs_fit"] = (
            f"{figures['mirrored_samples_per_s']:,.0f} vs "
            f"{figures['fit_mirrored_samples_per_s']:,.0f} samples/s")
        if "gpus" not in figures:
            self.notes["scaling_efficiency"] = "no GPU here"


def _soak_run(epochs: int, *flags: str) -> dict:
    import subprocess

    from benchmarks.apps import Unavailable

    done = subprocess.run([sys.executable, "-m", "benchmarks.soak", "--epochs", str(epochs),
                           "--json", *flags], capture_output=True, text=True, cwd=HERE.parent)
    lines = done.stdout.strip().splitlines()
    if done.returncode or not lines:
        raise Unavailable(f"the soak exited {done.returncode}: {done.stderr[-300:]}")
    return json.loads(lines[-1])


def _steady_rates(run) -> list[float]:
    return run.rates[1:] or run.rates


def _r(values, digits: int = 1) -> list[float]:
    return [round(v, digits) for v in values]


def verdict(name: str, value: float) -> str:
    target, higher, _ = TARGETS[name]
    if target is None:
        return "report"
    ok = value >= target if higher else value <= target
    return "ok" if ok else "MISSED"


def machine() -> str:
    model = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs, {model or 'unknown CPU'}, {platform.system()} " \
           f"{platform.release()}, Python {platform.python_version()}"


def table(bench: Bench) -> str:
    rows = [("figure", "value", "target", "status", "note")]
    for name, (target, higher, _what) in TARGETS.items():
        if name in bench.results:
            value = bench.results[name]
            shown = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
            status = verdict(name, value)
            if name == "first_frame_s" and "tf_import_s" in bench.results:
                half = value < 0.5 * bench.results["tf_import_s"]
                if status == "ok" and not half:
                    status = "MISSED"
        else:
            shown, status = "n/a", "n/a"
        want = "-" if target is None else f"{'≥' if higher else '≤'} {target:g}"
        if name == "first_frame_s":
            want = "< 1, < ½ import"
        rows.append((name, shown, want, status, bench.notes.get(name, "")))
    if "jit" in bench.notes:
        rows.append(("jit (extra)", "-", "-", "report", bench.notes["jit"]))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = []
    for i, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row[:4], widths, strict=True))
                     + "  " + row[4])
        if i == 0:
            lines.append("  ".join("-" * w for w in widths) + "  ----")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="CI-sized run (default)")
    group.add_argument("--full", action="store_true", help="all 60 000 images, repeats, "
                       "--fps scan and XLA (a few minutes)")
    parser.add_argument("--out", default=str(HERE / "results.json"), help="results file")
    args = parser.parse_args(argv)
    mode = FULL if args.full else QUICK
    started = time.perf_counter()
    bench = Bench(mode)
    with tempfile.TemporaryDirectory(prefix="ktui-bench-") as tmp:
        # Start-up first, while nothing of ours is warm; then the subprocess runs; the
        # in-process throughput last, so TensorFlow in this process cannot slow the children.
        bench.attempt(["first_frame_s", "tf_import_s"], bench.startup)
        bench.attempt(["tui_vs_headless", "tty_bytes_per_s", "tty_bytes_per_s_fps1",
                       "tty_bytes_per_s_learned", "tui_vs_headless_learned",
                       "tui_vs_headless_gradients", "ui_cpu_fraction", "peak_rss_ratio"],
                      lambda: bench.apps(Path(tmp)))
        bench.attempt(["soak_kb_per_epoch"], bench.soak)
        bench.attempt(["mirrored_vs_fit", "spe_speedup_cpu"], bench.distributed)
        bench.attempt(["tape_vs_fit", "matmul_fraction", "model_matmul_fraction",
                       "vs_seed_script", "fused_adam_speedup"], bench.throughput)
    elapsed = time.perf_counter() - started
    meta = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
            "mode": mode.name, "seconds": round(elapsed, 1),
            "tensorflow": _version("tensorflow"), "textual": _version("textual")}
    out = {**{k: round(v, 4) for k, v in bench.results.items()},
           "extra": {k: (round(v, 4) if isinstance(v, float) else v)
                     for k, v in bench.extra.items()},
           "notes": bench.notes, "meta": meta}
    try:
        Path(args.out).write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    except OSError as err:
        print(f"cannot write {args.out}: {err}", file=sys.stderr)
    print(f"\nktui benchmarks ({mode.name}, {elapsed:.0f} s) on {meta['machine']}, "
          f"{meta['date']}\n")
    print(table(bench))
    print(f"\nwrote {args.out}")
    return 0


def _version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
