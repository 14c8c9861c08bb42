"""scikit-learn meta-estimators: ensembles of estimators,
calibration, multiclass and multioutput wrappers, feature selection, threshold tuning,
successive-halving searches and frozen estimators (spec/format.md §6.5).

Their inner estimators are nodes of their own and validate themselves when they are rebuilt,
so what is left to check here is what the wrapper itself feeds to native code or looks up by
name (sklearn-survey §4, §3f):

- ``IsolationForest`` and ``RandomTreesEmbedding`` call ``tree.apply(X_subset,
  check_input=False)``. The Cython walk reads ``X_subset`` at the split features with no
  bounds check; what keeps it in bounds is the tree's own width (checked against its
  ``n_features_in_`` by the tree validator, and compared with ``X_subset`` by scikit-learn
  even without ``check_input``). Here every tree must also have exactly the width the
  ensemble gives it (``_max_features`` columns picked by ``estimators_features_``, indices
  into ``n_features_in_``), so that a loaded ensemble scores or fails as the fitted one did.
  The isolation forest's per-tree path lengths are not written: they are recomputed from the
  (validated) trees, as ``fit`` computes them.
- Method names read from the file are called: ``stack_method_`` (stacking, through
  ``getattr``), ``chain_method_`` (classifier chains) and a curve scorer's response method
  (through ``_get_response_values``); ``importance_getter`` is an attribute path
  (``attrgetter``). Each must be in a closed set, as must a calibration ``method``.
- Bagging's ``estimators_features_`` index the columns of ``X``; ``_max_samples`` sizes the
  index arrays ``estimators_samples_`` draws, so it must be the value ``fit`` derives from
  the parameters and ``_n_samples``; the counts of estimators, weights, seeds, classes and
  code-book columns must agree with each other.
- ``scipy.stats`` frozen distributions (hyper-parameters of randomized searches) are rebuilt
  from a closed table of distribution names and numeric arguments, never from an object.

As everywhere, an estimator with no fitted state is accepted (meta-estimators hold unfitted
ones as parameters); once any of a class's fitted attributes is present, all must be.
"""

from __future__ import annotations

import functools
import math
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import Validator, estimator_entry
from ._misc import _fail, _is_int, _is_real

_MISSING = object()
#: Methods a meta-estimator may call on the estimators it holds, by name.
_RESPONSE_METHODS = frozenset({"predict", "predict_proba", "predict_log_proba",
                               "decision_function"})
_STACK_METHODS = frozenset({"predict", "predict_proba", "decision_function"})
_CALIBRATION_METHODS = frozenset({"sigmoid", "isotonic", "temperature"})
#: np.linspace(lo, hi, thresholds) in a curve scorer: a count, bounded so that it is no
#: allocation a file can choose (a million is far above any real use).
_MAX_THRESHOLDS = 1 << 20
_MAX_TEXT = 256
_IFOREST_TAG = "sklearn.ensemble.IsolationForest"




def _is_estimator(value: Any) -> bool:
    from sklearn.base import BaseEstimator

    return isinstance(value, BaseEstimator)


def _fitted(tag: str, est: Any, names: tuple[str, ...], path: str) -> bool:
    """False when none of the fitted attributes ``names`` is present; True when all are.

    Some but not all is refused: a file must not skip a check by deleting one attribute.
    """
    state = vars(est)
    present = [name for name in names if name in state]
    if not present:
        return False
    if len(present) != len(names):
        missing = [name for name in names if name not in state]
        raise _fail(tag, f"fitted attributes missing: {missing} (found {present})", path)
    return True


def _need_int(tag: str, est: Any, name: str, path: str, minimum: int = 1) -> int:
    value = vars(est).get(name, _MISSING)
    if not _is_int(value) or value < minimum:
        found = "nothing" if value is _MISSING else f"{value!r:.40}"
        raise _fail(tag, f"{name} must be an integer >= {minimum}, found {found}", path)
    return int(value)


def _estimator_list(tag: str, value: Any, name: str, path: str, *,
                    kinds: tuple[type, ...] = (list,)) -> list[Any]:
    if type(value) not in kinds or not value:
        raise _fail(tag, f"{name} must be a non-empty {kinds[0].__name__} of estimators", path)
    for i, item in enumerate(value):
        if not _is_estimator(item):
            raise _fail(tag, f"{name}[{i}] must be an estimator, found {type(item).__name__}",
                        path)
    return list(value)


def _width(est: Any) -> int | None:
    """An inner estimator's ``n_features_in_`` when it stores one, else None."""
    state: Any = getattr(est, "__dict__", None)
    value: Any = state.get("n_features_in_") if type(state) is dict else None
    return int(value) if _is_int(value) else None


def _check_widths(tag: str, estimators: Iterable[Any], width: int, name: str,
                  path: str) -> None:
    for i, est in enumerate(estimators):
        found = _width(est)
        if found is not None and found != width:
            raise _fail(tag, f"{name}[{i}] was fitted on {found} features, not {width}", path)


def _int_vector(value: Any) -> bool:
    return type(value) is np.ndarray and value.ndim == 1 and value.dtype.kind in "iu"


def _classes_vector(tag: str, est: Any, path: str, name: str = "classes_") -> np.ndarray:
    classes = vars(est).get(name)
    if type(classes) is not np.ndarray or classes.ndim != 1 or classes.size == 0:
        raise _fail(tag, f"{name} must be a non-empty 1-d array", path)
    return classes


# ---------------------------------------------------------------- boosting and bagging

def _validate_adaboost(classifier: bool) -> Validator:
    tag = "sklearn.ensemble.AdaBoostClassifier" if classifier else \
        "sklearn.ensemble.AdaBoostRegressor"
    names: tuple[str, ...] = ("estimators_", "estimator_weights_", "estimator_errors_",
                              "n_features_in_")
    if classifier:
        names += ("classes_", "n_classes_")

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        state = vars(est)
        estimators = _estimator_list(tag, state["estimators_"], "estimators_", path)
        n = est.n_estimators
        if len(estimators) > n:
            raise _fail(tag, f"estimators_ holds {len(estimators)} estimators, more than "
                        f"n_estimators ({n})", path)
        for name in ("estimator_weights_", "estimator_errors_"):
            value = state[name]
            if type(value) is not np.ndarray or value.dtype.kind != "f" or value.shape != (n,):
                raise _fail(tag, f"{name} must be a float array of shape [{n}]", path)
        width = _need_int(tag, est, "n_features_in_", path)
        _check_widths(tag, estimators, width, "estimators_", path)
        if classifier:
            classes = _classes_vector(tag, est, path)
            if not _is_int(state["n_classes_"]) or state["n_classes_"] != classes.size:
                raise _fail(tag, f"n_classes_ must be {classes.size}, the number of classes_",
                            path)
            for i, inner in enumerate(estimators):
                inner_classes = vars(inner).get("classes_")
                if type(inner_classes) is np.ndarray and inner_classes.shape != classes.shape:
                    raise _fail(tag, f"estimators_[{i}] has {inner_classes.size} classes, "
                                f"not {classes.size}", path)

    return validate


def _check_feature_subsets(tag: str, est: Any, n: int, width: int, path: str) -> int:
    """``estimators_features_``: n column subsets of ``_max_features`` indices into X."""
    state = vars(est)
    subset = _need_int(tag, est, "_max_features", path)
    if subset > width:
        raise _fail(tag, f"_max_features ({subset}) exceeds n_features_in_ ({width})", path)
    features = state["estimators_features_"]
    if type(features) is not list or len(features) != n:
        raise _fail(tag, f"estimators_features_ must be a list of {n} arrays", path)
    for i, cols in enumerate(features):
        if not _int_vector(cols) or cols.shape != (subset,):
            raise _fail(tag, f"estimators_features_[{i}] must be {subset} integer column "
                        "indices", path)
    # All the subsets at once (one pass instead of two per estimator), unsigned: a negative
    # index wraps to a huge one. The first offending subset is then found for the message.
    joined = np.concatenate(features).astype(np.int64, copy=False).view(np.uint64)
    if int(joined.max()) >= width:
        i = int(np.flatnonzero(joined >= width)[0]) // subset
        raise _fail(tag, f"estimators_features_[{i}] has a column index outside "
                    f"[0, {width})", path)
    seeds = state["_seeds"]
    if not _int_vector(seeds) or seeds.shape != (n,):
        raise _fail(tag, f"_seeds must be an integer array of shape [{n}]", path)
    _check_sample_counts(tag, est, path)
    return subset


def _check_sample_counts(tag: str, est: Any, path: str) -> None:
    """``_max_samples`` sizes the index arrays ``estimators_samples_`` draws (one per
    estimator): it must be the value ``fit`` derives from the parameters and ``_n_samples``."""
    from sklearn.ensemble._bootstrap import _get_n_samples_bootstrap

    state = vars(est)
    n_samples = _need_int(tag, est, "_n_samples", path)
    count = _need_int(tag, est, "_max_samples", path)
    weight = state["_sample_weight"]
    if weight is not None and (type(weight) is not np.ndarray or weight.dtype.kind != "f"
                               or weight.shape != (n_samples,)):
        raise _fail(tag, f"_sample_weight must be nil or a float array of shape [{n_samples}] "
                    "(_n_samples)", path)
    if tag == _IFOREST_TAG:
        expected = state["max_samples_"]
        if not _is_int(expected) or not 1 <= expected <= n_samples:
            raise _fail(tag, f"max_samples_ must be an integer in [1, {n_samples}] "
                        "(_n_samples)", path)
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            expected = _get_n_samples_bootstrap(n_samples, est.max_samples, weight)
    if count != expected:
        raise _fail(tag, f"_max_samples is {count}, but the parameters and _n_samples give "
                    f"{expected}", path)
    if not est.bootstrap and count > n_samples:
        raise _fail(tag, f"_max_samples ({count}) exceeds _n_samples ({n_samples}) without "
                    "bootstrap", path)


_BAGGING_FITTED = ("estimators_", "estimators_features_", "_seeds", "_max_features",
                   "_max_samples", "_n_samples", "_sample_weight", "n_features_in_")


def _validate_bagging(classifier: bool) -> Validator:
    tag = "sklearn.ensemble.BaggingClassifier" if classifier else \
        "sklearn.ensemble.BaggingRegressor"
    names = _BAGGING_FITTED + (("classes_", "n_classes_") if classifier else ())

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
        n = len(estimators)
        if n != est.n_estimators:
            raise _fail(tag, f"estimators_ holds {n} estimators, but n_estimators is "
                        f"{est.n_estimators}", path)
        width = _need_int(tag, est, "n_features_in_", path)
        subset = _check_feature_subsets(tag, est, n, width, path)
        _check_widths(tag, estimators, subset, "estimators_", path)
        if classifier:
            classes = _classes_vector(tag, est, path)
            count = vars(est)["n_classes_"]
            if not _is_int(count) or count != classes.size:
                raise _fail(tag, f"n_classes_ must be {classes.size}, the number of classes_",
                            path)

    return validate


_IFOREST_DERIVED = frozenset({"_average_path_length_per_tree", "_decision_path_lengths"})


def _validate_iforest(est: Any, path: str) -> None:
    """Each tree walks ``X[:, estimators_features_[i]]`` (``apply(check_input=False)``)."""
    from sklearn.ensemble._iforest import _average_path_length
    from sklearn.tree import ExtraTreeRegressor

    tag = _IFOREST_TAG
    if not _fitted(tag, est, (*_BAGGING_FITTED, "max_samples_", "offset_"), path):
        return
    trees = vars(est)["estimators_"]
    if type(trees) is not list or not trees:
        raise _fail(tag, "estimators_ must be a non-empty list of trees", path)
    n = len(trees)
    if n != est.n_estimators:
        raise _fail(tag, f"estimators_ holds {n} trees, but n_estimators is {est.n_estimators}",
                    path)
    width = _need_int(tag, est, "n_features_in_", path)
    subset = _check_feature_subsets(tag, est, n, width, path)
    for i, tree in enumerate(trees):
        state = vars(tree) if type(tree) is ExtraTreeRegressor else {}
        inner = state.get("tree_")
        # The tree's own validator (already run) tied tree_ to its n_features_in_/n_outputs_.
        if inner is None or state.get("n_outputs_") != 1:
            raise _fail(tag, f"estimators_[{i}] must be a fitted single-output "
                        "ExtraTreeRegressor", path)
        if inner.n_features != subset:
            raise _fail(tag, f"estimators_[{i}] splits on {inner.n_features} features, but "
                        f"_max_features is {subset}", path)
    if not _is_real(vars(est)["offset_"]):
        raise _fail(tag, "offset_ must be a real number", path)
    # Rebuilt from the trees now that they are known to be sound, as ``fit`` computes them.
    est._average_path_length_per_tree = _path_lengths(
        [t.tree_.n_node_samples for t in trees], _average_path_length)
    est._decision_path_lengths = tuple(t.tree_.compute_node_depths() for t in trees)


def _path_lengths(counts: list[np.ndarray], reference: Any) -> tuple[np.ndarray, ...]:
    """``_average_path_length(c)`` for each tree's ``n_node_samples`` ``c`` (``reference`` is
    scikit-learn's function), in one vectorized pass over all the trees.

    The function is elementwise: the same operations on the trees' counts put end to end
    (each tree's masked run is a contiguous slice of the joined masked run, so every
    element goes through the same contiguous ufunc loops) give each tree's values. It is
    checked against scikit-learn's own function on the first and the last tree; if either
    ever differs by a bit, scikit-learn's function is used per tree instead.
    """
    joined = np.concatenate(counts).astype(np.float64, copy=False)
    result = np.zeros(joined.shape)
    mask_1 = joined <= 1
    mask_2 = joined == 2
    not_mask = ~np.logical_or(mask_1, mask_2)
    result[mask_2] = 1.0
    result[not_mask] = (
        2.0 * (np.log(joined[not_mask] - 1.0) + np.euler_gamma)
        - 2.0 * (joined[not_mask] - 1.0) / joined[not_mask]
    )
    ends = np.cumsum([len(c) for c in counts])[:-1]
    parts = tuple(np.split(result, ends))
    for k in {0, len(counts) - 1}:
        expected = reference(counts[k])
        if expected.dtype != parts[k].dtype or expected.tobytes() != parts[k].tobytes():
            return tuple(reference(c) for c in counts)
    return parts


_RTE_TAG = "sklearn.ensemble.RandomTreesEmbedding"


def _validate_random_trees_embedding(forest_check: Validator) -> Validator:
    def validate(est: Any, path: str) -> None:
        from sklearn.preprocessing import OneHotEncoder

        tag = _RTE_TAG
        if not _fitted(tag, est, ("estimators_", "one_hot_encoder_", "n_features_in_",
                                  "n_outputs_"), path):
            return
        forest_check(est, path)
        encoder = vars(est)["one_hot_encoder_"]
        n = len(vars(est)["estimators_"])
        if type(encoder) is not OneHotEncoder or vars(encoder).get("n_features_in_") != n:
            raise _fail(tag, f"one_hot_encoder_ must be a OneHotEncoder fitted on the leaves "
                        f"of the {n} trees", path)

    return validate


# ---------------------------------------------------------------- voting and stacking

def _named_estimators(tag: str, est: Any, estimators: list[Any], path: str) -> list[str]:
    """``named_estimators_`` is a Bunch of the ``estimators`` names: each value IS the fitted
    estimator in ``estimators_`` (or 'drop'), in order (sklearn-survey §3f)."""
    from sklearn.utils import Bunch

    spec = est.estimators
    if type(spec) is not list or not all(type(p) in (tuple, list) and len(p) == 2 and
                                         type(p[0]) is str for p in spec):
        raise _fail(tag, "estimators must be a list of (name, estimator) pairs", path)
    kept = [name for name, inner in spec if not (type(inner) is str and inner == "drop")]
    if len(kept) != len(estimators):
        raise _fail(tag, f"estimators_ holds {len(estimators)} estimators, but estimators "
                    f"names {len(kept)} that are not dropped", path)
    named = vars(est).get("named_estimators_")
    if type(named) is not Bunch or list(named) != [name for name, _ in spec]:
        raise _fail(tag, "named_estimators_ must be a Bunch of the estimators' names, in order",
                    path)
    fitted = iter(estimators)
    for name, inner in spec:
        value = named[name]
        if type(inner) is str and inner == "drop":
            same = type(value) is str and value == "drop"
        else:
            same = value is next(fitted)
        if not same:
            raise _fail(tag, f"named_estimators_[{name!r:.40}] must be the same object as its "
                        "entry in estimators_", path)
    return kept


def _check_label_encoder(tag: str, encoder: Any, classes: np.ndarray, name: str,
                         path: str) -> None:
    from sklearn.preprocessing import LabelEncoder

    inner = vars(encoder).get("classes_") if type(encoder) is LabelEncoder else None
    if type(inner) is not np.ndarray or inner.shape != classes.shape:
        raise _fail(tag, f"{name} must be a LabelEncoder fitted on the {classes.size} classes_",
                    path)


def _validate_voting(classifier: bool) -> Validator:
    tag = "sklearn.ensemble.VotingClassifier" if classifier else \
        "sklearn.ensemble.VotingRegressor"
    names = ("estimators_", "named_estimators_") + (("le_", "classes_") if classifier else ())

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
        _named_estimators(tag, est, estimators, path)
        if classifier:
            classes = _classes_vector(tag, est, path)
            _check_label_encoder(tag, vars(est)["le_"], classes, "le_", path)

    return validate


def _validate_stacking(classifier: bool) -> Validator:
    tag = "sklearn.ensemble.StackingClassifier" if classifier else \
        "sklearn.ensemble.StackingRegressor"
    names = ("estimators_", "named_estimators_", "final_estimator_", "stack_method_",
             "_n_feature_outs") + (("_label_encoder", "classes_") if classifier else ())

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        state = vars(est)
        estimators = _estimator_list(tag, state["estimators_"], "estimators_", path)
        _named_estimators(tag, est, estimators, path)
        methods = state["stack_method_"]
        # _transform calls getattr(estimator, method)(X) for each pair.
        if type(methods) is not list or len(methods) != len(estimators) or not all(
            type(m) is str and m in _STACK_METHODS for m in methods
        ):
            raise _fail(tag, f"stack_method_ must name one of {sorted(_STACK_METHODS)} per "
                        "estimator", path)
        outs = state["_n_feature_outs"]
        if type(outs) is not list or len(outs) != len(estimators) or not all(
            type(n) is int and n >= 1 for n in outs
        ):
            raise _fail(tag, "_n_feature_outs must hold one positive width per estimator",
                        path)
        if not _is_estimator(state["final_estimator_"]):
            raise _fail(tag, "final_estimator_ must be an estimator", path)
        if classifier:
            classes = _classes_vector(tag, est, path)
            _check_label_encoder(tag, state["_label_encoder"], classes, "_label_encoder",
                                 path)

    return validate


# ---------------------------------------------------------------- calibration

_CALIBRATED_TAG = "sklearn.calibration._CalibratedClassifier"


def _build_calibrated(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.calibration import _CalibratedClassifier

    tag = _CALIBRATED_TAG
    estimator, calibrators = values["estimator"], values["calibrators"]
    classes, method = values["classes"], values["method"]
    if type(method) is not str or method not in _CALIBRATION_METHODS:
        raise _fail(tag, f"method must be one of {sorted(_CALIBRATION_METHODS)}, found "
                    f"{method!r:.40}", path)
    if not _is_estimator(estimator):
        raise _fail(tag, "estimator must be an estimator", path)
    if type(classes) is not np.ndarray or classes.ndim != 1 or classes.size < 2:
        raise _fail(tag, "classes must be a 1-d array of at least 2 labels", path)
    # One calibrator per class (one for two classes); temperature scaling has one in all.
    expected = 1 if method == "temperature" or classes.size == 2 else classes.size
    if type(calibrators) is not list or not 1 <= len(calibrators) <= expected or not all(
        _is_estimator(c) for c in calibrators
    ):
        raise _fail(tag, f"calibrators must be a list of at most {expected} estimators", path)
    obj: Any = object.__new__(_CalibratedClassifier)
    obj.__dict__.update(estimator=estimator, calibrators=calibrators, classes=classes,
                        method=method)
    return obj


def _validate_calibrated_cv(est: Any, path: str) -> None:
    from sklearn.calibration import _CalibratedClassifier

    tag = "sklearn.calibration.CalibratedClassifierCV"
    if not _fitted(tag, est, ("calibrated_classifiers_", "classes_"), path):
        return
    classes = _classes_vector(tag, est, path)
    members = vars(est)["calibrated_classifiers_"]
    if type(members) is not list or not members or not all(
        type(m) is _CalibratedClassifier for m in members
    ):
        raise _fail(tag, "calibrated_classifiers_ must be a non-empty list of "
                    "_CalibratedClassifier", path)
    for i, member in enumerate(members):
        if member.classes.shape != classes.shape:
            raise _fail(tag, f"calibrated_classifiers_[{i}] has {member.classes.size} classes, "
                        f"not {classes.size}", path)
    width = vars(est).get("n_features_in_")
    if width is not None:
        if not _is_int(width) or width < 1:
            raise _fail(tag, "n_features_in_ must be a positive integer", path)
        _check_widths(tag, (m.estimator for m in members), int(width),
                      "calibrated_classifiers_", path)


def _validate_sigmoid(est: Any, path: str) -> None:
    tag = "sklearn.calibration._SigmoidCalibration"
    if _fitted(tag, est, ("a_", "b_"), path) and not (
        _is_real(est.a_) and _is_real(est.b_)
    ):
        raise _fail(tag, "a_ and b_ must be real numbers", path)


def _validate_temperature(est: Any, path: str) -> None:
    tag = "sklearn.calibration._TemperatureScaling"
    if not _fitted(tag, est, ("beta_",), path):
        return
    beta = est.beta_
    if not (_is_real(beta) or (type(beta) is np.ndarray and beta.shape == ()
                               and beta.dtype.kind == "f")):
        raise _fail(tag, "beta_ must be a real number", path)


# ---------------------------------------------------------------- multiclass and multioutput

def _validate_constant_predictor(est: Any, path: str) -> None:
    tag = "sklearn.multiclass._ConstantPredictor"
    if not _fitted(tag, est, ("y_",), path):
        return
    y = est.y_
    if type(y) is not np.ndarray or y.ndim != 1 or y.size != 1 or y.dtype.kind not in "biuf":
        raise _fail(tag, "y_ must be a numeric array of one value", path)


def _validate_ovr(est: Any, path: str) -> None:
    from sklearn.preprocessing import LabelBinarizer

    tag = "sklearn.multiclass.OneVsRestClassifier"
    if not _fitted(tag, est, ("estimators_", "label_binarizer_", "classes_"), path):
        return
    estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
    classes = _classes_vector(tag, est, path)
    binarizer = vars(est)["label_binarizer_"]
    inner = vars(binarizer).get("classes_") if type(binarizer) is LabelBinarizer else None
    if type(inner) is not np.ndarray or inner.shape != classes.shape:
        raise _fail(tag, f"label_binarizer_ must be a LabelBinarizer fitted on the "
                    f"{classes.size} classes_", path)
    # One binary problem per class, or one for two classes (not multilabel).
    if len(estimators) not in (classes.size, 1 if classes.size == 2 else classes.size):
        raise _fail(tag, f"estimators_ holds {len(estimators)} estimators for {classes.size} "
                    "classes", path)
    width = vars(est).get("n_features_in_")
    if _is_int(width):
        _check_widths(tag, estimators, int(width), "estimators_", path)


def _validate_ovo(est: Any, path: str) -> None:
    tag = "sklearn.multiclass.OneVsOneClassifier"
    if not _fitted(tag, est, ("estimators_", "classes_", "pairwise_indices_"), path):
        return
    estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path,
                                 kinds=(tuple, list))
    classes = _classes_vector(tag, est, path)
    pairs = classes.size * (classes.size - 1) // 2
    if len(estimators) != pairs:
        raise _fail(tag, f"estimators_ holds {len(estimators)} estimators, but {classes.size} "
                    f"classes make {pairs} pairs", path)
    indices = vars(est)["pairwise_indices_"]
    if indices is not None and (
        type(indices) is not list or len(indices) != pairs
        or not all(_int_vector(idx) and (idx.size == 0 or idx.min() >= 0) for idx in indices)
    ):
        raise _fail(tag, f"pairwise_indices_ must be nil or {pairs} arrays of sample indices",
                    path)
    width = vars(est).get("n_features_in_")
    if indices is None and _is_int(width):
        _check_widths(tag, estimators, int(width), "estimators_", path)


def _validate_output_code(est: Any, path: str) -> None:
    tag = "sklearn.multiclass.OutputCodeClassifier"
    if not _fitted(tag, est, ("estimators_", "classes_", "code_book_"), path):
        return
    estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
    classes = _classes_vector(tag, est, path)
    book = vars(est)["code_book_"]
    shape = (classes.size, len(estimators))
    if type(book) is not np.ndarray or book.dtype.kind != "f" or book.shape != shape:
        raise _fail(tag, f"code_book_ must be a float array of shape {list(shape)} "
                    "(classes x estimators)", path)
    width = vars(est).get("n_features_in_")
    if _is_int(width):
        _check_widths(tag, estimators, int(width), "estimators_", path)


def _validate_multioutput(classifier: bool) -> Validator:
    tag = "sklearn.multioutput.MultiOutputClassifier" if classifier else \
        "sklearn.multioutput.MultiOutputRegressor"

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, ("estimators_",), path):
            return
        estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
        width = vars(est).get("n_features_in_")
        if width is not None:
            if not _is_int(width) or width < 1:
                raise _fail(tag, "n_features_in_ must be a positive integer", path)
            _check_widths(tag, estimators, int(width), "estimators_", path)
        classes = vars(est).get("classes_")
        if classifier and classes is not None and (
            type(classes) is not list or len(classes) != len(estimators)
        ):
            raise _fail(tag, "classes_ must hold one array per estimator", path)

    return validate


def _validate_chain(classifier: bool) -> Validator:
    tag = "sklearn.multioutput.ClassifierChain" if classifier else \
        "sklearn.multioutput.RegressorChain"
    names = ("estimators_", "order_", "n_features_in_") + (
        ("chain_method_",) if classifier else ())

    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        estimators = _estimator_list(tag, vars(est)["estimators_"], "estimators_", path)
        n = len(estimators)
        order = vars(est)["order_"]  # an array, or the list given as the order parameter
        if type(order) is list and all(type(i) is int for i in order):
            order = np.array(order, dtype=np.int64)
        if not _int_vector(order) or order.shape != (n,) or not np.array_equal(
            np.sort(order), np.arange(n)
        ):
            raise _fail(tag, f"order_ must be a permutation of the {n} outputs", path)
        _need_int(tag, est, "n_features_in_", path)
        if classifier:
            # _get_response_values(estimator, X, response_method=chain_method_): by name.
            method = vars(est)["chain_method_"]
            if type(method) is not str or method not in _RESPONSE_METHODS:
                raise _fail(tag, f"chain_method_ must be one of {sorted(_RESPONSE_METHODS)}, "
                            f"found {method!r:.40}", path)
            classes = vars(est).get("classes_")
            if type(classes) is not list or len(classes) != n:
                raise _fail(tag, "classes_ must hold one array per estimator", path)

    return validate


def _validate_self_training(est: Any, path: str) -> None:
    tag = "sklearn.semi_supervised.SelfTrainingClassifier"
    if not _fitted(tag, est, ("estimator_", "classes_", "transduction_", "labeled_iter_"),
                   path):
        return
    if not _is_estimator(vars(est)["estimator_"]):
        raise _fail(tag, "estimator_ must be an estimator", path)
    classes = _classes_vector(tag, est, path)
    inner = vars(vars(est)["estimator_"]).get("classes_")
    if type(inner) is np.ndarray and inner.shape != classes.shape:
        raise _fail(tag, f"estimator_ has {inner.size} classes, not {classes.size}", path)
    transduction, labeled = vars(est)["transduction_"], vars(est)["labeled_iter_"]
    if (type(transduction) is not np.ndarray or type(labeled) is not np.ndarray
            or transduction.shape != labeled.shape or labeled.ndim != 1):
        raise _fail(tag, "transduction_ and labeled_iter_ must be 1-d arrays of one length",
                    path)


# ---------------------------------------------------------------- thresholds and scorers

def _validate_threshold(tag: str, names: tuple[str, ...]) -> Validator:
    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, names, path):
            return
        inner = vars(est)["estimator_"]
        if not _is_estimator(inner):
            raise _fail(tag, "estimator_ must be an estimator", path)
        if "best_threshold_" in names and not _is_real(vars(est)["best_threshold_"]):
            raise _fail(tag, "best_threshold_ must be a real number", path)

    return validate


_CURVE_TAG = "sklearn.metrics._CurveScorer"


def _build_curve_scorer(values: dict[str, Any], path: P.Path) -> Any:
    from sklearn.metrics._scorer import _CurveScorer
    from sklearn.utils._metadata_requests import MetadataRequest

    from ._misc import _allowed_function

    tag = _CURVE_TAG
    func, sign, kwargs = values["_score_func"], values["_sign"], values["_kwargs"]
    method, thresholds = values["_response_method"], values["_thresholds"]
    if not _allowed_function(func):
        raise _fail(tag, "score_func must be an allowlisted metric function", path)
    if type(sign) is not int or sign not in (1, -1):
        raise _fail(tag, f"sign must be 1 or -1, not {sign!r:.40}", path)
    if type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
        raise _fail(tag, "kwargs must be a dict with str keys", path)
    methods = (method,) if type(method) is str else method
    if (type(methods) not in (tuple, list) or not methods
            or not all(type(m) is str and m in _STACK_METHODS for m in methods)):
        raise _fail(tag, f"response_method must be one of {sorted(_STACK_METHODS)} or a "
                    f"sequence of them, not {method!r:.60}", path)
    if _is_int(thresholds):
        if not 1 <= thresholds <= _MAX_THRESHOLDS:
            raise _fail(tag, f"thresholds must be a count in [1, {_MAX_THRESHOLDS}] or a list "
                        f"of reals, found {thresholds!r:.40}", path)
    elif not (
        (type(thresholds) is list and all(_is_real(t) for t in thresholds))
        or (type(thresholds) is np.ndarray and thresholds.ndim == 1
            and thresholds.dtype.kind in "iuf")
    ):
        raise _fail(tag, "thresholds must be a count or a 1-d sequence of reals", path)
    if "_metadata_request" in values and type(values["_metadata_request"]) is not \
            MetadataRequest:
        raise _fail(tag, "metadata_request must be a MetadataRequest", path)
    obj: Any = object.__new__(_CurveScorer)
    for name in ("_score_func", "_sign", "_kwargs", "_response_method", "_thresholds",
                 "_metadata_request"):
        if name in values:
            obj.__dict__[name] = values[name]
    return obj


def _validate_tuned(est: Any, path: str) -> None:
    from sklearn.metrics._scorer import _CurveScorer

    tag = "sklearn.model_selection.TunedThresholdClassifierCV"
    _validate_threshold(tag, ("estimator_", "best_threshold_", "best_score_",
                              "_curve_scorer"))(est, path)
    scorer = vars(est).get("_curve_scorer", _MISSING)
    if scorer is not _MISSING and type(scorer) is not _CurveScorer:
        raise _fail(tag, "_curve_scorer must be a _CurveScorer", path)


# ---------------------------------------------------------------- feature selection

def _check_mask(tag: str, est: Any, name: str, width: int, kind: str, path: str) -> np.ndarray:
    value = vars(est)[name]
    if type(value) is not np.ndarray or value.shape != (width,) or value.dtype.kind not in kind:
        raise _fail(tag, f"{name} must be an array of shape [{width}] (n_features_in_)", path)
    return value


def _validate_univariate(tag: str) -> Validator:
    def validate(est: Any, path: str) -> None:
        if not _fitted(tag, est, ("scores_", "pvalues_", "n_features_in_"), path):
            return
        width = _need_int(tag, est, "n_features_in_", path)
        _check_mask(tag, est, "scores_", width, "iuf", path)
        if vars(est)["pvalues_"] is not None:
            _check_mask(tag, est, "pvalues_", width, "f", path)

    return validate


def _validate_variance(est: Any, path: str) -> None:
    tag = "sklearn.feature_selection.VarianceThreshold"
    if _fitted(tag, est, ("variances_", "n_features_in_"), path):
        _check_mask(tag, est, "variances_", _need_int(tag, est, "n_features_in_", path), "f",
                    path)


def _check_importance_getter(tag: str, est: Any, path: str) -> None:
    """``importance_getter`` goes to ``attrgetter``: 'auto', or a dotted path of public
    fitted-attribute-like names (``regressor_.coef_``, ``named_steps.clf.coef_``)."""
    from ._misc import _allowed_function

    getter = est.importance_getter
    if type(getter) is str:
        parts = getter.split(".")
        if getter == "auto" or (
            len(getter) <= _MAX_TEXT
            and all(p.isidentifier() and not p.startswith("_") for p in parts)
            and parts[-1].endswith("_")
        ):
            return
    elif _allowed_function(getter):
        return
    raise _fail(tag, "importance_getter must be 'auto', a dotted path of public attributes "
                f"ending in a fitted attribute, or an allowlisted function; found "
                f"{getter!r:.60}", path)


def _validate_rfe(tag: str, names: tuple[str, ...]) -> Validator:
    def validate(est: Any, path: str) -> None:
        _check_importance_getter(tag, est, path)
        if not _fitted(tag, est, names, path):
            return
        width = _need_int(tag, est, "n_features_in_", path)
        support = _check_mask(tag, est, "support_", width, "b", path)
        ranking = _check_mask(tag, est, "ranking_", width, "iu", path)
        selected = int(np.count_nonzero(support))
        count = vars(est)["n_features_"]
        if not _is_int(count) or count != selected or not np.array_equal(support, ranking == 1):
            raise _fail(tag, "n_features_, support_ and ranking_ disagree (support_ must be "
                        "ranking_ == 1)", path)
        inner = vars(est)["estimator_"]
        if not _is_estimator(inner):
            raise _fail(tag, "estimator_ must be an estimator", path)
        _check_widths(tag, [inner], selected, "estimator_", path)

    return validate


def _validate_select_from_model(est: Any, path: str) -> None:
    tag = "sklearn.feature_selection.SelectFromModel"
    _check_importance_getter(tag, est, path)
    state = vars(est)
    if "estimator_" in state and not _is_estimator(state["estimator_"]):
        raise _fail(tag, "estimator_ must be an estimator", path)
    if "max_features_" in state:
        value = state["max_features_"]
        if not _is_int(value) or value < 0:
            raise _fail(tag, "max_features_ must be a non-negative integer", path)


def _validate_sequential(est: Any, path: str) -> None:
    tag = "sklearn.feature_selection.SequentialFeatureSelector"
    if not _fitted(tag, est, ("support_", "n_features_to_select_", "n_features_in_"), path):
        return
    width = _need_int(tag, est, "n_features_in_", path)
    support = _check_mask(tag, est, "support_", width, "b", path)
    count = vars(est)["n_features_to_select_"]
    if not _is_int(count) or count != np.count_nonzero(support):
        raise _fail(tag, "n_features_to_select_ must be the number of features in support_",
                    path)


# ---------------------------------------------------------------- scipy.stats distributions

#: The distributions a randomized search may draw hyper-parameters from, by name.
_CONTINUOUS = ("uniform", "loguniform", "reciprocal", "expon", "norm", "lognorm", "halfnorm",
               "halfcauchy", "cauchy", "gamma", "beta", "truncnorm", "triang", "t",
               "weibull_min", "logistic", "laplace", "pareto")
_DISCRETE = ("randint", "poisson", "geom", "binom", "bernoulli", "nbinom", "zipf", "logser",
             "betabinom", "hypergeom")
_FROZEN_FIELDS = frozenset({"args", "kwds", "name", "random_state"})


@functools.cache
def _distributions() -> dict[str, Any]:
    from scipy import stats

    return {name: getattr(stats, name) for name in (*_CONTINUOUS, *_DISCRETE)}


def _same_params(a: dict[str, Any], b: dict[str, Any]) -> bool:
    if a.keys() != b.keys():
        return False
    for key in a:
        x, y = a[key], b[key]
        if key == "seed":
            continue
        both_nan = type(x) is float and type(y) is float and math.isnan(x) and math.isnan(y)
        if not both_nan and (type(x) is not type(y) or x != y):
            return False
    return True


class _FrozenCodec:
    """``rv_continuous_frozen`` / ``rv_discrete_frozen``: a table name and numbers."""

    def __init__(self, cls: type, tag: str, discrete: bool) -> None:
        self.cls = cls
        self.tag = tag
        self.names = _DISCRETE if discrete else _CONTINUOUS

    def entry(self) -> Entry:
        return Entry(self.tag, self.cls, self.encode, self.decode, _FROZEN_FIELDS)

    def encode(self, frozen: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        state = vars(frozen)
        dist = state.get("dist")
        name: Any = getattr(dist, "name", None)
        table = _distributions()
        generator = table.get(name) if name in self.names else None
        if (
            state.keys() != {"args", "kwds", "dist", "a", "b"}
            or generator is None
            or type(dist) is not type(generator)
            or not _same_params(dist._updated_ctor_param(), generator._updated_ctor_param())
        ):
            raise UnsupportedTypeError(
                f"cannot write this {self.tag}: only the scipy.stats distributions "
                f"{sorted(self.names)} with their standard parameters can be written",
                path=P.render(path))
        args, kwds = list(frozen.args), dict(frozen.kwds)
        if not all(_is_real(v) for v in args) or not all(
            type(k) is str and _is_real(v) for k, v in kwds.items()
        ):
            raise UnsupportedTypeError(f"cannot write this {self.tag}: its arguments must be "
                                       "real numbers", path=P.render(path))
        rng = dist._random_state
        return {
            "args": enc.encode(args, (path, ".args")),
            "kwds": enc.encode(kwds, (path, ".kwds")),
            "name": name,
            # nil: numpy's global RandomState, the default of every new distribution
            "random_state": None if rng is np.random.mtrand._rand
            else enc.encode(rng, (path, ".random_state")),
        }

    def decode(self, node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        tag = self.tag
        name = node["name"]
        if type(name) is not str or name not in self.names:
            raise _fail(tag, f"name must be one of {sorted(self.names)}, found {name!r:.40}",
                        path)
        generator = _distributions()[name]
        args = dec.field(node, "args", path)
        kwds = dec.field(node, "kwds", path)
        rng = dec.field(node, "random_state", path)
        allowed = {"loc", "scale"} | {
            s.strip() for s in (generator.shapes or "").split(",") if s.strip()}
        if type(args) is not list or not all(_is_real(v) for v in args):
            raise _fail(tag, "args must be a list of real numbers", path)
        if type(kwds) is not dict or not all(
            type(k) is str and k in allowed and _is_real(v) for k, v in kwds.items()
        ):
            raise _fail(tag, f"kwds must map some of {sorted(allowed)} to real numbers", path)
        if len(args) + len(kwds) > len(allowed):
            raise _fail(tag, f"{name} takes at most {len(allowed)} arguments", path)
        if rng is not None and type(rng) not in (np.random.RandomState, np.random.Generator):
            raise _fail(tag, "random_state must be nil, a RandomState or a Generator", path)
        try:
            frozen = generator(*args, **kwds)
        except (TypeError, ValueError) as exc:
            raise _fail(tag, f"invalid arguments for {name}: {exc}", path) from exc
        if rng is not None:
            frozen.random_state = rng
        return frozen


# ---------------------------------------------------------------- registration

def register(registry: Registry) -> None:
    """Add this family's classes, each with the validators its native consumers need."""
    from scipy.stats._distn_infrastructure import rv_continuous_frozen, rv_discrete_frozen
    from sklearn import (
        calibration,
        ensemble,
        feature_selection,
        frozen,
        model_selection,
        multiclass,
        multioutput,
        semi_supervised,
    )
    from sklearn.metrics._scorer import _CurveScorer

    # The successive-halving searches are experimental: take the classes from their module
    # rather than enabling them in the caller's scikit-learn as a side effect of registering.
    from sklearn.model_selection import _search_successive_halving as halving
    from sklearn.tree import ExtraTreeRegressor

    from . import tag_for
    from ._misc import _HelperCodec
    from ._tree import batch_writer, forest_validator

    trees = {"estimators_": batch_writer(registry)}

    def add(cls: type, validate: Validator | None = None, *, tag: str | None = None,
            **kwargs: Any) -> None:
        registry.add(estimator_entry(cls, tag or tag_for(cls), validate, **kwargs))

    # ensembles of trees (their trees are batched like a forest's)
    add(ensemble.AdaBoostClassifier, _validate_adaboost(True), attribute_encoders=trees)
    add(ensemble.AdaBoostRegressor, _validate_adaboost(False), attribute_encoders=trees)
    add(ensemble.BaggingClassifier, _validate_bagging(True), attribute_encoders=trees)
    add(ensemble.BaggingRegressor, _validate_bagging(False), attribute_encoders=trees)
    add(ensemble.IsolationForest, _validate_iforest, attribute_encoders=trees,
        dropped=_IFOREST_DERIVED)
    add(ensemble.RandomTreesEmbedding, _validate_random_trees_embedding(
        forest_validator(_RTE_TAG, ExtraTreeRegressor, classifier=False)),
        attribute_encoders=trees)
    add(ensemble.VotingClassifier, _validate_voting(True))
    add(ensemble.VotingRegressor, _validate_voting(False))
    add(ensemble.StackingClassifier, _validate_stacking(True))
    add(ensemble.StackingRegressor, _validate_stacking(False))
    # calibration
    add(calibration.CalibratedClassifierCV, _validate_calibrated_cv)
    add(calibration._SigmoidCalibration, _validate_sigmoid)
    add(calibration._TemperatureScaling, _validate_temperature)
    registry.add(_HelperCodec(calibration._CalibratedClassifier, _CALIBRATED_TAG,
                              ("calibrators", "classes", "estimator", "method"),
                              _build_calibrated).entry())
    # multiclass, multioutput, semi-supervised, frozen
    add(multiclass.OneVsRestClassifier, _validate_ovr)
    add(multiclass.OneVsOneClassifier, _validate_ovo)
    add(multiclass.OutputCodeClassifier, _validate_output_code)
    add(multiclass._ConstantPredictor, _validate_constant_predictor)
    add(multioutput.MultiOutputClassifier, _validate_multioutput(True))
    add(multioutput.MultiOutputRegressor, _validate_multioutput(False))
    add(multioutput.ClassifierChain, _validate_chain(True))
    add(multioutput.RegressorChain, _validate_chain(False))
    add(semi_supervised.SelfTrainingClassifier, _validate_self_training)
    add(frozen.FrozenEstimator)  # parameters only
    # thresholds and searches
    add(model_selection.FixedThresholdClassifier, _validate_threshold(
        "sklearn.model_selection.FixedThresholdClassifier", ("estimator_",)))
    add(model_selection.TunedThresholdClassifierCV, _validate_tuned)
    # Like GridSearchCV (_classes): inference goes to best_estimator_, which validates itself.
    add(halving.HalvingGridSearchCV)
    add(halving.HalvingRandomSearchCV)
    registry.add(_HelperCodec(_CurveScorer, _CURVE_TAG,
                              ("_kwargs", "_response_method", "_score_func", "_sign",
                               "_thresholds"), _build_curve_scorer,
                              optional=("_metadata_request",)).entry())
    registry.add(_FrozenCodec(rv_continuous_frozen, "scipy.stats.rv_continuous_frozen",
                              discrete=False).entry())
    registry.add(_FrozenCodec(rv_discrete_frozen, "scipy.stats.rv_discrete_frozen",
                              discrete=True).entry())
    # feature selection
    fs = feature_selection
    for cls in (fs.GenericUnivariateSelect, fs.SelectFdr, fs.SelectFpr, fs.SelectFwe,
                fs.SelectKBest, fs.SelectPercentile):
        add(cls, _validate_univariate(tag_for(cls)))
    add(fs.VarianceThreshold, _validate_variance)
    add(fs.RFE, _validate_rfe("sklearn.feature_selection.RFE",
                              ("estimator_", "support_", "ranking_", "n_features_",
                               "n_features_in_")))
    add(fs.RFECV, _validate_rfe("sklearn.feature_selection.RFECV",
                                ("estimator_", "support_", "ranking_", "n_features_",
                                 "n_features_in_", "cv_results_")))
    add(fs.SelectFromModel, _validate_select_from_model)
    add(fs.SequentialFeatureSelector, _validate_sequential)


__all__ = ["register"]
