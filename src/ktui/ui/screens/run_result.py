"""What the training view's result line says when a run ends: finished, stopped or failed.

Pure Rich text from the final event (no widgets), shared by the live and the recorded view.
"""

from __future__ import annotations

import re

from rich.text import Text

from ktui.core.events import RunFinished
from ktui.core.text import clean, metric_text

FAIL_TITLES = {
    "nan": "The loss became NaN or infinite",
    "data": "The dataset could not be loaded",
    "spec": "The experiment cannot be built",
    "io": "The run directory could not be written",
    "resources": "Out of memory",
    "error": "Training failed",
}
#: Lines of the user's own traceback (an error in their layer) shown under a failure.
USER_TRACEBACK_LINES = 6
#: Clauses of a failure message that only restate its title (the title is shown already).
_RESTATED = re.compile(r"(the )?loss (is|became) (nan|inf)", re.IGNORECASE)


def title_line(name: str, description: str, tag: tuple[str, str] | None = None) -> Text:
    """The training view's title: `` name `` reversed, a tag for a run not trained here
    (``recorded run, read-only``, ``watching``) in its style, then the description, dim. The
    one title every kind of run view shows; the name is cleaned (it comes from a folder)."""
    title = Text()
    title.append(f" {clean(name)} ", style="bold reverse")
    if tag is not None:
        title.append(f" {tag[0]}", style=tag[1])
    title.append(f"{'  ' if tag else ' '}{description}", style="dim")
    return title


def epochs_text(n: int) -> str:
    """``1 epoch``, ``3 epochs``."""
    return f"{n} epoch{'s' * (n != 1)}"


def failure_text(kind: str, message: str, epoch: int = 0, step: int = 0,
                 user_traceback: str = "") -> Text:
    """The title of a failure on one line, then only what the message adds to it.

    The trainer's NaN message begins "the loss became NaN or infinite at epoch 2, step 3; ...",
    which the title and its "(epoch 2, step 3)" already say. An exception in the user's own
    layer (``--layers``) comes with its traceback trimmed to their file: its last lines follow.
    """
    title = FAIL_TITLES.get(kind, "Training failed")
    text = Text()
    text.append(f"✘ {title}", style="bold red")
    if epoch or step:
        text.append(f" (epoch {epoch}, step {step})")
    clauses = [c.strip() for c in re.split(r"(?<=[;.])\s+", message.strip()) if c.strip()]
    kept = [c for c in clauses
            if not (c.lower().startswith(title.lower()) or _RESTATED.match(c))]
    details = " ".join(kept).strip()
    if details:
        details = details[0].upper() + details[1:]
        text.append(f"\n{details}")
    lines = [ln for ln in user_traceback.splitlines() if ln.strip()][-USER_TRACEBACK_LINES:]
    for line in lines:
        text.append(f"\n  {line}", style="dim")
    return text


def finished_text(ev: RunFinished, seconds: float | None, test_samples: int | None) -> Text:
    """``✔ Finished after 10 epochs in 3.2 s   test: loss 1.02``, or how far a stopped run
    got and why there is no test score; ``seconds`` None leaves the duration out."""
    done = ev.epochs_done
    text = Text()
    if ev.status == "finished":
        text.append(f"✔ Finished after {epochs_text(done)}", style="bold green")
    elif done:
        text.append(f"■ Stopped after {epochs_text(done)}", style="bold yellow")
    else:
        text.append("■ Stopped before the first epoch ended", style="bold yellow")
    if seconds is not None:
        text.append(f" in {seconds:.1f} s", style="dim")
    if ev.test:
        text.append("   test: ", style="bold")
        text.append("  ".join(f"{k} {metric_text(v)}" for k, v in ev.test.items()))
    elif test_samples == 0:
        text.append("   (no test set)", style="dim")
    elif ev.status == "stopped":
        text.append(" — test set not evaluated (it runs at the end of the last epoch)",
                    style="dim")
    return text


__all__ = ["FAIL_TITLES", "epochs_text", "failure_text", "finished_text"]
