"""The promotion-gate figures of the score models in use, for the annual report, without importing the model app.

Casework is the ground floor and imports no app above it (``.importlinter``); the model registry and its gate
verdicts live in ``riskmodel``. As with ``casework.triage.selectors.register_scores_shown``, the app that
scores registers a reader in its ``AppConfig.ready``: ``register_gate_reader(reader)``, where
``reader(labels)`` takes the model labels the scores carry (``RiskScore.model_version``, e.g. ``risk-v3``)
and returns, for each label it knows, plain figures of the verdict the model was judged by::

    {"passed": bool,            # the gate's verdict
     "failed": [str, ...],      # the failed checks, in words (the gate's names)
     "overridden": bool,        # made active anyway through an approved override
     "roc_auc": float | None, "roc_auc_interval": [low, high] | None,
     "precision_at_k": float | None, "capacity": int | None,
     "ece": float | None}

No figure counts young people (the gate's count of test outcomes stays on the model report, which publishes
it under its own rules). Without a registered reader the report says the figures are not available here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

GateReader = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]
GATE_FIELDS = (
    "passed",
    "failed",
    "overridden",
    "roc_auc",
    "roc_auc_interval",
    "precision_at_k",
    "capacity",
    "ece",
)

_gate_reader: GateReader | None = None


def register_gate_reader(reader: GateReader | None) -> None:
    """Let the scoring app give the gate figures of its models (``None`` unregisters, for tests)."""
    global _gate_reader
    _gate_reader = reader


def gate_figures(labels: Iterable[str]) -> dict[str, dict[str, Any]] | None:
    """The gate figures of each known model label, or ``None`` where no scoring app registered a reader."""
    if _gate_reader is None:
        return None
    labels = list(labels)
    known = _gate_reader(labels)
    return {
        label: {field: known[label].get(field) for field in GATE_FIELDS} for label in labels if label in known
    }
