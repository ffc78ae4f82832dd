"""The model summary as text, without Keras (the CLI and the TUI print it)."""

from __future__ import annotations

from ktui.core.catalog import format_shape
from ktui.core.events import LayerSummary


def summary_text(rows: tuple[LayerSummary, ...]) -> str:
    """The summary as a fixed-width table, for terminals and logs."""
    names = [f"{r.name} ({r.kind})" for r in rows]
    width = max([32, *(len(n) + 2 for n in names)])  # a long class name keeps its column
    lines = [f"{'Layer (type)':<{width}}{'Output Shape':<22}{'Param #':>10}"]
    for name, r in zip(names, rows, strict=True):
        shape = format_shape(r.output_shape[1:])
        lines.append(f"{name:<{width}}{shape:<22}{r.params:>10,}")
    total = sum(r.params for r in rows)
    trainable = sum(r.trainable_params for r in rows)
    lines.append(f"Total params: {total:,}  Trainable: {trainable:,}  "
                 f"Non-trainable: {total - trainable:,}")
    return "\n".join(lines)
