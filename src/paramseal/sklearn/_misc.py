"""SGD, MLP, search CVs and the helper objects they hold; validators of plain-looking classes.

Helper objects (scorers, CV splitters, MLP optimizers, masked arrays, ``Bunch``, metadata
requests) each have an explicit entry: a fixed set of attributes, written as named fields, and a
builder that checks every field before it constructs the object. Writing an object whose
attributes are not exactly the expected ones is refused, so nothing is silently lost.

Some classes look like plain data but feed native code or name a method to call:

- ``OneHotEncoder.transform`` builds a CSR matrix from indices computed out of ``categories_``,
  the infrequent-category mappings, ``_drop_idx_after_grouping`` and ``_n_features_outs``;
  scipy does not range-check them and ``toarray()`` writes out of bounds.
- ``CountVectorizer``/``TfidfVectorizer.transform`` use ``vocabulary_`` values as CSR column
  indices, unchecked; a downstream ``X @ coef_`` reads out of bounds.
- ``PolynomialFeatures`` sizes its output and its loops from ``_max_degree`` and
  ``_n_out_full``.
- A scorer's ``_response_method`` names the estimator method it calls, and ``_score_func`` and
  ``FunctionTransformer.func`` are called: only allowlisted names and functions pass.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import estimator_entry

Builder = Callable[[dict[str, Any], P.Path], Any]

#: Methods a scorer may call on the estimator it scores (``make_scorer``'s own options).
_RESPONSE_METHODS = frozenset({"predict", "predict_proba", "decision_function"})
_MAX_TEXT = 4096


def _fail(tag: str, message: str, path: P.Path | str) -> ReconstructionError:
    rendered = path if type(path) is str else P.render(path)
    return ReconstructionError(message, type_name=tag, path=rendered)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_bool(value: Any) -> bool:
    return type(value) in (bool, np.bool_)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_)
    )


def _allowed_function(value: Any) -> bool:
    """Whether ``value`` is one of the closed table's functions (by identity)."""
    from .._builtin_types import _functions

    return id(value) in _functions()[1]


def _check_random_state(tag: str, value: Any, path: P.Path) -> None:
    if value is None or type(value) is np.random.RandomState:
        return
    if not _is_int(value) or not 0 <= value < 2**32:
        raise _fail(tag, f"random_state must be nil, an int in [0, 2**32) or a RandomState, "
                    f"not {value!r:.40}", path)


def _float_arrays(tag: str, name: str, value: Any, path: P.Path) -> list[np.ndarray]:
    if type(value) is not list or not all(
        type(a) is np.ndarray and a.dtype.kind == "f" for a in value
    ):
        raise _fail(tag, f"{name} must be a list of float arrays", path)
    return value


# ---------------------------------------------------------------- helper objects

class _HelperCodec:
    """An explicit-field codec: attribute ``_x`` of the object is written as field ``x``."""

    def __init__(self, cls: type, tag: str, attrs: tuple[str, ...], build: Builder,
                 optional: tuple[str, ...] = (), implied: dict[str, Any] | None = None) -> None:
        self.cls = cls
        self.tag = tag
        self.attrs = attrs
        self.optional = optional
        self.build = build
        #: Attributes the builder (the class's constructor) sets itself: not written, and
        #: only their constructor value can be written.
        self.implied = implied or {}
        names = {a: a.lstrip("_") for a in attrs + optional}
        self.fields = dict(sorted(names.items(), key=lambda kv: kv[1]))

    def entry(self) -> Entry:
        required = frozenset(self.fields[a] for a in self.attrs)
        optional = frozenset(self.fields[a] for a in self.optional)
        return Entry(self.tag, self.cls, self.encode, self.decode, required, optional)

    def encode(self, obj: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        state = vars(obj)
        missing = sorted(set(self.attrs) - state.keys())
        extra = sorted(state.keys() - set(self.attrs) - set(self.optional) - set(self.implied))
        changed = sorted(k for k, v in self.implied.items() if state.get(k, v) != v)
        if missing or extra or changed:
            raise UnsupportedTypeError(
                f"cannot write this {self.tag}: unexpected attributes {extra}, "
                f"missing attributes {missing}, changed attributes {changed}",
                path=P.render(path),
            )
        return {
            field: enc.encode(state[attr], (path, f".{attr}"))
            for attr, field in self.fields.items()
            if attr in state
        }

    def decode(self, node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        values = {
            attr: dec.field(node, field, path)
            for attr, field in self.fields.items()
            if field in node
        }
        return self.build(values, path)


def _new(cls: type, values: dict[str, Any], order: tuple[str, ...]) -> Any:
    obj: Any = object.__new__(cls)
    for name in order:
        if name in values:
            obj.__dict__[name] = values[name]
    return obj


# scorers (sklearn.metrics._scorer)

def _build_scorer(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.metrics._scorer import _Scorer
    from sklearn.utils._metadata_requests import MetadataRequest

    tag = "sklearn.metrics._Scorer"
    func, sign = values["_score_func"], values["_sign"]
    kwargs, method = values["_kwargs"], values["_response_method"]
    if not _allowed_function(func):
        raise _fail(tag, "score_func must be an allowlisted metric function", path)
    if type(sign) is not int or sign not in (1, -1):
        raise _fail(tag, f"sign must be 1 or -1, not {sign!r:.40}", path)
    if type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
        raise _fail(tag, "kwargs must be a dict with str keys", path)
    methods = (method,) if type(method) is str else method
    if (
        type(methods) not in (tuple, list)
        or not methods
        or not all(type(m) is str and m in _RESPONSE_METHODS for m in methods)
    ):
        raise _fail(tag, f"response_method must be one of {sorted(_RESPONSE_METHODS)} or a "
                    f"sequence of them, not {method!r:.60}", path)
    request = values.get("_metadata_request")
    if "_metadata_request" in values and type(request) is not MetadataRequest:
        raise _fail(tag, "metadata_request must be a MetadataRequest", path)
    return _new(_Scorer, values,
                ("_score_func", "_sign", "_kwargs", "_response_method", "_metadata_request"))


def _build_passthrough_scorer(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.base import BaseEstimator
    from sklearn.metrics._scorer import _PassthroughScorer

    if not isinstance(values["_estimator"], BaseEstimator):
        raise _fail("sklearn.metrics._PassthroughScorer", "estimator must be an estimator", path)
    return _new(_PassthroughScorer, values, ("_estimator",))


# metadata requests (sklearn.utils._metadata_requests)

def _encode_metadata_request(obj: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    from sklearn.utils._metadata_requests import (
        SIMPLE_METHODS,
        MethodMetadataRequest,
        _routing_repr,
    )

    state = vars(obj)
    if state.keys() != {"owner", *SIMPLE_METHODS}:
        raise UnsupportedTypeError(
            f"cannot write this MetadataRequest: attributes {sorted(state)}", path=P.render(path)
        )
    requests: dict[str, Any] = {}
    for method in SIMPLE_METHODS:
        sub = state[method]
        if (
            type(sub) is not MethodMetadataRequest
            or vars(sub).keys() != {"_requests", "owner", "method"}
            or sub.method != method
            or sub.owner is not obj.owner
            or type(sub._requests) is not dict
        ):
            raise UnsupportedTypeError(
                f"cannot write this MetadataRequest: its {method!r} request is not plain",
                path=P.render(path),
            )
        requests[method] = dict(sub._requests)
    # The owner is only shown in messages (``_routing_repr``); it is usually the estimator
    # holding this request (a cycle), so its display name is written instead.
    owner = obj.owner
    if owner is not None and type(owner) is not str:
        owner = _routing_repr(owner)
    return {"owner": owner, "requests": enc.encode(requests, (path, ".requests"))}


def _decode_metadata_request(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    from sklearn.utils._metadata_requests import SIMPLE_METHODS, MetadataRequest

    tag = "sklearn.utils.MetadataRequest"
    owner = node["owner"]
    if owner is not None and (type(owner) is not str or len(owner) > _MAX_TEXT):
        raise _fail(tag, "owner must be nil or a short string", path)
    requests = dec.field(node, "requests", path)
    if type(requests) is not dict or list(requests) != list(SIMPLE_METHODS):
        raise _fail(tag, f"requests must map exactly the methods {SIMPLE_METHODS}", path)
    result = MetadataRequest(owner=owner)
    for method, params in requests.items():
        if type(params) is not dict or not all(
            type(k) is str and (v is None or type(v) in (bool, str)) for k, v in params.items()
        ):
            raise _fail(tag, f"requests of {method!r} must map str to bool, nil or str", path)
        getattr(result, method)._requests = params
    return result


# CV splitters (sklearn.model_selection._split)

def _kfold_builder(cls: type, tag: str) -> Builder:
    def build(values: dict[str, Any], path: P.Path) -> Any:
        n_splits, shuffle = values["n_splits"], values["shuffle"]
        if not _is_int(n_splits) or not 2 <= n_splits < 2**31:
            raise _fail(tag, f"n_splits must be an int >= 2, not {n_splits!r:.40}", path)
        if not _is_bool(shuffle):
            raise _fail(tag, "shuffle must be a bool", path)
        _check_random_state(tag, values["random_state"], path)
        try:
            return cls(n_splits=n_splits, shuffle=shuffle, random_state=values["random_state"])
        except ValueError as exc:
            raise _fail(tag, str(exc), path) from exc

    return build


def _check_split_size(tag: str, name: str, value: Any, path: P.Path) -> None:
    if value is None:
        return
    if isinstance(value, (float, np.floating)) and 0.0 < value < 1.0:
        return
    if _is_int(value) and 1 <= value < 2**62:
        return
    raise _fail(tag, f"{name} must be nil, a float in (0, 1) or a positive int", path)


def _shuffle_split_builder(cls: type, tag: str) -> Builder:
    def build(values: dict[str, Any], path: P.Path) -> Any:
        n_splits = values["n_splits"]
        if not _is_int(n_splits) or not 1 <= n_splits < 2**31:
            raise _fail(tag, f"n_splits must be a positive int, not {n_splits!r:.40}", path)
        _check_split_size(tag, "test_size", values["test_size"], path)
        _check_split_size(tag, "train_size", values["train_size"], path)
        _check_random_state(tag, values["random_state"], path)
        return cls(n_splits=n_splits, test_size=values["test_size"],
                   train_size=values["train_size"], random_state=values["random_state"])

    return build


def _shuffle_split_codec(cls: type, tag: str) -> _HelperCodec:
    return _HelperCodec(cls, tag, ("n_splits", "random_state", "test_size", "train_size"),
                        _shuffle_split_builder(cls, tag), implied={"_default_test_size": 0.1})


# MLP optimizers (sklearn.neural_network._stochastic_optimizers)

def _check_optimizer_floats(tag: str, values: dict[str, Any], names: tuple[str, ...],
                            path: P.Path) -> None:
    for name in names:
        if not _is_real(values[name]):
            raise _fail(tag, f"{name} must be a real number", path)


def _build_adam(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

    tag = "sklearn.neural_network.AdamOptimizer"
    _check_optimizer_floats(
        tag, values, ("beta_1", "beta_2", "epsilon", "learning_rate", "learning_rate_init"), path
    )
    t = values["t"]
    if type(t) is not int or t < 0:
        raise _fail(tag, "t must be a non-negative int", path)
    ms = _float_arrays(tag, "ms", values["ms"], path)
    vs = _float_arrays(tag, "vs", values["vs"], path)
    if [m.shape for m in ms] != [v.shape for v in vs]:
        raise _fail(tag, "ms and vs must hold arrays of the same shapes", path)
    return _new(AdamOptimizer, values, ("learning_rate_init", "learning_rate", "beta_1",
                                        "beta_2", "epsilon", "t", "ms", "vs"))


def _build_sgd_optimizer(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.neural_network._stochastic_optimizers import SGDOptimizer

    tag = "sklearn.neural_network.SGDOptimizer"
    _check_optimizer_floats(
        tag, values, ("learning_rate", "learning_rate_init", "momentum", "power_t"), path
    )
    schedule = values["lr_schedule"]
    if type(schedule) is not str or schedule not in ("constant", "adaptive", "invscaling"):
        raise _fail(tag, "lr_schedule must be 'constant', 'adaptive' or 'invscaling'", path)
    if not _is_bool(values["nesterov"]):
        raise _fail(tag, "nesterov must be a bool", path)
    _float_arrays(tag, "velocities", values["velocities"], path)
    return _new(SGDOptimizer, values, ("learning_rate_init", "learning_rate", "lr_schedule",
                                       "momentum", "nesterov", "power_t", "velocities"))


# numpy masked arrays (cv_results_ of the search CVs)

def _encode_masked_array(array: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    state = vars(array)
    plain = (
        array._baseclass is np.ndarray
        and not array._isfield
        and not state.get("_optinfo")
        and not state.get("_basedict")
        and array.dtype.names is None
        and state.keys() <= {"_fill_value", "_hardmask", "_sharedmask", "_isfield",
                             "_baseclass", "_optinfo", "_basedict", "_mask"}
    )
    if not plain:
        raise UnsupportedTypeError("cannot write this MaskedArray: only plain masked arrays "
                                   "(ndarray base, no fields, no extra state)",
                                   path=P.render(path))
    mask = array._mask
    fill = array._fill_value
    return {
        "data": enc.encode(array.data, (path, ".data")),
        "fill_value": None if fill is None else enc.encode(fill, (path, ".fill_value")),
        "hard_mask": bool(array._hardmask),
        "mask": None if mask is np.ma.nomask else enc.encode(mask, (path, ".mask")),
    }


def _decode_masked_array(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    tag = "numpy.ma.MaskedArray"
    data = dec.field(node, "data", path)
    mask = dec.field(node, "mask", path)
    fill = dec.field(node, "fill_value", path)
    hard = node["hard_mask"]
    if type(data) is not np.ndarray or data.dtype.names is not None:
        raise _fail(tag, "data must be an array without fields", path)
    if mask is not None and (
        type(mask) is not np.ndarray or mask.dtype != np.bool_ or mask.shape != data.shape
    ):
        raise _fail(tag, f"mask must be nil or a bool array of shape {list(data.shape)}", path)
    if fill is not None and (
        type(fill) is not np.ndarray or fill.shape != () or fill.dtype.names is not None
    ):
        raise _fail(tag, "fill_value must be nil or a 0-d array", path)
    if type(hard) is not bool:
        raise _fail(tag, "hard_mask must be a bool", path)
    result: Any = np.ma.MaskedArray(data, mask=np.ma.nomask if mask is None else mask,
                                    copy=False, hard_mask=hard)
    if fill is not None:
        # numpy fills _fill_value in place when it is set again: keep a writable copy.
        result._fill_value = np.array(fill)
    return result


# sklearn.utils.Bunch

def _encode_bunch(bunch: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    state = vars(bunch)
    if state.keys() - {"_deprecated_key_to_warnings"} or state.get("_deprecated_key_to_warnings"):
        raise UnsupportedTypeError("cannot write a Bunch with deprecated keys or attributes",
                                   path=P.render(path))
    if not all(type(k) is str for k in bunch):
        raise UnsupportedTypeError("cannot write a Bunch with non-str keys", path=P.render(path))
    return {
        "keys": list(bunch),
        "values": [enc.encode(v, (path, f"[{k!r:.40}]")) for k, v in bunch.items()],
    }


def _decode_bunch(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    from sklearn.utils import Bunch

    tag = "sklearn.utils.Bunch"
    depth = P.depth(path) + 1
    keys = dec.decode_array(node["keys"], (path, ".keys"), depth)
    if not all(type(k) is str for k in keys) or len(set(keys)) != len(keys):
        raise _fail(tag, "keys must be distinct strings", path)
    values = dec.decode_array(node["values"], (path, ".values"), depth)
    if len(keys) != len(values):
        raise _fail(tag, "keys and values must be arrays of the same length", path)
    result = Bunch()
    dict.update(result, zip(keys, values, strict=True))
    return result


# ---------------------------------------------------------------- estimators

def _check_function_params(tag: str, est: Any, names: tuple[str, ...], path: str) -> None:
    for name in names:
        value = getattr(est, name)
        if value is None or (type(value) is str and name == "feature_names_out"):
            continue
        if not _allowed_function(value):
            raise _fail(tag, f"{name} must be nil or an allowlisted function", path)


def _validate_function_transformer(est: Any, path: str) -> None:
    _check_function_params("sklearn.preprocessing.FunctionTransformer", est,
                           ("func", "inverse_func", "feature_names_out"), path)


def _validate_mlp(est: Any, path: str) -> None:
    from sklearn.neural_network._base import ACTIVATIONS

    tag = f"sklearn.neural_network.{type(est).__name__}"
    state = vars(est)
    if "coefs_" not in state:
        return
    coefs = _float_arrays(tag, "coefs_", state["coefs_"], path)
    intercepts = _float_arrays(tag, "intercepts_", state.get("intercepts_"), path)
    width = state.get("n_features_in_")
    chained = (
        len(coefs) == len(intercepts) >= 1
        and state.get("n_layers_") == len(coefs) + 1
        and all(c.ndim == 2 for c in coefs)
        and all(b.shape == (c.shape[1],) for b, c in zip(intercepts, coefs, strict=True))
        and all(a.shape[1] == b.shape[0] for a, b in itertools.pairwise(coefs))
        and coefs[0].shape[0] == width
        and coefs[-1].shape[1] == state.get("n_outputs_")
    )
    if not chained:
        raise _fail(tag, "layer shapes do not chain: coefs_, intercepts_, n_layers_, "
                    "n_features_in_ and n_outputs_ disagree", path)
    out = state.get("out_activation_")
    if type(out) is not str or out not in ACTIVATIONS:
        raise _fail(tag, f"out_activation_ must be one of {sorted(ACTIVATIONS)}", path)
    optimizer = state.get("_optimizer")
    if optimizer is not None:
        buffers = getattr(optimizer, "ms", None) or getattr(optimizer, "velocities", [])
        if [b.shape for b in buffers] != [p.shape for p in coefs + intercepts]:
            raise _fail(tag, "the optimizer's state does not match the layer shapes", path)


# OneHotEncoder: every index that reaches the CSR matrix must be in range

def _categories_sorted(cats: np.ndarray) -> bool:
    if cats.dtype.kind in "OUS":
        return True  # encoded through a dict: indices are in range whatever the order
    if cats.dtype.kind not in "biufmM":
        return False
    values = cats[:-1] if cats.dtype.kind == "f" and np.isnan(cats[-1]) else cats
    if values.dtype.kind in "fmM" and np.isnan(values).any():
        return False
    return bool(np.all(values[1:] > values[:-1]))


def _validate_one_hot(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.OneHotEncoder"
    state = vars(est)
    if "categories_" not in state:
        return
    cats, n_in = state["categories_"], state.get("n_features_in_")
    if (
        type(cats) is not list
        or not _is_int(n_in)
        or len(cats) != n_in
        or not all(type(c) is np.ndarray and c.ndim == 1 and c.size > 0 for c in cats)
    ):
        raise _fail(tag, "categories_ must be a list of n_features_in_ non-empty 1-d arrays",
                    path)
    for i, c in enumerate(cats):
        if not _categories_sorted(c):
            raise _fail(tag, f"numeric categories_[{i}] must be sorted and distinct "
                        "(nan last)", path)
    outs = state.get("_n_features_outs")
    if type(outs) is not list or len(outs) != n_in or not all(
        type(n) is int and n >= 0 for n in outs
    ):
        raise _fail(tag, "_n_features_outs must be a list of n_features_in_ sizes", path)
    enabled = state.get("_infrequent_enabled")
    if type(enabled) is not bool:
        raise _fail(tag, "_infrequent_enabled must be a bool", path)
    mappings = state.get("_default_to_infrequent_mappings") if enabled else None
    infrequent = state.get("_infrequent_indices") if enabled else None
    if enabled and (
        type(mappings) is not list or len(mappings) != n_in
        or type(infrequent) is not list or len(infrequent) != n_in
    ):
        raise _fail(tag, "infrequent-category state must have one entry per feature", path)
    drops = state.get("_drop_idx_after_grouping")
    if drops is not None and (
        type(drops) is not np.ndarray or drops.shape != (n_in,)
        or not all(d is None or _is_int(d) for d in drops.tolist())
    ):
        raise _fail(tag, "_drop_idx_after_grouping must be nil or one index (or nil) per "
                    "feature", path)
    for i in range(n_in):
        _check_one_hot_feature(est, i, cats[i].size, outs[i],
                               mappings[i] if mappings else None,
                               infrequent[i] if infrequent else None,
                               None if drops is None else drops[i], path)


def _check_one_hot_feature(est: Any, i: int, n_cats: int, n_out: int, mapping: Any,
                           infrequent: Any, drop: Any, path: str) -> None:
    tag = "sklearn.preprocessing.OneHotEncoder"
    # Codes before grouping are 0 .. n_cats - 1; grouping maps them through `mapping`.
    if infrequent is not None and (
        type(infrequent) is not np.ndarray or infrequent.ndim != 1 or infrequent.size == 0
        or infrequent.dtype.kind not in "iu" or infrequent.min() < 0
        or infrequent.max() >= n_cats
    ):
        raise _fail(tag, f"_infrequent_indices[{i}] must index categories_[{i}]", path)
    if mapping is not None:
        if (
            infrequent is None or type(mapping) is not np.ndarray
            or mapping.shape != (n_cats,) or mapping.dtype.kind not in "iu"
        ):
            raise _fail(tag, f"_default_to_infrequent_mappings[{i}] must map each of the "
                        f"{n_cats} categories", path)
        codes = np.unique(mapping)
    else:
        codes = np.arange(n_cats)
    if drop is not None:
        codes = codes[codes != drop]
        codes = codes - (codes > drop)
    if codes.size and (codes.min() < 0 or codes.max() >= n_out):
        raise _fail(tag, f"feature {i} encodes to columns outside its {n_out} output columns "
                    "(_n_features_outs, drop and infrequent mappings disagree)", path)


# CountVectorizer / TfidfVectorizer: vocabulary_ values are CSR column indices

def _validate_vectorizer(est: Any, path: str) -> None:
    tag = f"sklearn.feature_extraction.{type(est).__name__}"
    state = vars(est)
    if "vocabulary_" not in state:
        return
    vocabulary = state["vocabulary_"]
    # Only the values reach native code (they become CSR column indices); a key that is not a
    # str can never match a token, so it is not checked here (100,000 keys cost 3 ms).
    if type(vocabulary) is not dict:
        raise _fail(tag, "vocabulary_ must be a dict", path)
    size = len(vocabulary)
    values = vocabulary.values()
    indices = None
    if set(map(type, values)) <= _INDEX_TYPES:
        try:
            indices = np.fromiter(values, dtype=np.int64, count=size)
        except OverflowError:
            indices = None
    if indices is None or (size and (
        indices.min() < 0 or indices.max() >= size
        or not np.all(np.bincount(indices, minlength=size) == 1)
    )):
        raise _fail(tag, f"vocabulary_ values must be the column indices 0 .. {size - 1}, "
                    "each once", path)
    tfidf = state.get("_tfidf")
    idf = None if tfidf is None else vars(tfidf).get("idf_")
    if idf is not None and (type(idf) is not np.ndarray or idf.shape != (size,)):
        raise _fail(tag, f"_tfidf.idf_ must have one weight per vocabulary entry ({size})", path)


_INDEX_TYPES = {int, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                np.uint64}


# PolynomialFeatures: output sizes are recomputed from degree and n_features_in_

_LOG_INTP_MAX = 63 * math.log(2)


def _log_comb(n: int, k: int) -> float:
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)


def _surely_too_wide(n: int, low: int, high: int, interaction_only: bool) -> bool:
    """Whether the output certainly has more than 2**63 columns, from a lower bound on it.

    The bound counts only the monomials of one degree, so that the exact count (which fit()
    checks against intp) is computed only when it is small and cheap to compute.
    """
    if high == 0:
        return False
    if interaction_only:
        top = min(high, n)
        degree = min(max(n // 2, low), top)
        return degree >= 1 and _log_comb(n, degree) > _LOG_INTP_MAX + 0.01
    return _log_comb(n + high - 1, high) > _LOG_INTP_MAX + 0.01


def _validate_polynomial(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.PolynomialFeatures"
    state = vars(est)
    if "n_output_features_" not in state:
        return
    n_in, degree = state.get("n_features_in_"), est.degree
    if not _is_int(n_in) or n_in < 1:
        raise _fail(tag, "n_features_in_ must be a positive int", path)
    if isinstance(degree, numbers.Integral) and not isinstance(degree, bool):
        low, high = 0, int(degree)
    elif (
        type(degree) is tuple and len(degree) == 2
        and all(type(d) is int for d in degree) and 0 <= degree[0] <= degree[1]
    ):
        low, high = degree
    else:
        raise _fail(tag, "degree must be an int or a (min, max) pair of ints", path)
    kwargs = {"n_features": int(n_in), "max_degree": high,
              "interaction_only": est.interaction_only, "include_bias": est.include_bias}
    too_wide = _surely_too_wide(int(n_in), low, high, bool(est.interaction_only))
    if not too_wide:
        full = est._num_combinations(min_degree=0, **kwargs)
        too_wide = full > np.iinfo(np.intp).max
    if too_wide:
        raise _fail(tag, "degree and n_features_in_ give an output too wide to index", path)
    expected = {
        "_min_degree": low,
        "_max_degree": high,
        "n_output_features_": est._num_combinations(min_degree=low, **kwargs),
        "_n_out_full": full,
    }
    for name, value in expected.items():
        got = state.get(name)
        if not _is_int(got) or got != value:
            raise _fail(tag, f"{name} is {got!r:.40}, but degree and n_features_in_ give "
                        f"{value}", path)


# ---------------------------------------------------------------- registration

def register(registry: Registry) -> None:
    from sklearn import neural_network, preprocessing
    from sklearn.feature_extraction import text
    from sklearn.metrics._scorer import _PassthroughScorer, _Scorer
    from sklearn.model_selection import (
        KFold,
        ShuffleSplit,
        StratifiedKFold,
        StratifiedShuffleSplit,
    )
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer, SGDOptimizer
    from sklearn.utils import Bunch
    from sklearn.utils._metadata_requests import MetadataRequest

    from . import tag_for

    def add(cls: type, validate: Any = None, **kwargs: Any) -> None:
        registry.add(estimator_entry(cls, tag_for(cls), validate, **kwargs))

    # Estimators with a validator, derived state or dropped attributes.
    add(neural_network.MLPClassifier, _validate_mlp)
    add(neural_network.MLPRegressor, _validate_mlp)
    add(preprocessing.FunctionTransformer, _validate_function_transformer, validate_unfitted=True)
    add(preprocessing.OneHotEncoder, _validate_one_hot)
    add(preprocessing.PolynomialFeatures, _validate_polynomial)
    # ``_stop_words_id`` is ``id(stop_words)``, a memory address: a cache key, not state.
    for cls in (text.CountVectorizer, text.TfidfVectorizer):
        add(cls, _validate_vectorizer, dropped=frozenset({"_stop_words_id"}),
            validate_unfitted=True)

    # Helper objects.
    codecs = [
        _HelperCodec(_Scorer, "sklearn.metrics._Scorer",
                     ("_kwargs", "_response_method", "_score_func", "_sign"), _build_scorer,
                     optional=("_metadata_request",)),
        _HelperCodec(_PassthroughScorer, "sklearn.metrics._PassthroughScorer", ("_estimator",),
                     _build_passthrough_scorer),
        _HelperCodec(KFold, "sklearn.model_selection.KFold",
                     ("n_splits", "random_state", "shuffle"),
                     _kfold_builder(KFold, "sklearn.model_selection.KFold")),
        _HelperCodec(StratifiedKFold, "sklearn.model_selection.StratifiedKFold",
                     ("n_splits", "random_state", "shuffle"),
                     _kfold_builder(StratifiedKFold, "sklearn.model_selection.StratifiedKFold")),
        _shuffle_split_codec(ShuffleSplit, "sklearn.model_selection.ShuffleSplit"),
        _shuffle_split_codec(StratifiedShuffleSplit,
                             "sklearn.model_selection.StratifiedShuffleSplit"),
        _HelperCodec(AdamOptimizer, "sklearn.neural_network.AdamOptimizer",
                     ("beta_1", "beta_2", "epsilon", "learning_rate", "learning_rate_init",
                      "ms", "t", "vs"), _build_adam),
        _HelperCodec(SGDOptimizer, "sklearn.neural_network.SGDOptimizer",
                     ("learning_rate", "learning_rate_init", "lr_schedule", "momentum",
                      "nesterov", "power_t", "velocities"), _build_sgd_optimizer),
    ]
    for codec in codecs:
        registry.add(codec.entry())
    registry.add(Entry("sklearn.utils.MetadataRequest", MetadataRequest,
                       _encode_metadata_request, _decode_metadata_request,
                       frozenset({"owner", "requests"})))
    registry.add(Entry("numpy.ma.MaskedArray", np.ma.MaskedArray, _encode_masked_array,
                       _decode_masked_array,
                       frozenset({"data", "fill_value", "hard_mask", "mask"})))
    registry.add(Entry("sklearn.utils.Bunch", Bunch, _encode_bunch, _decode_bunch,
                       frozenset({"keys", "values"})))
