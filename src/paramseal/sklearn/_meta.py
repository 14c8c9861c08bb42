"""scikit-learn meta-estimators: ensembles of estimators,
calibration, multiclass and multioutput wrappers, feature selection, threshold tuning,
successive-halving searches and frozen estimators (spec/format.md §6.5)."""

from __future__ import annotations

from ..registry import Registry


def register(registry: Registry) -> None:
    """Add this family's classes, each with the validators its native consumers need."""
