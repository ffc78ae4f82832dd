"""What the trainer tells the world, and its one codec. Import events from here.

* :mod:`~ktui.core.events.run`: a run's life (started, steps, epochs, pauses, the learning
  rate, the step's compiler, evaluating, finished or failed) and ``Event``, the union of every kind.
* :mod:`~ktui.core.events.insight`: what the insight views show (the fixed validation sample,
  its predictions, the confusion matrices).
* :mod:`~ktui.core.events.codec`: events to and from JSON (``--jsonl``, ``events.jsonl``).
"""

from ktui.core.events.codec import from_dict, json_safe, to_dict, to_json
from ktui.core.events.insight import Confusion, Predictions, SampleSet
from ktui.core.events.run import (
    WB_MAX_WEIGHTS,
    EpochDone,
    Evaluating,
    Event,
    LayerSummary,
    LayerWeights,
    LrChanged,
    Paused,
    Resumed,
    RunFailed,
    RunFinished,
    RunStarted,
    StepDone,
    TensorStats,
    XlaPicked,
    wb_model_of,
)

__all__ = [
    "WB_MAX_WEIGHTS", "Confusion", "EpochDone", "Evaluating", "Event", "LayerSummary",
    "LayerWeights", "LrChanged", "Paused", "Predictions", "Resumed", "RunFailed", "RunFinished",
    "RunStarted", "SampleSet", "StepDone", "TensorStats", "XlaPicked", "from_dict", "json_safe",
    "to_dict", "to_json", "wb_model_of",
]
