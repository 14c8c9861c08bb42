"""Histogram gradient boosting: TreePredictor, _BinMapper, losses (N6).

``HistGradientBoosting{Classifier,Regressor}`` keep their trees as ``TreePredictor`` objects,
each a structured ``nodes`` array walked by ``_predictor.pyx`` with bounds checks off: child
indices, ``feature_idx`` and ``bitset_idx`` are trusted. A hostile value there is an
out-of-bounds read, and a child that points backwards is an infinite loop.

The estimator node is the generic one (``params``, ``state``) with two more fields:

* ``trees``: a ``sklearn.ensemble.TreePredictor`` node that holds all the trees of the
  estimator, concatenated: ``nodes`` (one ``PREDICTOR_RECORD_DTYPE`` tensor), ``node_counts``
  (int64, shape ``(n_iter, n_trees_per_iteration)``: the length of each tree's slice),
  ``raw_left_cat_bitsets`` and ``binned_left_cat_bitsets`` (uint32 ``(k, 8)`` tensors) and
  ``bitset_counts`` (like ``node_counts``); the three bitset fields are nil when no tree has a
  categorical split. One node instead of one per tree: a 200-iteration, 3-class model has 600
  trees, and 1800 small tensors cost more to read than pickle's whole load. All trees are
  checked at once, then each TreePredictor gets zero-copy views of its slices. A
  TreePredictor anywhere else is refused. Like every array of a mapped file, the views are
  read-only; scikit-learn's partial dependence (``method="recursion"``) and warm-start fitting
  take the nodes and binned bitsets as writable memoryviews, so they need
  ``load(..., mmap=False)`` (a private, writable copy of the file).
* ``categories`` (only with categorical features): the ``categories_`` of the encoder inside
  ``_preprocessor``. The preprocessor itself (a ColumnTransformer holding an OrdinalEncoder and
  a ``FunctionTransformer(partial(check_array, ...))``) is not written: loading rebuilds it with
  scikit-learn's own ``_preprocess_X`` on a small synthetic array that holds exactly those
  categories, and checks that the encoder finds them again.

``_loss`` (a loss object holding a Cython ``closs``) and ``_scorer`` are functions of the
parameters, and the classifier's ``_label_encoder`` is a LabelEncoder whose only attribute is
the estimator's ``classes_``: they are not written, and are rebuilt at load (the first two by
scikit-learn's own code). The bound method ``_raw_predict`` that early stopping with a scorer
leaves in ``__dict__`` is dropped (the class's method is the same function). Any other
attribute is refused, on both sides: ``_in_fit``, for one, makes predict skip the validation
of X.

``_BinMapper`` (private, without ``_parameter_constraints``) has its own strict decoder: exactly
its six parameters and four fitted attributes, each checked here.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, SchemaError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import EstimatorCodec

TREE_PREDICTOR_TAG = "sklearn.ensemble.TreePredictor"
BIN_MAPPER_TAG = "sklearn.ensemble._BinMapper"

#: Fields of the ``trees`` node, in canonical order.
_TREE_FIELDS = ("binned_left_cat_bitsets", "bitset_counts", "node_counts", "nodes",
                "raw_left_cat_bitsets")
_TREE_KEYS = ["@", *_TREE_FIELDS]
_PREDICTOR_ATTRS = frozenset({"nodes", "binned_left_cat_bitsets", "raw_left_cat_bitsets"})
_U8 = np.dtype("|u1")
_U32 = np.dtype("<u4")
_I64 = np.dtype("<i8")
_F64 = np.dtype("<f8")
_BOOL = np.dtype("|b1")

# Fitted attributes of HistGradientBoosting*, as left by fit() in scikit-learn 1.9
# (``_predictors`` is written in the ``trees`` field).
_FITTED = frozenset({
    "_baseline_prediction", "_bin_mapper", "_feature_subsample_rng",
    "_is_categorical_remapped", "_n_features", "_random_seed", "_use_validation_data",
    "do_early_stopping_", "is_categorical_", "n_features_in_", "n_trees_per_iteration_",
    "train_score_", "validation_score_",
})
_FITTED_CLASSIFIER = frozenset({"classes_"})
_OPTIONAL = frozenset({"_fitted_with_sw", "feature_names_in_"})
#: Not in ``state``: written in their own field, or rebuilt at load from the parameters (and
#: ``_label_encoder``, a LabelEncoder whose only attribute is ``classes_``, from that).
_NOT_IN_STATE = frozenset({"_predictors", "_preprocessor", "_loss", "_scorer", "_label_encoder"})
#: Dropped: early stopping with a scorer leaves the bound method in ``__dict__``.
_DROPPED = frozenset({"_raw_predict"})

_BIN_MAPPER_PARAMS = ("is_categorical", "known_categories", "n_bins", "n_threads",
                      "random_state", "subsample")
_BIN_MAPPER_STATE = ("bin_thresholds_", "is_categorical_", "missing_values_bin_idx_",
                     "n_bins_non_missing_")


class _Sk:
    """scikit-learn names, imported when the registry is built."""

    TreePredictor: Any
    BinMapper: Any
    RECORD: np.dtype
    ColumnTransformer: Any
    OrdinalEncoder: Any
    FunctionTransformer: Any
    LabelEncoder: Any
    check_array: Any
    check_scoring: Any

    @classmethod
    def load(cls) -> None:
        from sklearn.compose import ColumnTransformer
        from sklearn.ensemble._hist_gradient_boosting.binning import _BinMapper
        from sklearn.ensemble._hist_gradient_boosting.common import PREDICTOR_RECORD_DTYPE
        from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
        from sklearn.metrics import check_scoring
        from sklearn.preprocessing import FunctionTransformer, LabelEncoder, OrdinalEncoder
        from sklearn.utils.validation import check_array

        cls.TreePredictor = TreePredictor
        cls.BinMapper = _BinMapper
        cls.RECORD = np.dtype(PREDICTOR_RECORD_DTYPE)
        cls.ColumnTransformer = ColumnTransformer
        cls.OrdinalEncoder = OrdinalEncoder
        cls.FunctionTransformer = FunctionTransformer
        cls.LabelEncoder = LabelEncoder
        cls.check_array = check_array
        cls.check_scoring = check_scoring


def _is_int(value: Any) -> bool:
    return type(value) is int or (isinstance(value, np.integer) and not isinstance(value, bool))


def _is_array(value: Any, dtype: np.dtype, ndim: int) -> bool:
    return type(value) is np.ndarray and value.dtype == dtype and value.ndim == ndim


def _describe(value: Any) -> str:
    if type(value) is np.ndarray:
        return f"a {value.ndim}-d array of dtype {value.dtype} and shape {value.shape}"
    return type(value).__name__


# ---------------------------------------------------------------- TreePredictor

def _refuse_predictor(pred: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    raise UnsupportedTypeError(
        "a TreePredictor is written only as part of the HistGradientBoosting estimator that "
        "holds it", path=P.render(path),
    )


def _reject_predictor(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    raise ReconstructionError(
        "a TreePredictor node is only accepted as the trees of a HistGradientBoosting "
        "estimator", type_name=TREE_PREDICTOR_TAG, path=P.render(path),
    )


def _encode_trees(est: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    """The ``trees`` node: every TreePredictor of ``est``, concatenated."""
    where = P.render((path, "._predictors"))
    predictors = est._predictors
    n_trees = est.n_trees_per_iteration_
    if type(predictors) is not list or any(
            type(row) is not list or len(row) != n_trees for row in predictors):
        raise UnsupportedTypeError(
            f"_predictors must be a list of lists of {n_trees} TreePredictors", path=where)
    flat = [pred for row in predictors for pred in row]
    for pred in flat:
        if type(pred) is not _Sk.TreePredictor or vars(pred).keys() != _PREDICTOR_ATTRS:
            raise UnsupportedTypeError(
                "_predictors must hold TreePredictors with exactly the attributes "
                f"{sorted(_PREDICTOR_ATTRS)}", path=where)
        nodes, raw, binned = pred.nodes, pred.raw_left_cat_bitsets, pred.binned_left_cat_bitsets
        if not _is_array(nodes, _Sk.RECORD, 1) or nodes.shape[0] == 0:
            raise UnsupportedTypeError("TreePredictor.nodes must be a non-empty 1-d array of "
                                       "PREDICTOR_RECORD_DTYPE", path=where)
        if not _is_array(raw, _U32, 2) or raw.shape[1] != 8 or binned.shape != raw.shape \
                or not _is_array(binned, _U32, 2):
            raise UnsupportedTypeError("TreePredictor bitsets must be two uint32 arrays of "
                                       "the same shape (k, 8)", path=where)
    shape = (len(predictors), n_trees)
    node_counts = np.array([p.nodes.shape[0] for p in flat], dtype=_I64).reshape(shape)
    nodes = np.concatenate([np.ascontiguousarray(p.nodes).view(_U8) for p in flat]
                           or [np.zeros(0, _U8)]).view(_Sk.RECORD)
    arrays = {"node_counts": node_counts, "nodes": nodes}
    bitset_counts = np.array([p.raw_left_cat_bitsets.shape[0] for p in flat],
                             dtype=_I64).reshape(shape)
    if bitset_counts.any():
        arrays["bitset_counts"] = bitset_counts
        for name in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
            arrays[name] = np.concatenate([getattr(p, name) for p in flat])
    out: dict[str, Any] = {"@": TREE_PREDICTOR_TAG}
    for name in _TREE_FIELDS:  # in field order: tensors are numbered as they are written
        value = arrays.get(name)
        out[name] = None if value is None else enc.encode(value, (path, f".trees.{name}"))
    return out


# ---------------------------------------------------------------- _BinMapper

def _bin_mapper_entry() -> Entry:
    codec = EstimatorCodec(_Sk.BinMapper, BIN_MAPPER_TAG)

    def encode(mapper: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        state = sorted(vars(mapper).keys() - set(_BIN_MAPPER_PARAMS))
        if state not in ([], list(_BIN_MAPPER_STATE)):
            raise UnsupportedTypeError(
                f"{BIN_MAPPER_TAG} has attributes {state!r:.160}; expected none or exactly "
                f"{list(_BIN_MAPPER_STATE)}", path=P.render(path),
            )
        return codec.encode(mapper, enc, path)

    return Entry(BIN_MAPPER_TAG, _Sk.BinMapper, encode, _decode_bin_mapper,
                 frozenset({"params", "state"}))


def _decode_bin_mapper(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    # The generic estimator decoder would call _validate_params(), which _BinMapper (a private
    # class without _parameter_constraints) does not support; its parameters are checked here.
    raw_params, raw_state = node["params"], node["state"]
    where = P.render(path)
    if type(raw_params) is not dict or type(raw_state) is not dict:
        raise SchemaError(f"{BIN_MAPPER_TAG}: params and state must be maps", path=where)
    if list(raw_params) != list(_BIN_MAPPER_PARAMS):
        raise SchemaError(
            f"{BIN_MAPPER_TAG}: params must be exactly {list(_BIN_MAPPER_PARAMS)} in this order, "
            f"found {list(map(str, raw_params))!r:.160}", path=where,
        )
    if list(raw_state) not in ([], list(_BIN_MAPPER_STATE)):
        raise SchemaError(
            f"{BIN_MAPPER_TAG}: state must be empty or exactly {list(_BIN_MAPPER_STATE)} in this "
            f"order, found {list(map(str, raw_state))!r:.160}", path=where,
        )
    depth = P.depth(path) + 1
    mapper = object.__new__(_Sk.BinMapper)
    values = mapper.__dict__
    for name in _BIN_MAPPER_PARAMS:
        values[name] = dec.decode(raw_params[name], (path, f".{name}"), depth)
    for name in raw_state:
        values[name] = dec.decode(raw_state[name], (path, f".{name}"), depth)
    _check_bin_mapper(mapper, where)
    return mapper


def _check_bin_mapper(mapper: Any, where: str) -> None:
    def fail(message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=BIN_MAPPER_TAG, path=where)

    n_bins = mapper.n_bins
    if not _is_int(n_bins) or not 3 <= n_bins <= 256:
        raise fail(f"n_bins must be an integer in [3, 256], found {n_bins!r:.40}")
    if mapper.subsample is not None and (not _is_int(mapper.subsample) or mapper.subsample < 1):
        raise fail(f"subsample must be None or a positive integer, found "
                   f"{mapper.subsample!r:.40}")
    if mapper.n_threads is not None and not _is_int(mapper.n_threads):
        raise fail(f"n_threads must be None or an integer, found {mapper.n_threads!r:.40}")
    random_state = mapper.random_state
    if not (random_state is None or _is_int(random_state)
            or type(random_state) is np.random.RandomState):
        raise fail(f"random_state must be None, an integer or a RandomState, found "
                   f"{type(random_state).__name__}")
    is_categorical = mapper.is_categorical
    if is_categorical is not None and not _is_array(is_categorical, np.dtype(bool), 1):
        raise fail(f"is_categorical must be None or a 1-d bool array, found "
                   f"{_describe(is_categorical)}")
    known = mapper.known_categories
    if known is not None and (type(known) is not list or any(
            k is not None and not _is_array(k, _F64, 1) for k in known)):
        raise fail("known_categories must be None or a list of None or 1-d float64 arrays")
    if "is_categorical_" not in mapper.__dict__:
        return  # not fitted

    flags = mapper.is_categorical_
    if not _is_array(flags, np.dtype(np.uint8), 1):
        raise fail(f"is_categorical_ must be a 1-d uint8 array, found {_describe(flags)}")
    n_features = flags.shape[0]
    if flags.size and flags.max() > 1:
        raise fail("is_categorical_ must hold only 0 and 1")
    if not _is_int(mapper.missing_values_bin_idx_) or mapper.missing_values_bin_idx_ != n_bins - 1:
        raise fail(f"missing_values_bin_idx_ must be n_bins - 1 = {n_bins - 1}, found "
                   f"{mapper.missing_values_bin_idx_!r:.40}")
    counts = mapper.n_bins_non_missing_
    if not _is_array(counts, _U32, 1) or counts.shape[0] != n_features:
        raise fail(f"n_bins_non_missing_ must be a uint32 array of length {n_features} "
                   f"(n features), found {_describe(counts)}"
                   + (f" of length {counts.shape[0]}" if type(counts) is np.ndarray else ""))
    thresholds = mapper.bin_thresholds_
    if type(thresholds) is not list or len(thresholds) != n_features:
        raise fail(f"bin_thresholds_ must be a list of {n_features} arrays (one per feature)")
    if is_categorical is not None and not np.array_equal(
            np.asarray(is_categorical, dtype=np.uint8), flags):
        raise fail("is_categorical_ does not match the is_categorical parameter")
    if is_categorical is None and flags.any():
        raise fail("is_categorical_ marks categorical features but is_categorical is None")
    if known is not None and len(known) != n_features:
        raise fail(f"known_categories must have one entry per feature ({n_features})")
    for f in range(n_features):
        thr = thresholds[f]
        if not _is_array(thr, _F64, 1):
            raise fail(f"bin_thresholds_[{f}] must be a 1-d float64 array, found {_describe(thr)}")
        size = thr.shape[0]
        ordered = size < 2 or bool((thr[1:] >= thr[:-1]).all())
        if flags[f]:
            if size > n_bins - 1:
                raise fail(f"categorical feature {f} has {size} categories, more than "
                           f"n_bins - 1 = {n_bins - 1}")
            if size and not (ordered and thr[0] >= 0 and thr[-1] <= 255
                             and bool((thr == np.floor(thr)).all())):
                raise fail(f"categories of feature {f} must be increasing integers in [0, 255]")
            if counts[f] != size:
                raise fail(f"n_bins_non_missing_[{f}] must be {size}, found {counts[f]}")
            if known is not None and (known[f] is None or not np.array_equal(known[f], thr)):
                raise fail(f"bin_thresholds_[{f}] does not match known_categories[{f}]")
        else:
            if size > n_bins - 2:
                raise fail(f"feature {f} has {size} bin thresholds, more than n_bins - 2 = "
                           f"{n_bins - 2}")
            if not ordered or (size and np.isnan(thr[0])):
                raise fail(f"bin_thresholds_[{f}] must be non-decreasing and not NaN")
            if counts[f] != size + 1:
                raise fail(f"n_bins_non_missing_[{f}] must be {size + 1}, found {counts[f]}")
            if known is not None and known[f] is not None:
                raise fail(f"known_categories[{f}] is set for a feature that is not "
                           "categorical")


# ---------------------------------------------------------------- HistGradientBoosting*

class _HGBCodec:
    """The generic estimator codec, plus the ``trees`` and ``categories`` fields."""

    def __init__(self, cls: type, tag: str, classifier: bool) -> None:
        self.cls: Any = cls
        self.tag = tag
        self.classifier = classifier
        self.fitted = _FITTED | _FITTED_CLASSIFIER if classifier else _FITTED
        self.allowed = self.fitted | _OPTIONAL
        self.codec = EstimatorCodec(cls, tag, None, dropped=_NOT_IN_STATE | _DROPPED)

    def entry(self) -> Entry:
        return Entry(self.tag, self.cls, self.encode, self.decode,
                     frozenset({"params", "state"}), frozenset({"categories", "trees"}))

    # ------------------------------------------------------------ write

    def encode(self, est: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        state = vars(est)
        where = P.render(path)
        names = set(state) - set(self.cls._get_param_names()) - _DROPPED
        unknown = names - self.allowed - _NOT_IN_STATE
        if unknown:
            raise UnsupportedTypeError(
                f"{self.tag} has attributes that scikit-learn's fit does not set: "
                f"{sorted(unknown)!r:.160}", path=where,
            )
        fitted = "_predictors" in names
        if names and not (fitted and self.fitted <= names and "_loss" in names
                          and (not self.classifier or "_label_encoder" in names)):
            raise UnsupportedTypeError(
                f"{self.tag} is partially fitted: it has {sorted(names)!r:.200}", path=where,
            )
        if fitted and not isinstance(est.loss, str):
            raise UnsupportedTypeError(
                f"{self.tag} with a loss object (not a name) cannot be written", path=where,
            )
        encoder = state.get("_label_encoder")
        if encoder is not None and not (
                type(encoder) is _Sk.LabelEncoder and vars(encoder).keys() == {"classes_"}
                and encoder.classes_ is est.classes_):
            raise UnsupportedTypeError(
                f"{self.tag}._label_encoder is not the one fit() leaves (a LabelEncoder whose "
                "classes_ is the estimator's)", path=where,
            )
        bound = state.get("_raw_predict")
        if bound is not None and not (
                getattr(bound, "__self__", None) is est
                and getattr(bound, "__func__", None) is self.cls._raw_predict):
            raise UnsupportedTypeError(
                f"{self.tag}._raw_predict is not the class's own method", path=where,
            )
        out: dict[str, Any] = {}
        preprocessor = state.get("_preprocessor")
        if preprocessor is not None:
            categories = _preprocessor_categories(est, preprocessor, where)
            out["categories"] = enc.encode(categories, (path, ".categories"))
        out.update(self.codec.encode(est, enc, path))
        if fitted:
            out["trees"] = _encode_trees(est, enc, path)
        return out

    # ------------------------------------------------------------ read

    def decode(self, node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        raw_state = node["state"]
        if type(raw_state) is dict:
            bad = [str(k) for k in raw_state if k not in self.allowed]
            if bad:
                raise SchemaError(
                    f"{self.tag}: attributes {bad!r:.160} are not allowed in state (written "
                    "in their own field, rebuilt at load, or not set by scikit-learn's fit)",
                    path=P.render(path),
                )
        # Fields in file order: categories, params and state, trees.
        categories = dec.field(node, "categories", path) if "categories" in node else None
        est = self.codec.decode(node, dec, path)
        where = P.render(path)
        present = est.__dict__.keys() & self.allowed
        trees = node.get("trees")
        if trees is None and categories is None and not present:
            return est  # not fitted
        if trees is None or not self.fitted <= present:
            missing = sorted(self.fitted - present) + ([] if trees is not None else ["trees"])
            raise ReconstructionError(f"partially fitted: missing {missing}",
                                      type_name=self.tag, path=where)
        _Validator(self, est, where).run(trees, categories, dec, (path, ".trees"))
        return est


class _Validator:
    """Every N6 invariant of one fitted HistGradientBoosting estimator, then the rebuilding."""

    def __init__(self, codec: _HGBCodec, est: Any, where: str) -> None:
        self.codec = codec
        self.est = est
        self.where = where

    def fail(self, message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=self.codec.tag, path=self.where)

    def run(self, trees: Any, categories: Any, dec: Any, trees_path: P.Path) -> None:
        est = self.est
        n_features = est.n_features_in_
        if not _is_int(n_features) or n_features < 1:
            raise self.fail(f"n_features_in_ must be a positive integer, found "
                            f"{n_features!r:.40}")
        if not _is_int(est._n_features) or est._n_features != n_features:
            raise self.fail(f"_n_features ({est._n_features!r:.40}) must equal n_features_in_ "
                            f"({n_features})")
        n_trees = self._trees_per_iteration()
        baseline = est._baseline_prediction
        if not _is_array(baseline, _F64, 2) or baseline.shape != (1, n_trees):
            raise self.fail(f"_baseline_prediction must be a float64 array of shape "
                            f"(1, {n_trees}), found {_describe(baseline)}")
        for name in ("do_early_stopping_", "_use_validation_data"):
            if type(getattr(est, name)) is not bool:
                raise self.fail(f"{name} must be a bool")
        if "_fitted_with_sw" in est.__dict__ and est._fitted_with_sw is not True:
            raise self.fail("_fitted_with_sw must be True when present")
        categorical = self._categorical(n_features)
        flags = self._bin_mapper(n_features)
        forest = _Trees(trees, dec, trees_path, n_trees)
        forest.check(n_features, flags)
        if categorical:
            self._check_categories(categories, est._bin_mapper)
        elif categories is not None:
            raise self.fail("categories are given but no feature is categorical")
        # Everything is checked: build the trees and the objects that are not stored.
        est._predictors = forest.predictors()
        est._preprocessor = self._preprocessor(categories) if categorical else None
        self._derive()

    def _trees_per_iteration(self) -> int:
        est = self.est
        n_trees = est.n_trees_per_iteration_
        if not _is_int(n_trees) or n_trees < 1:
            raise self.fail(f"n_trees_per_iteration_ must be a positive integer, found "
                            f"{n_trees!r:.40}")
        if self.codec.classifier:
            classes = est.classes_
            if type(classes) is not np.ndarray or classes.ndim != 1 or classes.shape[0] < 1:
                raise self.fail("classes_ must be a non-empty 1-d array")
            expected = 1 if classes.shape[0] <= 2 else classes.shape[0]
            if n_trees != expected:
                raise self.fail(f"n_trees_per_iteration_ must be {expected} for "
                                f"{classes.shape[0]} classes, found {n_trees}")
        elif n_trees != 1:
            raise self.fail(f"n_trees_per_iteration_ must be 1 for a regressor, found {n_trees}")
        return int(n_trees)

    def _categorical(self, n_features: int) -> bool:
        est = self.est
        mask, remapped = est.is_categorical_, est._is_categorical_remapped
        if mask is None:
            if remapped is not None:
                raise self.fail("_is_categorical_remapped must be None when is_categorical_ is")
            return False
        for name, value in (("is_categorical_", mask), ("_is_categorical_remapped", remapped)):
            if not _is_array(value, _BOOL, 1) or value.shape[0] != n_features:
                raise self.fail(f"{name} must be None or a bool array of length n_features_in_ "
                                f"= {n_features}, found {_describe(value)}")
        count = int(mask.sum())
        if count == 0:
            raise self.fail("is_categorical_ must be None when no feature is categorical")
        # The preprocessor puts the categorical features first.
        if not remapped[:count].all() or remapped[count:].any():
            raise self.fail(f"_is_categorical_remapped must mark the first {count} features, "
                            "where the preprocessor puts the categorical ones")
        return True

    def _bin_mapper(self, n_features: int) -> np.ndarray:
        est = self.est
        mapper = est._bin_mapper
        if type(mapper) is not _Sk.BinMapper or "is_categorical_" not in mapper.__dict__:
            raise self.fail("_bin_mapper must be a fitted _BinMapper")
        if mapper.n_bins != est.max_bins + 1:
            raise self.fail(f"_bin_mapper.n_bins must be max_bins + 1 = {est.max_bins + 1}, "
                            f"found {mapper.n_bins}")
        flags: np.ndarray = mapper.is_categorical_
        if flags.shape[0] != n_features:
            raise self.fail(f"_bin_mapper.is_categorical_ has length {flags.shape[0]}, expected "
                            f"n_features_in_ = {n_features}")
        remapped = est._is_categorical_remapped
        expected = (np.zeros(n_features, np.uint8) if remapped is None
                    else remapped.astype(np.uint8))
        if not np.array_equal(flags, expected):
            raise self.fail("_bin_mapper.is_categorical_ does not match _is_categorical_remapped")
        return flags

    def _check_categories(self, categories: Any, mapper: Any) -> None:
        count = int(self.est.is_categorical_.sum())
        if type(categories) is not list or len(categories) != count:
            raise self.fail(f"categories must be a list of {count} arrays (one per categorical "
                            "feature)")
        dtypes = set()
        for j, values in enumerate(categories):
            if type(values) is not np.ndarray or values.ndim != 1 or values.shape[0] < 1:
                raise self.fail(f"categories[{j}] must be a non-empty 1-d array")
            kind = values.dtype.kind
            if kind not in "biufO" or (kind == "O" and any(
                    type(x) not in (str, int, float) for x in values.tolist())):
                raise self.fail(f"categories[{j}] must hold numbers or strings")
            dtypes.add(values.dtype)
            known = values.shape[0] - int(_is_nan(values[-1]))
            if known > self.est.max_bins:
                raise self.fail(f"categories[{j}] has {known} categories, more than max_bins = "
                                f"{self.est.max_bins}")
            # The encoder maps them to 0..known-1; the bin mapper must know exactly those.
            if not np.array_equal(mapper.bin_thresholds_[j], np.arange(known, dtype=_F64)):
                raise self.fail(f"_bin_mapper.bin_thresholds_[{j}] must be 0..{known - 1}, the "
                                f"codes of categories[{j}]")
        if len(dtypes) != 1:
            raise self.fail("all categories must have the same dtype")

    def _preprocessor(self, categories: list[np.ndarray]) -> Any:
        """Rebuild the fitted ColumnTransformer the way fit() builds it, on synthetic data."""
        est = self.est
        mask = est.is_categorical_
        scratch = type(est)(categorical_features=mask.copy(), max_bins=est.max_bins)
        dtype = categories[0].dtype
        rows = max(values.shape[0] for values in categories)
        if dtype.kind == "O":
            X = np.full((rows, mask.shape[0]), 0.0, dtype=object)
        else:
            X = np.zeros((rows, mask.shape[0]), dtype=dtype)
        for column, values in zip(np.flatnonzero(mask), categories, strict=True):
            X[:, column] = np.resize(values, rows)
        try:
            scratch._preprocess_X(X, reset=True)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise self.fail(f"cannot rebuild the preprocessor from categories: {exc}") from exc
        rebuilt = scratch._preprocessor
        encoder = rebuilt.named_transformers_["encoder"]
        same = (
            np.array_equal(scratch.is_categorical_, mask)
            and np.array_equal(scratch._is_categorical_remapped, est._is_categorical_remapped)
            and scratch.n_features_in_ == est.n_features_in_
            and len(encoder.categories_) == len(categories)
            and all(_same_values(a, b) for a, b in zip(encoder.categories_, categories,
                                                       strict=True))
        )
        if not same:
            raise self.fail("categories are not what the encoder finds in them (they must be "
                            "sorted and unique, with NaN last)")
        return rebuilt

    def _derive(self) -> None:
        est = self.est
        weighted = "_fitted_with_sw" in est.__dict__ or (
            self.codec.classifier and est.class_weight is not None)
        est._loss = est._get_loss(sample_weight=np.ones(1) if weighted else None)
        if self.codec.classifier:
            encoder = _Sk.LabelEncoder()
            encoder.classes_ = est.classes_
            est._label_encoder = encoder
        est._scorer = None
        if est.do_early_stopping_ and est.scoring != "loss":
            try:
                est._scorer = _Sk.check_scoring(est, est.scoring)
            except (ValueError, TypeError) as exc:
                raise self.fail(f"cannot rebuild the scorer: {exc}") from exc


class _Trees:
    """The ``trees`` node of one estimator: read, checked all at once, then split per tree."""

    def __init__(self, node: Any, dec: Any, path: P.Path, n_trees: int) -> None:
        self.path = path
        self.n_trees = n_trees
        if type(node) is not dict or list(node) != _TREE_KEYS \
                or node["@"] != TREE_PREDICTOR_TAG:
            raise SchemaError(f"trees must be a {TREE_PREDICTOR_TAG} node with exactly the "
                              f"keys {_TREE_KEYS}", path=P.render(path))
        values = {name: dec.field(node, name, path) for name in _TREE_FIELDS}
        counts = values["node_counts"]
        if not _is_array(counts, _I64, 2) or counts.shape[1] != n_trees:
            raise self.fail(f"node_counts must be an int64 array of shape (n_iter, {n_trees}), "
                            f"found {_describe(counts)}", ".node_counts")
        nodes = values["nodes"]
        if not _is_array(nodes, _Sk.RECORD, 1):
            raise self.fail(f"nodes must be a 1-d array of PREDICTOR_RECORD_DTYPE, found "
                            f"{_describe(nodes)}", ".nodes")
        self.sizes = counts.ravel()
        self.ends = self._bounds(self.sizes, nodes.shape[0], 1, "node_counts", "nodes")
        self.nodes = nodes
        bitsets = [values[name] for name in ("bitset_counts", "binned_left_cat_bitsets",
                                             "raw_left_cat_bitsets")]
        if all(value is None for value in bitsets):
            self.rows = np.zeros(self.sizes.shape[0], np.intp)
            self.binned: np.ndarray | None = None
            self.raw: np.ndarray | None = None
            return
        bitset_counts, binned, raw = bitsets
        if not _is_array(bitset_counts, _I64, 2) or bitset_counts.shape != counts.shape:
            raise self.fail(f"bitset_counts must be an int64 array of shape {counts.shape}, "
                            f"found {_describe(bitset_counts)}", ".bitset_counts")
        for name, value in (("binned_left_cat_bitsets", binned), ("raw_left_cat_bitsets", raw)):
            if not _is_array(value, _U32, 2) or value.shape[1] != 8 or value.shape[0] == 0:
                raise self.fail(f"{name} must be a uint32 array of shape (k, 8) with k > 0 "
                                f"(nil when there are none), found {_describe(value)}",
                                f".{name}")
        if binned.shape != raw.shape:
            raise self.fail(f"binned_left_cat_bitsets {binned.shape} and raw_left_cat_bitsets "
                            f"{raw.shape} differ in shape", "")
        self.rows = bitset_counts.ravel()
        self.bit_ends = self._bounds(self.rows, raw.shape[0], 0, "bitset_counts", "bitsets")
        self.binned = binned
        self.raw = raw

    def fail(self, message: str, step: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=TREE_PREDICTOR_TAG,
                                   path=P.render((self.path, step)) if step else
                                   P.render(self.path))

    def _bounds(self, counts: np.ndarray, total: int, minimum: int, name: str,
                what: str) -> np.ndarray:
        if counts.size and (counts.min() < minimum or counts.max() > total):
            bad = int(np.argmax((counts < minimum) | (counts > total)))
            raise self.fail(f"{name}[{bad // self.n_trees}][{bad % self.n_trees}] is "
                            f"{int(counts[bad])}, must be in [{minimum}, {total}]", f".{name}")
        added = sum(counts.tolist())  # Python integers: no wrap-around
        if added != total:
            raise self.fail(f"{name} adds up to {added}, but there are {total} {what}",
                            f".{name}")
        ends: np.ndarray = np.cumsum(counts)
        return ends

    def check(self, n_features: int, flags: np.ndarray) -> None:
        """Check every tree at once: structure, flags, features, bitset indices."""
        nodes, sizes, ends = self.nodes, self.sizes, self.ends
        if not sizes.size:
            return
        starts = ends - sizes
        total = nodes.shape[0]
        for field in ("is_leaf", "is_categorical", "missing_go_to_left"):
            values = nodes[field]
            if values.max() > 1:
                bad = int(np.argmax(values > 1))
                raise self._node_error(bad, f"{field} must be 0 or 1, found {values[bad]}")
        internal = np.flatnonzero(nodes["is_leaf"] == 0)
        tree_of = np.searchsorted(ends, internal, side="right")
        start_of, end_of = starts[tree_of], ends[tree_of]
        del tree_of
        has_parent = np.zeros(total, np.bool_)
        for field in ("left", "right"):
            child = nodes[field][internal].astype(np.intp)
            child += start_of
            ok = (child > internal) & (child < end_of)
            if not ok.all():
                bad = int(np.argmin(ok))
                raise self._node_error(
                    int(internal[bad]),
                    f"{field} child {int(nodes[field][internal[bad]])} must come after the node "
                    f"and inside its tree of {int(end_of[bad] - start_of[bad])} nodes",
                )
            has_parent[child] = True
        del child, ok, start_of, end_of
        # Each node but the root has exactly one parent: a tree, not a DAG (partial dependence
        # visits every path, so a DAG of shared children takes exponential time). There are
        # 2 x internal child links; if they reach every non-root node, none is shared.
        non_roots = total - sizes.shape[0]
        if 2 * internal.shape[0] != non_roots or int(has_parent.sum()) != non_roots:
            raise self._parent_error(internal, starts, ends, total)
        features = nodes["feature_idx"][internal]
        if internal.size and (features.min() < 0 or features.max() >= n_features):
            bad = int(np.argmax((features < 0) | (features >= n_features)))
            raise self._node_error(int(internal[bad]), f"feature_idx {int(features[bad])} is "
                                   f"out of range [0, {n_features})")
        categorical = internal[nodes["is_categorical"][internal] == 1]
        if categorical.size:
            rows = self.rows[np.searchsorted(ends, categorical, side="right")]
            index = nodes["bitset_idx"][categorical]
            ok = index < rows
            if not ok.all():
                bad = int(np.argmin(ok))
                raise self._node_error(int(categorical[bad]),
                                       f"bitset_idx {int(index[bad])} is out of range: the tree "
                                       f"has {int(rows[bad])} bitsets")
            ok = flags[nodes["feature_idx"][categorical]] == 1
            if not ok.all():
                bad = int(np.argmin(ok))
                raise self._node_error(int(categorical[bad]),
                                       "categorical split on feature "
                                       f"{int(nodes['feature_idx'][categorical[bad]])}, which "
                                       "is not categorical")

    def _parent_error(self, internal: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                      total: int) -> ReconstructionError:
        """Name the first node that has no parent or several (error path only)."""
        start_of = starts[np.searchsorted(ends, internal, side="right")]
        parents = np.zeros(total, np.intp)
        for field in ("left", "right"):
            parents += np.bincount(self.nodes[field][internal].astype(np.intp) + start_of,
                                   minlength=total)
        parents[starts] += 1  # a root has none: count it as one
        bad = int(np.argmax(parents != 1))
        return self._node_error(bad, f"node has {int(parents[bad])} parents, but in a tree "
                                "every node except the root has exactly one")

    def _node_error(self, index: int, message: str) -> ReconstructionError:
        tree = int(np.searchsorted(self.ends, index, side="right"))
        start = int(self.ends[tree] - self.sizes[tree])
        return self.fail(
            f"tree [{tree // self.n_trees}][{tree % self.n_trees}], node {index - start}: "
            f"{message}", ".nodes")

    def predictors(self) -> list[list[Any]]:
        """One TreePredictor per tree, holding views of the checked arrays."""
        new, cls = object.__new__, _Sk.TreePredictor
        nodes = self.nodes
        bounds = [0, *self.ends.tolist()]
        flat = []
        binned, raw = self.binned, self.raw
        if binned is None or raw is None:
            # No categorical split anywhere: the trees share one empty (0, 8) array (it has no
            # element to change, and 1200 views of nothing would cost more than the trees).
            empty = np.zeros((0, 8), _U32)
            for i in range(len(bounds) - 1):
                pred = new(cls)
                pred.__dict__.update(nodes=nodes[bounds[i]:bounds[i + 1]],
                                     binned_left_cat_bitsets=empty, raw_left_cat_bitsets=empty)
                flat.append(pred)
        else:
            bit_bounds = [0, *self.bit_ends.tolist()]
            for i in range(len(bounds) - 1):
                pred = new(cls)
                start, end = bit_bounds[i], bit_bounds[i + 1]
                pred.__dict__.update(nodes=nodes[bounds[i]:bounds[i + 1]],
                                     binned_left_cat_bitsets=binned[start:end],
                                     raw_left_cat_bitsets=raw[start:end])
                flat.append(pred)
        n_trees = self.n_trees
        return [flat[i:i + n_trees] for i in range(0, len(flat), n_trees)]


def _is_nan(value: Any) -> bool:
    return isinstance(value, (float, np.floating)) and value != value


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    if a.dtype != b.dtype or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    if a.dtype.kind != "O":
        return bool(np.array_equal(a, b))
    return all((type(x) is type(y) and x == y) or (_is_nan(x) and _is_nan(y))
               for x, y in zip(a.tolist(), b.tolist(), strict=True))


def _preprocessor_categories(est: Any, pre: Any, where: str) -> list[np.ndarray]:
    """The encoder categories of the preprocessor fit() builds, after checking it is that one."""
    def refuse(message: str) -> UnsupportedTypeError:
        return UnsupportedTypeError(f"HistGradientBoosting._preprocessor: {message}", path=where)

    if type(pre) is not _Sk.ColumnTransformer:
        raise refuse(f"expected a ColumnTransformer, found {type(pre).__name__}")
    if hasattr(pre, "feature_names_in_"):
        raise refuse("models fitted on a DataFrame with categorical features cannot be written "
                     "yet (the preprocessor is rebuilt from a numpy array)")
    fitted = {name: (transformer, columns) for name, transformer, columns in pre.transformers_}
    if set(fitted) - {"remainder"} != {"encoder", "numerical"}:
        raise refuse(f"unexpected transformers {sorted(fitted)}")
    encoder, encoder_columns = fitted["encoder"]
    numerical, numerical_columns = fitted["numerical"]
    mask = est.is_categorical_
    func = getattr(numerical, "func", None)
    if (type(encoder) is not _Sk.OrdinalEncoder or type(numerical) is not _Sk.FunctionTransformer
            or type(func) is not functools.partial or func.func is not _Sk.check_array
            or func.args or func.keywords != {"dtype": [np.float64], "ensure_all_finite": False}
            or not np.array_equal(encoder_columns, mask)
            or not np.array_equal(numerical_columns, ~mask)):
        raise refuse("it is not the preprocessor that fit() builds")
    params = encoder.get_params()
    expected = {"categories": "auto", "dtype": np.float64, "handle_unknown": "use_encoded_value",
                "max_categories": None, "min_frequency": None}
    if any(params[k] != v for k, v in expected.items()) or not (
            _is_nan(params["unknown_value"]) and _is_nan(params["encoded_missing_value"])):
        raise refuse("its OrdinalEncoder is not the one fit() builds")
    categories = list(encoder.categories_)
    if len({c.dtype for c in categories}) != 1:
        raise refuse("categories of different dtypes cannot be rebuilt from a numpy array")
    return categories


def register(registry: Registry) -> None:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    from . import tag_for

    _Sk.load()
    # TreePredictors are written in their estimator's ``trees`` field; anywhere else they are
    # refused, with these messages.
    registry.add(Entry(TREE_PREDICTOR_TAG, _Sk.TreePredictor, _refuse_predictor,
                       _reject_predictor, frozenset(_TREE_FIELDS)))
    registry.add(_bin_mapper_entry())
    for cls, classifier in ((HistGradientBoostingClassifier, True),
                            (HistGradientBoostingRegressor, False)):
        registry.add(_HGBCodec(cls, tag_for(cls), classifier).entry())
