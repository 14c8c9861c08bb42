"""libsvm SVMs and LinearSVC/LinearSVR: round trips, and every N5 relation on hostile files.

Hostile files are made by editing one array or field of a valid file with the testkit, or by
writing a model whose attributes were swapped first (where an edit would change the layout of
the params section). They are loaded in one child process (see ``HostileBatch``); each must be
refused, naming the broken relation, without crashing or hanging.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import testkit
from conftest import HostileBatch, roundtrip
from conftest import edit_array as _array
from conftest import edit_value as _value
from sklearn import svm

import paramseal
from paramseal import errors

RNG = np.random.RandomState(1)
X = RNG.randn(40, 4)
Y = np.arange(40) % 3
YB = (X[:, 0] + 0.3 * RNG.randn(40) > 0).astype(int)
YR = X[:, 0] - 2 * X[:, 1] + 0.1 * RNG.randn(40)
XQ = RNG.randn(6, 4)
K = X @ X.T
KQ = XQ @ X.T


def _fit(model: Any, X_: Any = X, y: Any = Y) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # probability=True is deprecated in 1.9
        return model.fit(X_, y) if y is not None else model.fit(X_)


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("model,y", [
    (svm.SVC(), Y),
    (svm.SVC(kernel="linear", C=0.5), YB),
    (svm.SVC(kernel="poly", degree=2, coef0=1.0, gamma=0.5), Y),
    (svm.SVC(kernel="sigmoid", gamma="auto", decision_function_shape="ovo"), Y),
    (svm.SVC(probability=True, random_state=0), Y),
    (svm.SVC(probability=True, kernel="linear", random_state=0), YB),
    (svm.SVC(class_weight="balanced", break_ties=True), Y),
    (svm.SVC(), np.array(["ant", "bee", "cat"], dtype=object)[Y]),
    (svm.NuSVC(nu=0.3), Y),
    (svm.NuSVC(probability=True, random_state=0), YB),
    (svm.SVR(), YR),
    (svm.SVR(kernel="linear", epsilon=0.05), YR),
    (svm.SVR(epsilon=100.0), YR),  # no support vector at all
    (svm.NuSVR(nu=0.4, kernel="poly", degree=3), YR),
    (svm.OneClassSVM(nu=0.2), None),
    (svm.OneClassSVM(kernel="sigmoid", gamma=0.1), None),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
def test_dense_roundtrip(model: Any, y: Any) -> None:
    roundtrip(_fit(model, X, y), XQ)


@pytest.mark.parametrize("model,y", [
    (svm.SVC(kernel="precomputed"), Y),
    (svm.SVC(kernel="precomputed", probability=True, random_state=0), YB),
    (svm.SVR(kernel="precomputed"), YR),
    (svm.OneClassSVM(kernel="precomputed"), None),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
def test_precomputed_roundtrip(model: Any, y: Any) -> None:
    roundtrip(_fit(model, K, y), KQ)


@pytest.mark.parametrize("model,y", [
    (svm.SVC(), Y),
    (svm.SVC(kernel="linear", probability=True, random_state=0), YB),
    (svm.NuSVC(kernel="poly", degree=2), Y),
    (svm.SVR(), YR),
    (svm.NuSVR(), YR),
    (svm.OneClassSVM(), None),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csr_array])
def test_sparse_roundtrip(model: Any, y: Any, container: Any) -> None:
    Xs = container(np.where(np.abs(X) > 0.5, X, 0.0))
    fitted = _fit(model, Xs, y)
    assert fitted._sparse
    roundtrip(fitted, container(XQ))


@pytest.mark.parametrize("model,y", [
    (svm.LinearSVC(), Y), (svm.LinearSVC(fit_intercept=False), YB),
    (svm.LinearSVR(), YR), (svm.LinearSVR(fit_intercept=False), YR),
], ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "")
def test_linear_roundtrip(model: Any, y: Any) -> None:
    roundtrip(_fit(model, X, y), XQ)


def test_mmap_views_and_probability(tmp_path: Any) -> None:
    model = _fit(svm.SVC(probability=True, random_state=0))
    path = tmp_path / "svc.paramseal"
    paramseal.dump(model, path)
    loaded = paramseal.load(path)  # read-only views of the mapped file
    assert not loaded.support_vectors_.flags.writeable
    assert not loaded.support_.flags.writeable and not loaded._n_support.flags.writeable
    # dense libsvm predict_proba wants writable sv_coef/intercept/probA/probB: those are copies
    assert loaded._dual_coef_.flags.writeable and loaded.dual_coef_ is loaded._dual_coef_
    for name in ("predict", "decision_function", "predict_proba"):
        assert getattr(model, name)(XQ).tobytes() == getattr(loaded, name)(XQ).tobytes()
    assert paramseal.dumps(loaded) == paramseal.dumps(model)


def test_callable_kernel_refused_at_dump() -> None:
    model = _fit(svm.SVC(kernel=lambda a, b: a @ b.T))
    with pytest.raises(errors.UnsupportedTypeError, match="with a callable kernel"):
        paramseal.dumps(model)


# ---------------------------------------------------------------- hostile files

Edit = Callable[[Any, Any], None]
HOSTILE = HostileBatch()
hostile = HOSTILE.case


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


def _tag(model: Any) -> str:
    return f"sklearn.svm.{type(model).__name__}"


def _edited(model: Any, edit: Callable[[Any, dict[str, Any]], None]) -> bytes:
    """Edit the estimator node's ``state`` map (and the tensors) of a valid file."""
    parts = testkit.unpack(paramseal.dumps(model))
    edit(parts, testkit.find(parts, _tag(model))[0]["state"])
    return testkit.pack(parts)





def _tampered(model: Any, **attrs: Any) -> bytes:
    for name, value in attrs.items():
        setattr(model, name, value)
    return paramseal.dumps(model)


def _svc(**kw: Any) -> Any:
    return _fit(svm.SVC(**kw))


def _sparse(model: Any, y: Any = Y) -> Any:
    return _fit(model, sp.csr_matrix(X), y)


def _add(array: np.ndarray, value: Any) -> np.ndarray:
    return array + np.asarray(value, dtype=array.dtype)


# survey §5 probes
hostile("svm_precomputed_support_oob", "support_ values must be sample indices in [0, 40)",
        x=KQ)(lambda: _edited(_fit(svm.SVC(kernel="precomputed"), K),
                              _array("support_", lambda a: a + 10**8)))
hostile("svm_support_longer_than_sv", "_n_support sums to")(
    lambda: _edited(_svc(), _array("support_", lambda a: np.zeros(10**6, np.int32))))
hostile("svm_intercept_short", "_intercept_ must be a float64 array of length "
        "nr_class * (nr_class - 1) / 2 = 3")(
    lambda: _edited(_svc(), _array("_intercept_", lambda a: a[:1])))
hostile("svm_n_support_inflated_dense", "_n_support sums to")(
    lambda: _edited(_svc(), _array("_n_support", lambda a: a * 1000)))
hostile("svm_n_support_inflated_sparse", "_n_support sums to")(
    lambda: _edited(_sparse(svm.SVC()), _array("_n_support", lambda a: a * 1000)))

# the other relations, one file each
hostile("support_negative", "support_ values must be sample indices in [0, 40)")(
    lambda: _edited(_svc(), _array("support_", lambda a: _add(a, -10**6))))
hostile("support_int64", "support_ must be a 1-D C-contiguous int32 array")(
    lambda: _tampered(_svc(), support_=_svc().support_.astype(np.int64)))
hostile("svr_support_longer_than_sv", "support_vectors_ has shape")(
    lambda: _edited(_fit(svm.SVR(), X, YR),
                    _array("support_", lambda a: np.zeros(len(a) + 2, np.int32))))
hostile("n_support_negative", "_n_support values must not be negative")(
    lambda: _edited(_svc(), _array("_n_support", lambda a: a * np.array([-1, 1, 1],
                                                                        np.int32))))
hostile("n_support_int64", "_n_support must be a 1-D C-contiguous int32 array")(
    lambda: _tampered(_svc(), _n_support=_svc()._n_support.astype(np.int64)))
hostile("n_support_per_class", "_n_support has 4 entries, expected one per class (2")(
    lambda: _edited(_fit(svm.SVC(), X, YB),
                    _array("_n_support", lambda a: np.r_[a, 0, 0].astype(np.int32))))
hostile("n_support_regressor", "_n_support must have exactly 2 entries, found 4")(
    lambda: _edited(_fit(svm.SVR(), X, YR),
                    _array("_n_support", lambda a: np.r_[a, 0, 0].astype(np.int32))))
hostile("classes_not_array", "classes_ must be a 1-D array")(
    lambda: _edited(_svc(), _value("classes_", [0, 1, 2])))
hostile("sparse_flag", "_sparse must be a bool")(lambda: _edited(_svc(), _value("_sparse", 1)))
hostile("sparse_precomputed", "a precomputed kernel cannot be sparse", x=KQ)(
    lambda: _edited(_fit(svm.SVC(kernel="precomputed"), K), _value("_sparse", True)))
hostile("gamma_negative", "_gamma must be a finite number >= 0")(
    lambda: _edited(_svc(), _value("_gamma", -1.0)))
hostile("gamma_nan", "_gamma must be a finite number >= 0")(
    lambda: _edited(_svc(), _value("_gamma", float("nan"))))
hostile("effective_probability", "_effective_probability must be a bool")(
    lambda: _edited(_svc(), _value("_effective_probability", 0)))
hostile("shape_fit", "shape_fit_ must be a tuple of two sizes")(
    lambda: _edited(_svc(), _value("shape_fit_", {"@": "tuple", "items": [40]})))
hostile("n_features_in", "n_features_in_ 5 must equal shape_fit_[1] = 4")(
    lambda: _edited(_svc(), _value("n_features_in_", 5)))
hostile("precomputed_not_square", "a precomputed kernel was fitted on a square matrix", x=KQ)(
    lambda: _tampered(_fit(svm.SVC(kernel="precomputed"), K), shape_fit_=(41, 40)))
hostile("support_vectors_float32", "support_vectors_ must be a 2-D C-contiguous float64")(
    lambda: _edited(_svc(), _array("support_vectors_", lambda a: a.astype(np.float32))))
hostile("support_vectors_narrow", "support_vectors_ has shape")(
    lambda: _edited(_svc(), _array("support_vectors_", lambda a: a[:, :2].copy())))
hostile("precomputed_support_vectors", "support_vectors_ must be empty for a precomputed",
        x=KQ)(lambda: _tampered(_fit(svm.SVC(kernel="precomputed"), K),
                                support_vectors_=np.ones((3, 4))))
hostile("dual_coef_rows", "_dual_coef_ must be a C-contiguous float64 array of shape [2,")(
    lambda: _edited(_svc(), _array("_dual_coef_", lambda a: a[:1].copy())))
hostile("sparse_support_vectors_dense", "support_vectors_ must be a float64 CSR matrix")(
    lambda: _tampered(m := _sparse(svm.SVC()), support_vectors_=m.support_vectors_.toarray()))
hostile("sparse_support_vectors_rows", "support_vectors_ has shape")(
    lambda: _tampered(m := _sparse(svm.OneClassSVM(), None),
                      support_vectors_=m.support_vectors_[:-1]))
hostile("sparse_dual_coef_dense", "_dual_coef_ must be a float64 CSR matrix")(
    lambda: _tampered(m := _sparse(svm.SVC()), _dual_coef_=m._dual_coef_.toarray()))
hostile("sparse_dual_coef_entries", "_dual_coef_ must be a full CSR matrix of shape [2,")(
    lambda: _tampered(m := _sparse(svm.SVC()), _dual_coef_=m._dual_coef_[:, 1:]))
hostile("prob_a_float32", "_probA and _probB must be 1-D float64 arrays")(
    lambda: _tampered(m := _svc(probability=True), _probA=m._probA.astype(np.float32)))
hostile("prob_a_short", "_probA and _probB must both be empty or both have 3 entries")(
    lambda: _tampered(m := _svc(probability=True), _probA=m._probA[:1]))
hostile("probability_without_prob", "a probability model needs 3 entries")(
    lambda: _tampered(_sparse(svm.SVC(probability=True)), _probA=np.empty(0),
                      _probB=np.empty(0)))
hostile("class_weight_int", "class_weight_ must be a 1-D float64 array")(
    lambda: _tampered(m := _svc(), class_weight_=m.class_weight_.astype(np.int64)))
hostile("dual_coef_public", "dual_coef_ does not match _dual_coef_")(
    lambda: _tampered(m := _fit(svm.SVC(), X, YB), dual_coef_=m.dual_coef_ * 2))
hostile("intercept_public", "intercept_ does not match _intercept_")(
    lambda: _tampered(m := _svc(), intercept_=m.intercept_ + 1))
hostile("one_class_offset", "offset_ must be -_intercept_")(
    lambda: _tampered(m := _fit(svm.OneClassSVM(), X, None), offset_=m.offset_ + 1))
hostile("kernel_callable", "kernel must be one of")(
    lambda: _edited_params(_svc(), "kernel", {"@": "function", "name": "numpy.sum"}))


def _edited_params(model: Any, key: str, value: Any) -> bytes:
    parts = testkit.unpack(paramseal.dumps(model))
    testkit.find(parts, _tag(model))[0]["params"][key] = value
    return testkit.pack(parts)


# LinearSVC / LinearSVR
hostile("linear_n_features_in", "n_features_in_ must be a positive integer")(
    lambda: _edited(_fit(svm.LinearSVC()), _value("n_features_in_", 0)))
hostile("linear_classes", "classes_ must be a 1-D array of at least 2 labels")(
    lambda: _tampered(_fit(svm.LinearSVC()), classes_=np.array([0])))
hostile("linear_coef_narrow", "coef_ must be a float array of shape [3, 4]")(
    lambda: _edited(_fit(svm.LinearSVC()), _array("coef_", lambda a: a[:, :2].copy())))
hostile("linear_intercept", "intercept_ must be 0.0 or an array of shape [3]")(
    lambda: _edited(_fit(svm.LinearSVC()), _array("intercept_", lambda a: a[:1])))
hostile("linear_svr_coef", "coef_ must be a float array of shape [4]")(
    lambda: _edited(_fit(svm.LinearSVR(), X, YR), _array("coef_", lambda a: a[:2])))
hostile("linear_svr_intercept", "intercept_ must be 0.0 or an array of shape [1]")(
    lambda: _tampered(_fit(svm.LinearSVR(), X, YR), intercept_=np.zeros(3)))


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)
