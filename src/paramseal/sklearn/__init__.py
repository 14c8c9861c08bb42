"""scikit-learn types in the registry (spec/format.md §6.5 to §6.9).

Each family module registers its estimators and the native objects they hold, with a validator
for every invariant that native code relies on (see ../../shared research, sklearn-survey §4).
An estimator class that holds native-indexed state is only allowlisted together with its
validator; classes whose state is plain data use the generic reconstructor alone.
"""

from __future__ import annotations

from typing import Any

from ..registry import Registry
from . import _classes


def tag_for(cls: type) -> str:
    """``sklearn.<subpackage>.<ClassName>``: stable across scikit-learn's private moves."""
    parts = cls.__module__.split(".")
    return f"{parts[0]}.{parts[1]}.{cls.__qualname__}" if len(parts) > 1 else cls.__qualname__


def register_all(registry: Registry) -> None:
    _classes.register(registry)


__all__: list[Any] = ["register_all", "tag_for"]
