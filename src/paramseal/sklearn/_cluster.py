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

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ReconstructionError
from ..registry import Registry
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

    from . import tag_for

    for cls, minibatch in ((cluster.KMeans, False), (cluster.MiniBatchKMeans, True)):
        tag = tag_for(cls)
        registry.add(estimator_entry(cls, tag, _kmeans_validator(tag, minibatch),
                                     derived=_derive_minibatch if minibatch else _derive_threads,
                                     dropped=frozenset({"_n_threads"})))
