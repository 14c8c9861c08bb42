"""scikit-learn linear models beyond the core, covariance estimators,
discriminant analysis, cross decomposition and kernel ridge (spec/format.md §6.5).

Inference in this family is numpy/BLAS work on the fitted arrays (``X @ coef_.T``, ``np.dot``,
broadcasting), which checks its own shapes, with these exceptions, which reach native code:

- Covariance estimators' ``mahalanobis`` / ``score_samples`` / ``decision_function`` /
  ``predict`` call scipy's C ``cdist(..., "mahalanobis", VI=precision_)``, which reads
  ``VI`` as an ``n_features x n_features`` matrix without looking at its shape: a smaller
  ``precision_`` (or ``covariance_``, when ``precision_`` is not stored and is recomputed from
  it) is an out-of-bounds read (SIGSEGV). Both must be ``(n_features_in_, n_features_in_)``.
- ``partial_fit`` of the SGD-based classes (Perceptron, PassiveAggressive*, SGDOneClassSVM)
  hands ``_standard_coef`` and ``_average_coef`` to Cython ``_plain_sgd``, whose
  ``WeightVector`` writes ``average_coef[j]`` for every feature ``j`` of ``coef``: both must
  have exactly ``coef_``'s shape. (``partial_fit`` itself only checks ``coef_``'s width.)
- KernelRidge computes ``pairwise_kernels(X, X_fit_)``: the kernel is a named scikit-learn
  kernel (or an allowlisted function); the named Cython kernels (chi2) run only after
  ``check_pairwise_arrays`` has compared the widths, and a sparse ``X_fit_`` is a fully
  checked CSR/CSC matrix (spec §6.4).

Objects holding Cython state are never stored: the GLMs' ``_base_loss`` (a loss with a
``Cy*`` ``closs`` and a link) and the SGD loss ``_loss_function_`` are rebuilt from the
parameters after load, as ``fit`` builds them.

Everything else is checked so that a loaded model gives no silently wrong answer: widths
against ``n_features_in_``, rows against ``classes_`` and the number of targets, and the
attributes that ``__init__`` sets to constants (``Perceptron.loss``, ...) must have those
constants. Fitted state is all-or-nothing: if one inference attribute is present, all are.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import ReconstructionError
from ..registry import Registry
from ._estimator import estimator_entry

Validator = Callable[[Any, str], None]

_MISSING: Any = object()


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _allowed_function(value: Any) -> bool:
    from .._builtin_types import _functions

    return id(value) in _functions()[1]


def _issparse(value: Any) -> bool:
    import scipy.sparse as sp

    return bool(sp.issparse(value))


def _describe(value: Any) -> str:
    if type(value) is np.ndarray:
        return f"a {value.ndim}-d {value.dtype} array of shape {list(value.shape)}"
    if _issparse(value):
        return f"a {value.format} matrix of shape {list(value.shape)}"
    if value is None or type(value) in (bool, int, float, str) or isinstance(value, np.generic):
        return f"{type(value).__name__} {value!r:.40}"
    return type(value).__name__  # no repr of a decoded object: it could be costly


_KIND_NAMES = {"f": "float", "b": "bool"}


class _Check:
    """Checks one estimator's fitted state, binding named sizes as it goes.

    A size name (``n_features_in_``, ``n_classes``, ...) is bound by the first array that
    has it and must then agree in every other array.
    """

    def __init__(self, est: Any, tag: str, path: str) -> None:
        self.est = est
        self.tag = tag
        self.path = path
        self.state: dict[str, Any] = vars(est)
        self.sizes: dict[str, int] = {}

    def fail(self, message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=self.tag, path=self.path)

    def fitted(self, names: Iterable[str]) -> bool:
        """Whether the estimator is fitted: none or all of ``names`` must be present."""
        names = tuple(names)
        present = [n for n in names if n in self.state]
        if not present:
            return False
        missing = [n for n in names if n not in self.state]
        if missing:
            raise self.fail(f"fitted state is incomplete: {present[0]} is present but "
                            f"{', '.join(missing)} missing")
        return True

    def require(self, names: Iterable[str]) -> None:
        """Attributes that the fitted state already present implies."""
        missing = [n for n in names if n not in self.state]
        if missing:
            raise self.fail(f"fitted state is incomplete: {', '.join(missing)} missing")

    def n_features(self) -> int:
        value: Any = self.state.get("n_features_in_")
        if not _is_int(value) or not 1 <= value < 2**31:
            raise self.fail(f"n_features_in_ must be a positive integer, not {value!r:.40}")
        self.sizes["n_features_in_"] = int(value)
        return int(value)

    def _shape(self, name: str, shape: tuple[int, ...], dims: tuple[Any, ...]) -> None:
        if len(shape) != len(dims):
            raise self.fail(f"{name} must have {len(dims)} dimensions, not {len(shape)}")
        new: dict[str, int] = {}
        ok = True
        for n, d in zip(shape, dims, strict=True):
            if type(d) is int:
                ok = ok and n == d
            elif d in self.sizes or d in new:
                ok = ok and n == self.sizes.get(d, new.get(d))
            elif d != "*":
                new[d] = n
        if not ok:
            known = {**self.sizes, **new}
            want = ", ".join(str(d) for d in dims)
            got = ", ".join(str(known.get(d, d)) if type(d) is str else str(d) for d in dims)
            raise self.fail(f"{name} has shape {list(shape)}, expected [{want}] = [{got}]")
        self.sizes.update(new)

    def array(self, name: str, dims: tuple[Any, ...], kinds: str = "f",
              value: Any = _MISSING, sparse: bool = False) -> Any:
        """The array ``name`` (or ``value``): ``kinds`` of dtype, shape matching ``dims``."""
        if value is _MISSING:
            value = self.state.get(name)
        if sparse and _issparse(value):
            if value.format not in ("csr", "csc") or value.dtype.kind not in kinds:
                raise self.fail(f"{name} must be a float array or CSR matrix, "
                                f"not {_describe(value)}")
            self._shape(name, value.shape, dims)
            return value
        if type(value) is not np.ndarray or value.dtype.kind not in kinds:
            kind = _KIND_NAMES.get(kinds, kinds)
            raise self.fail(f"{name} must be a {len(dims)}-d {kind} array, "
                            f"not {_describe(value)}")
        self._shape(name, value.shape, dims)
        return value

    def optional(self, name: str, dims: tuple[Any, ...], kinds: str = "f") -> Any:
        if self.state.get(name) is None:
            return None
        return self.array(name, dims, kinds)

    def real(self, name: str, value: Any = _MISSING) -> None:
        if value is _MISSING:
            value = self.state.get(name)
        if not _is_real(value):
            raise self.fail(f"{name} must be a real number, not {_describe(value)}")

    def labels(self, name: str = "classes_", size: str = "n_classes") -> int:
        value = self.state.get(name)
        if type(value) is not np.ndarray or value.ndim != 1 or value.size < 2:
            raise self.fail(f"{name} must be a 1-d array of at least 2 labels, "
                            f"not {_describe(value)}")
        self._shape(name, value.shape, (size,))
        return int(value.size)

    def array_list(self, name: str, count: int, dims: tuple[Any, ...]) -> list[np.ndarray]:
        value = self.state.get(name)
        if type(value) is not list or len(value) != count:
            raise self.fail(f"{name} must be a list of {count} arrays, not {_describe(value)}")
        for i, item in enumerate(value):
            saved = dict(self.sizes)
            self.array(f"{name}[{i}]", dims, value=item)
            self.sizes = saved  # "*"-like sizes of one item do not bind the next
        return value


# ---------------------------------------------------------------- constants set by __init__

_IMPLIED: dict[type, tuple[tuple[str, Any], ...]] = {}


def _implied(cls: type) -> tuple[tuple[str, Any], ...]:
    """Attributes that ``cls()`` sets besides its parameters, with their constant values."""
    found = _IMPLIED.get(cls)
    if found is None:
        est = cls()
        params = set(est.get_params(deep=False))
        found = _IMPLIED[cls] = tuple(
            sorted(((k, v) for k, v in vars(est).items() if k not in params),
                   key=lambda item: item[0]))
    return found


def _check_implied(check: _Check) -> None:
    for name, value in _implied(type(check.est)):
        got = check.state.get(name, _MISSING)
        if type(got) is not type(value) or got != value:
            shown = "missing" if got is _MISSING else f"{got!r:.40}"
            raise check.fail(f"{name} is set by the constructor to {value!r}, not {shown}")


def _begin(est: Any, path: str) -> _Check:
    check = _Check(est, _tag(est), path)
    _check_implied(check)
    return check


# ---------------------------------------------------------------- linear models

def _coef(check: _Check, *, ndims: tuple[int, ...] = (1, 2), sparse: bool = False) -> Any:
    """``coef_``: ``(n_features_in_,)`` or ``(n_targets, n_features_in_)``."""
    coef = check.state.get("coef_")
    ndim = coef.ndim if type(coef) is np.ndarray else 2
    if type(coef) is np.ndarray and ndim not in ndims:
        raise check.fail(f"coef_ must have {' or '.join(map(str, ndims))} dimensions, "
                         f"not {ndim}")
    dims = ("n_features_in_",) if ndim == 1 else ("n_targets", "n_features_in_")
    return check.array("coef_", dims, sparse=sparse)


def _intercept(check: _Check, coef: Any, name: str = "intercept_") -> None:
    """A number (fit_intercept=False leaves 0.0), or one per row of a 2-d ``coef_``."""
    value = check.state.get(name)
    if _is_real(value):
        return
    rows = (1,) if coef.ndim == 1 else ("n_targets",)
    if type(value) is np.ndarray and value.ndim == 0 and coef.ndim == 1:
        check.array(name, (), value=value)
        return
    check.array(name, rows)


def _sgd_average(check: _Check, coef: Any, intercept: str) -> None:
    """partial_fit passes these to Cython ``_plain_sgd``, which writes them per feature.

    They have ``coef_``'s shape, or are its one row flattened (a binary classifier's
    ``coef_`` is ``(1, n_features)``, its ``_standard_coef`` ``(n_features,)``).
    """
    for name, like_name in (("_standard_coef", "coef_"), ("_average_coef", "coef_"),
                            ("_standard_intercept", intercept),
                            ("_average_intercept", intercept)):
        value = check.state.get(name)
        if value is None:
            continue
        like = check.state.get(like_name)
        if type(like) is not np.ndarray:
            raise check.fail(f"{name} is set, but {like_name} is not a dense array")
        shapes = [list(like.shape)]
        if like.ndim == 2 and like.shape[0] == 1:
            shapes.append([like.shape[1]])
        if (type(value) is not np.ndarray or value.dtype != like.dtype
                or list(value.shape) not in shapes or not value.flags.c_contiguous):
            shown = " or ".join(map(str, shapes))
            raise check.fail(f"{name} must be a C-contiguous {like.dtype} array of shape "
                             f"{shown} like {like_name}, not {_describe(value)}")


def _regressor(extra: Callable[[_Check, Any], None] | None = None, *,
               ndims: tuple[int, ...] = (1, 2), sparse: bool = False) -> Validator:
    def validate(est: Any, path: str) -> None:
        check = _begin(est, path)
        if not check.fitted(("coef_", "intercept_", "n_features_in_")):
            return
        check.n_features()
        coef = _coef(check, ndims=ndims, sparse=sparse)
        _intercept(check, coef)
        if extra is not None:
            extra(check, coef)

    return validate


def _bayesian_ridge(check: _Check, coef: Any) -> None:
    check.real("alpha_")
    check.real("lambda_")
    check.array("sigma_", ("n_features_in_", "n_features_in_"))
    check.array("X_offset_", ("n_features_in_",))
    check.array("X_scale_", ("n_features_in_",))


def _ard(check: _Check, coef: Any) -> None:
    check.real("alpha_")
    lam = check.array("lambda_", ("n_features_in_",))
    kept = int(np.count_nonzero(lam < check.est.threshold_lambda))
    check.array("sigma_", (kept, kept))
    check.array("X_offset_", ("n_features_in_",))
    check.array("X_scale_", ("n_features_in_",))


def _sgd_regressor(check: _Check, coef: Any) -> None:
    _sgd_average(check, coef, "intercept_")


def _multilabel(check: _Check) -> bool:
    """A ridge classifier fitted on a label indicator matrix: one row per label."""
    from sklearn.preprocessing import LabelBinarizer

    binarizer = check.state.get("_label_binarizer")
    return (type(binarizer) is LabelBinarizer
            and vars(binarizer).get("y_type_") == "multilabel-indicator")


def _classifier(extra: Callable[[_Check, Any], None] | None = None, *,
                sparse: bool = False) -> Validator:
    """``classes_``; ``coef_`` of one row (2 classes) or one per class (or label of a
    multilabel ridge classifier); ``intercept_`` alike."""
    def validate(est: Any, path: str) -> None:
        check = _begin(est, path)
        if not check.fitted(("classes_", "coef_", "intercept_", "n_features_in_")):
            return
        check.n_features()
        n_classes = check.labels()
        rows = 1 if n_classes == 2 and not _multilabel(check) else n_classes
        coef = check.state.get("coef_")
        if rows == 1 and type(coef) is np.ndarray and coef.ndim == 1:
            coef = check.array("coef_", ("n_features_in_",))  # binary RidgeClassifierCV
        else:
            coef = check.array("coef_", (rows, "n_features_in_"), sparse=sparse)
        value = check.state.get("intercept_")
        if not _is_real(value):
            check.array("intercept_", (rows,))
        if extra is not None:
            extra(check, coef)

    return validate


def _sgd_classifier(check: _Check, coef: Any) -> None:
    check.optional("_expanded_class_weight", ("n_classes",))
    _sgd_average(check, coef, "intercept_")


def _ridge_classifier_cv(check: _Check, coef: Any) -> None:
    binarizer = check.state.get("_label_binarizer")
    classes = check.state["classes_"]
    from sklearn.preprocessing import LabelBinarizer

    if type(binarizer) is not LabelBinarizer:
        raise check.fail(f"_label_binarizer must be a LabelBinarizer, not {_describe(binarizer)}")
    theirs = vars(binarizer).get("classes_")
    try:
        same = (type(theirs) is np.ndarray and theirs.shape == classes.shape
                and bool(np.array_equal(theirs, classes)))
    except (TypeError, ValueError):  # object labels that do not compare
        same = False
    if not same:
        raise check.fail("_label_binarizer.classes_ must equal classes_")


def _logistic_cv(check: _Check, coef: Any) -> None:
    classes = check.state["classes_"]
    for name in ("scores_", "coefs_paths_"):
        value = check.state.get(name)
        if type(value) is dict:
            keys = list(value)
            if len(keys) != len(set(keys)) or not all(
                type(v) is np.ndarray and v.dtype.kind == "f" for v in value.values()
            ):
                raise check.fail(f"{name} must map class labels to float arrays")
            try:
                known = set(classes.tolist())
            except TypeError:
                raise check.fail("classes_ must hold hashable labels") from None
            if not all(k in known for k in keys):
                raise check.fail(f"{name} keys must be labels of classes_")
        elif type(value) is not np.ndarray or value.dtype.kind != "f":
            raise check.fail(f"{name} must be a float array or a dict of them, "
                             f"not {_describe(value)}")


def _one_class_sgd(est: Any, path: str) -> None:
    check = _begin(est, path)
    if not check.fitted(("coef_", "offset_", "n_features_in_")):
        return
    check.n_features()
    coef = check.array("coef_", ("n_features_in_",))
    check.array("offset_", (1,))
    _sgd_average(check, coef, "offset_")


# ---------------------------------------------------------------- losses rebuilt after load

def _derive_glm_loss(est: Any) -> None:
    """``_base_loss`` holds a Cython ``closs``: rebuilt from the parameters, as ``fit`` does."""
    if "coef_" in vars(est):
        est._base_loss = est._get_loss()


def _derive_sgd_loss(est: Any) -> None:
    """``_loss_function_`` is a Cython loss built from ``loss`` (and ``epsilon``) by ``fit``.

    ``loss`` is a constructor constant for Perceptron and SGDOneClassSVM, checked by the
    validator afterwards; an unknown name is left for the validator to refuse.
    PassiveAggressiveClassifier always fits with the hinge loss (its ``loss`` parameter
    picks the step size, pa1 or pa2).
    """
    from sklearn.linear_model import PassiveAggressiveClassifier

    state = vars(est)
    loss = "hinge" if type(est) is PassiveAggressiveClassifier else state.get("loss")
    if ("coef_" in state and type(loss) is str and loss in type(est).loss_functions
            and _is_real(state.get("epsilon"))):
        est._loss_function_ = est._get_loss_function(loss)


# ---------------------------------------------------------------- covariance

def _covariance(extra: Callable[[_Check], None] | None = None) -> Validator:
    """``location_`` and the matrices that scipy's C mahalanobis reads as f x f."""
    def validate(est: Any, path: str) -> None:
        check = _begin(est, path)
        if not check.fitted(("location_", "covariance_", "precision_", "n_features_in_")):
            return
        check.n_features()
        square = ("n_features_in_", "n_features_in_")
        check.array("location_", ("n_features_in_",))
        check.array("covariance_", square)
        if check.state["precision_"] is not None or est.store_precision:
            check.array("precision_", square)
        if extra is not None:
            extra(check)

    return validate


def _shrinkage(check: _Check) -> None:
    check.real("shrinkage_")


def _robust(check: _Check) -> None:
    check.require(("raw_location_", "raw_covariance_", "raw_support_", "support_", "dist_"))
    check.array("raw_location_", ("n_features_in_",))
    check.array("raw_covariance_", ("n_features_in_", "n_features_in_"))
    check.array("raw_support_", ("n_samples",), kinds="b")
    check.array("support_", ("n_samples",), kinds="b")
    check.array("dist_", ("n_samples",))


def _elliptic(check: _Check) -> None:
    _robust(check)
    check.real("offset_")


# ---------------------------------------------------------------- discriminant analysis

def _lda(est: Any, path: str) -> None:
    check = _begin(est, path)
    if not check.fitted(("classes_", "coef_", "intercept_", "means_", "priors_",
                         "n_features_in_", "_max_components")):
        return
    n_features = check.n_features()
    n_classes = check.labels()
    rows = 1 if n_classes == 2 else n_classes
    check.array("coef_", (rows, "n_features_in_"))
    check.array("intercept_", (rows,))
    check.array("means_", ("n_classes", "n_features_in_"))
    check.array("priors_", ("n_classes",))
    check.optional("covariance_", ("n_features_in_", "n_features_in_"))
    limit = min(n_classes - 1, n_features)
    expected = limit if est.n_components is None else est.n_components
    got = check.state["_max_components"]
    if not _is_int(got) or got != expected or got > limit:
        raise check.fail(f"_max_components is {got!r:.40}, but n_components and the classes "
                         f"give {expected} (at most {limit})")
    if est.solver in ("svd", "eigen"):
        check.require(("scalings_", "explained_variance_ratio_"))
        check.array("scalings_", ("n_features_in_", "*"))
        check.array("explained_variance_ratio_", ("*",))
    if est.solver == "svd":
        check.require(("xbar_",))
        check.array("xbar_", ("n_features_in_",))


def _qda(est: Any, path: str) -> None:
    check = _begin(est, path)
    if not check.fitted(("classes_", "means_", "priors_", "rotations_", "scalings_",
                         "n_features_in_")):
        return
    check.n_features()
    n_classes = check.labels()
    check.array("means_", ("n_classes", "n_features_in_"))
    check.array("priors_", ("n_classes",))
    rotations = check.array_list("rotations_", n_classes, ("n_features_in_", "*"))
    scalings = check.array_list("scalings_", n_classes, ("*",))
    for i, (r, s) in enumerate(zip(rotations, scalings, strict=True)):
        if s.shape != (r.shape[1],):
            raise check.fail(f"scalings_[{i}] has shape {list(s.shape)}, expected one scaling "
                             f"per column of rotations_[{i}] = [{r.shape[1]}]")
    if check.state.get("covariance_") is not None:
        check.array_list("covariance_", n_classes, ("n_features_in_", "n_features_in_"))


# ---------------------------------------------------------------- cross decomposition

def _n_features_out(check: _Check) -> None:
    value: Any = check.state["_n_features_out"]
    expected = check.sizes["n_components"]
    if not _is_int(value) or value != expected:
        raise check.fail(f"_n_features_out must be n_components = {expected}, "
                         f"not {_describe(value)}")


def _pls(est: Any, path: str) -> None:
    check = _begin(est, path)
    names = ("coef_", "intercept_", "_x_mean", "_x_std", "_y_mean", "_y_std", "x_weights_",
             "y_weights_", "x_loadings_", "y_loadings_", "x_rotations_", "y_rotations_",
             "_predict_1d", "_n_features_out", "n_features_in_")
    if not check.fitted(names):
        return
    check.n_features()
    for side, width in (("x", "n_features_in_"), ("y", "n_targets")):
        check.array(f"_{side}_mean", (width,))
        check.array(f"_{side}_std", (width,))
        for kind in ("weights", "loadings", "rotations"):
            check.array(f"{side}_{kind}_", (width, "n_components"))
    check.array("coef_", ("n_targets", "n_features_in_"))
    check.array("intercept_", ("n_targets",))
    _n_features_out(check)
    one = check.state["_predict_1d"]
    if type(one) is not bool or (one and check.sizes["n_targets"] != 1):
        raise check.fail("_predict_1d must be a bool, and true only for a single target")


def _pls_svd(est: Any, path: str) -> None:
    check = _begin(est, path)
    names = ("_x_mean", "_x_std", "_y_mean", "_y_std", "x_weights_", "y_weights_",
             "_n_features_out", "n_features_in_")
    if not check.fitted(names):
        return
    check.n_features()
    for side, width in (("x", "n_features_in_"), ("y", "n_targets")):
        check.array(f"_{side}_mean", (width,))
        check.array(f"_{side}_std", (width,))
        check.array(f"{side}_weights_", (width, "n_components"))
    _n_features_out(check)


# ---------------------------------------------------------------- kernel ridge, RANSAC

def _check_kernel_params(check: _Check, params: Any) -> None:
    if params is None:
        return
    if type(params) is not dict or not all(type(k) is str for k in params):
        raise check.fail("kernel_params must be nil or a dict with str keys")
    for key, value in params.items():
        if not (value is None or type(value) in (bool, int, float, str)
                or isinstance(value, (np.generic, np.ndarray))):
            raise check.fail(f"kernel_params[{key!r:.40}] must be plain data, "
                             f"not {_describe(value)}")


def _kernel_ridge(est: Any, path: str) -> None:
    from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS

    check = _begin(est, path)
    kernel = est.kernel
    if type(kernel) is str:
        if kernel != "precomputed" and kernel not in PAIRWISE_KERNEL_FUNCTIONS:
            raise check.fail(f"kernel {kernel!r:.40} is not a named kernel")
    elif not _allowed_function(kernel):
        raise check.fail("kernel must be a named kernel or an allowlisted function")
    _check_kernel_params(check, est.kernel_params)
    if not check.fitted(("X_fit_", "dual_coef_", "n_features_in_")):
        return
    check.n_features()
    check.array("X_fit_", ("n_samples", "n_features_in_"), sparse=True)
    dual = check.state["dual_coef_"]
    dims = ("n_samples",) if type(dual) is np.ndarray and dual.ndim == 1 else (
        "n_samples", "n_targets")
    check.array("dual_coef_", dims)
    if kernel == "precomputed" and check.sizes["n_samples"] != check.sizes["n_features_in_"]:
        raise check.fail("a precomputed kernel's X_fit_ must be square")


def _derive_kernel_ridge(est: Any) -> None:
    """scikit-learn's Cython ``_chi2_kernel_fast`` takes writable memoryviews: it refuses a
    read-only (mmap) ``X_fit_``, so for the chi2 kernels that one array is copied."""
    state = vars(est)
    fit_x = state.get("X_fit_")
    if (est.kernel in ("chi2", "additive_chi2") and type(fit_x) is np.ndarray
            and not fit_x.flags.writeable):
        state["X_fit_"] = fit_x.copy(order="K")


def _ransac(est: Any, path: str) -> None:
    from sklearn.base import BaseEstimator

    check = _begin(est, path)
    if type(est.loss) is not str and not _allowed_function(est.loss):
        raise check.fail("loss must be a named loss or an allowlisted function")
    for name in ("is_data_valid", "is_model_valid"):
        value = getattr(est, name)
        if value is not None and not _allowed_function(value):
            raise check.fail(f"{name} must be nil or an allowlisted function")
    if not check.fitted(("estimator_", "n_features_in_")):
        return
    n_features = check.n_features()
    inner = check.state["estimator_"]
    if not isinstance(inner, BaseEstimator) or not hasattr(inner, "predict"):
        raise check.fail(f"estimator_ must be an estimator with predict, not "
                         f"{type(inner).__name__}")
    theirs: Any = vars(inner).get("n_features_in_")
    if not _is_int(theirs) or theirs != n_features:
        raise check.fail(f"estimator_.n_features_in_ is {theirs!r:.40}, expected "
                         f"n_features_in_ = {n_features}")
    check.optional("inlier_mask_", ("*",), kinds="b")


# ---------------------------------------------------------------- registration

_TAGS: dict[type, str] = {}


def _tag(est: Any) -> str:
    return _TAGS[type(est)]


def register(registry: Registry) -> None:
    """Add this family's classes, each with the validators its native consumers need."""
    from sklearn import (
        covariance,
        cross_decomposition,
        discriminant_analysis,
        kernel_ridge,
        linear_model,
    )

    from . import tag_for

    lm = linear_model
    plain = _regressor()
    sgd_loss = {"derived": _derive_sgd_loss, "dropped": frozenset({"_loss_function_"})}
    glm_loss = {"derived": _derive_glm_loss, "dropped": frozenset({"_base_loss"})}
    table: list[tuple[type, Validator, dict[str, Any]]] = [
        (lm.ARDRegression, _regressor(_ard, ndims=(1,)), {}),
        (lm.BayesianRidge, _regressor(_bayesian_ridge, ndims=(1,)), {}),
        (lm.ElasticNetCV, plain, {}),
        (lm.LassoCV, plain, {}),
        (lm.MultiTaskElasticNet, _regressor(ndims=(2,)), {}),
        (lm.MultiTaskElasticNetCV, _regressor(ndims=(2,)), {}),
        (lm.MultiTaskLasso, _regressor(ndims=(2,)), {}),
        (lm.MultiTaskLassoCV, _regressor(ndims=(2,)), {}),
        (lm.Lars, plain, {}),
        (lm.LarsCV, plain, {}),
        (lm.LassoLars, plain, {}),
        (lm.LassoLarsCV, plain, {}),
        (lm.LassoLarsIC, plain, {}),
        (lm.HuberRegressor, _regressor(ndims=(1,)), {}),
        (lm.OrthogonalMatchingPursuit, plain, {}),
        (lm.OrthogonalMatchingPursuitCV, plain, {}),
        (lm.QuantileRegressor, _regressor(ndims=(1,)), {}),
        (lm.RidgeCV, plain, {}),
        (lm.TheilSenRegressor, _regressor(ndims=(1,)), {}),
        (lm.PassiveAggressiveRegressor,
         _regressor(_sgd_regressor, ndims=(1,), sparse=True), {}),
        (lm.SGDRegressor, _regressor(_sgd_regressor, ndims=(1,), sparse=True), {}),
        (lm.SGDClassifier, _classifier(_sgd_classifier, sparse=True), sgd_loss),
        (lm.GammaRegressor, _regressor(ndims=(1,)), glm_loss),
        (lm.PoissonRegressor, _regressor(ndims=(1,)), glm_loss),
        (lm.TweedieRegressor, _regressor(ndims=(1,)), glm_loss),
        (lm.LogisticRegressionCV, _classifier(_logistic_cv), {}),
        (lm.RidgeClassifierCV, _classifier(_ridge_classifier_cv), {}),
        (lm.PassiveAggressiveClassifier, _classifier(_sgd_classifier, sparse=True), sgd_loss),
        (lm.Perceptron, _classifier(_sgd_classifier, sparse=True), sgd_loss),
        (lm.SGDOneClassSVM, _one_class_sgd, sgd_loss),
        (lm.RANSACRegressor, _ransac, {}),
        (covariance.EmpiricalCovariance, _covariance(), {}),
        (covariance.ShrunkCovariance, _covariance(), {}),
        (covariance.LedoitWolf, _covariance(_shrinkage), {}),
        (covariance.OAS, _covariance(_shrinkage), {}),
        (covariance.GraphicalLasso, _covariance(), {}),
        (covariance.GraphicalLassoCV, _covariance(), {}),
        (covariance.MinCovDet, _covariance(_robust), {}),
        (covariance.EllipticEnvelope, _covariance(_elliptic), {}),
        (discriminant_analysis.LinearDiscriminantAnalysis, _lda, {}),
        (discriminant_analysis.QuadraticDiscriminantAnalysis, _qda, {}),
        (cross_decomposition.CCA, _pls, {}),
        (cross_decomposition.PLSCanonical, _pls, {}),
        (cross_decomposition.PLSRegression, _pls, {}),
        (cross_decomposition.PLSSVD, _pls_svd, {}),
        (kernel_ridge.KernelRidge, _kernel_ridge, {"derived": _derive_kernel_ridge}),
    ]
    for cls, validate, extra in table:
        tag = tag_for(cls)
        _TAGS[cls] = tag
        # The validators also check parameters and constructor constants, so they run on
        # unfitted estimators too (each decides itself whether fitted state is present).
        registry.add(estimator_entry(cls, tag, validate, validate_unfitted=True, **extra))
