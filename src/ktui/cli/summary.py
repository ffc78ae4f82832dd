"""The model summary as text, without Keras (the CLI and the TUI print it)."""

from __future__ import annotations

from ktui.core.catalog import format_shape
from ktui.core.events import LayerSummary


def summary_text(rows: tuple[LayerSummary, ...]) -> str:
    """The summary as a fixed-width table, for terminals and logs."""
    lines = [f"{'Layer (type)':<32}{'Output Shape':<22}{'Param #':>10}"]
    for r in rows:
        shape = format_shape(r.output_shape[1:])
        lines.append(f"{f'{r.name} ({r.kind})':<32}{shape:<22}{r.params:>10,}")
    total = sum(r.params for r in rows)
    trainable = sum(r.trainable_params for r in rows)
    lines.append(f"Total params: {total:,}  Trainable: {trainable:,}  "
                 f"Non-trainable: {total - trainable:,}")
    return "\n".join(lines)
