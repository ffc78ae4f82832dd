"""``ktui devices``: the CPUs and GPUs TensorFlow sees (what ``--strategy`` spreads over)."""

from __future__ import annotations

import argparse
import json
import sys

from ktui.cli.errors import EXIT_OK
from ktui.core.text import clean


def cmd_devices(args: argparse.Namespace) -> int:
    from ktui.core.devices import list_devices
    from ktui.core.tfenv import import_tf

    devices = list_devices(import_tf())
    if args.json:
        for device in devices:
            sys.stdout.write(json.dumps(device.to_dict()) + "\n")
        return EXIT_OK
    for device in devices:
        print(clean(device.line()))
    gpus = sum(d.kind == "GPU" for d in devices)
    if gpus == 0:
        print("no GPU: `ktui train` runs on the CPU (--cpu-devices N simulates N devices)")
    elif gpus > 1:
        print(f"{gpus} GPUs: `ktui train` mirrors the step over all of them (--strategy auto; "
              "--devices 0,1 picks some)")
    return EXIT_OK
