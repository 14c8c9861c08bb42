"""libsvm-based SVMs and liblinear's LinearSVC (N5).

libsvm's predict helpers (``set_model`` / ``csr_set_model``) build a C model from the fitted
arrays without looking at their sizes: ``l = len(support_)`` support vectors are read from
``support_vectors_``, ``nr_class = len(_n_support)`` sizes the ``rho``, ``probA`` and ``probB``
copies and the rows of ``sv_coef``, and a precomputed kernel uses ``support_`` as column
indices into each row of X. scikit-learn checks one relation, and only for dense models
(CVE-2020-28975). So every relation is checked here, for dense and sparse models alike.

The dense ``predict_proba`` of libsvm takes ``sv_coef``, ``intercept``, ``probA`` and ``probB`` as
writable memoryviews (the other entry points take const views), so for a dense probability
model those four small arrays are copied when the file gave read-only views (mmap); every other
array stays a zero-copy view.

LinearSVC and LinearSVR predict in numpy (liblinear is used only to fit); their validator
checks shapes so that they give no silently wrong answers.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Registry, with_write_check
from ._estimator import estimator_entry

_KERNELS = frozenset({"linear", "poly", "rbf", "sigmoid", "precomputed"})
_CLASSIFIERS = frozenset({"c_svc", "nu_svc"})


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _array(value: Any, dtype: Any, ndim: int) -> bool:
    return (type(value) is np.ndarray and value.dtype == dtype and value.ndim == ndim
            and value.flags.c_contiguous)


def _csr(value: Any) -> bool:
    import scipy.sparse as sp

    return sp.issparse(value) and value.format == "csr"


def _same_values(a: Any, b: Any, sign: float) -> bool:
    """``a == sign * b``, for two dense arrays or two CSR matrices of one structure."""
    if _csr(a) and _csr(b):
        return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr)
                and np.array_equal(a.indices, b.indices)
                and np.array_equal(a.data, sign * b.data))
    if type(a) is np.ndarray and type(b) is np.ndarray:
        return a.shape == b.shape and bool(np.array_equal(a, sign * b))
    return False


def _writable_for_proba(est: Any) -> None:
    state = est.__dict__
    if state.get("_sparse") is not False or state.get("_effective_probability") is not True:
        return
    for name in ("_dual_coef_", "_intercept_", "_probA", "_probB"):
        value = state.get(name)
        if type(value) is np.ndarray and not value.flags.writeable:
            copy = value.copy()
            if state.get("dual_coef_") is value:
                state["dual_coef_"] = copy
            state[name] = copy


def _check_writable(est: Any, path: P.Path) -> None:
    if type(est.kernel) is not str:
        raise UnsupportedTypeError(
            f"cannot write {type(est).__name__} with a callable kernel: only the kernels "
            f"{sorted(_KERNELS)} can be written", path=P.render(path))


def _libsvm_validator(tag: str, impl: str) -> Callable[[Any, str], None]:
    classifier = impl in _CLASSIFIERS

    def validate(est: Any, path: str) -> None:
        def fail(message: str) -> ReconstructionError:
            return ReconstructionError(message, type_name=tag, path=path)

        kernel = est.kernel
        if type(kernel) is not str or kernel not in _KERNELS:
            raise fail(f"kernel must be one of {sorted(_KERNELS)}, found {kernel!r:.60}")
        sparse = est.__dict__.get("_sparse")
        if type(sparse) is not bool:
            raise fail("_sparse must be a bool")
        if sparse and kernel == "precomputed":
            raise fail("a precomputed kernel cannot be sparse")
        gamma = est.__dict__.get("_gamma")
        if not _real(gamma) or not 0 <= gamma < np.inf:
            raise fail(f"_gamma must be a finite number >= 0, found {gamma!r:.40}")
        probability = est.__dict__.get("_effective_probability")
        if type(probability) is not bool:
            raise fail("_effective_probability must be a bool")

        shape_fit = est.__dict__.get("shape_fit_")
        if (type(shape_fit) is not tuple or len(shape_fit) != 2
                or any(type(d) is not int or d < 0 for d in shape_fit)):
            raise fail(f"shape_fit_ must be a tuple of two sizes, found {shape_fit!r:.60}")
        n_features = est.__dict__.get("n_features_in_")
        if n_features != shape_fit[1] or type(n_features) is not int:
            raise fail(f"n_features_in_ {n_features!r:.20} must equal shape_fit_[1] "
                       f"= {shape_fit[1]}")
        if kernel == "precomputed" and shape_fit[0] != shape_fit[1]:
            raise fail(f"a precomputed kernel was fitted on a square matrix, but shape_fit_ "
                       f"is {list(shape_fit)}")

        support = est.__dict__.get("support_")
        if not _array(support, np.int32, 1):
            raise fail("support_ must be a 1-D C-contiguous int32 array")
        n_sv = len(support)
        # Precomputed kernels read X[i, support_[j]]; X has shape_fit_[0] columns.
        if n_sv and (support.min() < 0 or support.max() >= shape_fit[0]):
            raise fail(f"support_ values must be sample indices in [0, {shape_fit[0]})")

        n_support = est.__dict__.get("_n_support")
        if not _array(n_support, np.int32, 1):
            raise fail("_n_support must be a 1-D C-contiguous int32 array")
        nr_class = len(n_support)
        if (n_support < 0).any():
            raise fail("_n_support values must not be negative")
        if classifier:
            classes = est.__dict__.get("classes_")
            if type(classes) is not np.ndarray or classes.ndim != 1:
                raise fail("classes_ must be a 1-D array")
            if nr_class < 2 or nr_class != len(classes):
                raise fail(f"_n_support has {nr_class} entries, expected one per class "
                           f"({len(classes)}, at least 2)")
            if int(n_support.sum()) != n_sv:
                raise fail(f"_n_support sums to {int(n_support.sum())}, but there are "
                           f"{n_sv} support vectors (len(support_))")
        elif nr_class != 2:
            raise fail(f"_n_support must have exactly 2 entries, found {nr_class}")
        n_pairs = nr_class * (nr_class - 1) // 2

        sv = est.__dict__.get("support_vectors_")
        dual = est.__dict__.get("_dual_coef_")
        coef_rows = nr_class - 1
        if sparse:
            if not _csr(sv) or sv.dtype != np.float64 or sv.indices.dtype != np.int32:
                raise fail("support_vectors_ must be a float64 CSR matrix with int32 indices")
            if sv.shape != (n_sv, n_features):
                raise fail(f"support_vectors_ has shape {list(sv.shape)}, expected "
                           f"[len(support_), n_features_in_] = {[n_sv, n_features]}")
            if not _csr(dual) or dual.dtype != np.float64:
                raise fail("_dual_coef_ must be a float64 CSR matrix")
            # libsvm reads (nr_class - 1) * l doubles from _dual_coef_.data
            # (sklearn writes a 1 x 0 matrix when there is no support vector)
            expected = (coef_rows if n_sv else 1, n_sv)
            if dual.shape != expected or dual.nnz != coef_rows * n_sv:
                raise fail(f"_dual_coef_ must be a full CSR matrix of shape {list(expected)}, "
                           f"found shape {list(dual.shape)} with {dual.nnz} entries")
        else:
            if not _array(sv, np.float64, 2):
                raise fail("support_vectors_ must be a 2-D C-contiguous float64 array")
            if kernel == "precomputed":
                if sv.size:
                    raise fail("support_vectors_ must be empty for a precomputed kernel")
            elif sv.shape != (n_sv, n_features):
                raise fail(f"support_vectors_ has shape {list(sv.shape)}, expected "
                           f"[len(support_), n_features_in_] = {[n_sv, n_features]}")
            if not _array(dual, np.float64, 2) or dual.shape != (coef_rows, n_sv):
                raise fail(f"_dual_coef_ must be a C-contiguous float64 array of shape "
                           f"{[coef_rows, n_sv]}")

        intercept = est.__dict__.get("_intercept_")
        if not _array(intercept, np.float64, 1) or len(intercept) != n_pairs:
            raise fail(f"_intercept_ must be a float64 array of length "
                       f"nr_class * (nr_class - 1) / 2 = {n_pairs}")
        prob_a, prob_b = est.__dict__.get("_probA"), est.__dict__.get("_probB")
        if not _array(prob_a, np.float64, 1) or not _array(prob_b, np.float64, 1):
            raise fail("_probA and _probB must be 1-D float64 arrays")
        if len(prob_a) != len(prob_b) or len(prob_a) not in (0, n_pairs):
            raise fail(f"_probA and _probB must both be empty or both have {n_pairs} "
                       f"entries, found {len(prob_a)} and {len(prob_b)}")
        if probability and len(prob_a) != n_pairs:
            raise fail(f"a probability model needs {n_pairs} entries in _probA and _probB")
        class_weight = est.__dict__.get("class_weight_")
        if class_weight is not None and not _array(class_weight, np.float64, 1):
            raise fail("class_weight_ must be a 1-D float64 array")

        # The public attributes: sign-flipped copies for binary classifiers, else the same.
        sign = -1.0 if classifier and nr_class == 2 else 1.0
        dual_public = est.__dict__.get("dual_coef_")
        if dual_public is not dual and not _same_values(dual_public, dual, sign):
            raise fail("dual_coef_ does not match _dual_coef_")
        if not _same_values(est.__dict__.get("intercept_"), intercept, sign):
            raise fail("intercept_ does not match _intercept_")
        if impl == "one_class" and not _same_values(est.__dict__.get("offset_"), intercept,
                                                    -1.0):
            raise fail("offset_ must be -_intercept_")

    return validate


def _linear_validator(tag: str, classifier: bool) -> Callable[[Any, str], None]:
    def validate(est: Any, path: str) -> None:
        def fail(message: str) -> ReconstructionError:
            return ReconstructionError(message, type_name=tag, path=path)

        n_features = est.__dict__.get("n_features_in_")
        if type(n_features) is not int or n_features < 1:
            raise fail("n_features_in_ must be a positive integer")
        coef, intercept = est.__dict__.get("coef_"), est.__dict__.get("intercept_")
        if classifier:
            classes = est.__dict__.get("classes_")
            if type(classes) is not np.ndarray or classes.ndim != 1 or len(classes) < 2:
                raise fail("classes_ must be a 1-D array of at least 2 labels")
            rows = 1 if len(classes) == 2 else len(classes)
            if not (type(coef) is np.ndarray and coef.shape == (rows, n_features)
                    and coef.dtype.kind == "f"):
                raise fail(f"coef_ must be a float array of shape {[rows, n_features]}")
            if not (type(intercept) is float or (type(intercept) is np.ndarray
                                                  and intercept.shape == (rows,))):
                raise fail(f"intercept_ must be 0.0 or an array of shape [{rows}]")
        else:
            if not (type(coef) is np.ndarray and coef.shape == (n_features,)
                    and coef.dtype.kind == "f"):
                raise fail(f"coef_ must be a float array of shape [{n_features}]")
            if not (type(intercept) is float or (type(intercept) is np.ndarray
                                                  and intercept.shape == (1,))):
                raise fail("intercept_ must be 0.0 or an array of shape [1]")

    return validate


def register(registry: Registry) -> None:
    from sklearn import svm

    from . import tag_for

    for cls in (svm.SVC, svm.NuSVC, svm.SVR, svm.NuSVR, svm.OneClassSVM):
        tag = tag_for(cls)
        entry = estimator_entry(cls, tag, _libsvm_validator(tag, cls._impl),
                                derived=_writable_for_proba)
        registry.add(with_write_check(entry, _check_writable))
    for cls, classifier in ((svm.LinearSVC, True), (svm.LinearSVR, False)):
        tag = tag_for(cls)
        registry.add(estimator_entry(cls, tag, _linear_validator(tag, classifier)))
