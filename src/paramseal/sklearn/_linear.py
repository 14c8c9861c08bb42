"""scikit-learn linear models beyond the core, covariance estimators,
discriminant analysis, cross decomposition and kernel ridge (spec/format.md §6.5)."""

from __future__ import annotations

from ..registry import Registry


def register(registry: Registry) -> None:
    """Add this family's classes, each with the validators its native consumers need."""
