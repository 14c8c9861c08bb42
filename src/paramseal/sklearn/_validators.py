"""Validators for estimators whose state reaches native code (sklearn-survey §4)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Validator = Callable[[Any, str], None]


def validators() -> dict[type, Validator]:
    return {}
