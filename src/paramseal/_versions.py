"""Library versions: the file's producer against this interpreter's (spec/format.md §7.1, 6a).

scikit-learn does not promise that a model fitted under one minor version behaves the same, or
works at all, under another: attributes are added, renamed and reinterpreted. paramseal's
validators keep a foreign model memory-safe, not correct. So when a file that holds
scikit-learn objects was written under another ``major.minor`` of scikit-learn, the reader
warns (:class:`~paramseal.errors.VersionWarning`), or refuses with ``strict_versions=True``
(:class:`~paramseal.errors.VersionMismatchError`). Both messages name the two versions.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping

from .errors import VersionMismatchError, VersionWarning

_SHOWN = 40  # characters of a version string read from the file that a message shows


def _minor(version: str) -> tuple[str, ...]:
    return tuple(version.split(".")[:2])


def sklearn_check(producer: Mapping[str, str], *, strict: bool) -> Callable[[], None]:
    """The check to run when the schema first names a scikit-learn type."""

    def check() -> None:
        import sklearn

        written = producer.get("scikit-learn")
        installed = sklearn.__version__
        if written is not None and _minor(written) == _minor(installed):
            return
        if written is None:
            message = (f"this file holds scikit-learn objects but does not say which version "
                       f"wrote them; loading with scikit-learn {installed}")
        else:
            message = (f"this file was written with scikit-learn {written[:_SHOWN]!r} and is "
                       f"loaded with scikit-learn {installed!r}: the model may behave "
                       "differently; refit it or load it under the version that wrote it")
        if strict:
            raise VersionMismatchError(message)
        warnings.warn(message, VersionWarning, stacklevel=_caller_level())

    return check


def _caller_level() -> int:
    """The stack level of the first frame outside paramseal: the warning points at the
    caller's ``load``, whatever the nesting of the object that triggered it."""
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("paramseal"):
        frame = frame.f_back
        level += 1
    return level
