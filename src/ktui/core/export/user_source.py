"""Your layer files (``--layers``) carried in the exported script, each as its own module.

The text is the file exactly as ktui imported it (its sha256 is the one the run's spec
records; the run keeps the same copy in ``RUN/layers/``), one literal a line (split at
``\n`` only, so joining them gives back every byte), and the script checks it against that
sha256 before running it: an edited copy says so in a warning line (it then trains what the
edit says, which may no longer be the run). It is the user's own code, in the
script because they named the file with ``--layers``: a spec alone can never put code here,
since exporting a run of user layers needs the file loaded and its hash matching the spec's
record. The text reaches the script only as string literals (one per line of the file), and
the script runs it as a module of its own (``types.ModuleType`` + ``exec`` of that text), so
no name of the file (``keras``, ``tf``, ``Dense``, ``layers``...) can clash with the
script's, whatever import style it uses. The layers are built as ``user_my_layers.Linear``.
Pure Python: nothing of the file runs at export time.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from ktui.core import user_layers
from ktui.core.export.literals import literal
from ktui.core.text import identifier

_LOADER = '''
def load_layer_file(name, path, sha256, lines):
    """Your layer file (--layers) run as its own module, so no name of it clashes with this
    script's; its classes are this module's attributes (user_my_layers.MyDense). Text that is
    not the file the run trained with (its sha256) is said before it runs."""
    text, file_name = "\\n".join(lines), os.path.basename(path)
    if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256:
        print(f"warning: {file_name} in this script is not the file the run used (sha256 "
              f"{sha256[:12]}...): it was edited since the export", file=sys.stderr, flush=True)
    module = types.ModuleType(name)
    module.__file__ = file_name
    sys.modules[name] = module
    exec(compile(text, file_name, "exec"), module.__dict__)
    return module
'''.lstrip()


def module_name(path: str) -> str:
    """The script's name for a layer file's module: ``user_my_layers``."""
    return f"user_{identifier(Path(path).stem, fallback='layers')}"


def layer_files_source(spec_layers: Sequence[object]) -> tuple[str, str]:
    """The ``LAYER_FILES`` constant (path and sha256 of each file, as literals) and the code
    that makes each file a module, for the layers used; ("", "") when none is a user's."""
    files = user_layers.files_used(spec_layers)
    if not files:
        return "", ""
    table = [[str(f.path), f.sha256] for f in files]
    constant = (f"LAYER_FILES = {literal(table, 'layer_files')}  "
                "# your layer files (--layers): path, sha256\n")
    parts = [_LOADER]
    for i, f in enumerate(files):
        where = f"layer_files: {f.name}"
        lines = "".join(f"    {literal(line, where)},\n" for line in f.source.split("\n"))
        name = module_name(str(f.path))
        parts.append(f"{name} = load_layer_file({literal(name, where)}, *LAYER_FILES[{i}], "
                     f"[\n{lines}])\n")
    return constant, "\n\n".join(parts)


__all__ = ["layer_files_source", "module_name"]
