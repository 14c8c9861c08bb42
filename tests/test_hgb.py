"""HistGradientBoosting{Classifier,Regressor}: round trips, and every N6 invariant refused.

Hostile files are made from valid ones with the testkit and loaded in a subprocess: a wrong
child index, feature index or bitset index is a segfault or a hang in ``_predictor.pyx``
(sklearn-survey §5, probes hgb_node_oob and hgb_bitset_idx_oob) unless the loader refuses it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from conftest import assert_rejected, roundtrip
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.inspection import partial_dependence
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

import paramseal
from paramseal.errors import UnsupportedTypeError

TREES = "sklearn.ensemble.TreePredictor"
BIN_MAPPER = "sklearn.ensemble._BinMapper"
N = 240


@pytest.fixture(autouse=True, scope="module")
def _one_thread() -> Any:
    # OpenMP threads spin while they wait: on a busy 2-core machine, fits crawl without this.
    with threadpool_limits(1):
        yield


def _data(seed: int = 0, n_features: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.RandomState(seed)
    X = rng.randn(N, n_features)
    y3 = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)
    X[::7, 2] = np.nan  # missing values: learned missing_go_to_left
    y_reg = np.exp(X[:, 0] / 2) + 0.1 * rng.rand(N)
    return X, y3, y_reg


def _categorical_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.RandomState(1)
    X = rng.randn(N, 4)
    X[:, 1] = rng.randint(0, 6, N)  # 6 categories, two of them push y up
    X[::11, 1] = np.nan
    y = (np.isin(X[:, 1], (1, 4)) ^ (X[:, 0] > 1)).astype(int)
    return X, y


@pytest.fixture(scope="module")
def multiclass() -> tuple[Any, np.ndarray, bytes]:
    X, y3, _ = _data()
    model = HistGradientBoostingClassifier(max_iter=10, random_state=0).fit(X, y3)
    return model, X, paramseal.dumps(model)


@pytest.fixture(scope="module")
def categorical() -> tuple[Any, np.ndarray, bytes]:
    X, y = _categorical_data()
    model = HistGradientBoostingClassifier(max_iter=10, categorical_features=[1],
                                           random_state=0).fit(X, y)
    assert any(p.raw_left_cat_bitsets.shape[0] for row in model._predictors for p in row)
    return model, X, paramseal.dumps(model)


# ---------------------------------------------------------------- round trips

def _trees_of(model: Any) -> list[Any]:
    return [p for row in model._predictors for p in row]


def _same_trees(a: Any, b: Any) -> None:
    for p, q in zip(_trees_of(a), _trees_of(b), strict=True):
        assert p.nodes.tobytes() == q.nodes.tobytes()
        assert p.nodes.dtype == q.nodes.dtype
        for name in ("raw_left_cat_bitsets", "binned_left_cat_bitsets"):
            assert np.array_equal(getattr(p, name), getattr(q, name))
            assert getattr(q, name).dtype == np.uint32 and getattr(q, name).shape[1] == 8


def test_classifier_multiclass(multiclass: Any) -> None:
    model, X, _ = multiclass
    loaded = roundtrip(model, X)
    assert loaded.n_trees_per_iteration_ == 3 and len(loaded._predictors) == 10
    _same_trees(model, loaded)
    assert type(loaded._loss) is type(model._loss) and loaded._preprocessor is None
    for a, b in zip(model.staged_predict_proba(X), loaded.staged_predict_proba(X), strict=True):
        assert a.tobytes() == b.tobytes()


def test_classifier_binary() -> None:
    X, y3, _ = _data(seed=2)
    model = HistGradientBoostingClassifier(max_iter=12, max_leaf_nodes=7).fit(X, y3 > 0)
    loaded = roundtrip(model, X)
    assert loaded.n_trees_per_iteration_ == 1
    assert type(loaded._loss).__name__ == "HalfBinomialLoss"


def test_classifier_string_labels_and_nan_rows() -> None:
    X, y3, _ = _data(seed=3)
    labels = np.array(["low", "mid", "high"], dtype=object)[y3]
    X[::5] = np.nan  # whole rows missing
    model = HistGradientBoostingClassifier(max_iter=8).fit(X, labels)
    loaded = roundtrip(model, X)
    assert loaded._label_encoder.classes_ is loaded.classes_  # rebuilt, as fit leaves it
    assert list(loaded._label_encoder.transform(["mid", "low"])) == [2, 1]


@pytest.mark.parametrize("loss", ["squared_error", "absolute_error", "poisson", "gamma",
                                  "quantile"])
def test_regressor_losses(loss: str) -> None:
    X, _, y = _data(seed=4)
    model = HistGradientBoostingRegressor(loss=loss, quantile=0.3, max_iter=10).fit(X, y)
    loaded = roundtrip(model, X)
    assert type(loaded._loss) is type(model._loss)
    assert loaded._loss.constant_hessian == model._loss.constant_hessian


def test_regressor_constraints_and_feature_subsampling() -> None:
    X, _, y = _data(seed=5)
    model = HistGradientBoostingRegressor(
        max_iter=10, interaction_cst=[{0, 1}, {2, 3, 4}], monotonic_cst=[1, 0, 0, -1, 0],
        max_features=0.6, l2_regularization=0.5, random_state=0,
    ).fit(X, y)
    loaded = roundtrip(model, X)
    assert loaded.interaction_cst == [{0, 1}, {2, 3, 4}]
    state, loaded_state = (m._feature_subsample_rng.bit_generator.state for m in (model, loaded))
    assert state == loaded_state


def test_sample_and_class_weights() -> None:
    X, y3, _ = _data(seed=6)
    weighted = HistGradientBoostingClassifier(max_iter=8).fit(X, y3, sample_weight=1 + X[:, 3] ** 2)
    loaded = roundtrip(weighted, X)
    assert loaded._fitted_with_sw is True and loaded._loss.constant_hessian is False
    balanced = HistGradientBoostingClassifier(max_iter=8, class_weight="balanced").fit(X, y3)
    assert roundtrip(balanced, X)._loss.constant_hessian is False


def test_early_stopping_with_loss() -> None:
    X, y3, _ = _data(seed=7)
    model = HistGradientBoostingClassifier(max_iter=40, early_stopping=True, n_iter_no_change=2,
                                           validation_fraction=0.25, random_state=0).fit(X, y3)
    loaded = roundtrip(model, X)
    assert loaded._scorer is None and loaded.do_early_stopping_ is True
    assert loaded.validation_score_.tobytes() == model.validation_score_.tobytes()


@pytest.mark.parametrize("scoring", ["accuracy", None])
def test_early_stopping_with_a_scorer(scoring: str | None) -> None:
    X, y3, _ = _data(seed=8)
    model = HistGradientBoostingClassifier(max_iter=15, early_stopping=True, scoring=scoring,
                                           n_iter_no_change=3, random_state=0).fit(X, y3)
    if scoring is not None:
        assert "_raw_predict" in vars(model)  # a bound method: a cycle, dropped
    loaded = roundtrip(model, X)
    assert "_raw_predict" not in vars(loaded)
    assert type(loaded._scorer) is type(model._scorer)
    assert loaded._scorer(loaded, X, y3) == model._scorer(model, X, y3)


def test_categorical_features(categorical: Any) -> None:
    model, X, _ = categorical
    loaded = roundtrip(model, X)
    _same_trees(model, loaded)
    encoder = loaded._preprocessor.named_transformers_["encoder"]
    original = model._preprocessor.named_transformers_["encoder"]
    assert np.array_equal(encoder.categories_[0], original.categories_[0], equal_nan=True)
    X_unknown = X.copy()
    X_unknown[:20, 1] = 17  # unknown categories are treated as missing
    assert loaded.predict_proba(X_unknown).tobytes() == model.predict_proba(X_unknown).tobytes()


def test_categorical_string_categories() -> None:
    rng = np.random.RandomState(9)
    X = np.empty((N, 3), dtype=object)
    X[:, 0] = rng.choice(["red", "green", "blue", "cyan"], N)
    X[:, 1:] = rng.randn(N, 2)
    y = (X[:, 0] == "red") | (X[:, 1].astype(float) > 1)
    model = HistGradientBoostingClassifier(max_iter=8, categorical_features=[True, False, False])
    roundtrip(model.fit(X, y), X)


def test_bin_mapper_alone(categorical: Any) -> None:
    model, X, _ = categorical
    mapper = model._bin_mapper
    loaded = roundtrip(mapper, model._preprocessor.transform(X))
    assert loaded.bin_thresholds_[0] is loaded.known_categories[0]  # shared, as fit leaves it


def test_in_a_pipeline_and_unfitted() -> None:
    X, _, y = _data(seed=10)
    pipe = make_pipeline(StandardScaler(), HistGradientBoostingRegressor(max_iter=5)).fit(X, y)
    roundtrip(pipe, X)
    unfitted = paramseal.loads(paramseal.dumps(HistGradientBoostingRegressor(max_iter=3)))
    assert unfitted.max_iter == 3 and not hasattr(unfitted, "_predictors")


def test_loaded_trees_are_zero_copy_views(tmp_path: Any, multiclass: Any) -> None:
    model, X, data = multiclass
    path = tmp_path / "hgb.paramseal"
    path.write_bytes(data)
    loaded = paramseal.load(path)  # mapped: every tree is a read-only view of one tensor
    trees = _trees_of(loaded)
    assert all(not p.nodes.flags.writeable and not p.nodes.flags.owndata for p in trees)
    assert len({id(p.nodes.base) for p in trees}) == 1
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()


def test_partial_dependence_and_warm_start_with_mmap_off(tmp_path: Any,
                                                         categorical: Any) -> None:
    """Both pass the trees to scikit-learn as writable memoryviews."""
    model, X, data = categorical
    _, y = _categorical_data()
    path = tmp_path / "hgb.paramseal"
    path.write_bytes(data)
    loaded = paramseal.load(path, mmap=False)
    assert all(p.nodes.flags.writeable for p in _trees_of(loaded))
    expected = partial_dependence(model, X, [0, 2], method="recursion")["average"]
    got = partial_dependence(loaded, X, [0, 2], method="recursion")["average"]
    assert expected.tobytes() == got.tobytes()
    original = paramseal.loads(bytearray(data)).set_params(warm_start=True, max_iter=14)
    loaded.set_params(warm_start=True, max_iter=14)
    original.fit(X, y)
    loaded.fit(X, y)
    assert len(loaded._predictors) == 14
    assert original.predict_proba(X).tobytes() == loaded.predict_proba(X).tobytes()


def test_benchmark_shape_loads_like_pickle_does() -> None:
    """Many small trees: one tensor per field for all of them, not three per tree."""
    X, y3, _ = _data(seed=11)
    model = HistGradientBoostingClassifier(max_iter=60, early_stopping=False,
                                           max_leaf_nodes=4).fit(X, y3)
    data = paramseal.dumps(model)
    info = paramseal.inspect(data)
    assert len(info.tensors) < 40
    roundtrip(model, X)


# ---------------------------------------------------------------- refused when writing

def test_refuses_to_write_a_lone_tree_predictor(multiclass: Any) -> None:
    model, _, _ = multiclass
    with pytest.raises(UnsupportedTypeError, match="only as part of the HistGradientBoosting"):
        paramseal.dumps(model._predictors[0][0])


def test_refuses_to_write_unexpected_state(multiclass: Any) -> None:
    X, y3, _ = _data()
    model = HistGradientBoostingClassifier(max_iter=3).fit(X, y3)
    model._in_fit = True
    with pytest.raises(UnsupportedTypeError, match="_in_fit"):
        paramseal.dumps(model)


def test_refuses_to_write_a_changed_preprocessor(categorical: Any) -> None:
    X, y = _categorical_data()
    model = HistGradientBoostingClassifier(max_iter=3, categorical_features=[1]).fit(X, y)
    model._preprocessor.transformers_[1][1].func = np.log1p
    with pytest.raises(UnsupportedTypeError, match="not the preprocessor that fit"):
        paramseal.dumps(model)


# ---------------------------------------------------------------- hostile files (N6)

def _tamper(kit: Any, data: bytes, change: Any) -> bytes:
    """Apply ``change(nodes, trees, parts)`` to the concatenated tree nodes of a file."""
    parts = kit.unpack(data)
    trees = kit.find(parts, TREES)[0]
    nodes = parts.array(trees["nodes"])
    change(nodes, trees, parts)
    parts.set_array(trees["nodes"], nodes)
    return kit.pack(parts)


def _first_tree(parts: Any, trees: dict[str, Any]) -> int:
    return int(parts.array(trees["node_counts"]).ravel()[0])


def _internal(nodes: np.ndarray, end: int) -> np.ndarray:
    return np.flatnonzero(nodes["is_leaf"][:end] == 0)


def test_hgb_node_oob(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """Probe hgb_node_oob: root ``left = 10**8`` is a SIGSEGV in predict."""
    _, X, data = multiclass

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        nodes["left"][0] = 10**8

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match="left child 100000000 must come after the node")


def test_right_child_pointing_backwards(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """A cycle: predict would loop forever in a nogil block."""
    _, X, data = multiclass

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        second = _internal(nodes, _first_tree(parts, trees))[1]
        nodes["right"][second] = 0

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match="right child 0 must come after the node")


def test_shared_child(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """A DAG is not a tree: partial dependence would visit shared subtrees exponentially."""
    _, X, data = multiclass

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        nodes["right"][0] = nodes["left"][0]

    assert_rejected(_tamper(kit, data, change), X, tmp_path, match="parents, but in a tree")


@pytest.mark.parametrize("feature", [5, -1])
def test_feature_idx_out_of_range(kit: Any, tmp_path: Any, multiclass: Any,
                                  feature: int) -> None:
    """feature_idx indexes X's columns unchecked (5 == n_features reads the next row)."""
    _, X, data = multiclass

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        nodes["feature_idx"][0] = feature

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match=f"feature_idx {feature} is out of range [0, 5)")


def test_flags_must_be_0_or_1(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        nodes["is_categorical"][0] = 7

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match="is_categorical must be 0 or 1, found 7")


def test_nodes_dtype_wrong(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """An unsigned feature_idx (same size) is another dtype: refused, never cast."""
    _, X, data = multiclass
    parts = kit.unpack(data)
    spec = kit.find(parts, TREES)[0]["nodes"]["dtype"]
    for field in spec["fields"]:
        if field[0] == "feature_idx":
            field[1] = "<u8"
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="nodes must be a 1-d array of PREDICTOR_RECORD_DTYPE")


def test_predictors_per_iteration_mismatch(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """3 classes, 3 trees per iteration: a (30, 1) layout would index raw_predictions[:, k]."""
    _, X, data = multiclass
    parts = kit.unpack(data)
    counts = kit.find(parts, TREES)[0]["node_counts"]
    parts.set_array(counts, parts.array(counts).reshape(-1, 1))
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="node_counts must be an int64 array of shape (n_iter, 3)")


def test_trees_per_iteration_against_classes(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    parts.schema["root"]["state"]["n_trees_per_iteration_"] = 1
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="n_trees_per_iteration_ must be 3 for 3 classes, found 1")


def test_node_counts_must_add_up(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """Tree slices past the nodes would hand predict a short array and wild children."""
    _, X, data = multiclass
    parts = kit.unpack(data)
    counts_node = kit.find(parts, TREES)[0]["node_counts"]
    counts = parts.array(counts_node)
    counts[0, 0] += 1
    parts.set_array(counts_node, counts)
    assert_rejected(kit.pack(parts), X, tmp_path, match="node_counts adds up to")


def test_baseline_prediction_shape(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    node = parts.schema["root"]["state"]["_baseline_prediction"]
    parts.set_array(node, parts.array(node).reshape(3, 1))
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="_baseline_prediction must be a float64 array of shape (1, 3)")


def test_bin_mapper_is_categorical_length(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """is_categorical_ sizes f_idx_map, which predict indexes with feature_idx."""
    _, X, data = multiclass
    parts = kit.unpack(data)
    node = kit.find(parts, BIN_MAPPER)[0]["state"]["is_categorical_"]
    parts.set_array(node, parts.array(node)[:2])
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="n_bins_non_missing_ must be a uint32 array of length 2")


def test_bin_mapper_against_n_features_in(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    state = parts.schema["root"]["state"]
    state["n_features_in_"] = state["_n_features"] = 6
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="_bin_mapper.is_categorical_ has length 5, expected n_features_in_ = 6")


def test_bin_mapper_against_max_bins(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    parts.schema["root"]["params"]["max_bins"] = 100
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="_bin_mapper.n_bins must be max_bins + 1 = 101, found 256")


def test_hgb_bitset_idx_oob(kit: Any, tmp_path: Any, categorical: Any) -> None:
    """Probe hgb_bitset_idx_oob: ``bitset_idx = 10**7`` is a SIGSEGV in predict."""
    _, X, data = categorical

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        nodes["bitset_idx"][nodes["is_categorical"] == 1] = 10**7

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match="bitset_idx 10000000 is out of range")


def test_bitset_shape_wrong(kit: Any, tmp_path: Any, categorical: Any) -> None:
    """Bitsets are (k, 8) uint32: predict reads word ``value // 32`` of a row, up to 7."""
    _, X, data = categorical
    parts = kit.unpack(data)
    node = kit.find(parts, TREES)[0]["raw_left_cat_bitsets"]
    parts.set_array(node, parts.array(node).reshape(-1, 4))
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="raw_left_cat_bitsets must be a uint32 array of shape (k, 8)")


def test_bitset_counts_must_add_up(kit: Any, tmp_path: Any, categorical: Any) -> None:
    _, X, data = categorical
    parts = kit.unpack(data)
    node = kit.find(parts, TREES)[0]["bitset_counts"]
    counts = parts.array(node)
    counts[-1, -1] += 5
    parts.set_array(node, counts)
    assert_rejected(kit.pack(parts), X, tmp_path, match="bitset_counts adds up to")


def test_categorical_split_on_a_numeric_feature(kit: Any, tmp_path: Any,
                                                categorical: Any) -> None:
    """f_idx_map is 0 for numeric features: known_cat_bitsets[0] may not exist."""
    _, X, data = categorical

    def change(nodes: np.ndarray, trees: Any, parts: Any) -> None:
        numeric = np.flatnonzero((nodes["is_leaf"] == 0) & (nodes["is_categorical"] == 0)
                                 & (nodes["feature_idx"] != 0))
        nodes["is_categorical"][numeric] = 1
        nodes["bitset_idx"][numeric] = 0
        counts = parts.array(trees["bitset_counts"]).ravel()
        ends = np.cumsum(parts.array(trees["node_counts"]).ravel())
        has_bitsets = counts[np.searchsorted(ends, numeric, side="right")] > 0
        assert has_bitsets.any()

    assert_rejected(_tamper(kit, data, change), X, tmp_path,
                    match="which is not categorical")


def test_known_categories_out_of_range(kit: Any, tmp_path: Any, categorical: Any) -> None:
    """make_known_categories_bitsets sets bit ``category`` of an 8-word row."""
    _, X, data = categorical
    parts = kit.unpack(data)
    node = kit.find(parts, BIN_MAPPER)[0]["params"]["known_categories"][0]
    parts.set_array(node, parts.array(node) + 300)
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="categories of feature 0 must be increasing integers in [0, 255]")


def test_categories_must_be_what_the_encoder_finds(kit: Any, tmp_path: Any,
                                                   categorical: Any) -> None:
    _, X, data = categorical
    parts = kit.unpack(data)
    node = parts.schema["root"]["categories"][0]
    values = parts.array(node)
    values[:-1] = values[:-1][::-1]  # not sorted any more (NaN stays last)
    parts.set_array(node, values)
    assert_rejected(kit.pack(parts), X, tmp_path, match="not what the encoder finds")


def test_state_that_fit_never_leaves(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    """``_in_fit`` makes predict treat X as binned: no width check, uint8 X read unchecked."""
    _, X, data = multiclass
    parts = kit.unpack(data)
    root = parts.schema["root"]
    root["state"] = dict(sorted({**root["state"], "_in_fit": True}.items()))
    assert_rejected(kit.pack(parts), X, tmp_path, error="SchemaError",
                    match="attributes ['_in_fit'] are not allowed in state")


def test_tree_predictor_outside_its_estimator(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    stray = {"@": TREES, "binned_left_cat_bitsets": None, "bitset_counts": None,
             "node_counts": None, "nodes": None, "raw_left_cat_bitsets": None}
    parts.schema["root"] = {"@": "tuple", "items": [stray, parts.schema["root"]]}
    assert_rejected(kit.pack(parts), X, tmp_path,
                    match="only accepted as the trees of a HistGradientBoosting")


def test_fitted_state_without_trees(kit: Any, tmp_path: Any, multiclass: Any) -> None:
    _, X, data = multiclass
    parts = kit.unpack(data)
    del parts.schema["root"]["trees"]
    assert_rejected(kit.pack(parts), X, tmp_path, match="partially fitted: missing ['trees']")


# ---------------------------------------------------------------- the other invariants
#
# These are refused by checks that run before anything reaches native code, so loading in this
# process is safe and keeps the file fast; the ones above go to a subprocess.

def _bin_mapper(kit: Any, parts: Any) -> dict[str, Any]:
    node: dict[str, Any] = kit.find(parts, BIN_MAPPER)[0]
    return node


def _set_scalar(where: dict[str, Any], key: str, value: Any) -> None:
    where[key] = value


def _edit_array(parts: Any, node: dict[str, Any], change: Any) -> None:
    array = parts.array(node)
    parts.set_array(node, change(array))


def _bump(array: np.ndarray, value: Any = 1) -> np.ndarray:
    array.flat[0] = value
    return array


NUMERIC_CASES = {
    "trees node with another key": (
        lambda kit, p: kit.find(p, TREES)[0].update(extra=1), "SchemaError",
        "trees must be a sklearn.ensemble.TreePredictor node with exactly the keys"),
    "empty tree": (
        lambda kit, p: _edit_array(p, kit.find(p, TREES)[0]["node_counts"],
                                   lambda a: _bump(a, 0)),
        "ReconstructionError", "node_counts[0][0] is 0, must be in [1, "),
    "missing_go_to_left not 0 or 1": (
        lambda kit, p: _edit_array(p, kit.find(p, TREES)[0]["nodes"],
                                   lambda a: _set_field(a, "missing_go_to_left", 0, 2)),
        "ReconstructionError", "missing_go_to_left must be 0 or 1, found 2"),
    "n_features_in_ not positive": (
        lambda kit, p: p.schema["root"]["state"].update(n_features_in_=0, _n_features=0),
        "ReconstructionError", "n_features_in_ must be a positive integer, found 0"),
    "_n_features differs": (
        lambda kit, p: p.schema["root"]["state"].update(_n_features=4),
        "ReconstructionError", "_n_features (4) must equal n_features_in_ (5)"),
    "do_early_stopping_ not a bool": (
        lambda kit, p: p.schema["root"]["state"].update(do_early_stopping_=1),
        "ReconstructionError", "do_early_stopping_ must be a bool"),
    "_fitted_with_sw not True": (
        lambda kit, p: _insert_state(p, "_fitted_with_sw", False),
        "ReconstructionError", "_fitted_with_sw must be True when present"),
    "_bin_mapper not fitted": (
        lambda kit, p: _bin_mapper(kit, p).update(state={}),
        "ReconstructionError", "_bin_mapper must be a fitted _BinMapper"),
    "unknown scorer": (
        lambda kit, p: (p.schema["root"]["params"].update(scoring="no such scorer"),
                        p.schema["root"]["state"].update(do_early_stopping_=True)),
        "ReconstructionError", "cannot rebuild the scorer"),
    "categories without categorical features": (
        lambda kit, p: _insert(p.schema["root"], "categories", []),
        "ReconstructionError", "categories are given but no feature is categorical"),
    "_loss in state": (
        lambda kit, p: _insert_state(p, "_loss", None),
        "SchemaError", "attributes ['_loss'] are not allowed in state"),
    "bin mapper n_bins out of range": (
        lambda kit, p: _bin_mapper(kit, p)["params"].update(n_bins=1000),
        "ReconstructionError", "n_bins must be an integer in [3, 256], found 1000"),
    "bin mapper subsample negative": (
        lambda kit, p: _bin_mapper(kit, p)["params"].update(subsample=-1),
        "ReconstructionError", "subsample must be None or a positive integer"),
    "bin mapper random_state of another type": (
        lambda kit, p: _bin_mapper(kit, p)["params"].update(random_state="seed"),
        "ReconstructionError", "random_state must be None, an integer or a RandomState"),
    "bin mapper missing_values_bin_idx_": (
        lambda kit, p: _bin_mapper(kit, p)["state"].update(missing_values_bin_idx_=7),
        "ReconstructionError", "missing_values_bin_idx_ must be n_bins - 1 = 255, found 7"),
    "bin mapper is_categorical_ flag 2": (
        lambda kit, p: _edit_array(p, _bin_mapper(kit, p)["state"]["is_categorical_"],
                                   lambda a: _bump(a, 2)),
        "ReconstructionError", "is_categorical_ must hold only 0 and 1"),
    "bin mapper n_bins_non_missing_ value": (
        lambda kit, p: _edit_array(p, _bin_mapper(kit, p)["state"]["n_bins_non_missing_"],
                                   lambda a: _bump(a, 3)),
        "ReconstructionError", "n_bins_non_missing_[0] must be"),
    "bin mapper NaN threshold": (
        lambda kit, p: _edit_array(p, _bin_mapper(kit, p)["state"]["bin_thresholds_"][0],
                                   lambda a: _bump(a, np.nan)),
        "ReconstructionError", "bin_thresholds_[0] must be non-decreasing and not NaN"),
    "bin mapper more thresholds than bins": (
        lambda kit, p: (_bin_mapper(kit, p)["params"].update(n_bins=10),
                        _bin_mapper(kit, p)["state"].update(missing_values_bin_idx_=9)),
        "ReconstructionError", "bin thresholds, more than n_bins - 2 = 8"),
}


def _set_field(array: np.ndarray, field: str, index: int, value: Any) -> np.ndarray:
    array[field][index] = value
    return array


def _insert(node: dict[str, Any], key: str, value: Any) -> None:
    items = dict(node)
    items[key] = value
    node.clear()
    node["@"] = items.pop("@")
    node.update(sorted(items.items()))


def _insert_state(parts: Any, key: str, value: Any) -> None:
    root = parts.schema["root"]
    root["state"] = dict(sorted({**root["state"], key: value}.items()))


def _refused(kit: Any, data: bytes, change: Any, error: str, match: str) -> None:
    parts = kit.unpack(data)
    change(kit, parts)
    with pytest.raises(getattr(paramseal.errors, error)) as info:
        paramseal.loads(kit.pack(parts))
    assert match in str(info.value)


@pytest.mark.parametrize("case", sorted(NUMERIC_CASES))
def test_other_invariants(kit: Any, multiclass: Any, case: str) -> None:
    change, error, match = NUMERIC_CASES[case]
    _refused(kit, multiclass[2], change, error, match)


def _categories_node(p: Any) -> dict[str, Any]:
    node: dict[str, Any] = p.schema["root"]["categories"][0]
    return node


CATEGORICAL_CASES = {
    "bitsets present but empty": (
        lambda kit, p: _empty_bitsets(kit, p), "ReconstructionError",
        "binned_left_cat_bitsets must be a uint32 array of shape (k, 8) with k > 0"),
    "binned and raw bitsets differ": (
        lambda kit, p: _edit_array(p, kit.find(p, TREES)[0]["binned_left_cat_bitsets"],
                                   lambda a: np.concatenate([a, a])),
        "ReconstructionError", "differ in shape"),
    "is_categorical_ None but remapped set": (
        lambda kit, p: p.schema["root"]["state"].update(is_categorical_=None),
        "ReconstructionError", "_is_categorical_remapped must be None when is_categorical_ is"),
    "categories of the wrong count": (
        lambda kit, p: p.schema["root"].update(categories=[]),
        "ReconstructionError", "categories must be a list of 1 arrays"),
    "categories codes against bin thresholds": (
        lambda kit, p: _edit_array(p, _categories_node(p), lambda a: a[1:].copy()),
        "ReconstructionError", "_bin_mapper.bin_thresholds_[0] must be 0..4"),
    "categories of another kind": (
        lambda kit, p: p.schema["root"]["categories"].__setitem__(
            0, {"@": "ndarray", "dtype": "|O", "items": [[0.0], [1.0]], "shape": [2]}),
        "ReconstructionError", "categories[0] must hold numbers or strings"),
    "bin mapper is_categorical param": (
        lambda kit, p: _edit_array(p, _bin_mapper(kit, p)["params"]["is_categorical"],
                                   lambda a: ~a),
        "ReconstructionError", "does not match the is_categorical parameter"),
}


def _empty_bitsets(kit: Any, parts: Any) -> None:
    trees = kit.find(parts, TREES)[0]
    for name in ("binned_left_cat_bitsets", "raw_left_cat_bitsets"):
        parts.set_array(trees[name], np.zeros((0, 8), np.uint32))
    _edit_array(parts, trees["bitset_counts"], np.zeros_like)


@pytest.mark.parametrize("case", sorted(CATEGORICAL_CASES))
def test_other_categorical_invariants(kit: Any, categorical: Any, case: str) -> None:
    change, error, match = CATEGORICAL_CASES[case]
    _refused(kit, categorical[2], change, error, match)


def test_regressor_has_one_tree_per_iteration(kit: Any) -> None:
    X, _, y = _data(seed=12)
    data = paramseal.dumps(HistGradientBoostingRegressor(max_iter=3).fit(X, y))

    def change(kit: Any, parts: Any) -> None:
        parts.schema["root"]["state"]["n_trees_per_iteration_"] = 2

    _refused(kit, data, change, "ReconstructionError",
             "n_trees_per_iteration_ must be 1 for a regressor, found 2")


def test_unfitted_estimator_with_trees(kit: Any, multiclass: Any) -> None:
    parts = kit.unpack(multiclass[2])
    trees = kit.find(parts, TREES)[0]
    unfitted = kit.unpack(paramseal.dumps(HistGradientBoostingClassifier(max_iter=10,
                                                                         random_state=0)))
    root = unfitted.schema["root"]
    root["trees"] = trees
    unfitted.tensors = parts.tensors

    with pytest.raises(paramseal.errors.ReconstructionError, match="partially fitted"):
        paramseal.loads(kit.pack(unfitted))
