"""KMeans and MiniBatchKMeans: round trips, and every N7 invariant on hostile files."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import testkit
from conftest import HostileBatch, roundtrip
from conftest import edit_array as _array
from conftest import edit_value as _value
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

import paramseal
from paramseal import errors

RNG = np.random.RandomState(2)
X = np.r_[RNG.randn(30, 5), RNG.randn(30, 5) + 4]
XQ = RNG.randn(8, 5) * 3
WIDE = RNG.randn(40, 50)


@pytest.mark.parametrize("model", [
    KMeans(n_clusters=2, n_init=1, random_state=0),
    KMeans(n_clusters=5, n_init=3, random_state=0, algorithm="elkan"),
    MiniBatchKMeans(n_clusters=3, n_init=1, batch_size=16, random_state=0),
    MiniBatchKMeans(n_clusters=4, n_init=2, batch_size=64, reassignment_ratio=0.5,
                    random_state=0),
], ids=lambda m: type(m).__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_roundtrip(model: Any, dtype: Any) -> None:
    model.fit(X.astype(dtype))
    assert model.cluster_centers_.dtype == dtype
    roundtrip(model, XQ.astype(dtype))


@pytest.mark.parametrize("cls", [KMeans, MiniBatchKMeans])
def test_sparse_fit_roundtrip(cls: Any) -> None:
    Xs = sp.csr_matrix(np.where(X > 0.5, X, 0.0))
    model = cls(n_clusters=3, n_init=1, random_state=0).fit(Xs)
    roundtrip(model, sp.csr_matrix(XQ))


def test_partial_fit_after_mmap_load(tmp_path: Any) -> None:
    model = MiniBatchKMeans(n_clusters=3, random_state=0, n_init=1).partial_fit(X[:30])
    assert hasattr(model, "_random_state")
    path = tmp_path / "mbk.paramseal"
    paramseal.dump(model, path)
    loaded = paramseal.load(path)
    # partial_fit updates the centers and counts in place: those are copies, not file views
    loaded.partial_fit(X[30:])
    model.partial_fit(X[30:])
    assert loaded.cluster_centers_.tobytes() == model.cluster_centers_.tobytes()
    assert paramseal.dumps(loaded) == paramseal.dumps(model)


def test_thread_count_is_not_read_from_the_file() -> None:
    model = KMeans(n_clusters=2, n_init=1, random_state=0).fit(X)
    data = paramseal.dumps(model)
    parts = testkit.unpack(data)
    (node,) = testkit.find(parts, "sklearn.cluster.KMeans")
    assert "_n_threads" not in node["state"]
    loaded = paramseal.loads(data)
    assert loaded._n_threads == _openmp_effective_n_threads()
    assert loaded.predict(XQ).tobytes() == model.predict(XQ).tobytes()
    # A file that tries to set it anyway is refused, not silently corrected.
    node["state"] = dict(sorted({**node["state"], "_n_threads": 10**6}.items()))
    with pytest.raises(errors.SchemaError, match="_n_threads"):
        paramseal.loads(testkit.pack(parts))


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()
hostile = HOSTILE.case


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


def _edited(model: Any, edit: Callable[[Any, dict[str, Any]], None]) -> bytes:
    parts = testkit.unpack(paramseal.dumps(model))
    edit(parts, testkit.find(parts, f"sklearn.cluster.{type(model).__name__}")[0]["state"])
    return testkit.pack(parts)





def _kmeans() -> KMeans:
    return KMeans(n_clusters=3, n_init=1, random_state=0).fit(X)


def _minibatch() -> MiniBatchKMeans:
    return MiniBatchKMeans(n_clusters=3, n_init=1, random_state=0).fit(X)


# survey §5 kmeans_centers_narrow: a 50-feature KMeans whose centers keep 1 column
hostile("kmeans_centers_narrow", "cluster_centers_ has shape [3, 1], expected "
        "[n_clusters, n_features_in_] = [3, 50]", x=WIDE[:8])(
    lambda: _edited(KMeans(n_clusters=3, n_init=1, random_state=0).fit(WIDE),
                    _array("cluster_centers_", lambda a: a[:, :1].copy())))
hostile("centers_more_rows", "cluster_centers_ has shape [6, 5], expected")(
    lambda: _edited(_kmeans(), _array("cluster_centers_", lambda a: np.r_[a, a])))
hostile("centers_int", "cluster_centers_ must be a 2-D C-contiguous float32 or float64")(
    lambda: _edited(_kmeans(), _array("cluster_centers_", lambda a: a.astype(np.int64))))
hostile("centers_1d", "cluster_centers_ must be a 2-D C-contiguous float32 or float64")(
    lambda: _edited(_kmeans(), _array("cluster_centers_", lambda a: a.ravel())))
hostile("n_features_in", "n_features_in_ must be a positive integer")(
    lambda: _edited(_kmeans(), _value("n_features_in_", -5)))
hostile("n_features_out", "_n_features_out must be n_clusters = 3")(
    lambda: _edited(_kmeans(), _value("_n_features_out", 7)))
hostile("labels_int64", "labels_ must be a 1-D int32 array")(
    lambda: _edited(_kmeans(), _array("labels_", lambda a: a.astype(np.int64))))
hostile("labels_oob", "labels_ must be cluster indices in [0, 3)")(
    lambda: _edited(_kmeans(), _array("labels_", lambda a: a + 3)))
# partial_fit writes _counts[label] for labels in [0, n_clusters)
hostile("minibatch_counts_short", "_counts must be a C-contiguous float64 array of shape [3]")(
    lambda: _edited(_minibatch(), _array("_counts", lambda a: a[:1])))
hostile("minibatch_counts_dtype", "_counts must be a C-contiguous float64 array of shape [3]")(
    lambda: _edited(_minibatch(), _array("_counts", lambda a: a.astype(np.int64))))
hostile("minibatch_centers_narrow", "cluster_centers_ has shape [3, 2]")(
    lambda: _edited(_minibatch(), _array("cluster_centers_", lambda a: a[:, :2].copy())))
hostile("minibatch_batch_size", "_batch_size must be a positive integer")(
    lambda: _edited(_minibatch(), _value("_batch_size", 0)))
hostile("minibatch_init_size", "_init_size must be a positive integer")(
    lambda: _edited(_minibatch(), _value("_init_size", "big")))


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)
