"""k-means (N7).

``predict``, ``score`` and ``partial_fit`` hand ``cluster_centers_`` to Cython loops that take
the width of X (``n_features_in_``) as the row length of the centers and ``centers.shape[0]``
as the number of clusters; ``partial_fit`` also writes ``_counts[label]`` for every label. So
the centers must be a C-contiguous floating array of shape ``(n_clusters, n_features_in_)`` and
``_counts`` (MiniBatchKMeans) a vector of ``n_clusters`` values of the centers' dtype.

``partial_fit`` of MiniBatchKMeans updates ``cluster_centers_`` and ``_counts`` in place, so
those two small arrays are copied when the file gave read-only views (mmap).

``_n_threads`` is not written: it is the OpenMP thread count of the machine that fitted the
model, it becomes the ``num_threads`` of parallel loops, and it is recomputed for the machine
that loads the model, as ``fit`` computes it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import estimator_entry


def _derive_threads(est: Any) -> None:
    from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

    est._n_threads = _openmp_effective_n_threads()


def _derive_minibatch(est: Any) -> None:
    _derive_threads(est)
    state = est.__dict__
    for name in ("cluster_centers_", "_counts"):
        value = state.get(name)
        if type(value) is np.ndarray and not value.flags.writeable:
            state[name] = value.copy()


def _kmeans_validator(tag: str, minibatch: bool) -> Callable[[Any, str], None]:
    def validate(est: Any, path: str) -> None:
        def fail(message: str) -> ReconstructionError:
            return ReconstructionError(message, type_name=tag, path=path)

        n_features = est.__dict__.get("n_features_in_")
        if type(n_features) is not int or n_features < 1:
            raise fail(f"n_features_in_ must be a positive integer, found {n_features!r:.40}")
        n_clusters = est.n_clusters
        centers = est.__dict__.get("cluster_centers_")
        if (type(centers) is not np.ndarray or centers.dtype not in (np.float32, np.float64)
                or centers.ndim != 2 or not centers.flags.c_contiguous):
            raise fail("cluster_centers_ must be a 2-D C-contiguous float32 or float64 array")
        if centers.shape != (n_clusters, n_features):
            raise fail(f"cluster_centers_ has shape {list(centers.shape)}, expected "
                       f"[n_clusters, n_features_in_] = {[n_clusters, n_features]}")
        if getattr(est, "_n_features_out", n_clusters) != n_clusters:
            raise fail(f"_n_features_out must be n_clusters = {n_clusters}")
        labels = est.__dict__.get("labels_")
        if labels is not None:
            if type(labels) is not np.ndarray or labels.dtype != np.int32 or labels.ndim != 1:
                raise fail("labels_ must be a 1-D int32 array")
            if len(labels) and (labels.min() < 0 or labels.max() >= n_clusters):
                raise fail(f"labels_ must be cluster indices in [0, {n_clusters})")
        if minibatch and hasattr(est, "_counts"):
            counts = est._counts
            if (type(counts) is not np.ndarray or counts.dtype != centers.dtype
                    or counts.shape != (n_clusters,) or not counts.flags.c_contiguous):
                raise fail(f"_counts must be a C-contiguous {centers.dtype} array of shape "
                           f"[{n_clusters}] (partial_fit writes _counts[label])")
            for name in ("_batch_size", "_init_size"):
                value = getattr(est, name, 1)
                if type(value) is not int or value < 1:
                    raise fail(f"{name} must be a positive integer, found {value!r:.40}")

    return validate


def register(registry: Registry) -> None:
    from sklearn import cluster
    from sklearn.cluster._birch import _CFNode
    from sklearn.cluster._bisect_k_means import _BisectingTree

    from . import tag_for

    for cls, minibatch in ((cluster.KMeans, False), (cluster.MiniBatchKMeans, True)):
        tag = tag_for(cls)
        registry.add(estimator_entry(cls, tag, _kmeans_validator(tag, minibatch),
                                     derived=_derive_minibatch if minibatch else _derive_threads,
                                     dropped=frozenset({"_n_threads"})))
    # Fitted state that no native code reads after fit (labels, linkage children, spectral
    # embeddings, OPTICS orderings, biclusters): the generic reconstructor is enough.
    for cls in (cluster.AgglomerativeClustering, cluster.DBSCAN, cluster.FeatureAgglomeration,
                cluster.OPTICS, cluster.SpectralClustering, cluster.SpectralBiclustering,
                cluster.SpectralCoclustering):
        registry.add(estimator_entry(cls, tag_for(cls)))
    for cls, validate in ((cluster.AffinityPropagation, _validate_affinity_propagation),
                          (cluster.MeanShift, _validate_mean_shift),
                          (cluster.HDBSCAN, _validate_hdbscan)):
        registry.add(estimator_entry(cls, tag_for(cls), validate))
    registry.add(Entry(_BIRCH_TAG, _CFNode, _encode_birch_tree, _decode_birch_tree,
                       _BIRCH_FIELDS))
    registry.add(estimator_entry(cluster.Birch, tag_for(cluster.Birch), _validate_birch,
                                 derived=_derive_birch, dropped=frozenset({"dummy_leaf_"})))
    registry.add(Entry(_BISECT_TAG, _BisectingTree, _encode_bisecting_tree,
                       _decode_bisecting_tree, _BISECT_FIELDS))
    registry.add(estimator_entry(cluster.BisectingKMeans, tag_for(cluster.BisectingKMeans),
                                 _validate_bisecting, derived=_derive_bisecting,
                                 dropped=frozenset({"_n_threads", "_kmeans_single"})))


# ---------------------------------------------------------------- shared helpers

def _fail_for(tag: str, path: P.Path | str) -> Callable[[str], ReconstructionError]:
    rendered = path if type(path) is str else P.render(path)
    return lambda message: ReconstructionError(message, type_name=tag, path=rendered)


def _real(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(
        value, (bool, np.bool_))


def _width(state: dict[str, Any], fail: Callable[[str], ReconstructionError]) -> int:
    n_features = state.get("n_features_in_")
    if type(n_features) is not int or n_features < 1:
        raise fail(f"n_features_in_ must be a positive integer, found {n_features!r:.40}")
    return n_features


def _int_vector(value: Any, length: int | None = None) -> bool:
    return (type(value) is np.ndarray and value.ndim == 1 and value.dtype.kind in "iu"
            and (length is None or len(value) == length))


def _is_vector(value: Any, dtype: Any, length: int) -> bool:
    return (type(value) is np.ndarray and value.dtype == dtype and value.shape == (length,)
            and value.flags.c_contiguous)


# ---------------------------------------------------------------- AffinityPropagation, MeanShift

def _check_centers(centers: Any, rows: int | None, n_features: int, name: str,
                   fail: Callable[[str], ReconstructionError], sparse_ok: bool = False) -> None:
    """Centers go to ``pairwise_distances_argmin`` (N10): their width is n_features_in_."""
    import scipy.sparse as sp

    dense = type(centers) is np.ndarray and centers.ndim == 2 and centers.dtype.kind in "biuf"
    if not dense and not (sparse_ok and sp.issparse(centers) and centers.format == "csr"):
        raise fail(f"{name} must be a 2-D numeric array" + (" or a CSR matrix" if sparse_ok
                                                            else ""))
    if centers.shape[1] != n_features or (rows is not None and centers.shape[0] != rows):
        expected = [rows if rows is not None else "k", n_features]
        raise fail(f"{name} has shape {list(centers.shape)}, expected {expected}")


def _validate_affinity_propagation(est: Any, path: str) -> None:
    fail = _fail_for("sklearn.cluster.AffinityPropagation", path)
    state = est.__dict__
    n_features = _width(state, fail)
    indices = state.get("cluster_centers_indices_")
    # fit leaves [] when it did not converge
    if not (_int_vector(indices) or (type(indices) is list and not indices)):
        raise fail("cluster_centers_indices_ must be a 1-D integer array")
    if not _int_vector(state.get("labels_")):
        raise fail("labels_ must be a 1-D integer array")
    centers = state.get("cluster_centers_")
    if centers is None and est.affinity == "precomputed" and "cluster_centers_" not in state:
        return  # fitted on a precomputed affinity: predict refuses to run
    _check_centers(centers, len(indices), n_features, "cluster_centers_", fail, sparse_ok=True)


def _validate_mean_shift(est: Any, path: str) -> None:
    fail = _fail_for("sklearn.cluster.MeanShift", path)
    state = est.__dict__
    n_features = _width(state, fail)
    _check_centers(state.get("cluster_centers_"), None, n_features, "cluster_centers_", fail)
    if not _int_vector(state.get("labels_")):
        raise fail("labels_ must be a 1-D integer array")


# ---------------------------------------------------------------- HDBSCAN (N8)

def _validate_hdbscan(est: Any, path: str) -> None:
    """``dbscan_clustering`` hands ``_single_linkage_tree_`` to ``labelling_at_cut``, whose
    union-find writes at ``left_node`` and ``right_node`` unchecked (survey §5)."""
    from sklearn.cluster._hdbscan._tree import HIERARCHY_dtype

    fail = _fail_for("sklearn.cluster.HDBSCAN", path)
    state = est.__dict__
    n_features = _width(state, fail)
    labels = state.get("labels_")
    if not _int_vector(labels) or len(labels) < 2:
        raise fail("labels_ must be a 1-D integer array of at least 2 samples")
    n = len(labels)
    probabilities = state.get("probabilities_")
    if type(probabilities) is not np.ndarray or probabilities.shape != (n,) \
            or probabilities.dtype.kind != "f":
        raise fail(f"probabilities_ must be a float array of shape [{n}]")
    tree = state.get("_single_linkage_tree_")
    if (type(tree) is not np.ndarray or tree.dtype != HIERARCHY_dtype or tree.ndim != 1
            or not tree.flags.c_contiguous):
        raise fail("_single_linkage_tree_ must be a 1-D C-contiguous HIERARCHY array")
    if len(tree) != n - 1:
        raise fail(f"_single_linkage_tree_ has {len(tree)} merges, expected n_samples - 1 = "
                   f"{n - 1}")
    left, right = tree["left_node"], tree["right_node"]
    # Merge i creates cluster n + i from two nodes made before it (a leaf or an earlier merge);
    # every node but the last cluster is merged exactly once.
    limit = np.arange(n, 2 * n - 1)
    if (left.min() < 0 or right.min() < 0 or (left >= limit).any()
            or (right >= limit).any()):
        raise fail("_single_linkage_tree_ merges must join a sample or an earlier cluster: "
                   f"left_node and right_node of merge i must be in [0, {n} + i)")
    seen = np.zeros(2 * n - 2, dtype=np.intp)
    np.add.at(seen, left, 1)
    np.add.at(seen, right, 1)
    if not (seen == 1).all():
        raise fail("_single_linkage_tree_ must merge every sample and every cluster but the "
                   "last exactly once")
    sizes = np.concatenate([np.ones(n, dtype=np.int64), tree["cluster_size"]])
    if not np.array_equal(tree["cluster_size"], sizes[left] + sizes[right]):
        raise fail("_single_linkage_tree_ cluster_size must be the sum of the merged sizes")
    for name in ("centroids_", "medoids_"):
        if name in state:
            _check_centers(state[name], None, n_features, name, fail)


# ---------------------------------------------------------------- Birch: the CF tree

_BIRCH_TAG = "sklearn.cluster.BirchTree"
_BIRCH_FIELDS = frozenset({
    "branching_factor", "centroid", "child", "leaf", "leaves", "linear_sum", "n_features",
    "n_samples", "shared", "sq_norm", "squared_sum", "subclusters", "threshold",
})
_NODE_ATTRS = frozenset({"threshold", "branching_factor", "is_leaf", "n_features",
                         "subclusters_", "init_centroids_", "init_sq_norm_", "squared_norm_",
                         "prev_leaf_", "next_leaf_"})
_SUBCLUSTER_ATTRS = frozenset({"n_samples_", "squared_sum_", "centroid_", "linear_sum_",
                               "child_", "sq_norm_"})
#: The nodes' preallocated rows (branching_factor + 1 each) may take this many bytes, or 64
#: times the bytes of the tree's data if that is more (a hostile file cannot claim a huge
#: branching factor to exhaust memory).
_BIRCH_CAPACITY_BYTES = 256 * 2**20


def _capacity_ok(branching: list[int], n_features: int, itemsize: int, n_subclusters: int
                 ) -> bool:
    allocated = (sum(branching) + len(branching)) * (n_features + 1) * itemsize
    stored = n_subclusters * (2 * n_features + 2) * itemsize
    return allocated <= max(_BIRCH_CAPACITY_BYTES, 64 * stored)


def _view_of(view: Any, base: np.ndarray, rows: int) -> bool:
    return (type(view) is np.ndarray and view.base is base and view.shape[0] == rows
            and view.shape[1:] == base.shape[1:]
            and view.__array_interface__["data"][0] == base.__array_interface__["data"][0])


def _encode_birch_tree(root: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    """Writes a Birch CF tree, from its root, as flat arrays (spec: BirchTree)."""
    from sklearn.cluster._birch import _CFNode, _CFSubcluster

    def refuse(message: str) -> UnsupportedTypeError:
        return UnsupportedTypeError(f"cannot write this Birch tree: {message}",
                                    path=P.render(path))

    # The dummy leaf heads the leaf list; reach it from the root's first leaf.
    node, steps = root, 0
    while not node.is_leaf and steps < 10**6:
        if not node.subclusters_ or type(node.subclusters_[0].child_) is not _CFNode:
            raise refuse("an inner node without a child")
        node, steps = node.subclusters_[0].child_, steps + 1
    while type(node.prev_leaf_) is _CFNode and steps < 10**7:
        node, steps = node.prev_leaf_, steps + 1
    dummy = node
    if dummy is root or node.prev_leaf_ is not None:
        raise refuse("it is not the root of a fitted tree (no dummy leaf before its leaves)")
    nodes, index = [dummy, root], {id(dummy): 0, id(root): 1}
    subclusters: list[Any] = []
    counts = [0]
    i = 1
    while i < len(nodes):  # breadth first: a child's index is above its parent's
        node = nodes[i]
        if type(node.subclusters_) is not list:
            raise refuse("subclusters_ is not a list")
        counts.append(len(node.subclusters_))
        for sub in node.subclusters_:
            if type(sub) is not _CFSubcluster or vars(sub).keys() != _SUBCLUSTER_ATTRS:
                raise refuse("a subcluster has unexpected attributes")
            subclusters.append(sub)
            child = sub.child_
            if child is not None:
                if type(child) is not _CFNode or id(child) in index:
                    raise refuse("a child is not a node of its own")
                index[id(child)] = len(nodes)
                nodes.append(child)
        i += 1
    if dummy.subclusters_ or dummy.is_leaf is not True or 0 in counts[1:]:
        raise refuse("the dummy leaf holds subclusters, or another node holds none")
    if not subclusters:
        raise refuse("the tree holds no subcluster")
    dtype = root.init_centroids_.dtype
    n_features = root.n_features
    if dtype not in (np.float32, np.float64) or type(n_features) is not int:
        raise refuse("its centroids are not float32 or float64")
    for k, node in zip(counts, nodes, strict=True):
        expected = _NODE_ATTRS | ({"centroids_"} if k else set())
        bf = node.branching_factor
        if (type(node) is not _CFNode or vars(node).keys() != expected
                or type(node.is_leaf) is not bool or node.n_features != n_features
                or type(bf) is not int or not k <= bf or not _real(node.threshold)):
            raise refuse("a node has unexpected attributes or more subclusters than its "
                         "branching factor")
        init, norms = node.init_centroids_, node.init_sq_norm_
        if (type(init) is not np.ndarray or init.dtype != dtype or init.shape != (bf + 1,
                                                                                   n_features)
                or not _is_vector(norms, dtype, bf + 1) or init[k:].any() or norms[k:].any()):
            raise refuse("a node's preallocated centroids are not as fit leaves them")
        if k and not (_view_of(node.centroids_, init, k) and _view_of(node.squared_norm_,
                                                                      norms, k)):
            raise refuse("a node's centroids_ are not a view of its init_centroids_")
        if not k and node.squared_norm_ != []:
            raise refuse("an empty node's squared_norm_ is not []")
    for sub in subclusters:
        if (type(sub.n_samples_) is not int or sub.n_samples_ < 1
                or type(sub.squared_sum_) is not dtype.type or type(sub.sq_norm_) is not dtype.type
                or any(type(a) is not np.ndarray or a.dtype != dtype or a.shape != (n_features,)
                       for a in (sub.linear_sum_, sub.centroid_))):
            raise refuse(f"a subcluster's sums are not {dtype} values of {n_features} features")
    centroid = np.stack([sub.centroid_ for sub in subclusters])
    sq_norm = np.array([sub.sq_norm_ for sub in subclusters], dtype=dtype)
    start = 0
    for k, node in zip(counts, nodes, strict=True):
        if k and (node.init_centroids_[:k].tobytes() != centroid[start:start + k].tobytes()
                  or node.init_sq_norm_[:k].tobytes() != sq_norm[start:start + k].tobytes()):
            raise refuse("a node's centroids differ from its subclusters'")
        start += k
    leaves, seen, node = [], set(), dummy
    while node.next_leaf_ is not None:
        nxt = node.next_leaf_
        position = index.get(id(nxt))
        if position is None or position in seen or nxt.prev_leaf_ is not node:
            raise refuse("the leaf list does not link the tree's leaves")
        seen.add(position)
        leaves.append(position)
        node = nxt
    branching = [node.branching_factor for node in nodes]
    if not _capacity_ok(branching, n_features, dtype.itemsize, len(subclusters)):
        raise refuse("its branching factors preallocate too much memory")
    child = np.array([-1 if s.child_ is None else index[id(s.child_)] for s in subclusters],
                     dtype=np.int64)
    for node in nodes[2:]:
        enc.mark_inline(node, path)
    fields = {
        "branching_factor": branching,
        "centroid": centroid,
        "child": child,
        "leaf": np.array([node.is_leaf for node in nodes], dtype=np.bool_),
        "leaves": np.array(leaves, dtype=np.int64),
        "linear_sum": np.stack([sub.linear_sum_ for sub in subclusters]),
        "n_features": n_features,
        "n_samples": np.array([sub.n_samples_ for sub in subclusters], dtype=np.int64),
        "shared": np.array([sub.centroid_ is sub.linear_sum_ for sub in subclusters],
                           dtype=np.bool_),
        "sq_norm": sq_norm,
        "squared_sum": np.array([sub.squared_sum_ for sub in subclusters], dtype=dtype),
        "subclusters": np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        "threshold": [node.threshold for node in nodes],
    }
    return {key: enc.encode(value, (path, f".{key}")) for key, value in fields.items()}


def _decode_birch_tree(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    from sklearn.cluster._birch import _CFNode, _CFSubcluster

    fail = _fail_for(_BIRCH_TAG, path)
    v = {key: dec.field(node, key, path) for key in sorted(_BIRCH_FIELDS)}
    leaf = v["leaf"]
    if type(leaf) is not np.ndarray or leaf.dtype != np.bool_ or leaf.ndim != 1 or len(leaf) < 2:
        raise fail("leaf must be a bool array of at least 2 nodes (the dummy leaf and the root)")
    n_nodes = len(leaf)
    indptr = v["subclusters"]
    if (not _is_vector(indptr, np.int64, n_nodes + 1) or indptr[0] != 0
            or (np.diff(indptr) < 0).any()):
        raise fail(f"subclusters must be {n_nodes + 1} non-decreasing int64 offsets from 0")
    n_sub = int(indptr[-1])
    dec.charge_nodes(n_nodes + n_sub, path)
    n_features = v["n_features"]
    if type(n_features) is not int or not 1 <= n_features < 2**31:
        raise fail("n_features must be a positive integer")
    linear_sum, centroid = v["linear_sum"], v["centroid"]
    dtype = getattr(linear_sum, "dtype", None)
    if dtype not in (np.float32, np.float64) or n_sub < 1:
        raise fail("linear_sum must be a float32 or float64 array of at least one subcluster")
    for name in ("linear_sum", "centroid"):
        array = v[name]
        if (type(array) is not np.ndarray or array.dtype != dtype
                or array.shape != (n_sub, n_features)):
            raise fail(f"{name} must be a {dtype} array of shape {[n_sub, n_features]}")
    for name, expected in (("squared_sum", dtype), ("sq_norm", dtype), ("n_samples", np.int64),
                           ("shared", np.bool_), ("child", np.int64)):
        if not _is_vector(v[name], expected, n_sub):
            raise fail(f"{name} must be a {np.dtype(expected)} array of {n_sub} subclusters")
    if (v["n_samples"] < 1).any():
        raise fail("n_samples of every subcluster must be at least 1")
    thresholds, branching = v["threshold"], v["branching_factor"]
    if (type(thresholds) is not list or len(thresholds) != n_nodes or not all(
            _real(t) and 0 < t < math.inf for t in thresholds)):
        raise fail(f"threshold must be {n_nodes} finite numbers greater than 0")
    counts = np.diff(indptr)
    if (type(branching) is not list or len(branching) != n_nodes
            or not all(type(b) is int and b >= 1 for b in branching)
            or (counts > np.array(branching, dtype=np.float64)).any()):
        raise fail(f"branching_factor must be {n_nodes} positive integers, each at least its "
                   "node's number of subclusters")
    if not _capacity_ok(branching, n_features, dtype.itemsize, n_sub):
        raise fail("branching_factor preallocates too much memory for the tree's data")
    if not leaf[0] or counts[0] != 0 or (counts[1:] == 0).any():
        raise fail("node 0 must be the empty dummy leaf and every other node must hold "
                   "subclusters")
    child = v["child"]
    has_child = child >= 0
    # Breadth-first numbering: children appear in subcluster order as nodes 2, 3, ...; each
    # node has exactly one parent with a lower index, so the links form a tree.
    if not np.array_equal(child[has_child], np.arange(2, n_nodes)) or (child[~has_child] != -1
                                                                      ).any():
        raise fail("child must number the nodes 2 .. n_nodes - 1 breadth first (or be -1)")
    owner = np.repeat(np.arange(n_nodes), counts)
    if not np.array_equal(leaf[owner], ~has_child):
        raise fail("the subclusters of inner nodes must all have a child, those of leaves none")
    # A CF tree is balanced: level by level (breadth first, so each level is a range of node
    # indices), a level holds only inner nodes or only leaves, and leaves end the tree.
    prefix = np.concatenate([[0], np.cumsum(np.bincount(owner[has_child], minlength=n_nodes))])
    lo, hi = 1, 2
    while lo < hi:
        level = leaf[lo:hi]
        if level.any() and not level.all():
            raise fail("every leaf must be at the same depth (a CF tree is balanced)")
        lo, hi = hi, hi + int(prefix[hi] - prefix[lo])
    leaf_nodes = np.flatnonzero(leaf[1:]) + 1
    leaves = v["leaves"]
    if (not _is_vector(leaves, np.int64, len(leaf_nodes))
            or not np.array_equal(np.sort(leaves), leaf_nodes)):
        raise fail("leaves must list every leaf node except the dummy exactly once")
    shared = v["shared"]
    if linear_sum[shared].tobytes() != centroid[shared].tobytes():
        raise fail("a shared centroid must equal its linear sum")

    sums = np.array(linear_sum)  # partial_fit updates linear sums in place: writable copies
    centroids = np.array(centroid)
    squared_sum, sq_norm, n_samples = v["squared_sum"], v["sq_norm"], v["n_samples"].tolist()
    built = [_CFNode(threshold=thresholds[i], branching_factor=branching[i],
                     is_leaf=bool(leaf[i]), n_features=n_features, dtype=dtype)
             for i in range(n_nodes)]
    child_list = child.tolist()
    for i, cf in enumerate(built):
        first, last = int(indptr[i]), int(indptr[i + 1])
        if first == last:
            continue
        cf.init_centroids_[:last - first] = centroids[first:last]
        cf.init_sq_norm_[:last - first] = sq_norm[first:last]
        for j in range(first, last):
            sub = object.__new__(_CFSubcluster)
            state = sub.__dict__
            state["n_samples_"] = n_samples[j]
            state["squared_sum_"] = squared_sum[j]
            state["linear_sum_"] = row = sums[j]
            state["centroid_"] = row if shared[j] else centroids[j]
            state["child_"] = built[child_list[j]] if child_list[j] >= 0 else None
            state["sq_norm_"] = sq_norm[j]
            cf.subclusters_.append(sub)
        cf.centroids_ = cf.init_centroids_[:last - first]
        cf.squared_norm_ = cf.init_sq_norm_[:last - first]
    previous = built[0]
    for position in leaves.tolist():
        built[position].prev_leaf_ = previous
        previous.next_leaf_ = built[position]
        previous = built[position]
    return built[1]


def _derive_birch(est: Any) -> None:
    """``dummy_leaf_`` (not written) heads the leaf list of ``root_``'s tree."""
    from sklearn.cluster._birch import _CFNode

    node = est.__dict__.get("root_")
    if type(node) is not _CFNode:
        return
    while not node.is_leaf:  # a decoded tree: balanced, every inner subcluster has a child
        node = node.subclusters_[0].child_
    while node.prev_leaf_ is not None:
        node = node.prev_leaf_
    est.dummy_leaf_ = node


def _validate_birch(est: Any, path: str) -> None:
    from sklearn.cluster._birch import _CFNode

    fail = _fail_for("sklearn.cluster.Birch", path)
    state = est.__dict__
    n_features = _width(state, fail)
    root = state.get("root_")
    if type(root) is not _CFNode or type(state.get("dummy_leaf_")) is not _CFNode:
        raise fail("root_ must be a Birch tree")
    if root.n_features != n_features:
        raise fail(f"the tree has {root.n_features} features, expected n_features_in_ = "
                   f"{n_features}")
    centers = state.get("subcluster_centers_")
    dtype = root.init_centroids_.dtype
    if (type(centers) is not np.ndarray or centers.dtype != dtype or centers.ndim != 2
            or not centers.flags.c_contiguous or centers.shape[1] != n_features):
        raise fail(f"subcluster_centers_ must be a 2-D C-contiguous {dtype} array of "
                   f"{n_features} columns")
    leaves = []
    leaf = state["dummy_leaf_"].next_leaf_
    while leaf is not None:
        leaves.append(leaf.centroids_)
        leaf = leaf.next_leaf_
    if np.concatenate(leaves).tobytes() != centers.tobytes():
        raise fail("subcluster_centers_ must be the centroids of the tree's leaves")
    k = len(centers)
    # predict passes the norms to the native argmin as Y_norm_squared, read for each center
    if not _is_vector(state.get("_subcluster_norms"), dtype, k):
        raise fail(f"_subcluster_norms must be a C-contiguous {dtype} array of shape [{k}]")
    if not _int_vector(state.get("subcluster_labels_"), k):
        raise fail(f"subcluster_labels_ must be an integer array of shape [{k}]")
    if state.get("_n_features_out") != k:
        raise fail(f"_n_features_out must be the number of subclusters, {k}")
    if "labels_" in state and not _int_vector(state["labels_"]):
        raise fail("labels_ must be a 1-D integer array")


# ---------------------------------------------------------------- BisectingKMeans

_BISECT_TAG = "sklearn.cluster.BisectingTree"
_BISECT_FIELDS = frozenset({"centers", "leaf", "root_matrix", "scores"})


def _encode_bisecting_tree(root: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    from sklearn.cluster._bisect_k_means import _BisectingTree

    def refuse(message: str) -> UnsupportedTypeError:
        return UnsupportedTypeError(f"cannot write this bisecting tree: {message}",
                                    path=P.render(path))

    nodes, stack, n_leaves = [], [root], 0
    while stack:  # preorder, left first: the order of iter_leaves()
        node = stack.pop()
        if type(node) is not _BisectingTree:
            raise refuse("a child is not a _BisectingTree")
        is_leaf = node.left is None
        expected = {"center", "indices", "score", "left", "right"} | ({"label"} if is_leaf
                                                                      else set())
        if vars(node).keys() != expected or node.indices is not None:
            raise refuse("a node has unexpected attributes (only fitted trees can be written)")
        if is_leaf:
            if node.right is not None or node.label != n_leaves or type(node.label) is not int:
                raise refuse("leaf labels must be 0, 1, ... in tree order")
            n_leaves += 1
        else:
            stack.extend((node.right, node.left))
        if node is not root:
            enc.mark_inline(node, path)
        nodes.append(node)
    root_matrix = type(root.center) is np.matrix
    centers = [np.asarray(root.center).reshape(-1) if root_matrix else root.center]
    centers += [node.center for node in nodes[1:]]
    first = centers[0]
    if type(first) is not np.ndarray or first.dtype not in (np.float32, np.float64) or (
            root_matrix and root.center.shape != (1, first.shape[0])) or not all(
            type(c) is np.ndarray and c.dtype == first.dtype and c.ndim == 1
            and c.shape == first.shape for c in centers):
        raise refuse("centers must be float32 or float64 vectors of one width")
    if not all(_real(node.score) for node in nodes):
        raise refuse("scores must be numbers")
    fields = {
        "centers": np.stack(centers),
        "leaf": np.array([node.left is None for node in nodes], dtype=np.bool_),
        "root_matrix": root_matrix,
        "scores": [node.score for node in nodes],
    }
    return {key: enc.encode(value, (path, f".{key}")) for key, value in fields.items()}


def _decode_bisecting_tree(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    from sklearn.cluster._bisect_k_means import _BisectingTree

    fail = _fail_for(_BISECT_TAG, path)
    v = {key: dec.field(node, key, path) for key in sorted(_BISECT_FIELDS)}
    leaf, centers, scores = v["leaf"], v["centers"], v["scores"]
    if type(leaf) is not np.ndarray or leaf.dtype != np.bool_ or leaf.ndim != 1 or not len(leaf):
        raise fail("leaf must be a non-empty bool array")
    n_nodes = len(leaf)
    dec.charge_nodes(n_nodes, path)
    # A preorder of a full binary tree: open slots start at 1, a leaf fills one, an inner
    # node fills one and opens two; slots run out exactly at the last node.
    slots = 1 + np.cumsum(np.where(leaf, -1, 1))
    if (slots[:-1] < 1).any() or slots[-1] != 0:
        raise fail("leaf is not the preorder of a tree whose nodes have 0 or 2 children")
    if (type(centers) is not np.ndarray or centers.dtype not in (np.float32, np.float64)
            or centers.ndim != 2 or len(centers) != n_nodes or not centers.shape[1]):
        raise fail(f"centers must be a float32 or float64 array of {n_nodes} rows")
    if type(scores) is not list or len(scores) != n_nodes or not all(map(_real, scores)):
        raise fail(f"scores must be {n_nodes} numbers")
    if type(v["root_matrix"]) is not bool:
        raise fail("root_matrix must be a bool")
    built: list[Any] = []
    stack: list[tuple[Any, str]] = []
    n_leaves = 0
    for i in range(n_nodes):
        tree = object.__new__(_BisectingTree)
        state = tree.__dict__
        state["center"] = centers[i]
        state["indices"] = None
        state["score"] = scores[i]
        state["left"] = state["right"] = None
        if i:
            parent, side = stack.pop()
            parent.__dict__[side] = tree
        if leaf[i]:
            state["label"] = n_leaves
            n_leaves += 1
        else:
            stack.extend(((tree, "right"), (tree, "left")))
        built.append(tree)
    if v["root_matrix"]:
        built[0].center = centers[:1].view(np.matrix)
    return built[0]


def _derive_bisecting(est: Any) -> None:
    from sklearn.cluster._kmeans import _kmeans_single_elkan, _kmeans_single_lloyd

    if "cluster_centers_" in est.__dict__:
        _derive_threads(est)
        lloyd = est.algorithm == "lloyd" or est.n_clusters == 1
        est._kmeans_single = _kmeans_single_lloyd if lloyd else _kmeans_single_elkan


def _validate_bisecting(est: Any, path: str) -> None:
    from sklearn.cluster._bisect_k_means import _BisectingTree

    tag = "sklearn.cluster.BisectingKMeans"
    _kmeans_validator(tag, False)(est, path)
    fail = _fail_for(tag, path)
    state = est.__dict__
    centers = state["cluster_centers_"]
    n_features, dtype = centers.shape[1], centers.dtype
    mean = state.get("_X_mean")
    if "_X_mean" in state and not _is_vector(mean, dtype, n_features):
        raise fail(f"_X_mean must be a C-contiguous {dtype} array of shape [{n_features}]")
    root = state.get("_bisecting_tree")
    if type(root) is not _BisectingTree:
        raise fail("_bisecting_tree must be a bisecting tree")
    # predict stacks the two children's centers and hands them to the native k-means loop,
    # which reads n_features_in_ values from each (N7).
    stack, n_leaves = [root], 0
    while stack:
        node = stack.pop()
        center = node.center
        if node is not root and not _is_vector(center, dtype, n_features):
            raise fail(f"every center of the tree must be a {dtype} vector of {n_features} "
                       "features")
        if node.left is None:
            n_leaves += 1
        else:
            stack.extend((node.right, node.left))
    if n_leaves != est.n_clusters:
        raise fail(f"the tree has {n_leaves} leaves, expected n_clusters = {est.n_clusters}")
