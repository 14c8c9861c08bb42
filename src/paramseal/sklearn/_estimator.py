"""The generic estimator reconstructor (spec/format.md §6.5).

An estimator node is ``{"@": tag, "params": {...}, "state": {...}}``: its constructor
parameters (exactly the names of the class's ``__init__``) and its other attributes. Loading
creates the object without running ``__init__``, sets the parameters and the state, re-runs
scikit-learn's own ``_validate_params()`` (hyper-parameters reach native code too: a
``FeatureHasher(n_features=0)`` is a SIGFPE), then the class's own validator, which checks every
value native code will index with.

State names must be plain attribute names that the class itself does not define, so a file
cannot shadow a method or a property.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .. import _paths as P
from ..errors import ReconstructionError, SchemaError, UnsupportedTypeError
from ..registry import Entry

Validator = Callable[[Any, str], None]
#: Writes one attribute's value as a node of the encoder's choosing (e.g. a batch of trees);
#: the node's own registry entry reads it back.
AttributeEncoder = Callable[[Any, Any, Any], Any]

_MAX_NAME = 128
_MAX_ALLOWED_NAMES = 1024


def _param_names(cls: type) -> tuple[str, ...]:
    getter = getattr(cls, "_get_param_names", None)
    if getter is not None:
        return tuple(getter())
    signature = inspect.signature(cls)
    return tuple(
        p.name for p in signature.parameters.values()
        if p.name != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


def _plain_name(name: Any) -> bool:
    return (
        type(name) is str
        and 0 < len(name) <= _MAX_NAME
        and name.isidentifier()
        and not name.startswith("__")
    )


class EstimatorCodec:
    """Encoder and decoder for one allowlisted estimator class."""

    def __init__(
        self,
        cls: type,
        tag: str,
        validate: Validator | None = None,
        *,
        derived: Callable[[Any], None] | None = None,
        dropped: frozenset[str] = frozenset(),
        attribute_encoders: dict[str, AttributeEncoder] | None = None,
        validate_unfitted: bool = False,
    ) -> None:
        self.attribute_encoders = attribute_encoders or {}
        self.validate_unfitted = validate_unfitted
        self.cls = cls
        self.tag = tag
        self.validate = validate
        self.derived = derived
        self.dropped = dropped
        self._names: tuple[str, ...] | None = None
        self._name_set: frozenset[str] = frozenset()
        self._class_attrs: frozenset[str] = frozenset()
        #: State names already found allowed (the check depends on the name only).
        self._allowed_state: set[str] = set()

    def _prepare(self) -> tuple[str, ...]:
        if self._names is None:
            self._name_set = frozenset(_param_names(self.cls))
            self._class_attrs = frozenset(dir(self.cls))
            self._names = tuple(_param_names(self.cls))
        return self._names

    def _validate_params(self, est: Any, values: dict[str, Any], seen: dict[Any, Any]) -> None:
        """scikit-learn's own ``_validate_params()``, without its per-call introspection.

        ``BaseEstimator._validate_params`` validates ``get_params(deep=False)``, which is exactly
        the parameters just set, and its verdict depends on nothing else. So a verdict for
        all-plain values is remembered for the process, and one for values that include objects
        is remembered for the rest of this load (``seen``, keyed by those objects' identities,
        which stay valid while the load holds them): a forest's 300 trees with the same
        parameters are validated once.
        """
        from sklearn.base import BaseEstimator
        from sklearn.utils._param_validation import validate_parameter_constraints

        method = getattr(type(est), "_validate_params", None)
        if method is None:
            return
        constraints = getattr(type(est), "_parameter_constraints", None)
        if constraints is None and method is BaseEstimator._validate_params:
            return  # LabelEncoder, FeatureUnion: no constraints, nothing to check
        if method is not BaseEstimator._validate_params or constraints is None:
            est._validate_params()
            return
        names = self._names or ()
        key = _plain_key(self.cls, names, values)
        if key is not None and key in _VALIDATED:
            return
        load_key = _load_key(self.cls, names, values) if key is None else None
        if load_key is not None and load_key in seen:
            return
        params = {name: values[name] for name in names}
        validate_parameter_constraints(constraints, params, caller_name=self.cls.__name__)
        if key is not None:
            if len(_VALIDATED) >= _VALIDATED_MAX:
                _VALIDATED.clear()
            _VALIDATED[key] = True
        elif load_key is not None:
            seen[load_key] = params  # holds the objects, so their identities stay unique

    def encode(self, est: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        names = self._prepare()
        state = dict(vars(est))
        params = {}
        for name in sorted(names):
            if name not in state:
                raise UnsupportedTypeError(
                    f"{self.tag} has no attribute for its parameter {name!r}", path=P.render(path)
                )
            params[name] = enc.encode(state.pop(name), (path, f".{name}"))
        # A reader runs this check on every estimator it loads (§6.5): never write a file
        # that would be refused for it.
        try:
            self._validate_params(est, vars(est), {})
        except (ValueError, TypeError) as exc:
            raise UnsupportedTypeError(
                f"{self.tag} has parameters that scikit-learn's own validation refuses, so "
                f"no reader would load it: {exc}", path=P.render(path)) from exc
        fitted = {}
        for name in sorted(state):
            if name in self.dropped:
                continue
            if not _plain_name(name) or name in self._class_attrs:
                raise UnsupportedTypeError(
                    f"{self.tag} has an attribute {name!r} that cannot be written",
                    path=P.render(path),
                )
            special = self.attribute_encoders.get(name)
            if special is not None:
                fitted[name] = special(state[name], enc, (path, f".{name}"))
            else:
                fitted[name] = enc.encode(state[name], (path, f".{name}"))
        return {"params": params, "state": fitted}

    def decode(self, node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        names = self._prepare()
        raw_params, raw_state = node["params"], node["state"]
        if type(raw_params) is not dict or type(raw_state) is not dict:
            raise SchemaError(f"{self.tag}: params and state must be maps", path=P.render(path))
        if raw_params.keys() != self._name_set:
            missing = sorted(self._name_set - raw_params.keys())
            extra = sorted(map(str, raw_params.keys() - self._name_set))
            raise SchemaError(
                f"{self.tag}: parameters differ from the class's: missing {missing}, "
                f"unknown {extra!r:.120}",
                path=P.render(path),
            )
        for sub in (raw_params, raw_state):
            keys = list(sub)
            if any(type(k) is not str for k in keys) or keys != sorted(keys):
                # msgpack maps may have other keys; canonical ones here are sorted strings
                raise SchemaError("map keys are not strings in canonical order",
                                  path=P.render(path))
        depth = P.depth(path) + 1
        est: Any = object.__new__(self.cls)
        values = est.__dict__
        for name in names:
            values[name] = dec.decode(raw_params[name], (path, f".{name}"), depth)
        allowed = self._allowed_state
        for name, raw in raw_state.items():
            if name not in allowed:
                if (not _plain_name(name) or name in self._class_attrs or name in self._name_set
                        or name in self.dropped):
                    raise SchemaError(
                        f"{self.tag}: attribute name {name!r:.60} is not allowed",
                        path=P.render(path),
                    )
                if len(allowed) < _MAX_ALLOWED_NAMES:
                    allowed.add(name)  # this name passed once: it always will
            if name in self.attribute_encoders:
                # the one place a batch node (§6.6) may stand: the encoder wrote it there
                slot = dec.batch_slot = (path, f".{name}")
                try:
                    values[name] = dec.decode(raw, slot, depth)
                finally:
                    dec.batch_slot = None
            else:
                values[name] = dec.decode(raw, (path, f".{name}"), depth)
        rendered = None
        try:
            self._validate_params(est, values, dec.validated)
        except (ValueError, TypeError) as exc:
            rendered = P.render(path)
            raise ReconstructionError(
                f"invalid parameters: {exc}", type_name=self.tag, path=rendered
            ) from exc
        if self.derived is not None:
            self.derived(est)
        # An unfitted estimator (the ``estimator=SVC()`` of a search) gives native code
        # nothing to index: its parameters were validated above. scikit-learn names fitted
        # attributes ``name_`` or ``_name``; any of them makes the class validator run, and
        # the validator requires all of them.
        if self.validate is not None and (self.validate_unfitted or any(
                name[0] == "_" or name[-1] == "_" for name in raw_state)):
            self.validate(est, rendered or P.render(path))
        return est


_PLAIN = (type(None), bool, int, float, str)
_VALIDATED: dict[tuple[Any, ...], bool] = {}
_VALIDATED_MAX = 4096


def _plain_key(cls: type, names: tuple[str, ...], values: dict[str, Any]) -> tuple[Any, ...] | None:
    """A cache key for parameters that are all plain scalars, else None.

    Types are part of the key so that ``True`` and ``1`` (equal and equally hashed) differ.
    """
    key: list[Any] = [cls]
    for name in names:
        value = values[name]
        t = type(value)
        if t not in _PLAIN:
            return None
        key.append(t)
        key.append(value)
    return tuple(key)


def _load_key(cls: type, names: tuple[str, ...], values: dict[str, Any]) -> tuple[Any, ...]:
    """Like :func:`_plain_key`, with objects standing for themselves by identity."""
    key: list[Any] = [cls]
    for name in names:
        value = values[name]
        t = type(value)
        key.append(t)
        key.append(value if t in _PLAIN else id(value))
    return tuple(key)


def estimator_entry(
    cls: type,
    tag: str,
    validate: Validator | None = None,
    *,
    derived: Callable[[Any], None] | None = None,
    dropped: frozenset[str] = frozenset(),
    attribute_encoders: dict[str, AttributeEncoder] | None = None,
    validate_unfitted: bool = False,
) -> Entry:
    """The registry entry of an estimator class; ``validate`` runs on fitted instances only,
    unless ``validate_unfitted`` (for validators that also check parameters)."""
    codec = EstimatorCodec(cls, tag, validate, derived=derived, dropped=dropped,
                           attribute_encoders=attribute_encoders,
                           validate_unfitted=validate_unfitted)
    return Entry(tag, cls, codec.encode, codec.decode, frozenset({"params", "state"}))
