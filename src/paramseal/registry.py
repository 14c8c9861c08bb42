"""The allowlist: which types paramseal can write and rebuild (spec/format.md §6).

A registry maps each type tag written in a file to exactly one entry: the Python type, an
encoder (object -> node fields) and a decoder (node fields -> object). Lookups are by exact
type when writing and by tag when reading; nothing is ever imported or looked up by a name read
from a file. The default registry holds Python builtins, numpy, scipy.sparse, numpy random
generators and the allowlisted scikit-learn types; users add their own estimator classes with
:func:`register`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._paths import Path
    from ._schema import Decoder, Encoder

EncodeFn = Callable[[Any, "Encoder", "Path"], dict[str, Any]]
DecodeFn = Callable[[dict[str, Any], "Decoder", "Path"], Any]


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One allowlisted type.

    ``fields`` are the node's required keys besides ``@`` and ``id``; ``optional`` may be
    absent. ``decode`` validates everything it reads and raises our errors.
    """

    tag: str
    type: type
    encode: EncodeFn
    decode: DecodeFn
    fields: frozenset[str]
    optional: frozenset[str] = frozenset()
    #: Estimator-like entries accept a reference back to themselves while they are being
    #: built (two-phase construction, §4.5). None do in this version.
    two_phase: bool = False


class Registry:
    """A closed set of entries; see :func:`default_registry`."""

    def __init__(self) -> None:
        self.by_tag: dict[str, Entry] = {}
        self.by_type: dict[type, Entry] = {}

    def add(self, entry: Entry) -> None:
        if entry.tag in self.by_tag:
            raise ValueError(f"type tag {entry.tag!r} is already registered")
        if entry.type in self.by_type:
            raise ValueError(f"type {entry.type!r} is already registered")
        self.by_tag[entry.tag] = entry
        self.by_type[entry.type] = entry

    def alias(self, cls: type, tag: str) -> None:
        """Write objects of ``cls`` with the existing entry ``tag`` (e.g. numpy scalar types)."""
        if cls in self.by_type:
            raise ValueError(f"type {cls!r} is already registered")
        self.by_type[cls] = self.by_tag[tag]

    def tags(self) -> tuple[str, ...]:
        return tuple(sorted(self.by_tag))


def with_write_check(entry: Entry, check: Callable[[Any, Path], None]) -> Entry:
    """``entry``, running ``check(obj, path)`` before writing each object (to refuse early)."""
    encode = entry.encode

    def checked(obj: Any, enc: Encoder, path: Path) -> dict[str, Any]:
        check(obj, path)
        return encode(obj, enc, path)

    return dataclasses.replace(entry, encode=checked)


_default: Registry | None = None
_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, built on first use (this is when scikit-learn is imported)."""
    global _default
    if _default is None:
        with _lock:
            if _default is None:
                from . import _builtin_types, _random, _sparse
                from .sklearn import register_all

                registry = Registry()
                _builtin_types.register(registry)
                _sparse.register(registry)
                _random.register(registry)
                register_all(registry)
                _default = registry
    return _default


def supported_types() -> tuple[str, ...]:
    """Every type tag the default registry can write and read, sorted."""
    return default_registry().tags()


def register(
    cls: type,
    *,
    tag: str | None = None,
    validate: Callable[[Any, str], None] | None = None,
) -> str:
    """Allow your own scikit-learn-style estimator class to be written and loaded.

    The class is rebuilt like scikit-learn's own estimators (§6.5): constructor parameters,
    then fitted attributes, then ``_validate_params()`` when the class has it. ``validate``,
    if given, is called as ``validate(estimator, path)`` after that and should raise
    :class:`paramseal.errors.ReconstructionError` for values that native code could misuse.
    Returns the tag written in files; the same registration must exist where they are loaded.
    """
    from .sklearn._estimator import estimator_entry

    chosen = tag or f"{cls.__module__}.{cls.__qualname__}"
    default_registry().add(estimator_entry(cls, chosen, validate))
    return chosen
