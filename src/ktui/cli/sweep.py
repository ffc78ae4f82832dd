"""``ktui sweep``: start a study and its workers; ``join``, ``status``, ``best``.

A sweep is checked whole before anything starts (the spec, then every problem of the space
at once). The study holds the base spec, the space and the pruner settings, so ``join``
needs only ``--storage`` and ``--study``. Workers are processes (``python -m ktui sweep
join --worker-index I``, no shell), watched by :func:`ktui.cli.sweep_run.supervise`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ktui.cli.errors import EXIT_FAILED, EXIT_OK, Refused, UsageError, say
from ktui.core import spec as specmod
from ktui.core.text import clean


def cmd_sweep(args: argparse.Namespace) -> int:
    from ktui.core.sweep.space import SweepError

    try:
        command = getattr(args, "sweep_command", None)
        if command == "join":
            return _join(args)
        if command == "status":
            return _status(args)
        if command == "view":
            return _view(args)
        if command == "best":
            return _best(args)
        return _start(args)
    except SweepError as err:
        lines = err.errors
        raise UsageError(lines[0] if len(lines) == 1 else
                         "the sweep cannot start:\n  " + "\n  ".join(clean(x) for x in lines)
                         ) from None
    except Refused as err:
        say(f"ktui: {clean(str(err))}\n")
        return err.code


def _root(args: argparse.Namespace) -> Path:
    from ktui.core.runs.storage import runs_root

    return runs_root(getattr(args, "runs_dir", None))


def _worker_args(args: argparse.Namespace, isolate: bool) -> tuple[str, ...]:
    """What each worker process is given besides the study: the layer files loaded here
    (``--layers``, ``$KTUI_LAYERS``), ``--no-checks`` and ``--isolate`` as given."""
    from ktui.core import user_layers
    from ktui.core.sweep.layers import layer_args

    out = layer_args(user_layers.registered())
    if getattr(args, "no_checks", False):
        out.append("--no-checks")
    if isolate:
        out.append("--isolate")
    return tuple(out)


def _start(args: argparse.Namespace) -> int:
    from ktui.cli.common import check_valid, use_layer_files, warn_user_layers
    from ktui.cli.sweep_run import Workers, supervise
    from ktui.cli.sweep_settings import gpu_workers, settings_for
    from ktui.core.spec.steering import monitor_problem
    from ktui.core.sweep import study as studymod
    from ktui.core.sweep.layers import layer_records
    from ktui.core.sweep.space import SweepError, build_space

    use_layer_files(args)  # your layers (--layers) before the spec names them
    spec, settings = settings_for(args)
    check_valid(spec, args.spec or getattr(args, "data", None) or f"preset {spec.name}")
    warn_user_layers(spec)  # your layers' checks, once, before any trial
    params = build_space(settings["params"], spec)
    metric = settings["metric"] or ("val_loss" if spec.train.validation_split else "loss")
    problems = []
    if (why := monitor_problem(metric, spec.train.metrics)) is not None:
        problems.append(f"--metric: {why}")
    direction = (studymod.direction_of(settings["direction"]) if settings["direction"]
                 else studymod.default_direction(metric))
    if settings["sampler"] == "grid":
        problems += studymod.grid_problems(params)
    name = settings["study"] or studymod.default_study_name(spec.name)
    if (why := studymod.name_problem(name)) is not None:
        problems.append(why)
    if problems:
        raise SweepError(problems)
    root = _root(args)
    url = settings["storage"] or studymod.default_storage(root, name)
    data = specmod.spec_to_dict(spec)
    config = studymod.SweepConfig(
        spec=data, params=[p.text for p in params], metric=metric,
        direction=direction, trials=settings["trials"], sampler=settings["sampler"],
        pruner=studymod.pruner_settings(settings["pruner"], spec.train.epochs,
                                        settings["warmup_epochs"]),
        seed=settings["seed"], layers=layer_records(data),
        isolate=settings["isolate"])
    count, gpus = gpu_workers(spec, settings["workers"], config.trials)
    workers = Workers(count, _worker_args(args, False), gpus)  # --isolate: in the study
    study = studymod.create(url, name, config)
    baseline = "" if settings["no_baseline"] else _enqueue_baseline(study, config, params)
    layers = "".join(f" --layers {clean(r['path'])}" for r in config.layers)
    say(f"ktui: sweep {clean(name)}: {config.trials} trials of {clean(spec.name)}, "
        f"{spec.train.epochs} epochs each, {_workers_words(workers)}, "
        f"{'each trial its own process, ' * config.isolate}{config.sampler} sampler, "
        f"{config.pruner['kind']} pruner, {direction} {metric}\n"
        f"ktui: space: {'; '.join(p.describe() for p in params)}{baseline}\n"
        f"ktui: storage {clean(url)} (join with `ktui sweep join --storage {clean(url)} "
        f"--study {clean(name)}{layers}`)\n")
    if getattr(args, "view", False):
        from ktui.cli.sweep_view import view_while_running

        return view_while_running(study, url, workers, root, getattr(args, "runs_dir", None))
    return supervise(url, name, workers, root, config)


def _workers_words(workers) -> str:  # noqa: ANN001 - a sweep_run.Workers
    words = f"{workers.count} worker{'s' * (workers.count != 1)}"
    if workers.gpus:
        words += f" (one per GPU: {','.join(workers.gpus)})"
    return words


def _enqueue_baseline(study, config, params) -> str:
    """Trial 0 trains the spec's own values when they lie in the space (not for a grid)."""
    from ktui.core.sweep.space import locate

    if config.sampler == "grid":
        return ""
    values = {}
    for p in params:
        node, key, _ = locate(config.spec, p.path)
        value = node[key]
        inside = value in p.choices if p.kind == "choice" else p.low <= value <= p.high
        if not inside:
            return ""
        values[p.path] = value
    study.enqueue_trial(values)
    return "\nktui: trial 0 is the spec's own values (the baseline)"


def _join(args: argparse.Namespace) -> int:
    from ktui.cli.common import use_layer_files
    from ktui.cli.sweep_run import Workers, supervise
    from ktui.cli.sweep_settings import gpu_workers
    from ktui.core import user_layers
    from ktui.core.sweep import study as studymod
    from ktui.core.sweep.layers import files_named, layer_problem
    from ktui.core.sweep.worker import TRIALS_PER_WORKER, run_worker

    root = _root(args)
    if args.worker_index is not None:  # a worker process: trials here, quietly
        use_layer_files(args)
        run_worker(args.storage, args.study, root, args.worker_index,
                   args.max_trials or TRIALS_PER_WORKER, isolate=args.isolate,
                   train_args=_worker_args(args, False))  # (--layers, --no-checks)
        return EXIT_OK
    study = studymod.load(args.storage, args.study)
    config = studymod.config_of(study)
    named = files_named([*user_layers.env_paths(), *(getattr(args, "layers", None) or [])])
    if (why := layer_problem(config, study.study_name, named)) is not None:
        raise UsageError(why)  # before any code of a wrong file runs
    use_layer_files(args)
    spec = None
    if args.workers is None:  # one per GPU: is the study's spec one that fits on one?
        try:
            spec = specmod.parse_spec(config.spec)
        except specmod.SpecError:
            spec = None
    count, gpus = gpu_workers(spec, args.workers, config.trials)
    workers = Workers(count, _worker_args(args, args.isolate), gpus)
    say(f"ktui: joining sweep {clean(study.study_name)} with {_workers_words(workers)}\n")
    return supervise(args.storage, study.study_name, workers, root, config, start=False)


def _open(args: argparse.Namespace):  # (study, config, storage url)
    from ktui.core.sweep import study as studymod

    url = args.storage
    if url is None:
        found = studymod.latest_journal(_root(args))
        if found is None:
            raise Refused(EXIT_FAILED, f"no sweep under {clean(str(_root(args)))}; name one "
                          "with --storage URL --study NAME")
        url = str(found)
    elif studymod.is_journal(url) and not Path(url.removeprefix("journal:")).is_file():
        # reading must not leave an empty journal (and its folders) behind
        raise UsageError(f"--storage {clean(url)}: no such journal file (`ktui sweep` makes "
                         "one; `ktui sweep status` alone finds the newest)")
    study = studymod.load(url, args.study)
    return study, studymod.config_of(study), url


def _status(args: argparse.Namespace) -> int:
    """The status once; ``--watch``: again every ``--every`` seconds on a terminal, only
    the trials that changed in a pipe (:mod:`.sweep_watch`); ``--jsonl``: objects."""
    from ktui.cli.sweep_watch import finished, print_board, watch_lines
    from ktui.core.sweep.report import status_lines
    from ktui.core.sweep.study import config_of
    from ktui.core.sweep.worker import fail_stale

    study, config, url = _open(args)
    if args.jsonl or (args.watch and not sys.stdout.isatty()):
        return watch_lines(study, url, args.jsonl, args.every) if args.watch else \
            print_board(study)
    while True:
        fail_stale(study)
        config = config_of(study)  # read again: the sweep view may have added trials
        print("\n".join(status_lines(study, config, url)), flush=True)
        if not args.watch or finished(study):
            return EXIT_OK
        time.sleep(max(0.2, args.every))
        print(flush=True)


def _view(args: argparse.Namespace) -> int:
    """The sweep view (TUI) on one held study."""
    from ktui.ui.sweep_app import run_sweep_view

    study, _config, url = _open(args)
    return run_sweep_view(study, url, getattr(args, "runs_dir", None)).return_code or EXIT_OK


def _best(args: argparse.Namespace) -> int:
    from ktui.core.sweep.report import best_line, ranked
    from ktui.core.sweep.space import apply_values

    study, config, _ = _open(args)
    trials = study.get_trials(deepcopy=False)
    ranks = ranked(trials, config.direction)
    if not ranks:
        raise Refused(EXIT_FAILED, f"study {clean(study.study_name)} has no completed trial yet")
    print(best_line(trials, config))
    for key, value in ranks[0].params.items():
        print(f"  {key} = {value!r}")
    if args.spec_out:
        data = apply_values(config.spec, ranks[0].params)
        data["description"] = (f"{data.get('description', '')}\n\nThe best trial "
                               f"({ranks[0].number}) of sweep {study.study_name}.").strip()
        try:
            spec = specmod.parse_spec(data)
            specmod.save(spec, args.spec_out)
        except (specmod.SpecError, OSError) as err:
            raise Refused(EXIT_FAILED, f"cannot write {clean(args.spec_out)}: {err}") from None
        say(f"ktui: wrote {clean(args.spec_out)} (`ktui train --spec {clean(args.spec_out)}`)\n")
    return EXIT_OK
