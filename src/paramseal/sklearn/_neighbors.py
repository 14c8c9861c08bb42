"""Nearest neighbors: KD and ball trees, distance metrics, brute _fit_X (N3, N4, N10).

``KDTree`` and ``BallTree`` are Cython objects whose ``query`` trusts every array it holds, so
each has its own entry with explicit fields, and the decoder checks every invariant before the
object is built through ``__setstate__`` (nothing is rebuilt: a 200000-row tree loads as views of
the file). The layout of a binary tree is fixed by ``n_samples`` and ``leaf_size`` (node ``i``
has children ``2i + 1`` and ``2i + 2``, and each split halves the node's index range), so the
``idx_start``, ``idx_end`` and ``is_leaf`` of every node are recomputed and compared, and
``idx_array`` must be a permutation of ``range(n_samples)``. The tree's ``data`` is written as
a reference to the owner's ``_fit_X``: one tensor, shared again after loading.

Distance metrics are a closed set of classes (euclidean, manhattan, chebyshev, minkowski with
``p`` and weights ``w``, seuclidean, mahalanobis), each with its parameters checked against the
width of the data (N4). ``PyFuncDistance`` and callable metrics are refused when writing.

The query statistics of a tree (``n_calls``, ``n_trims``, ``n_leaves``, ``n_splits``: counts of
distance evaluations and node visits that every query increments) are not model state and are
not written; they restart at 0 after loading, as after ``reset_n_calls()``. Writing them would
make the bytes of a model change each time it is used.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry, with_write_check
from ._estimator import estimator_entry

# Metric names an estimator may use (sklearn maps each to one of the metric classes below).
_METRIC_NAMES = frozenset({"euclidean", "l2", "manhattan", "cityblock", "l1", "chebyshev",
                           "infinity", "minkowski", "seuclidean", "mahalanobis", "precomputed"})
#: The parameters each metric accepts in ``effective_metric_params_`` (alternatives).
_METRIC_PARAMS: dict[str, tuple[frozenset[str], ...]] = {
    "minkowski": (frozenset({"p", "w"}),),
    "seuclidean": (frozenset({"V"}),),
    "mahalanobis": (frozenset({"VI"}), frozenset({"V"})),
}
_KD_METRICS = frozenset({"EuclideanDistance64", "ManhattanDistance64", "ChebyshevDistance64",
                         "MinkowskiDistance64"})
_BALL_METRICS = _KD_METRICS | {"SEuclideanDistance64", "MahalanobisDistance64"}
_FIXED_P = {"EuclideanDistance64": 2.0, "SEuclideanDistance64": 2.0,
            "MahalanobisDistance64": 2.0, "ManhattanDistance64": 1.0,
            "ChebyshevDistance64": math.inf}
_TREE_FIELDS = frozenset({
    "data", "dist_metric", "idx_array", "leaf_size", "n_levels", "n_nodes", "node_bounds",
    "node_data", "sample_weight",
})


def _fail(message: str, tag: str, path: Any) -> ReconstructionError:
    return ReconstructionError(message, type_name=tag, path=path if type(path) is str
                               else P.render(path))


def _is_array(value: Any, dtype: Any, ndim: int) -> bool:
    return (
        type(value) is np.ndarray
        and value.dtype == dtype
        and value.ndim == ndim
        and value.flags.c_contiguous
    )


def _real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


# ---------------------------------------------------------------- distance metrics (N4)

def _metric_classes() -> dict[str, type]:
    from sklearn.metrics import _dist_metrics as dm

    return {name: getattr(dm, name) for name in sorted(_BALL_METRICS)}


def _encode_metric(metric: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    p, vec, mat = metric.__getstate__()[:3]
    return {
        "mat": enc.encode(np.ascontiguousarray(mat), (path, ".mat")),
        "p": float(p),
        "vec": enc.encode(np.ascontiguousarray(vec), (path, ".vec")),
    }


def _metric_decoder(cls: Any, tag: str) -> Callable[[dict[str, Any], Any, P.Path], Any]:
    name = cls.__name__

    def decode(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        p = node["p"]
        mat = dec.field(node, "mat", path)  # fields in canonical order, as written
        vec = dec.field(node, "vec", path)
        if type(p) is not float:
            raise _fail(f"p must be a float, found {type(p).__name__}", tag, path)
        fixed = _FIXED_P.get(name)
        if fixed is not None and p != fixed:
            raise _fail(f"p must be {fixed} for this metric, found {p!r}", tag, path)
        if fixed is None and not (0.0 < p < math.inf):
            raise _fail(f"p must be finite and greater than 0, found {p!r}", tag, path)
        if not _is_array(vec, np.float64, 1):
            raise _fail("vec must be a 1-D C-contiguous float64 array", tag, path)
        if not _is_array(mat, np.float64, 2):
            raise _fail("mat must be a 2-D C-contiguous float64 array", tag, path)
        if name == "MinkowskiDistance64" and not (np.isfinite(vec).all() and (vec >= 0).all()):
            raise _fail("minkowski weights must be finite and non-negative", tag, path)
        if name == "SEuclideanDistance64" and len(vec) == 0:
            raise _fail("seuclidean variances must not be empty", tag, path)
        if name == "MahalanobisDistance64" and (mat.shape[0] != mat.shape[1] or not mat.size):
            raise _fail(f"mahalanobis VI must be a non-empty square matrix, found shape "
                        f"{list(mat.shape)}", tag, path)
        metric = cls.__new__(cls)
        metric.__setstate__((p, vec, mat))
        return metric

    return decode


def metric_width_problem(metric: Any, n_features: int) -> str | None:
    """Why ``metric`` cannot measure rows of ``n_features`` values safely, or None (N4)."""
    name = type(metric).__name__
    _, vec, mat = metric.__getstate__()[:3]
    if name == "MinkowskiDistance64" and len(vec) not in (0, n_features):
        return f"minkowski weights have {len(vec)} entries, expected {n_features}"
    if name == "SEuclideanDistance64" and len(vec) != n_features:
        return f"seuclidean variances have {len(vec)} entries, expected {n_features}"
    if name == "MahalanobisDistance64" and mat.shape != (n_features, n_features):
        return (f"mahalanobis VI has shape {list(mat.shape)}, expected "
                f"{[n_features, n_features]}")
    return None


# ---------------------------------------------------------------- KDTree, BallTree (N3)

def _expected_levels(n_samples: int, leaf_size: int) -> int:
    # exactly BinaryTree.__init__: int(np.log2(fmax(1, (n_samples - 1) / leaf_size)) + 1)
    return int(np.log2(max(1.0, (n_samples - 1) / leaf_size)) + 1)


def _layout(n_samples: int, n_nodes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``idx_start``, ``idx_end``, ``is_leaf`` of every node, as ``_recursive_build`` sets them."""
    start = np.zeros(n_nodes, dtype=np.intp)
    end = np.zeros(n_nodes, dtype=np.intp)
    leaf = np.zeros(n_nodes, dtype=np.intp)
    end[0] = n_samples
    level = np.zeros(1, dtype=np.intp)
    while len(level):
        first, last = start[level], end[level]
        is_leaf = (2 * level + 1 >= n_nodes) | (last - first < 2)
        leaf[level[is_leaf]] = 1
        split = ~is_leaf
        parents, first, last = level[split], first[split], last[split]
        middle = first + (last - first) // 2
        left = 2 * parents + 1
        start[left], end[left] = first, middle
        start[left + 1], end[left + 1] = middle, last
        level = np.concatenate((left, left + 1))
    return start, end, leaf


def _encode_tree(tree: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    (data, idx_array, node_data, node_bounds, leaf_size, n_levels, n_nodes, _n_trims, _n_leaves,
     _n_splits, _n_calls, dist_metric, sample_weight) = tree.__getstate__()
    if type(dist_metric) not in enc.registry.by_type:
        raise UnsupportedTypeError(
            f"cannot write a {type(tree).__name__} with the distance metric "
            f"{type(dist_metric).__name__}: only euclidean, manhattan, chebyshev, minkowski, "
            "seuclidean and mahalanobis metrics can be written (never a Python callable)",
            path=P.render(path),
        )
    # Keys in canonical order, so that shared arrays are defined before they are referenced.
    return {
        "data": enc.encode(data, (path, ".data")),
        "dist_metric": enc.encode(dist_metric, (path, ".dist_metric")),
        "idx_array": enc.encode(idx_array, (path, ".idx_array")),
        "leaf_size": int(leaf_size),
        "n_levels": int(n_levels),
        "n_nodes": int(n_nodes),
        "node_bounds": enc.encode(node_bounds, (path, ".node_bounds")),
        "node_data": enc.encode(node_data, (path, ".node_data")),
        "sample_weight": enc.encode(sample_weight, (path, ".sample_weight")),
    }


def _tree_decoder(cls: Any, tag: str, bound_rows: int, metrics: frozenset[str],
                  node_dtype: np.dtype) -> Callable[[dict[str, Any], Any, P.Path], Any]:
    def decode(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        def fail(message: str) -> ReconstructionError:
            return _fail(message, tag, path)

        values = {key: dec.field(node, key, path) for key in sorted(_TREE_FIELDS)}
        data = values["data"]
        if not _is_array(data, np.float64, 2) or not data.size:
            raise fail("data must be a non-empty 2-D C-contiguous float64 array")
        n_samples, n_features = data.shape
        for key in ("leaf_size", "n_levels", "n_nodes"):
            value = values[key]
            if type(value) is not int or not 0 <= value < 2**62:
                raise fail(f"{key} must be a non-negative integer, found {value!r:.40}")
        leaf_size, n_levels, n_nodes = values["leaf_size"], values["n_levels"], values["n_nodes"]
        if leaf_size < 1:
            raise fail("leaf_size must be at least 1")
        expected_levels = _expected_levels(n_samples, leaf_size)
        if n_levels != expected_levels:
            raise fail(f"n_levels is {n_levels}, but {n_samples} samples with leaf_size "
                       f"{leaf_size} give {expected_levels}")
        if n_nodes != 2**n_levels - 1:
            raise fail(f"n_nodes is {n_nodes}, expected 2**n_levels - 1 = {2**n_levels - 1}")

        idx_array = values["idx_array"]
        if not _is_array(idx_array, np.intp, 1) or len(idx_array) != n_samples:
            raise fail(f"idx_array must be a C-contiguous intp array of length {n_samples}")
        if idx_array.min() < 0 or idx_array.max() >= n_samples:
            raise fail(f"idx_array values must be in [0, {n_samples})")
        seen = np.zeros(n_samples, dtype=bool)
        seen[idx_array] = True
        if not seen.all():
            raise fail("idx_array must be a permutation of range(n_samples)")

        node_data = values["node_data"]
        if (type(node_data) is not np.ndarray or node_data.dtype != node_dtype
                or node_data.shape != (n_nodes,)):
            raise fail(f"node_data must be a NodeData array of shape [{n_nodes}]")
        start, end, leaf = _layout(n_samples, n_nodes)
        for field, expected in (("idx_start", start), ("idx_end", end), ("is_leaf", leaf)):
            if not np.array_equal(node_data[field], expected):
                bad = int(np.flatnonzero(node_data[field] != expected)[0])
                raise fail(f"node_data {field} of node {bad} is {int(node_data[field][bad])}, "
                           f"but the tree layout gives {int(expected[bad])}")

        node_bounds = values["node_bounds"]
        if (not _is_array(node_bounds, np.float64, 3)
                or node_bounds.shape != (bound_rows, n_nodes, n_features)):
            raise fail(f"node_bounds must be a C-contiguous float64 array of shape "
                       f"{[bound_rows, n_nodes, n_features]}")
        sample_weight = values["sample_weight"]
        if sample_weight is not None and (not _is_array(sample_weight, np.float64, 1)
                                          or len(sample_weight) != n_samples):
            raise fail(f"sample_weight must be None or a float64 array of length {n_samples}")

        metric = values["dist_metric"]
        metric_name = type(metric).__name__
        if metric_name not in metrics:
            raise fail(f"dist_metric {metric_name} cannot be used by this tree")
        problem = metric_width_problem(metric, n_features)
        if problem:
            raise fail(problem)

        tree = cls.__new__(cls)
        tree.__setstate__((data, idx_array, node_data, node_bounds, leaf_size, n_levels,
                           n_nodes, 0, 0, 0, 0, metric, sample_weight))
        return tree

    return decode


# ---------------------------------------------------------------- the estimators (N10)

def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
                and bool(np.array_equal(a, b)))
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    try:
        return bool(type(a) is type(b) and a == b)
    except (TypeError, ValueError):
        return False


def _effective_metric(est: Any) -> tuple[Any, dict[str, Any]]:
    """``effective_metric_`` and its params, exactly as ``NeighborsBase._fit`` derives them."""
    params = {} if est.metric_params is None else dict(est.metric_params)
    if est.metric == "minkowski":
        params["p"] = params.get("p", est.p)
    metric = est.metric
    if est.metric == "minkowski":
        p = params.pop("p", 2)
        w = params.pop("w", None)
        if p == 1 and w is None:
            metric = "manhattan"
        elif p == 2 and w is None:
            metric = "euclidean"
        elif p == np.inf and w is None:
            metric = "chebyshev"
        else:
            params["p"] = p
            params["w"] = w
    return metric, params


def _check_metric_params(metric: str, params: dict[str, Any], n_features: int,
                         fail: Callable[[str], ReconstructionError]) -> None:
    allowed = _METRIC_PARAMS.get(metric, (frozenset(),))
    if frozenset(params) not in allowed:
        raise fail(f"effective_metric_params_ of {metric} must have the keys "
                   f"{' or '.join(str(sorted(a)) for a in allowed)}, found {sorted(params)!r:.80}")
    if "p" in params:
        p = params["p"]
        if not _real(p) or not 0 < p < math.inf:
            raise fail(f"minkowski p must be a finite number greater than 0, found {p!r:.40}")
    for key, ndim in (("w", 1), ("V", 1 if metric == "seuclidean" else 2), ("VI", 2)):
        if key not in params or (key == "w" and params[key] is None):
            continue
        value = params[key]
        if not isinstance(value, np.ndarray | list | tuple):
            raise fail(f"metric parameter {key} must be an array")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise fail(f"metric parameter {key} must be numeric") from exc
        shape = (n_features,) * ndim
        if array.shape != shape:
            raise fail(f"metric parameter {key} has shape {list(array.shape)}, expected "
                       f"{list(shape)} for {n_features} features")
        if not np.isfinite(array).all() or (key == "w" and (array < 0).any()):
            raise fail(f"metric parameter {key} must be finite"
                       + (" and non-negative" if key == "w" else ""))


def _check_writable(est: Any, path: P.Path) -> None:
    metric = est.metric
    if type(metric) is not str or metric not in _METRIC_NAMES:
        shown = getattr(metric, "__qualname__", None) or repr(metric)
        raise UnsupportedTypeError(
            f"cannot write {type(est).__name__} with metric {shown:.80}: paramseal writes "
            f"only the metrics {sorted(_METRIC_NAMES)} (never a callable)",
            path=P.render(path),
        )


def _neighbors_validator(tag: str, kind: str, trees: dict[str, type]) -> Callable[[Any, str],
                                                                                  None]:
    import scipy.sparse as sp
    from sklearn.metrics import DistanceMetric

    def validate(est: Any, path: str) -> None:
        def fail(message: str) -> ReconstructionError:
            return ReconstructionError(message, type_name=tag, path=path)

        metric = est.metric
        if type(metric) is not str or metric not in _METRIC_NAMES:
            raise fail(f"metric must be one of {sorted(_METRIC_NAMES)}, "
                       f"found {metric!r:.60}")
        n_features = est.__dict__.get("n_features_in_")
        n_samples = est.__dict__.get("n_samples_fit_")
        for name, value in (("n_features_in_", n_features), ("n_samples_fit_", n_samples)):
            if type(value) is not int or value < 1:
                raise fail(f"{name} must be a positive integer, found {value!r:.40}")
        assert type(n_features) is int and type(n_samples) is int

        metric_params = est.metric_params  # a dict or None (checked by _validate_params)
        if metric_params is not None and "p" in metric_params and not _real(metric_params["p"]):
            raise fail(f"metric_params p must be a number, found {metric_params['p']!r:.40}")
        effective, effective_params = _effective_metric(est)
        if est.__dict__.get("effective_metric_") != effective:
            raise fail(f"effective_metric_ must be {effective!r} (from metric, p and "
                       f"metric_params), found {est.__dict__.get('effective_metric_')!r:.60}")
        stored = est.__dict__.get("effective_metric_params_")
        if (type(stored) is not dict or stored.keys() != effective_params.keys()
                or not all(_same(stored[k], effective_params[k]) for k in stored)):
            raise fail("effective_metric_params_ does not match metric, p and metric_params")
        _check_metric_params(effective, stored, n_features, fail)

        method = est.__dict__.get("_fit_method")
        if method not in ("kd_tree", "ball_tree", "brute"):
            raise fail(f"_fit_method must be kd_tree, ball_tree or brute, found {method!r:.40}")
        if metric == "precomputed" and (method != "brute" or n_features != n_samples):
            # The query's columns are indices into the fitted samples: kneighbors_graph
            # builds a CSR matrix of n_samples_fit_ columns from them.
            raise fail(f"a precomputed fit must use the brute method on a square distance "
                       f"matrix: n_features_in_ {n_features} must equal n_samples_fit_ "
                       f"{n_samples}")
        fit_x = est.__dict__.get("_fit_X")
        expected_shape = (n_samples, n_features)
        if sp.issparse(fit_x):
            if method != "brute" or fit_x.format != "csr":
                raise fail("a sparse _fit_X must be CSR and fitted with the brute method")
        elif type(fit_x) is not np.ndarray or fit_x.dtype.kind not in "biuf" or fit_x.ndim != 2:
            raise fail("_fit_X must be a 2-D numeric array or a CSR matrix")
        if fit_x.shape != expected_shape:
            raise fail(f"_fit_X has shape {list(fit_x.shape)}, expected "
                       f"[n_samples_fit_, n_features_in_] = {list(expected_shape)}")
        if est.algorithm != "auto" and method != est.algorithm and not sp.issparse(fit_x):
            raise fail(f"_fit_method {method} does not match algorithm {est.algorithm}")

        tree = est.__dict__.get("_tree")
        if method == "brute":
            if tree is not None:
                raise fail("_tree must be None for the brute method")
        else:
            if type(tree) is not trees[method]:
                raise fail(f"_tree must be a {trees[method].__name__} for {method}")
            state: Any = tree.__getstate__()
            data, leaf_size, tree_metric = state[0], state[4], state[11]
            if data is not fit_x and (data.shape != fit_x.shape
                                      or not np.array_equal(data, fit_x)):
                raise fail("the tree's data is not _fit_X")
            if leaf_size != est.leaf_size:
                raise fail(f"the tree's leaf_size {leaf_size} is not leaf_size {est.leaf_size}")
            try:
                expected_metric = DistanceMetric.get_metric(effective, **effective_params)
            except (ValueError, TypeError, ArithmeticError) as exc:  # e.g. a singular V
                raise fail(f"effective_metric_params_ do not make a metric: {exc}") from exc
            ours, theirs = tree_metric.__getstate__()[:3], expected_metric.__getstate__()[:3]
            if type(tree_metric) is not type(expected_metric) or not (
                    ours[0] == theirs[0] and _same(ours[1], theirs[1])
                    and _same(ours[2], theirs[2])):
                raise fail(f"the tree's distance metric {type(tree_metric).__name__} does not "
                           f"match effective_metric_ {effective!r} and its params")

        if kind == "classifier":
            _check_classifier_targets(est, n_samples, fail)
        elif kind == "transformer":
            if est.__dict__.get("_n_features_out") != n_samples:
                raise fail(f"_n_features_out must be n_samples_fit_ = {n_samples}")
        elif kind == "lof":
            _check_lof(est, n_samples, fail)
        elif kind == "regressor":
            y = est.__dict__.get("_y")
            if type(y) is not np.ndarray or y.ndim not in (1, 2) or len(y) != n_samples:
                raise fail(f"_y must be a 1-D or 2-D array of {n_samples} rows")

    return validate


def _check_classifier_targets(est: Any, n_samples: int,
                              fail: Callable[[str], ReconstructionError]) -> None:
    outputs_2d = est.__dict__.get("outputs_2d_")
    if type(outputs_2d) is not bool:
        raise fail("outputs_2d_ must be a bool")
    classes = est.__dict__.get("classes_")
    per_output = classes if outputs_2d else [classes]
    if type(per_output) is not list or not per_output or any(
            type(c) is not np.ndarray or c.ndim != 1 or not len(c) for c in per_output):
        raise fail("classes_ must be a non-empty 1-D array (a list of them for 2-D outputs)")
    y = est.__dict__.get("_y")
    shape = (n_samples, len(per_output)) if outputs_2d else (n_samples,)
    # ArgKminClassMode and RadiusNeighborsClassMode use _y as indices into class scores.
    if not _is_array(y, np.intp, len(shape)) or y.shape != shape:
        raise fail(f"_y must be a C-contiguous intp array of shape {list(shape)}")
    columns = y.reshape(n_samples, -1)
    for k, labels in enumerate(per_output):
        column = columns[:, k]
        if column.min() < 0 or column.max() >= len(labels):
            raise fail(f"_y values must be class indices in [0, {len(labels)})")


def _check_lof(est: Any, n_samples: int, fail: Callable[[str], ReconstructionError]) -> None:
    """LocalOutlierFactor: numpy indexes ``_lrd`` and ``_distances_fit_X_`` with neighbor
    indices in [0, n_samples_fit_) and column ``n_neighbors_ - 1``."""
    state = est.__dict__
    k = state.get("n_neighbors_")  # an int, or a numpy integer when n_neighbors was one
    if not isinstance(k, int | np.integer) or isinstance(k, bool) or not 1 <= k <= n_samples:
        raise fail(f"n_neighbors_ must be an integer in [1, n_samples_fit_ = {n_samples}], "
                   f"found {k!r:.40}")
    distances = state.get("_distances_fit_X_")
    if not _float_array(distances, 2) or distances.shape != (n_samples, k):
        raise fail(f"_distances_fit_X_ must be a float array of shape [{n_samples}, {k}]")
    for name in ("_lrd", "negative_outlier_factor_"):
        if not _float_array(state.get(name), 1) or state[name].shape != (n_samples,):
            raise fail(f"{name} must be a float array of shape [{n_samples}]")
    if not _real(state.get("offset_")):
        raise fail("offset_ must be a real number")


def _float_array(value: Any, ndim: int) -> bool:
    return type(value) is np.ndarray and value.dtype.kind == "f" and value.ndim == ndim


def _fail_for(tag: str, path: str) -> Callable[[str], ReconstructionError]:
    return lambda message: ReconstructionError(message, type_name=tag, path=path)


def _width(state: dict[str, Any], fail: Callable[[str], ReconstructionError]) -> int:
    n_features = state.get("n_features_in_")
    if type(n_features) is not int or n_features < 1:
        raise fail(f"n_features_in_ must be a positive integer, found {n_features!r:.40}")
    return n_features


# ---------------------------------------------------------------- KernelDensity (N3, N4)

def _kde_validator(tag: str, trees: dict[str, type]) -> Callable[[Any, str], None]:
    from sklearn.metrics import DistanceMetric

    def validate(est: Any, path: str) -> None:
        fail = _fail_for(tag, path)
        state = est.__dict__
        n_features = _width(state, fail)
        tree = state.get("tree_")
        try:
            algorithm = est._choose_algorithm(est.algorithm, est.metric)
        except ValueError as exc:
            raise fail(f"algorithm and metric do not choose a tree: {exc}") from exc
        if type(tree) is not trees[algorithm]:
            raise fail(f"tree_ must be a {trees[algorithm].__name__} (algorithm {est.algorithm}"
                       f", metric {est.metric})")
        tree_state: Any = tree.__getstate__()
        data, leaf_size, tree_metric = tree_state[0], tree_state[4], tree_state[11]
        if data.shape[1] != n_features:
            raise fail(f"tree_ data has {data.shape[1]} features, expected n_features_in_ = "
                       f"{n_features}")
        if leaf_size != est.leaf_size:
            raise fail(f"the tree's leaf_size {leaf_size} is not leaf_size {est.leaf_size}")
        params = dict(est.metric_params or {})
        try:
            expected = DistanceMetric.get_metric(est.metric, **params)
        except (ValueError, TypeError, ArithmeticError) as exc:
            raise fail(f"metric and metric_params do not make a metric: {exc}") from exc
        ours, theirs = tree_metric.__getstate__()[:3], expected.__getstate__()[:3]
        if type(tree_metric) is not type(expected) or not (
                ours[0] == theirs[0] and _same(ours[1], theirs[1]) and _same(ours[2], theirs[2])):
            raise fail(f"the tree's distance metric {type(tree_metric).__name__} does not match "
                       f"metric {est.metric!r} and metric_params")
        bandwidth = state.get("bandwidth_")
        if not _real(bandwidth) or not 0 < bandwidth < math.inf:
            raise fail(f"bandwidth_ must be a finite number greater than 0, found "
                       f"{bandwidth!r:.40}")
        if type(est.bandwidth) is not str and not _same(bandwidth, est.bandwidth):
            raise fail("bandwidth_ must be the bandwidth parameter")

    return validate


# ---------------------------------------------------------------- NearestCentroid

def _validate_nearest_centroid(est: Any, path: str) -> None:
    fail = _fail_for("sklearn.neighbors.NearestCentroid", path)
    state = est.__dict__
    n_features = _width(state, fail)
    classes = state.get("classes_")
    if type(classes) is not np.ndarray or classes.ndim != 1 or len(classes) < 2:
        raise fail("classes_ must be a 1-D array of at least 2 classes")
    n_classes = len(classes)
    for name, shape in (("centroids_", (n_classes, n_features)),
                        ("deviations_", (n_classes, n_features)),
                        ("class_prior_", (n_classes,)),
                        ("within_class_std_dev_", (n_features,))):
        value = state.get(name)
        # class_prior_ keeps the dtype of user-given priors (e.g. [0, 1, 0])
        numeric = _float_array(value, len(shape)) or (
            name == "class_prior_" and type(value) is np.ndarray and value.dtype.kind in "iu")
        if not numeric or value.shape != shape:
            raise fail(f"{name} must be a float array of shape {list(shape)}")


# ---------------------------------------------------------------- NCA

def _validate_nca(est: Any, path: str) -> None:
    fail = _fail_for("sklearn.neighbors.NeighborhoodComponentsAnalysis", path)
    state = est.__dict__
    n_features = _width(state, fail)
    components = state.get("components_")
    if not _float_array(components, 2) or components.shape[1] != n_features:
        raise fail(f"components_ must be a 2-D float array of {n_features} columns")
    if state.get("_n_features_out", components.shape[0]) != components.shape[0]:
        raise fail(f"_n_features_out must be {components.shape[0]}")


# ---------------------------------------------------------------- KNNImputer

def _check_imputer_writable(est: Any, path: P.Path) -> None:
    if est.metric != "nan_euclidean":
        shown = getattr(est.metric, "__qualname__", None) or repr(est.metric)
        raise UnsupportedTypeError(
            f"cannot write KNNImputer with metric {shown:.80}: paramseal writes only the metric "
            "'nan_euclidean' (never a callable)", path=P.render(path))


def _validate_knn_imputer(est: Any, path: str) -> None:
    from sklearn.impute import MissingIndicator

    fail = _fail_for("sklearn.impute.KNNImputer", path)
    if est.metric != "nan_euclidean":
        raise fail(f"metric must be 'nan_euclidean', found {est.metric!r:.60}")
    state = est.__dict__
    n_features = _width(state, fail)
    fit_x, mask = state.get("_fit_X"), state.get("_mask_fit_X")
    if type(fit_x) is not np.ndarray or fit_x.ndim != 2 or fit_x.shape[1] != n_features \
            or fit_x.dtype.kind not in "biuf" or not len(fit_x):
        raise fail(f"_fit_X must be a non-empty 2-D numeric array of {n_features} columns")
    if type(mask) is not np.ndarray or mask.dtype != np.bool_ or mask.shape != fit_x.shape:
        raise fail(f"_mask_fit_X must be a bool array of shape {list(fit_x.shape)}")
    valid = state.get("_valid_mask")
    if type(valid) is not np.ndarray or valid.dtype != np.bool_ or valid.shape != (n_features,):
        raise fail(f"_valid_mask must be a bool array of shape [{n_features}]")
    indicator = state.get("indicator_")
    if est.add_indicator:
        if type(indicator) is not MissingIndicator:
            raise fail("indicator_ must be a MissingIndicator when add_indicator is set")
    elif indicator is not None:
        raise fail("indicator_ must be None when add_indicator is not set")


# ---------------------------------------------------------------- label propagation

def _check_label_propagation_writable(est: Any, path: P.Path) -> None:
    if type(est.kernel) is not str:
        raise UnsupportedTypeError(
            f"cannot write {type(est).__name__} with a callable kernel: paramseal writes only "
            "the kernels 'rbf' and 'knn'", path=P.render(path))


def _label_propagation_validator(tag: str) -> Callable[[Any, str], None]:
    import scipy.sparse as sp
    from sklearn.neighbors import NearestNeighbors

    def validate(est: Any, path: str) -> None:
        fail = _fail_for(tag, path)
        if type(est.kernel) is not str:
            raise fail("kernel must be 'rbf' or 'knn' (never a callable)")
        state = est.__dict__
        n_features = _width(state, fail)
        x = state.get("X_")
        if not ((type(x) is np.ndarray and x.ndim == 2) or sp.issparse(x)) \
                or x.shape[1] != n_features or not x.shape[0]:
            raise fail(f"X_ must be a non-empty 2-D array of {n_features} columns")
        n_samples = x.shape[0]
        classes = state.get("classes_")
        if type(classes) is not np.ndarray or classes.ndim != 1 or not len(classes):
            raise fail("classes_ must be a non-empty 1-D array")
        distributions = state.get("label_distributions_")
        if not _float_array(distributions, 2) or distributions.shape != (n_samples,
                                                                          len(classes)):
            raise fail(f"label_distributions_ must be a float array of shape "
                       f"{[n_samples, len(classes)]}")
        transduction = state.get("transduction_")
        if type(transduction) is not np.ndarray or transduction.shape != (n_samples,):
            raise fail(f"transduction_ must be an array of shape [{n_samples}]")
        nn_fit = state.get("nn_fit")
        if nn_fit is not None:
            # kneighbors indices into the fitted samples index label_distributions_
            if est.kernel != "knn" or type(nn_fit) is not NearestNeighbors:
                raise fail("nn_fit must be None, or a NearestNeighbors for the knn kernel")
            if (nn_fit.__dict__.get("n_samples_fit_") != n_samples
                    or nn_fit.__dict__.get("n_features_in_") != n_features):
                raise fail(f"nn_fit must be fitted on X_ ({n_samples} samples, {n_features} "
                           "features)")

    return validate


def register(registry: Registry) -> None:
    from sklearn import impute, neighbors, semi_supervised
    from sklearn.neighbors import _kd_tree

    from . import tag_for

    for name, cls in _metric_classes().items():
        tag = f"sklearn.metrics.{name}"
        registry.add(Entry(tag, cls, _encode_metric, _metric_decoder(cls, tag),
                           frozenset({"mat", "p", "vec"})))

    node_dtype = np.dtype(_kd_tree.NodeData)
    trees = {"kd_tree": neighbors.KDTree, "ball_tree": neighbors.BallTree}
    for cls, rows, metrics in ((neighbors.KDTree, 2, _KD_METRICS),
                               (neighbors.BallTree, 1, _BALL_METRICS)):
        tag = tag_for(cls)
        registry.add(Entry(tag, cls, _encode_tree,
                           _tree_decoder(cls, tag, rows, metrics, node_dtype), _TREE_FIELDS))

    for cls, kind in ((neighbors.KNeighborsClassifier, "classifier"),
                      (neighbors.RadiusNeighborsClassifier, "classifier"),
                      (neighbors.KNeighborsRegressor, "regressor"),
                      (neighbors.RadiusNeighborsRegressor, "regressor"),
                      (neighbors.NearestNeighbors, "unsupervised"),
                      (neighbors.KNeighborsTransformer, "transformer"),
                      (neighbors.RadiusNeighborsTransformer, "transformer"),
                      (neighbors.LocalOutlierFactor, "lof")):
        tag = tag_for(cls)
        entry = estimator_entry(cls, tag, _neighbors_validator(tag, kind, trees))
        registry.add(with_write_check(entry, _check_writable))

    tag = tag_for(neighbors.KernelDensity)
    registry.add(estimator_entry(neighbors.KernelDensity, tag, _kde_validator(tag, trees)))
    registry.add(estimator_entry(neighbors.NearestCentroid, tag_for(neighbors.NearestCentroid),
                                 _validate_nearest_centroid))
    registry.add(estimator_entry(neighbors.NeighborhoodComponentsAnalysis,
                                 tag_for(neighbors.NeighborhoodComponentsAnalysis),
                                 _validate_nca))
    registry.add(with_write_check(
        estimator_entry(impute.KNNImputer, tag_for(impute.KNNImputer), _validate_knn_imputer),
        _check_imputer_writable))
    for cls in (semi_supervised.LabelPropagation, semi_supervised.LabelSpreading):
        tag = tag_for(cls)
        registry.add(with_write_check(
            estimator_entry(cls, tag, _label_propagation_validator(tag)),
            _check_label_propagation_writable))
