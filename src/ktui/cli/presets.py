"""``ktui presets`` (names and one-line descriptions) and ``ktui presets show NAME``."""

from __future__ import annotations

import argparse
import sys

from ktui.cli.errors import EXIT_OK, UsageError
from ktui.core import spec as specmod
from ktui.core.spec.presets import PRESETS, get_preset
from ktui.core.text import clean


def cmd_presets(args: argparse.Namespace) -> int:
    if args.presets_command == "show":
        if args.name not in PRESETS:
            raise UsageError(f"unknown preset {args.name!r}; choose one of: "
                             f"{', '.join(PRESETS)}")
        sys.stdout.write(specmod.dumps(get_preset(args.name)))
        return EXIT_OK
    width = max(map(len, PRESETS))
    for name in PRESETS:
        print(clean(f"{name:<{width}}  {get_preset(name).description}"))
    return EXIT_OK
