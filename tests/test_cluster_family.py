"""Clustering, neighbors-based models, KNNImputer and label propagation (issue 3).

Round trips (the coverage harness for every class of the family, plus settings that change the
fitted structure), the Birch CF tree and the bisecting k-means tree rebuilt with the same object
graph, and a hostile file for every invariant the validators enforce, loaded in one child
process that must refuse each without crashing or hanging.
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
from sklearn.cluster import (
    HDBSCAN,
    AffinityPropagation,
    AgglomerativeClustering,
    Birch,
    BisectingKMeans,
    FeatureAgglomeration,
    MeanShift,
)
from sklearn.impute import KNNImputer
from sklearn.metrics import pairwise_distances
from sklearn.neighbors import (
    KernelDensity,
    KNeighborsClassifier,
    KNeighborsRegressor,
    KNeighborsTransformer,
    LocalOutlierFactor,
    NearestCentroid,
    NeighborhoodComponentsAnalysis,
    RadiusNeighborsClassifier,
    RadiusNeighborsTransformer,
)
from sklearn.semi_supervised import LabelPropagation, LabelSpreading

import paramseal
from paramseal import errors
from paramseal.sklearn import coverage

RNG = np.random.RandomState(3)
X = np.r_[RNG.randn(40, 4), RNG.randn(40, 4) + 3]
Y = np.arange(len(X)) % 3
XQ = RNG.randn(7, 4) * 2
BIRCH_TREE = "sklearn.cluster.BirchTree"
BISECT_TREE = "sklearn.cluster.BisectingTree"

FAMILY = ("AffinityPropagation", "AgglomerativeClustering", "Birch", "BisectingKMeans", "DBSCAN",
          "FeatureAgglomeration", "HDBSCAN", "MeanShift", "OPTICS", "SpectralBiclustering",
          "SpectralClustering", "SpectralCoclustering", "KNeighborsTransformer", "KernelDensity",
          "LocalOutlierFactor", "NearestCentroid", "NeighborhoodComponentsAnalysis",
          "RadiusNeighborsTransformer", "KNNImputer", "LabelPropagation", "LabelSpreading",
          "KNeighborsClassifier", "KNeighborsRegressor")


def _quiet(fit: Callable[[], Any]) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fit()


# ---------------------------------------------------------------- the coverage harness

@pytest.fixture(scope="module")
def harness() -> dict[str, list[Any]]:
    results: dict[str, list[Any]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for result in coverage.run(lambda case: case.class_name in FAMILY):
            results.setdefault(result.class_name, []).append(result)
    return results


@pytest.mark.parametrize("name", FAMILY)
def test_coverage_harness(name: str, harness: dict[str, list[Any]]) -> None:
    assert harness[name], name
    for result in harness[name]:
        assert result.status == "ok", (result.id, result.status, result.detail)


def test_harness_has_the_extra_cases(harness: dict[str, list[Any]]) -> None:
    ids = {r.id for results in harness.values() for r in results}
    assert {"HDBSCAN-centers", "KNeighborsClassifier-1", "KNeighborsRegressor-1"} <= ids


# ---------------------------------------------------------------- round trips

@pytest.mark.parametrize("name", FAMILY)
def test_unfitted(name: str) -> None:
    """Unfitted instances (parameters of meta-estimators) load without fitted state."""
    from sklearn.utils import all_estimators

    cls = dict(all_estimators())[name]
    model = cls()
    data = paramseal.dumps(model)
    loaded = paramseal.loads(data)
    assert type(loaded) is cls and repr(loaded.get_params()) == repr(model.get_params())
    assert not any(key.endswith("_") for key in vars(loaded))
    assert paramseal.dumps(loaded) == data


@pytest.mark.parametrize("model", [
    AffinityPropagation(random_state=0),
    AffinityPropagation(random_state=0, damping=0.9),
    MeanShift(bandwidth=2.0),
    MeanShift(bandwidth=1.5, bin_seeding=True, cluster_all=False),
    NearestCentroid(),
    NearestCentroid(metric="manhattan"),
    NearestCentroid(shrink_threshold=0.3, priors="empirical"),
    KernelDensity(bandwidth=0.7),
    KernelDensity(bandwidth="scott", algorithm="ball_tree", kernel="epanechnikov",
                  leaf_size=5),
    KernelDensity(bandwidth="silverman", metric="manhattan", kernel="tophat"),
    KernelDensity(metric="minkowski", metric_params={"p": 3}, algorithm="ball_tree"),
    LocalOutlierFactor(n_neighbors=7, novelty=True),
    LocalOutlierFactor(n_neighbors=5, novelty=True, algorithm="brute", contamination=0.1),
    LocalOutlierFactor(n_neighbors=5),
    LocalOutlierFactor(n_neighbors=np.int64(4), novelty=True),  # n_neighbors_ is numpy's
    NearestCentroid(priors=[0, 1, 0]),  # class_prior_ keeps the integer dtype
    KNeighborsTransformer(n_neighbors=4, mode="connectivity", algorithm="ball_tree"),
    RadiusNeighborsTransformer(radius=1.5, algorithm="brute"),
    NeighborhoodComponentsAnalysis(n_components=2, random_state=0, max_iter=10),
    LabelPropagation(kernel="knn", n_neighbors=5),
    LabelPropagation(gamma=0.5),
    LabelSpreading(kernel="knn", n_neighbors=4, alpha=0.5),
    FeatureAgglomeration(n_clusters=2),
    FeatureAgglomeration(n_clusters=3, pooling_func=np.max, linkage="average"),
], ids=lambda m: type(m).__name__)
@pytest.mark.filterwarnings("ignore:divide by zero encountered in log")
def test_roundtrip(model: Any) -> None:
    y = np.where(np.arange(len(X)) % 4 == 0, -1, Y) if "Label" in type(model).__name__ else Y
    _quiet(lambda: model.fit(X, y))
    roundtrip(model, XQ)


def test_kernel_density_weights_and_sample() -> None:
    weights = RNG.rand(len(X)) + 0.1
    for algorithm in ("kd_tree", "ball_tree"):
        model = KernelDensity(bandwidth=0.5, algorithm=algorithm).fit(X, sample_weight=weights)
        loaded = roundtrip(model, XQ)
        assert (loaded.sample(5, random_state=0).tobytes()
                == model.sample(5, random_state=0).tobytes())


def test_nearest_centroid_sparse() -> None:
    for model in (NearestCentroid(), NearestCentroid(shrink_threshold=0.2)):
        roundtrip(model.fit(sp.csr_matrix(X), Y), sp.csr_matrix(XQ))


def test_knn_imputer_roundtrip() -> None:
    holes = X.copy()
    holes[RNG.rand(*holes.shape) < 0.15] = np.nan
    query = XQ.copy()
    query[0, 1] = query[3, 0] = np.nan
    for model in (KNNImputer(n_neighbors=3), KNNImputer(weights="distance", add_indicator=True)):
        roundtrip(model.fit(holes), query)


def test_affinity_propagation_sparse_and_precomputed() -> None:
    model = _quiet(lambda: AffinityPropagation(random_state=0).fit(sp.csr_matrix(X)))
    assert sp.issparse(model.cluster_centers_)
    roundtrip(model, sp.csr_matrix(XQ))
    similarity = -pairwise_distances(X, metric="sqeuclidean")
    model = _quiet(lambda: AffinityPropagation(affinity="precomputed", random_state=0)
                   .fit(similarity))
    loaded = paramseal.loads(paramseal.dumps(model))
    assert loaded.labels_.tobytes() == model.labels_.tobytes()


def test_affinity_propagation_not_converged() -> None:
    model = _quiet(lambda: AffinityPropagation(max_iter=1, convergence_iter=1, random_state=0)
                   .fit(X))
    assert model.cluster_centers_indices_ == [] and model.cluster_centers_.shape == (0, 4)
    loaded = _quiet(lambda: roundtrip(model, XQ))
    assert loaded.cluster_centers_indices_ == []


@pytest.mark.parametrize("cls", [KNeighborsClassifier, KNeighborsRegressor,
                                 RadiusNeighborsClassifier, KNeighborsTransformer])
def test_precomputed_metric(cls: Any) -> None:
    distances = pairwise_distances(X)
    kwargs = {"radius": 3.0} if cls is RadiusNeighborsClassifier else {}
    model = cls(metric="precomputed", **kwargs)
    model.fit(distances) if cls is KNeighborsTransformer else model.fit(distances, Y)
    assert model._fit_X.shape == (len(X), len(X))
    loaded = roundtrip(model, pairwise_distances(XQ, X))
    query = (lambda m: m.radius_neighbors(None, 2.0)) if cls is RadiusNeighborsClassifier \
        else (lambda m: m.kneighbors(None, 3))
    for a, b in zip(query(model), query(loaded), strict=True):
        for p, q in zip(a, b, strict=True):
            assert p.tobytes() == q.tobytes()


def test_precomputed_sparse_graph() -> None:
    graph = KNeighborsTransformer(n_neighbors=6, mode="distance").fit_transform(X)
    model = KNeighborsClassifier(3, metric="precomputed").fit(graph, Y)
    query = KNeighborsTransformer(n_neighbors=6, mode="distance").fit(X).transform(XQ)
    roundtrip(model, query)


def test_hdbscan_roundtrip_and_dbscan_clustering() -> None:
    noisy = X.copy()
    noisy[3, 1], noisy[10, 0] = np.nan, np.inf
    for model, data in ((HDBSCAN(min_cluster_size=4, copy=True), noisy),
                        (HDBSCAN(store_centers="both", copy=True, min_samples=3), X),
                        (HDBSCAN(metric="precomputed", copy=True), pairwise_distances(X))):
        model.fit(data)
        loaded = paramseal.loads(paramseal.dumps(model))
        assert paramseal.dumps(loaded) == paramseal.dumps(model)
        for cut in (0.3, 1.0, 3.0):
            assert (loaded.dbscan_clustering(cut, 3).tobytes()
                    == model.dbscan_clustering(cut, 3).tobytes())


# Birch: the CF tree comes back with the same links, and partial_fit continues identically.

def _leaf_sizes(model: Any) -> list[int]:
    sizes, leaf = [], model.dummy_leaf_.next_leaf_
    while leaf is not None:
        assert leaf.next_leaf_ is None or leaf.next_leaf_.prev_leaf_ is leaf
        sizes.append(len(leaf.subclusters_))
        leaf = leaf.next_leaf_
    return sizes


def _tree_shape(node: Any) -> Any:
    return [(len(s.child_.subclusters_), _tree_shape(s.child_)) if s.child_ else s.n_samples_
            for s in node.subclusters_]


@pytest.mark.parametrize("model,dtype,sparse", [
    (Birch(threshold=0.4, branching_factor=4), np.float64, False),
    (Birch(threshold=0.3, branching_factor=3, n_clusters=None), np.float64, False),
    (Birch(threshold=0.5, n_clusters=AgglomerativeClustering(4)), np.float64, False),
    (Birch(threshold=0.4, branching_factor=5), np.float32, False),
    (Birch(threshold=0.6, branching_factor=6, compute_labels=False), np.float64, True),
    (Birch(threshold=5.0), np.float64, False),  # the root is the only leaf
], ids=["deep", "no-global", "agglomerative", "float32", "sparse", "one-leaf"])
def test_birch_tree(model: Any, dtype: Any, sparse: bool) -> None:
    data = X.astype(dtype)
    _quiet(lambda: model.fit(sp.csr_matrix(data) if sparse else data))
    loaded = roundtrip(model, XQ.astype(dtype))
    assert _leaf_sizes(loaded) == _leaf_sizes(model)
    assert _tree_shape(loaded.root_) == _tree_shape(model.root_)
    assert loaded.dummy_leaf_.prev_leaf_ is None and not loaded.dummy_leaf_.subclusters_
    if model.root_.is_leaf:
        assert loaded.root_.prev_leaf_.next_leaf_ is loaded.root_
        assert loaded.root_.prev_leaf_ is loaded.dummy_leaf_
    for a, b in zip(model.root_.subclusters_, loaded.root_.subclusters_, strict=True):
        assert (a.centroid_ is a.linear_sum_) == (b.centroid_ is b.linear_sum_)
        assert a.linear_sum_.tobytes() == b.linear_sum_.tobytes()
        assert type(a.sq_norm_) is type(b.sq_norm_) and a.sq_norm_ == b.sq_norm_
    more = RNG.randn(30, 4).astype(dtype)
    _quiet(lambda: (model.partial_fit(more), loaded.partial_fit(more)))
    assert loaded.predict(XQ).tobytes() == model.predict(XQ).tobytes()
    assert _leaf_sizes(loaded) == _leaf_sizes(model)
    assert paramseal.dumps(loaded) == paramseal.dumps(model)


def test_birch_file_has_no_dummy_leaf() -> None:
    model = _quiet(lambda: Birch(threshold=0.4, branching_factor=4).fit(X))
    parts = testkit.unpack(paramseal.dumps(model))
    (node,) = testkit.find(parts, "sklearn.cluster.Birch")
    assert "dummy_leaf_" not in node["state"]
    assert node["state"]["root_"]["@"] == BIRCH_TREE
    assert testkit.find(parts, BIRCH_TREE)[0]["leaf"]["@"] == "ndarray"


def test_birch_unwritable_states() -> None:
    model = _quiet(lambda: Birch(threshold=0.4, branching_factor=4).fit(X))
    model.root_.subclusters_[0].extra = 1
    with pytest.raises(errors.UnsupportedTypeError, match="unexpected attributes"):
        paramseal.dumps(model)
    model = _quiet(lambda: Birch(threshold=0.4, branching_factor=4).fit(X))
    with pytest.raises(errors.UnsupportedTypeError, match="not the root of a fitted tree"):
        paramseal.dumps(model.dummy_leaf_)


@pytest.mark.parametrize("model,dtype,sparse", [
    (BisectingKMeans(n_clusters=4, random_state=0), np.float64, False),
    (BisectingKMeans(n_clusters=5, algorithm="elkan", random_state=0,
                     bisecting_strategy="largest_cluster"), np.float64, False),
    (BisectingKMeans(n_clusters=3, random_state=0, init="k-means++"), np.float32, False),
    (BisectingKMeans(n_clusters=4, random_state=0), np.float64, True),
    (BisectingKMeans(n_clusters=1, random_state=0), np.float64, False),
], ids=["lloyd", "elkan-largest", "float32", "sparse", "one-cluster"])
def test_bisecting_kmeans(model: Any, dtype: Any, sparse: bool) -> None:
    data = X.astype(dtype)
    model.fit(sp.csr_matrix(data) if sparse else data)
    query = XQ.astype(dtype)
    data_bytes = paramseal.dumps(model)
    (node,) = testkit.find(testkit.unpack(data_bytes), "sklearn.cluster.BisectingKMeans")
    assert "_kmeans_single" not in node["state"] and "_n_threads" not in node["state"]
    loaded = roundtrip(model, sp.csr_matrix(query) if sparse else query)
    assert loaded._kmeans_single is model._kmeans_single
    leaves = list(loaded._bisecting_tree.iter_leaves())
    assert [leaf.label for leaf in leaves] == list(range(model.n_clusters))
    assert type(loaded._bisecting_tree.center) is type(model._bisecting_tree.center)


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()
hostile = HOSTILE.case
Edit = Callable[[Any, dict[str, Any]], None]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


def _edited(model: Any, edit: Edit, tag: str | None = None) -> bytes:
    """``model``'s file with ``edit`` applied to its state map (or to the node ``tag``)."""
    parts = testkit.unpack(paramseal.dumps(model))
    if tag is None:
        owner = f"{type(model).__module__.split('.')[1]}"
        node = testkit.find(parts, f"sklearn.{owner}.{type(model).__name__}")[0]["state"]
    else:
        node = testkit.find(parts, tag)[0]
    edit(parts, node)
    return testkit.pack(parts)


def _param(name: str, value: Any) -> Edit:
    """An edit of the root estimator's parameter ``name`` (whatever state map is given)."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        parts.schema["root"]["params"][name] = value
    return edit


def _set(array: np.ndarray, index: Any, value: Any) -> np.ndarray:
    array[index] = value
    return array


def _both(*edits: Edit) -> Edit:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        for e in edits:
            e(parts, node)
    return edit


def _birch() -> Birch:
    return _quiet(lambda: Birch(threshold=0.4, branching_factor=4).fit(X))


def _birch_tree(edit: Edit) -> bytes:
    return _edited(_birch(), edit, BIRCH_TREE)


def _birch_state(edit: Edit) -> bytes:
    return _edited(_birch(), edit)


def _unbalanced() -> bytes:
    """A tree whose first leaf hangs one level deeper, under a new one-subcluster node."""
    from sklearn.cluster._birch import _CFNode, _CFSubcluster

    model = _birch()
    root = model.root_
    assert not root.is_leaf
    while not root.subclusters_[0].child_.is_leaf:
        root = root.subclusters_[0].child_
    leaf = root.subclusters_[0].child_
    middle = _CFNode(threshold=0.4, branching_factor=4, is_leaf=False, n_features=4,
                     dtype=np.float64)
    sub = _CFSubcluster(linear_sum=leaf.subclusters_[0].linear_sum_.copy())
    sub.child_ = leaf
    middle.append_subcluster(sub)
    root.subclusters_[0].child_ = middle
    return paramseal.dumps(model)


def _removed(key: str) -> Edit:
    """Delete ``key`` from a state map: a fitted model missing one native-read attribute."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        del state[key]
    return edit


def _added(key: str, value: Any) -> Edit:
    """Add ``key`` to a state map, keeping its keys in canonical order."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        items = sorted({**state, key: value}.items())
        state.clear()
        state.update(items)
    return edit


# Birch CF tree (BirchTree node): every link is an index, checked before a node is built.
hostile("birch_offsets_decreasing", "subclusters must be")(lambda: _birch_tree(
    _array("subclusters", lambda a: _set(a, 2, a[3] + 1))))
hostile("birch_child_cycle", "child must number the nodes 2 .. n_nodes - 1 breadth first")(
    lambda: _birch_tree(_array("child", lambda a: _set(a, int(np.flatnonzero(a >= 0)[-1]), 1))))
hostile("birch_child_oob", "child must number the nodes")(lambda: _birch_tree(
    _array("child", lambda a: _set(a, int(np.flatnonzero(a >= 0)[0]), 10**9))))
hostile("birch_leaf_with_child", "the subclusters of inner nodes must all have a child")(
    lambda: _birch_tree(_array("leaf", lambda a: _set(a, 1, True))))
hostile("birch_unbalanced", "every leaf must be at the same depth")(_unbalanced)
hostile("birch_leaves_repeated", "leaves must list every leaf node")(lambda: _birch_tree(
    _array("leaves", lambda a: _set(a, 0, a[1]))))
hostile("birch_leaves_oob", "leaves must list every leaf node")(lambda: _birch_tree(
    _array("leaves", lambda a: _set(a, 0, 10**6))))
hostile("birch_leaves_short", "leaves must list every leaf node")(lambda: _birch_tree(
    _array("leaves", lambda a: a[1:])))
hostile("birch_dummy_not_empty", "node 0 must be the empty dummy leaf")(lambda: _birch_tree(
    _array("subclusters", lambda a: _set(a, 1, 1))))
hostile("birch_branching_huge", "branching_factor preallocates too much memory")(
    lambda: _birch_tree(lambda parts, node: node.__setitem__(
        "branching_factor", [2**40] * len(node["branching_factor"]))))
hostile("birch_branching_small", "each at least its node's number of subclusters")(
    lambda: _birch_tree(lambda parts, node: node.__setitem__(
        "branching_factor", [1] * len(node["branching_factor"]))))
hostile("birch_threshold_negative", "threshold must be")(lambda: _birch_tree(
    lambda parts, node: node.__setitem__("threshold", [-1.0] * len(node["threshold"]))))
hostile("birch_n_samples_zero", "n_samples of every subcluster must be at least 1")(
    lambda: _birch_tree(_array("n_samples", lambda a: _set(a, 0, 0))))
hostile("birch_shared_differs", "a shared centroid must equal its linear sum")(
    lambda: _birch_tree(_both(_array("shared", lambda a: np.ones_like(a)),
                              _array("centroid", lambda a: a + 1.0))))
hostile("birch_linear_sum_narrow", "linear_sum must be a float64 array of shape")(
    lambda: _birch_tree(_array("linear_sum", lambda a: a[:, :2].copy())))
hostile("birch_sq_norm_short", "sq_norm must be a float64 array")(lambda: _birch_tree(
    _array("sq_norm", lambda a: a[:-1])))
hostile("birch_child_dtype", "child must be a int64 array")(lambda: _birch_tree(
    _array("child", lambda a: a.astype(np.int32))))
# Birch estimator: predict reads one Y_norm_squared per center in native code.
hostile("birch_norms_short", "_subcluster_norms must be a C-contiguous float64 array")(
    lambda: _birch_state(_array("_subcluster_norms", lambda a: a[:2])))
hostile("birch_centers_narrow", "subcluster_centers_ must be a 2-D C-contiguous float64")(
    lambda: _birch_state(_array("subcluster_centers_", lambda a: a[:, :1].copy())))
hostile("birch_centers_differ", "subcluster_centers_ must be the centroids of the tree's")(
    lambda: _birch_state(_array("subcluster_centers_", lambda a: a + 1.0)))
hostile("birch_subcluster_labels_short", "subcluster_labels_ must be an integer array")(
    lambda: _birch_state(_array("subcluster_labels_", lambda a: a[:1])))
hostile("birch_features_out", "_n_features_out must be the number of subclusters")(
    lambda: _birch_state(_value("_n_features_out", 1000)))
hostile("birch_n_features", "the tree has 4 features, expected n_features_in_ = 9")(
    lambda: _birch_state(_value("n_features_in_", 9)))
hostile("birch_root_not_tree", "root_ must be a Birch tree")(
    lambda: _birch_state(_value("root_", 7)))
hostile("birch_norms_missing", "_subcluster_norms must be a C-contiguous float64 array")(
    lambda: _birch_state(_removed("_subcluster_norms")))
hostile("birch_root_missing", "root_ must be a Birch tree")(
    lambda: _birch_state(_removed("root_")))
hostile("birch_dummy_in_file", "attribute name 'dummy_leaf_' is not allowed",
        error="SchemaError")(lambda: _birch_state(_added("dummy_leaf_", None)))


# BisectingKMeans: the tree's centers reach the native k-means loop (N7).
def _bisect(n_clusters: int = 3) -> BisectingKMeans:
    return BisectingKMeans(n_clusters=n_clusters, random_state=0).fit(X)


def _bisect_tree(edit: Edit) -> bytes:
    return _edited(_bisect(), edit, BISECT_TREE)


def _two_leaves(parts: Any, node: dict[str, Any]) -> None:
    _array("leaf", lambda a: np.array([False, True, True]))(parts, node)
    _array("centers", lambda a: a[:3].copy())(parts, node)
    node["scores"] = node["scores"][:3]


hostile("bisect_preorder", "leaf is not the preorder of a tree")(lambda: _bisect_tree(
    _array("leaf", lambda a: np.ones_like(a))))
hostile("bisect_preorder_open", "leaf is not the preorder of a tree")(lambda: _bisect_tree(
    _array("leaf", lambda a: np.zeros_like(a))))
hostile("bisect_centers_narrow", "every center of the tree must be a float64 vector of 4")(
    lambda: _bisect_tree(_array("centers", lambda a: a[:, :1].copy())))
hostile("bisect_centers_float32", "every center of the tree must be a float64 vector")(
    lambda: _bisect_tree(_array("centers", lambda a: a.astype(np.float32))))
hostile("bisect_centers_rows", "centers must be a float32 or float64 array of 5 rows")(
    lambda: _bisect_tree(_array("centers", lambda a: a[:2].copy())))
hostile("bisect_scores", "scores must be 5 numbers")(lambda: _bisect_tree(
    lambda parts, node: node.__setitem__("scores", ["x"] * 5)))
hostile("bisect_leaf_count", "the tree has 2 leaves, expected n_clusters = 3")(
    lambda: _bisect_tree(_two_leaves))
hostile("bisect_tree_missing", "_bisecting_tree must be a bisecting tree")(
    lambda: _edited(_bisect(), _removed("_bisecting_tree")))
hostile("bisect_x_mean_short", "_X_mean must be a C-contiguous float64 array of shape [4]")(
    lambda: _edited(_bisect(), _array("_X_mean", lambda a: a[:2])))
hostile("bisect_tree_not_tree", "_bisecting_tree must be a bisecting tree")(
    lambda: _edited(_bisect(), _value("_bisecting_tree", [1, 2])))
hostile("bisect_centers_kmeans", "cluster_centers_ has shape [3, 1]")(
    lambda: _edited(_bisect(), _array("cluster_centers_", lambda a: a[:, :1].copy())))
hostile("bisect_function_in_file", "attribute name '_kmeans_single' is not allowed",
        error="SchemaError")(lambda: _edited(_bisect(), _added(
            "_kmeans_single", {"@": "function", "name": "numpy.mean"})))


# HDBSCAN (N8): dbscan_clustering's union-find writes at left_node and right_node.
def _hdbscan() -> HDBSCAN:
    return HDBSCAN(min_cluster_size=4, copy=True, store_centers="centroid").fit(X)


def _linkage(change: Callable[[np.ndarray], np.ndarray]) -> bytes:
    """Edit the structured linkage array in place (its record dtype is kept unless the change
    returns a plain array)."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        node = state["_single_linkage_tree_"]
        new = np.ascontiguousarray(change(parts.array(node)))
        parts.set_array(node, new)
        if new.dtype.names is None:
            node["dtype"] = new.dtype.str
            parts.tensors[node["tensor"]].code = testkit.NATIVE[new.dtype.str]
            parts.tensors[node["tensor"]].shape = list(new.shape)
    return _edited(_hdbscan(), edit)


N = len(X)
def _merge(field: str, index: Any, value: Callable[[np.ndarray], Any]
           ) -> Callable[[np.ndarray], np.ndarray]:
    def change(array: np.ndarray) -> np.ndarray:
        array[field][index] = value(array)
        return array
    return change


# survey §5 hdbscan_linkage_oob: left_node = 10**8, a union-find write far out of bounds
hostile("hdbscan_linkage_oob", "merges must join a sample or an earlier cluster")(
    lambda: _linkage(_merge("left_node", slice(None), lambda a: 10**8)))
hostile("hdbscan_linkage_negative", "merges must join a sample or an earlier cluster")(
    lambda: _linkage(_merge("right_node", 0, lambda a: -1)))
hostile("hdbscan_linkage_forward", "merges must join a sample or an earlier cluster")(
    lambda: _linkage(_merge("left_node", 0, lambda a: N + 5)))
hostile("hdbscan_linkage_repeated", "exactly once")(
    lambda: _linkage(_merge("left_node", 1, lambda a: a["left_node"][0])))
hostile("hdbscan_cluster_size", "cluster_size must be the sum of the merged sizes")(
    lambda: _linkage(_merge("cluster_size", 0, lambda a: 10**6)))
hostile("hdbscan_linkage_short", f"has {N - 2} merges, expected n_samples - 1 = {N - 1}")(
    lambda: _linkage(lambda a: a[1:]))
hostile("hdbscan_linkage_dtype", "must be a 1-D C-contiguous HIERARCHY array")(
    lambda: _linkage(lambda a: np.ascontiguousarray(a["left_node"])))
hostile("hdbscan_linkage_missing", "_single_linkage_tree_ must be a 1-D C-contiguous")(
    lambda: _edited(_hdbscan(), _removed("_single_linkage_tree_")))
hostile("hdbscan_probabilities_short", f"probabilities_ must be a float array of shape [{N}]")(
    lambda: _edited(_hdbscan(), _array("probabilities_", lambda a: a[:3])))
hostile("hdbscan_centroids_narrow", "centroids_ has shape")(
    lambda: _edited(_hdbscan(), _array("centroids_", lambda a: a[:, :2].copy())))


# AffinityPropagation and MeanShift: centers go to pairwise_distances_argmin (N10).
hostile("affinity_centers_narrow", "cluster_centers_ has shape")(lambda: _edited(
    _quiet(lambda: AffinityPropagation(random_state=0).fit(X)),
    _array("cluster_centers_", lambda a: a[:, :2].copy())))
hostile("affinity_indices_float", "cluster_centers_indices_ must be a 1-D integer array")(
    lambda: _edited(_quiet(lambda: AffinityPropagation(random_state=0).fit(X)),
                    _array("cluster_centers_indices_", lambda a: a.astype(np.float64))))
hostile("mean_shift_centers_narrow", "cluster_centers_ has shape")(lambda: _edited(
    MeanShift(bandwidth=2.0).fit(X), _array("cluster_centers_", lambda a: a[:, :3].copy())))


# Neighbors estimators.
DIST = pairwise_distances(X)
DIST_Q = pairwise_distances(XQ, X)


def _precomputed() -> KNeighborsClassifier:
    return KNeighborsClassifier(3, metric="precomputed").fit(DIST, Y)


hostile("precomputed_not_square", "a precomputed fit must use the brute method on a square",
        x=DIST_Q)(lambda: _edited(_precomputed(), _both(
            _array("_fit_X", lambda a: a[:, :-1].copy()), _value("n_features_in_", N - 1))))
hostile("precomputed_fit_x_short", f"_fit_X has shape [{N - 5}, {N}]", x=DIST_Q)(
    lambda: _edited(_precomputed(), _array("_fit_X", lambda a: a[:-5].copy())))
hostile("precomputed_kd_tree", "a precomputed fit must use the brute method", x=DIST_Q)(
    lambda: _edited(_precomputed(), _value("_fit_method", "kd_tree")))
hostile("precomputed_samples", "_fit_X has shape", x=DIST_Q)(lambda: _edited(
    _precomputed(), _both(_value("n_samples_fit_", N + 10), _value("n_features_in_", N + 10))))
hostile("transformer_features_out", "_n_features_out must be n_samples_fit_")(
    lambda: _edited(KNeighborsTransformer(n_neighbors=3).fit(X),
                    _value("_n_features_out", 10**6)))


def _lof() -> LocalOutlierFactor:
    return LocalOutlierFactor(n_neighbors=6, novelty=True).fit(X)


hostile("lof_n_neighbors", "n_neighbors_ must be an integer in [1, n_samples_fit_")(
    lambda: _edited(_lof(), _value("n_neighbors_", 10**6)))
hostile("lof_distances_shape", "_distances_fit_X_ must be a float array of shape")(
    lambda: _edited(_lof(), _array("_distances_fit_X_", lambda a: a[:, :2].copy())))
hostile("lof_lrd_short", "_lrd must be a float array of shape")(
    lambda: _edited(_lof(), _array("_lrd", lambda a: a[:5])))
hostile("lof_offset", "offset_ must be a real number")(
    lambda: _edited(_lof(), _value("offset_", "low")))


def _kde(**kwargs: Any) -> KernelDensity:
    return KernelDensity(**kwargs).fit(X)


hostile("kde_tree_kind", "tree_ must be a KDTree")(lambda: _edited(
    _kde(algorithm="ball_tree"), _param("algorithm", "kd_tree")))
hostile("kde_bandwidth_zero", "bandwidth_ must be a finite number greater than 0")(
    lambda: _edited(_kde(bandwidth="scott"), _value("bandwidth_", 0.0)))
hostile("kde_bandwidth_mismatch", "bandwidth_ must be the bandwidth parameter")(
    lambda: _edited(_kde(bandwidth=0.5), _value("bandwidth_", 0.25)))
hostile("kde_features", "tree_ data has 4 features, expected n_features_in_ = 2")(
    lambda: _edited(_kde(), _value("n_features_in_", 2)))
hostile("kde_metric", "the tree's distance metric ManhattanDistance64 does not match")(
    lambda: _edited(_kde(), lambda parts, state: state["tree_"]["dist_metric"].update(
        {"@": "sklearn.metrics.ManhattanDistance64", "p": 1.0})))


hostile("nearest_centroid_narrow", "centroids_ must be a float array of shape [3, 4]")(
    lambda: _edited(NearestCentroid().fit(X, Y),
                    _array("centroids_", lambda a: a[:, :2].copy())))
hostile("nearest_centroid_prior", "class_prior_ must be a float array of shape [3]")(
    lambda: _edited(NearestCentroid().fit(X, Y), _array("class_prior_", lambda a: a[:1])))
hostile("nca_components_narrow", "components_ must be a 2-D float array of 4 columns")(
    lambda: _edited(NeighborhoodComponentsAnalysis(max_iter=5, random_state=0).fit(X, Y),
                    _array("components_", lambda a: a[:, :2].copy())))


def _imputer() -> KNNImputer:
    holes = X.copy()
    holes[::7, 1] = np.nan
    return KNNImputer(n_neighbors=3).fit(holes)


hostile("imputer_mask_shape", "_mask_fit_X must be a bool array of shape")(
    lambda: _edited(_imputer(), _array("_mask_fit_X", lambda a: a[:4].copy())))
hostile("imputer_valid_mask", "_valid_mask must be a bool array of shape [4]")(
    lambda: _edited(_imputer(), _array("_valid_mask", lambda a: a[:2])))
hostile("imputer_fit_x_narrow", "_fit_X must be a non-empty 2-D numeric array of 4 columns")(
    lambda: _edited(_imputer(), _array("_fit_X", lambda a: a[:, :2].copy())))
hostile("imputer_metric_function", "metric must be 'nan_euclidean'")(lambda: _edited(
    _imputer(), _param("metric", {"@": "function", "name": "numpy.mean"})))
hostile("imputer_indicator", "indicator_ must be None when add_indicator is not set")(
    lambda: _edited(_imputer(), _value("indicator_", 3)))


def _propagation(kernel: str = "knn") -> LabelPropagation:
    return _quiet(lambda: LabelPropagation(kernel=kernel, n_neighbors=5).fit(
        X, np.where(np.arange(N) % 3 == 0, -1, Y)))


hostile("propagation_distributions", "label_distributions_ must be a float array of shape")(
    lambda: _edited(_propagation(), _array("label_distributions_", lambda a: a[:10].copy())))
hostile("propagation_nn_fit", "nn_fit must be fitted on X_")(lambda: _propagation_other())
hostile("propagation_kernel_function", "kernel must be 'rbf' or 'knn'")(lambda: _edited(
    _propagation("rbf"), _param("kernel", {"@": "function", "name": "numpy.mean"})))
hostile("propagation_transduction", "transduction_ must be an array of shape")(
    lambda: _edited(_propagation(), _array("transduction_", lambda a: a[:3])))


def _propagation_other() -> bytes:
    """A knn LabelPropagation whose nn_fit was fitted on other data than X_."""
    from sklearn.neighbors import NearestNeighbors

    model = _propagation()
    model.nn_fit = NearestNeighbors(n_neighbors=5).fit(X[:30])
    return paramseal.dumps(model)


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)


def test_refused_at_dump() -> None:
    def my_metric(a: Any, b: Any, **kwargs: Any) -> Any:
        return np.zeros((len(a), len(b)))

    holes = X.copy()
    holes[0, 0] = np.nan
    with pytest.raises(errors.UnsupportedTypeError, match="only the metric 'nan_euclidean'"):
        paramseal.dumps(KNNImputer(metric=my_metric).fit(holes))
    model = _quiet(lambda: LabelSpreading(kernel=lambda a, b: a @ b.T).fit(
        X, np.where(np.arange(N) % 3 == 0, -1, Y)))
    with pytest.raises(errors.UnsupportedTypeError, match="with a callable kernel"):
        paramseal.dumps(model)
