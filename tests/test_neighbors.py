"""Nearest neighbors: round trips, and every KD/ball tree, metric and estimator invariant.

Hostile files are made two ways: by editing one field or one array of a valid file with the
testkit, or by writing a model whose Python objects were swapped first. Each one is loaded in a
child process that must refuse it, naming the broken invariant, without crashing or hanging.
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
from sklearn.neighbors import (
    BallTree,
    KDTree,
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
    RadiusNeighborsClassifier,
    RadiusNeighborsRegressor,
)

import paramseal
from paramseal import errors

KNC = "sklearn.neighbors.KNeighborsClassifier"
KD = "sklearn.neighbors.KDTree"
BALL = "sklearn.neighbors.BallTree"

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y = np.arange(60) % 3
YR = RNG.randn(60)
XQ = RNG.randn(6, 4)
VI = np.linalg.inv(np.cov(X.T))


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("model", [
    KNeighborsClassifier(algorithm="kd_tree"),
    KNeighborsClassifier(algorithm="kd_tree", leaf_size=3, n_neighbors=4, weights="distance"),
    KNeighborsClassifier(algorithm="ball_tree", leaf_size=7),
    KNeighborsClassifier(algorithm="brute"),
    KNeighborsClassifier(algorithm="kd_tree", p=1),
    KNeighborsClassifier(algorithm="ball_tree", p=np.inf),
    KNeighborsClassifier(algorithm="kd_tree", p=3),
    KNeighborsClassifier(algorithm="brute", p=0.5),
    KNeighborsClassifier(algorithm="ball_tree", metric="chebyshev"),
    KNeighborsClassifier(algorithm="ball_tree", weights="distance",
                         metric_params={"w": np.arange(1.0, 5.0)}),
    KNeighborsClassifier(algorithm="brute", weights="distance",
                         metric_params={"w": [1.0, 2.0, 0.5, 1.0], "p": 3}),
    KNeighborsClassifier(algorithm="ball_tree", metric="mahalanobis", metric_params={"VI": VI}),
    KNeighborsClassifier(algorithm="brute", metric="mahalanobis", metric_params={"VI": VI}),
    KNeighborsClassifier(algorithm="ball_tree", metric="seuclidean",
                         metric_params={"V": np.var(X, axis=0)}),
    KNeighborsClassifier(algorithm="auto", metric="manhattan"),
    RadiusNeighborsClassifier(radius=2.5, outlier_label="most_frequent"),
    RadiusNeighborsClassifier(radius=2.0, algorithm="ball_tree", weights="distance",
                              outlier_label=-1),
], ids=lambda m: f"{type(m).__name__}-{m.algorithm}")
def test_classifier_roundtrip(model: Any) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X, Y)
    roundtrip(model, XQ)


@pytest.mark.parametrize("model", [
    KNeighborsRegressor(algorithm="kd_tree"),
    KNeighborsRegressor(algorithm="ball_tree", weights="distance", p=1),
    KNeighborsRegressor(algorithm="brute", n_neighbors=3),
    RadiusNeighborsRegressor(radius=3.0),
    RadiusNeighborsRegressor(radius=3.0, algorithm="brute", weights="distance"),
], ids=lambda m: f"{type(m).__name__}-{m.algorithm}")
def test_regressor_roundtrip(model: Any) -> None:
    model.fit(X, YR)
    roundtrip(model, XQ)
    model.fit(X, np.c_[YR, YR**2])
    roundtrip(model, XQ)


@pytest.mark.parametrize("algorithm", ["kd_tree", "ball_tree", "brute"])
def test_nearest_neighbors_roundtrip(algorithm: str) -> None:
    model = NearestNeighbors(n_neighbors=3, algorithm=algorithm, leaf_size=4).fit(X)
    loaded = roundtrip(model, XQ)
    for a, b in zip(model.radius_neighbors(XQ, 2.0), loaded.radius_neighbors(XQ, 2.0),
                    strict=True):
        for p, q in zip(a, b, strict=True):
            assert p.tobytes() == q.tobytes()
    assert (model.kneighbors_graph(XQ) != loaded.kneighbors_graph(XQ)).nnz == 0


def test_sparse_brute_roundtrip() -> None:
    Xs = sp.csr_matrix(np.where(np.abs(X) > 0.8, X, 0.0))
    model = KNeighborsClassifier(n_neighbors=3).fit(Xs, Y)
    assert model._fit_method == "brute"
    roundtrip(model, sp.csr_matrix(XQ))


def test_string_labels_and_float32_fit_x() -> None:
    labels = np.array(["ant", "bee", "cat"], dtype=object)[Y]
    model = KNeighborsClassifier(algorithm="kd_tree").fit(X.astype(np.float32), labels)
    # the tree holds a float64 copy of a float32 _fit_X: both are written, and must agree
    assert model._tree.get_arrays()[0] is not model._fit_X
    roundtrip(model, XQ)


def test_multi_output_classifier() -> None:
    y2 = np.c_[Y, (X[:, 0] > 0).astype(int)]
    model = KNeighborsClassifier(algorithm="ball_tree").fit(X, y2)
    loaded = paramseal.loads(paramseal.dumps(model))
    assert loaded.predict(XQ).tobytes() == model.predict(XQ).tobytes()
    for p, q in zip(model.predict_proba(XQ), loaded.predict_proba(XQ), strict=True):
        assert p.tobytes() == q.tobytes()
    assert paramseal.dumps(loaded) == paramseal.dumps(model)


def test_tree_data_is_fit_x_one_tensor(kit: Any, tmp_path: Any) -> None:
    model = KNeighborsClassifier(algorithm="kd_tree").fit(X, Y)
    data = paramseal.dumps(model)
    parts = kit.unpack(data)
    (tree,) = kit.find(parts, KD)
    assert tree["data"]["@"] == "ref"
    assert sum(t.data == X.tobytes() for t in parts.tensors) == 1
    path = tmp_path / "knn.paramseal"
    path.write_bytes(data)
    loaded = paramseal.load(path)  # mmap: zero-copy read-only views of the file
    assert loaded._tree.get_arrays()[0] is loaded._fit_X
    assert not loaded._fit_X.flags.writeable
    assert not loaded._tree.get_arrays()[1].flags.writeable
    assert loaded.predict(XQ).tobytes() == model.predict(XQ).tobytes()


def test_query_statistics_are_not_written() -> None:
    model = KNeighborsClassifier(algorithm="ball_tree").fit(X, Y)
    data = paramseal.dumps(model)
    model.kneighbors(XQ)
    assert model._tree.get_n_calls() > 0
    assert paramseal.dumps(model) == data
    loaded = paramseal.loads(data)
    assert loaded._tree.get_n_calls() == 0 and loaded._tree.get_tree_stats() == (0, 0, 0)


@pytest.mark.parametrize("cls", [KDTree, BallTree])
def test_standalone_tree(cls: Any) -> None:
    weights = RNG.rand(len(X)) + 0.5
    for tree in (cls(X, leaf_size=2), cls(X, leaf_size=50, metric="manhattan"),
                 cls(X, leaf_size=5, sample_weight=weights), cls(X[:1], leaf_size=1)):
        data = paramseal.dumps(tree)
        loaded = paramseal.loads(data)
        assert type(loaded) is cls
        for a, b in zip(tree.query(XQ, k=1), loaded.query(XQ, k=1), strict=True):
            assert a.tobytes() == b.tobytes()
        assert (tree.kernel_density(XQ, h=0.5).tobytes()
                == loaded.kernel_density(XQ, h=0.5).tobytes())
        assert (tree.two_point_correlation(XQ, [0.5, 1.0]).tobytes()
                == loaded.two_point_correlation(XQ, [0.5, 1.0]).tobytes())
        for x, y in zip(tree.get_arrays(), loaded.get_arrays(), strict=True):
            assert x.tobytes() == y.tobytes()
        assert paramseal.dumps(loaded) == data


def test_refused_at_dump() -> None:
    def my_distance(a: Any, b: Any) -> float:
        return float(np.abs(a - b).sum())

    model = KNeighborsClassifier(algorithm="ball_tree", metric=my_distance).fit(X, Y)
    with pytest.raises(errors.UnsupportedTypeError, match="never a callable"):
        paramseal.dumps(model)
    with pytest.raises(errors.UnsupportedTypeError, match="never a Python callable"):
        paramseal.dumps(BallTree(X, metric=my_distance))
    with pytest.raises(errors.UnsupportedTypeError, match="cannot write"):
        paramseal.dumps(model._tree)
    cosine = KNeighborsClassifier(metric="cosine").fit(X, Y)
    with pytest.raises(errors.UnsupportedTypeError, match="metric 'cosine'"):
        paramseal.dumps(cosine)
    with pytest.raises(errors.UnsupportedTypeError, match="cannot write"):
        paramseal.dumps(BallTree(X, metric="hamming"))


# ---------------------------------------------------------------- hostile files
#
# Every hostile file below is refused at load. They are loaded in ONE child process (the
# import of paramseal and scikit-learn is paid once, not once per file); each is reported on
# its own, and a file that the child did not report on (it crashed or hung on it) is loaded
# again alone with ``assert_rejected``, which fails on the crash or hang.

Edit = Callable[[Any, Any], None]
HOSTILE = HostileBatch()
hostile = HOSTILE.case


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


def _fitted(algorithm: str = "kd_tree", **kw: Any) -> KNeighborsClassifier:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return KNeighborsClassifier(algorithm=algorithm, **kw).fit(X, Y)


def _edited(model: Any, edit: Edit) -> bytes:
    parts = testkit.unpack(paramseal.dumps(model))
    edit(testkit, parts)
    return testkit.pack(parts)


def _tampered(model: Any, **attrs: Any) -> bytes:
    for name, value in attrs.items():
        setattr(model, name, value)
    return paramseal.dumps(model)


def _tree(kit: Any, parts: Any) -> dict[str, Any]:
    return (kit.find(parts, KD) or kit.find(parts, BALL))[0]


def _metric(kit: Any, parts: Any) -> dict[str, Any]:
    return _tree(kit, parts)["dist_metric"]


def _state(kit: Any, parts: Any, tag: str = KNC) -> dict[str, Any]:
    return kit.find(parts, tag)[0]["state"]


def _array_edit(where: Callable[[Any, Any], dict[str, Any]],
                change: Callable[[np.ndarray], np.ndarray]) -> Edit:
    """Replace the array behind a node, with its dtype if ``change`` gives another one."""
    def edit(kit: Any, parts: Any) -> None:
        node = where(kit, parts)
        new = np.ascontiguousarray(change(parts.array(node)))
        parts.set_array(node, new)
        if isinstance(node["dtype"], str) and new.dtype.str != node["dtype"]:
            node["dtype"] = new.dtype.str
            parts.tensors[node["tensor"]].code = kit.NATIVE[new.dtype.str]
    return edit


def _set_value(where: Callable[[Any, Any], dict[str, Any]], key: str, value: Any) -> Edit:
    def edit(kit: Any, parts: Any) -> None:
        where(kit, parts)[key] = value
    return edit


def _tree_field(key: str) -> Callable[[Any, Any], dict[str, Any]]:
    return lambda kit, parts: _tree(kit, parts)[key]


def _metric_field(key: str) -> Callable[[Any, Any], dict[str, Any]]:
    return lambda kit, parts: _metric(kit, parts)[key]


def _assign(array: np.ndarray, index: Any, value: Any) -> np.ndarray:
    array[index] = value
    return array


def _set_field(array: np.ndarray, field: str, index: int, value: Any) -> np.ndarray:
    array[field][index] = value
    return array


def _dict_node(keys: list[str], values: list[Any]) -> dict[str, Any]:
    return {"@": "dict", "keys": keys, "values": values}


def _params_edit(metric_params: Any, effective: Any, metric: str = "minkowski") -> Edit:
    def edit(kit: Any, parts: Any) -> None:
        (node,) = kit.find(parts, KNC)
        node["params"]["metric"] = metric
        node["params"]["metric_params"] = metric_params
        node["state"]["effective_metric_"] = metric
        node["state"]["effective_metric_params_"] = effective
    return edit


def _first_leaf(array: np.ndarray) -> int:
    return int(np.flatnonzero(array["is_leaf"])[0])


# KDTree / BallTree (N3): edits of one array or one field of a KNN's kd tree (leaf_size 4).
KD_EDITS: dict[str, tuple[Edit, str]] = {
    # survey §5 kdtree_idx_array_oob: SIGSEGV in predict without the check
    "kdtree_idx_array_oob": (_array_edit(_tree_field("idx_array"),
                                         lambda a: np.full_like(a, 10**8)),
                             "idx_array values must be in [0, 60)"),
    "idx_array_negative": (_array_edit(_tree_field("idx_array"), lambda a: _assign(a, 0, -1)),
                           "idx_array values must be in"),
    "idx_array_repeated": (_array_edit(_tree_field("idx_array"),
                                       lambda a: _assign(a, 0, a[1])),
                           "idx_array must be a permutation"),
    "idx_array_short": (_array_edit(_tree_field("idx_array"), lambda a: a[:-2]),
                        "idx_array must be a C-contiguous intp array of length 60"),
    "idx_array_int32": (_array_edit(_tree_field("idx_array"), lambda a: a.astype(np.int32)),
                        "idx_array must be a C-contiguous intp array"),
    # survey §5 kdtree_node_data_oob: a leaf's idx_end = 10**7, SIGSEGV in kneighbors
    "kdtree_node_data_oob": (_array_edit(_tree_field("node_data"), lambda a: _set_field(
        a, "idx_end", _first_leaf(a), 10**7)), "node_data idx_end of node"),
    "node_data_start": (_array_edit(_tree_field("node_data"),
                                    lambda a: _set_field(a, "idx_start", 2, 1)),
                        "node_data idx_start of node 2 is 1, but the tree layout gives 30"),
    "node_data_is_leaf": (_array_edit(_tree_field("node_data"),
                                      lambda a: _set_field(a, "is_leaf", 0, 1)),
                          "node_data is_leaf of node 0"),
    "node_data_short": (_array_edit(_tree_field("node_data"), lambda a: a[:-1]),
                        "node_data must be a NodeData array of shape [15]"),
    "node_bounds_shape": (_array_edit(_tree_field("node_bounds"), lambda a: a[:, :-1].copy()),
                          "node_bounds must be a C-contiguous float64 array of shape [2, 15, 4]"),
    "leaf_size_zero": (_set_value(_tree, "leaf_size", 0), "leaf_size must be at least 1"),
    "leaf_size_negative": (_set_value(_tree, "leaf_size", -5),
                           "leaf_size must be a non-negative integer"),
    "n_levels": (_set_value(_tree, "n_levels", 9), "n_levels is 9, but 60 samples"),
    "n_nodes": (_set_value(_tree, "n_nodes", 2**20), "n_nodes is 1048576"),
}
for _name, (_edit, _match) in KD_EDITS.items():
    hostile(_name, _match)(lambda e=_edit: _edited(_fitted("kd_tree", leaf_size=4), e))


@hostile("tree_data_not_float64", "data must be a non-empty 2-D C-contiguous float64 array")
def _tree_data_float32() -> bytes:
    return _edited(KDTree(X, leaf_size=4),
                   _array_edit(_tree_field("data"), lambda a: a.astype(np.float32)))


@hostile("sample_weight_short", "sample_weight must be None or a float64 array of length 60")
def _sample_weight_short() -> bytes:
    return _edited(KDTree(X, leaf_size=4, sample_weight=np.ones(len(X))),
                   _array_edit(_tree_field("sample_weight"), lambda a: a[:10]))


@hostile("balltree_mahalanobis_buffer_overflow",
         "mahalanobis VI has shape [1, 1], expected [4, 4]")
def _mahalanobis_overflow() -> bytes:
    """Survey §5: a ball tree's metric replaced by a 1x1-VI Mahalanobis (heap overflow)."""
    return _edited(_fitted("ball_tree"), _set_value(
        _metric, "@", "sklearn.metrics.MahalanobisDistance64"))


@hostile("mahalanobis_vi_narrow", "mahalanobis VI has shape [2, 2], expected [4, 4]")
def _mahalanobis_narrow() -> bytes:
    model = _fitted("ball_tree", metric="mahalanobis", metric_params={"VI": VI})
    return _edited(model, _array_edit(_metric_field("mat"), lambda a: a[:2, :2].copy()))


@hostile("metric_not_for_kd_tree", "dist_metric SEuclideanDistance64 cannot be used")
def _metric_not_for_kd() -> bytes:
    return _edited(KDTree(X, leaf_size=4), _set_value(
        _metric, "@", "sklearn.metrics.SEuclideanDistance64"))


@hostile("minkowski_weights_short", "minkowski weights have 1 entries, expected 4")
def _weights_short() -> bytes:
    model = _fitted("ball_tree", weights="distance", metric_params={"w": np.ones(4)})
    return _edited(model, _array_edit(_metric_field("vec"), lambda a: a[:1]))


@hostile("seuclidean_variances_short", "seuclidean variances have 2 entries, expected 4")
def _variances_short() -> bytes:
    model = _fitted("ball_tree", metric="seuclidean", metric_params={"V": np.ones(4)})
    return _edited(model, _array_edit(_metric_field("vec"), lambda a: a[:2]))


# DistanceMetric objects (N4), in a KNN's ball tree.
METRIC_EDITS: dict[str, tuple[dict[str, Any], Edit, str]] = {
    "metric_p_int": ({}, _set_value(_metric, "p", 2), "p must be a float, found int"),
    "metric_p_fixed": ({}, _set_value(_metric, "p", 3.0), "p must be 2.0 for this metric"),
    "metric_p_zero": ({"p": 3}, _set_value(_metric, "p", 0.0),
                      "p must be finite and greater than 0"),
    "metric_p_inf": ({"p": 3}, _set_value(_metric, "p", float("inf")),
                     "p must be finite and greater than 0"),
    "metric_vec_2d": ({}, _array_edit(_metric_field("vec"), lambda a: a.reshape(1, 1)),
                      "vec must be a 1-D C-contiguous float64 array"),
    "metric_mat_1d": ({}, _array_edit(_metric_field("mat"), lambda a: a.ravel()),
                      "mat must be a 2-D C-contiguous float64 array"),
    "metric_weights_negative": ({"weights": "distance", "metric_params": {"w": np.ones(4)}},
                                _array_edit(_metric_field("vec"), lambda a: -a),
                                "minkowski weights must be finite and non-negative"),
    "metric_variances_empty": ({"metric": "seuclidean", "metric_params": {"V": np.ones(4)}},
                               _array_edit(_metric_field("vec"), lambda a: a[:0]),
                               "seuclidean variances must not be empty"),
    "metric_vi_not_square": ({"metric": "mahalanobis", "metric_params": {"VI": VI}},
                             _array_edit(_metric_field("mat"), lambda a: a[:2].copy()),
                             "mahalanobis VI must be a non-empty square matrix"),
}
for _name, (_kw, _edit, _match) in METRIC_EDITS.items():
    hostile(_name, _match)(lambda k=_kw, e=_edit: _edited(_fitted("ball_tree", **k), e))


def _state_array(key: str) -> Callable[[Any, Any], dict[str, Any]]:
    return lambda kit, parts: _state(kit, parts)[key]


# The estimators (N10), on a brute-force KNN classifier.
BRUTE_EDITS: dict[str, tuple[Edit, str]] = {
    # survey §5 knn_brute_fit_X_narrow: every distance silently 0.0 without the check
    "knn_brute_fit_X_narrow": (
        _array_edit(_state_array("_fit_X"), lambda a: a[:, :1].copy()),
        "_fit_X has shape [60, 1], expected [n_samples_fit_, n_features_in_] = [60, 4]"),
    "fit_x_not_array": (_set_value(_state, "_fit_X", [1.0, 2.0]),
                        "_fit_X must be a 2-D numeric array"),
    "metric_not_allowed": (_set_value(lambda k, p: k.find(p, KNC)[0]["params"], "metric",
                                      "cosine"), "metric must be one of"),
    "n_features_in": (_set_value(_state, "n_features_in_", 0),
                      "n_features_in_ must be a positive integer"),
    "n_samples_fit": (_set_value(_state, "n_samples_fit_", 1.5),
                      "n_samples_fit_ must be a positive integer"),
    "n_samples_fit_larger": (_set_value(_state, "n_samples_fit_", 10**6),
                             "_fit_X has shape [60, 4], expected"),
    "effective_metric": (_set_value(_state, "effective_metric_", "manhattan"),
                         "effective_metric_ must be 'euclidean'"),
    "effective_params": (_set_value(_state, "effective_metric_params_",
                                    _dict_node(["p"], [1.0])),
                         "effective_metric_params_ does not match"),
    "params_keys": (_params_edit(_dict_node(["q"], [1]), _dict_node(["q"], [1]),
                                 metric="euclidean"),
                    "effective_metric_params_ of euclidean must have the keys []"),
    "minkowski_p_negative": (_params_edit(_dict_node(["p"], [-1.0]),
                                          _dict_node(["p", "w"], [-1.0, None])),
                             "minkowski p must be a finite number greater than 0"),
    "minkowski_p_array": (_params_edit(_dict_node(["p"], [{"@": "ndarray", "dtype": "|O",
                                                             "items": [1.0, 2.0],
                                                             "shape": [2]}]),
                                       _dict_node(["p", "w"], [2, None])),
                          "metric_params p must be a number"),
    "minkowski_w_short": (_params_edit(_dict_node(["w"], [[1.0, 1.0]]),
                                       _dict_node(["p", "w"], [2, [1.0, 1.0]])),
                          "metric parameter w has shape [2], expected [4]"),
    "minkowski_w_negative": (_params_edit(_dict_node(["w"], [[1.0, -1.0, 1.0, 1.0]]),
                                          _dict_node(["p", "w"], [2, [1.0, -1.0, 1.0, 1.0]])),
                             "metric parameter w must be finite and non-negative"),
    "minkowski_w_text": (_params_edit(_dict_node(["w"], ["abcd"]),
                                      _dict_node(["p", "w"], [2, "abcd"])),
                         "metric parameter w must be an array"),
    "minkowski_w_words": (_params_edit(_dict_node(["w"], [["a", "b", "c", "d"]]),
                                       _dict_node(["p", "w"], [2, ["a", "b", "c", "d"]])),
                          "metric parameter w must be numeric"),
    "mahalanobis_vi_param_narrow": (_params_edit(_dict_node(["VI"], [[[1.0]]]),
                                                 _dict_node(["VI"], [[[1.0]]]),
                                                 metric="mahalanobis"),
                                    "metric parameter VI has shape [1, 1], expected [4, 4]"),
    "fit_method": (_set_value(_state, "_fit_method", "quantum"),
                   "_fit_method must be kd_tree, ball_tree or brute"),
    "fit_method_not_algorithm": (_set_value(_state, "_fit_method", "kd_tree"),
                                 "_fit_method kd_tree does not match algorithm brute"),
    "outputs_2d": (_set_value(_state, "outputs_2d_", 1), "outputs_2d_ must be a bool"),
    "classes_not_array": (_set_value(_state, "classes_", [0, 1, 2]),
                          "classes_ must be a non-empty 1-D array"),
    "y_int32": (_array_edit(_state_array("_y"), lambda a: a.astype(np.int32)),
                "_y must be a C-contiguous intp array of shape [60]"),
    "y_short": (_array_edit(_state_array("_y"), lambda a: a[:30]),
                "_y must be a C-contiguous intp array of shape [60]"),
}
for _name, (_edit, _match) in BRUTE_EDITS.items():
    hostile(_name, _match)(lambda e=_edit: _edited(_fitted("brute"), e))


@hostile("mahalanobis_v_singular", "effective_metric_params_ do not make a metric")
def _mahalanobis_singular() -> bytes:
    model = _fitted("ball_tree", metric="mahalanobis", metric_params={"V": np.cov(X.T)})
    return _edited(model, _array_edit(
        lambda k, p: k.find(p, KNC)[0]["params"]["metric_params"]["values"][0],
        lambda a: np.zeros_like(a)))


@hostile("knn_y_label_oob", "_y values must be class indices in [0, 3)")
def _y_label_oob() -> bytes:
    """Not in the survey: brute manhattan predict_proba runs ArgKminClassMode, which writes
    class_scores[i][_y[j]]; _y + 10**8 is a SIGSEGV in sklearn 1.9.1 without the check."""
    return _edited(_fitted("brute", p=1), _array_edit(_state_array("_y"),
                                                       lambda a: a + 10**8))


@hostile("sparse_fit_x_with_tree", "a sparse _fit_X must be CSR and fitted with the brute method")
def _sparse_with_tree() -> bytes:
    model = KNeighborsClassifier(n_neighbors=3).fit(sp.csr_matrix(X), Y)
    return _tampered(model, _fit_method="kd_tree", algorithm="kd_tree")


# Models whose Python objects were swapped before writing.
TAMPERS: dict[str, tuple[Callable[[Any], dict[str, Any]], str]] = {
    "brute_with_tree": (lambda m: {"_fit_method": "brute", "algorithm": "brute"},
                        "_tree must be None for the brute method"),
    "wrong_tree_class": (lambda m: {"_fit_method": "ball_tree", "algorithm": "ball_tree"},
                         "_tree must be a BallTree for ball_tree"),
    "tree_data_not_fit_x": (lambda m: {"_fit_X": m._fit_X + 1.0},
                            "the tree's data is not _fit_X"),
    "tree_leaf_size": (lambda m: {"leaf_size": 31},
                       "the tree's leaf_size 30 is not leaf_size 31"),
    "tree_metric": (lambda m: {"p": 1, "effective_metric_": "manhattan"},
                    "the tree's distance metric EuclideanDistance64 does not match"),
}
for _name, (_attrs, _match) in TAMPERS.items():
    hostile(_name, _match)(lambda a=_attrs: (lambda m: _tampered(m, **a(m)))(_fitted()))


@hostile("regressor_y_short", "_y must be a 1-D or 2-D array of 60 rows")
def _regressor_y_short() -> bytes:
    model = KNeighborsRegressor(algorithm="brute").fit(X, YR)
    return _edited(model, _array_edit(
        lambda k, p: _state(k, p, "sklearn.neighbors.KNeighborsRegressor")["_y"],
        lambda a: a[:5]))


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)
