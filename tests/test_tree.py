"""Decision trees, forests and gradient boosting: round trips, and every Tree invariant (N1, N2).

Hostile files are made two ways: by editing one field or one array of a valid file with the
testkit (the Tree's own data), or by writing a model whose Python objects were swapped (a
forest holding a wrong tree, a tiled stage matrix). Each is loaded by ``assert_rejected`` in a
fresh interpreter that must refuse it, naming the broken invariant, without crashing or
hanging. Starting an interpreter costs about a second, so those loads run two at a time in a
module fixture; each hostile file still has its own test, which reports its own failure.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pytest
import testkit
from conftest import (
    METHODS,
    assert_rejected,
    assert_same_outputs,
    load_in_subprocess,
    outputs,
    roundtrip,
)
from sklearn.datasets import make_classification, make_regression
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression
from sklearn.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreeClassifier,
    ExtraTreeRegressor,
)

import paramseal
from paramseal import errors
from paramseal.registry import Registry, default_registry
from paramseal.sklearn._estimator import estimator_entry

TREE = "sklearn.tree.Tree"


# ---------------------------------------------------------------- data and models

@functools.cache
def _data() -> dict[str, Any]:
    X, y = make_classification(150, 5, n_informative=3, n_redundant=0, n_classes=3,
                               random_state=0)
    Xr, yr = make_regression(150, 5, n_informative=3, random_state=0)
    rng = np.random.default_rng(0)
    Xn = X.copy()
    Xn[rng.random(Xn.shape) < 0.15] = np.nan
    return {
        "X": X, "y": y, "y2": np.c_[y, (X[:, 0] > 0).astype(int)], "yb": (y > 0).astype(int),
        "Xr": Xr, "yr": yr, "yr2": np.c_[yr, Xr[:, 1] ** 2], "Xn": Xn,
        "labels": np.array(["ant", "bee", "cat"], dtype=object)[y],
    }


@functools.cache
def _clf() -> DecisionTreeClassifier:
    return DecisionTreeClassifier(random_state=0).fit(_data()["X"], _data()["y"])


@functools.cache
def _reg() -> DecisionTreeRegressor:
    return DecisionTreeRegressor(max_depth=4, random_state=0).fit(_data()["Xr"], _data()["yr"])


@functools.cache
def _forest() -> RandomForestClassifier:
    return RandomForestClassifier(n_estimators=4, max_depth=4, random_state=0).fit(
        _data()["X"], _data()["y"])


@functools.cache
def _gbr() -> GradientBoostingRegressor:
    return GradientBoostingRegressor(n_estimators=10, max_depth=2, random_state=0).fit(
        _data()["Xr"], _data()["yr"])


@functools.cache
def _gbc() -> GradientBoostingClassifier:
    return GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0).fit(
        _data()["X"], _data()["y"])


@pytest.fixture(scope="module")
def data() -> dict[str, Any]:
    return _data()


# ---------------------------------------------------------------- round trips

TREE_CASES: list[tuple[Callable[[], Any], str, str]] = [
    (lambda: DecisionTreeClassifier(random_state=0), "X", "y"),
    (lambda: DecisionTreeClassifier(max_depth=3, criterion="entropy", random_state=0), "X", "y"),
    (lambda: DecisionTreeClassifier(min_samples_leaf=7, class_weight="balanced",
                                    random_state=0), "X", "y"),
    (lambda: DecisionTreeClassifier(max_leaf_nodes=9, random_state=0), "X", "y"),  # best first
    (lambda: DecisionTreeClassifier(class_weight={0: 1.0, 1: 3.0, 2: 0.5}, max_features=3,
                                    splitter="random", random_state=0), "X", "y"),
    (lambda: DecisionTreeClassifier(ccp_alpha=0.02, random_state=0), "X", "y"),  # pruned
    (lambda: DecisionTreeClassifier(max_depth=1, random_state=0), "X", "yb"),
    (lambda: DecisionTreeClassifier(random_state=0), "X", "labels"),  # object classes_
    (lambda: DecisionTreeClassifier(random_state=0), "X", "y2"),  # multi-output
    (lambda: DecisionTreeRegressor(random_state=0), "Xr", "yr"),
    (lambda: DecisionTreeRegressor(criterion="friedman_mse", max_depth=5, random_state=0),
     "Xr", "yr"),
    (lambda: DecisionTreeRegressor(min_samples_leaf=5, random_state=0), "Xr", "yr2"),
    (lambda: ExtraTreeClassifier(random_state=0), "X", "y"),
    (lambda: ExtraTreeRegressor(max_depth=6, random_state=0), "Xr", "yr"),
    (lambda: RandomForestClassifier(n_estimators=5, random_state=0), "X", "y"),
    (lambda: RandomForestClassifier(n_estimators=4, oob_score=True, max_samples=0.7,
                                    class_weight="balanced_subsample", random_state=0),
     "X", "y"),
    (lambda: RandomForestClassifier(n_estimators=3, random_state=0), "X", "y2"),
    (lambda: RandomForestRegressor(n_estimators=4, max_depth=5, random_state=0), "Xr", "yr"),
    (lambda: RandomForestRegressor(n_estimators=3, random_state=0), "Xr", "yr2"),
    (lambda: ExtraTreesClassifier(n_estimators=4, random_state=0), "X", "labels"),
    (lambda: ExtraTreesClassifier(n_estimators=3, random_state=0), "X", "y2"),
    (lambda: ExtraTreesRegressor(n_estimators=4, bootstrap=True, oob_score=True,
                                 random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingClassifier(n_estimators=5, max_depth=2, random_state=0),
     "X", "yb"),
    (lambda: GradientBoostingClassifier(n_estimators=4, max_depth=2, subsample=0.7,
                                        random_state=0), "X", "labels"),
    (lambda: GradientBoostingClassifier(n_estimators=4, loss="exponential", random_state=0),
     "X", "yb"),
    (lambda: GradientBoostingClassifier(n_estimators=4, init="zero", random_state=0),
     "X", "y"),
    (lambda: GradientBoostingRegressor(n_estimators=6, random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingRegressor(n_estimators=5, loss="huber", alpha=0.8,
                                       max_features=2, random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingRegressor(n_estimators=5, loss="quantile", alpha=0.3,
                                       random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingRegressor(n_estimators=5, loss="absolute_error", init="zero",
                                       random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingRegressor(n_estimators=3, init=DummyRegressor(strategy="median"),
                                       random_state=0), "Xr", "yr"),
    (lambda: GradientBoostingClassifier(n_estimators=3, init=DummyClassifier(strategy="prior"),
                                        random_state=0), "X", "y"),
    (lambda: GradientBoostingRegressor(n_estimators=200, n_iter_no_change=2,
                                       validation_fraction=0.2, random_state=0), "Xr", "yr"),
]


def _trees(model: Any) -> list[Any]:
    if hasattr(model, "tree_"):
        return [model]
    return list(model.estimators_) if isinstance(model.estimators_, list) else list(
        model.estimators_.flat)


def _check_trees_equal(original: Any, loaded: Any) -> None:
    """The rebuilt Tree objects hold exactly the original's data and depth."""
    for a, b in zip(_trees(original), _trees(loaded), strict=True):
        ta, tb = a.tree_, b.tree_
        sa, sb = ta.__getstate__(), tb.__getstate__()
        assert sa["nodes"].tobytes() == sb["nodes"].tobytes()
        assert sa["values"].tobytes() == sb["values"].tobytes()
        assert ta.max_depth == tb.max_depth and ta.node_count == tb.node_count
        assert list(ta.n_classes) == list(tb.n_classes) and ta.n_features == tb.n_features


def _roundtrip(model: Any, X: np.ndarray) -> Any:
    """``roundtrip``, also for multi-output classifiers, whose probabilities are lists.

    conftest's comparison handles tuples but not lists, so those two methods are compared
    here, one array per output, and everything else as ``roundtrip`` does.
    """
    if not isinstance(getattr(model, "n_classes_", 0), (list, np.ndarray)):
        return roundtrip(model, X)
    data = paramseal.dumps(model)
    loaded = paramseal.loads(data)
    listed = ("predict_proba", "predict_log_proba")
    for name in listed:
        a, b = getattr(model, name)(X), getattr(loaded, name)(X)
        assert type(a) is list and len(a) == len(b) == model.n_outputs_
        assert_same_outputs(dict(enumerate(a)), dict(enumerate(b)))
    rest = tuple(m for m in METHODS if m not in listed)
    assert_same_outputs(outputs(model, X, rest), outputs(loaded, X, rest))
    assert paramseal.dumps(model) == data and paramseal.dumps(loaded) == data
    return loaded


@pytest.mark.parametrize("case", range(len(TREE_CASES)))
def test_roundtrip(case: int, data: dict[str, Any]) -> None:
    make, x_key, y_key = TREE_CASES[case]
    model = make().fit(data[x_key], data[y_key])
    loaded = _roundtrip(model, data[x_key])
    _check_trees_equal(model, loaded)
    np.testing.assert_array_equal(model.feature_importances_, loaded.feature_importances_)
    if hasattr(model, "_loss"):
        assert type(loaded._loss) is type(model._loss)


def test_roundtrip_missing_values(data: dict[str, Any]) -> None:
    X, y = data["Xn"], data["y"]
    for model in (DecisionTreeClassifier(random_state=0).fit(X, y),
                  RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y),
                  ExtraTreeRegressor(random_state=0).fit(X, data["yr"])):
        assert any(t.tree_.missing_go_to_left[t.tree_.children_left != -1].any()
                   for t in _trees(model)), "the fit should send missing values left somewhere"
        loaded = _roundtrip(model, X)
        _check_trees_equal(model, loaded)


def test_roundtrip_gb_staged_and_partial_dependence(data: dict[str, Any]) -> None:
    model = _gbc()
    loaded = roundtrip(model, data["X"])
    for a, b in zip(model.staged_predict_proba(data["X"]),
                    loaded.staged_predict_proba(data["X"]), strict=True):
        assert a.tobytes() == b.tobytes()
    grid = data["X"][:10, :1].astype(np.float32)
    np.testing.assert_array_equal(
        model._compute_partial_dependence_recursion(grid, np.array([0])),
        loaded._compute_partial_dependence_recursion(grid, np.array([0])),
    )


def test_shared_random_state_is_written_once() -> None:
    # Every stage tree holds the booster's RandomState: one object, written once, then refs.
    loaded = paramseal.loads(paramseal.dumps(_gbr()))
    first = loaded.estimators_[0, 0].random_state
    assert isinstance(first, np.random.RandomState)
    assert all(t.random_state is first for t in loaded.estimators_.flat)
    assert loaded._rng is first


def test_unfitted_estimators_roundtrip() -> None:
    for model in (DecisionTreeClassifier(max_depth=3), RandomForestRegressor(n_estimators=7),
                  GradientBoostingClassifier(init="zero")):
        loaded = paramseal.loads(paramseal.dumps(model))
        assert type(loaded) is type(model) and loaded.get_params() == model.get_params()


def test_gb_with_unchecked_init_is_not_written(data: dict[str, Any]) -> None:
    model = GradientBoostingRegressor(n_estimators=2, init=LinearRegression()).fit(
        data["Xr"], data["yr"])
    with pytest.raises(errors.UnsupportedTypeError, match="init_ must be 'zero' or a Dummy"):
        paramseal.dumps(model)


def test_gb_loss_is_rebuilt_not_read() -> None:
    # The loss object is not in the file; it follows the parameters (alpha here).
    parts = testkit.unpack(paramseal.dumps(copy.deepcopy(_gbr()).set_params(loss="huber")))
    node = testkit.find(parts, "sklearn.ensemble.GradientBoostingRegressor")[0]
    assert "_loss" not in node["state"]
    node["params"]["alpha"] = 0.25
    loaded = paramseal.loads(testkit.pack(parts))
    assert type(loaded._loss).__name__ == "HuberLoss" and loaded._loss.quantile == 0.25


def test_probe_max_depth_understated(tmp_path: Any, data: dict[str, Any]) -> None:
    # survey §5 tree_max_depth_understated: decision_path sizes its buffer with max_depth.
    # The stored value is not trusted but recomputed, so this file loads and is correct.
    clf = _clf()
    assert clf.tree_.max_depth > 2
    parts = testkit.unpack(paramseal.dumps(clf))
    testkit.find(parts, TREE)[0]["max_depth"] = 0
    hostile = testkit.pack(parts)
    report = load_in_subprocess(hostile, data["X"], tmp_path,
                                methods=("decision_path", "predict"))
    assert report == {"outcome": "loaded"}
    loaded = paramseal.loads(hostile)
    assert loaded.tree_.max_depth == clf.tree_.max_depth
    assert loaded.get_depth() == clf.get_depth()
    expected, found = clf.decision_path(data["X"]), loaded.decision_path(data["X"])
    assert expected.shape == found.shape and (expected != found).nnz == 0
    assert paramseal.dumps(loaded) == paramseal.dumps(clf)


# ---------------------------------------------------------------- hostile files

#: name -> (build the file, the key of X in _data(), a distinctive part of the message)
HOSTILE: dict[str, tuple[Callable[[], bytes], str, str]] = {}


def hostile(x_key: str, match: str) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    def add(build: Callable[[], bytes]) -> Callable[[], bytes]:
        HOSTILE[build.__name__] = (build, x_key, match)
        return build

    return add


def _edit_tree(model: Any, edit: Callable[[Any, dict[str, Any]], None], which: int = 0) -> bytes:
    """A file of ``model`` whose Tree node number ``which`` was changed by ``edit``."""
    parts = testkit.unpack(paramseal.dumps(model))
    edit(parts, testkit.find(parts, TREE)[which])
    return testkit.pack(parts)


def _edit_nodes(model: Any, edit: Callable[[np.ndarray], None], which: int = 0) -> bytes:
    """A file of ``model`` whose Tree number ``which`` had its node records changed."""
    def change(parts: Any, node: dict[str, Any]) -> None:
        records = parts.array(node["nodes"])
        edit(records)
        parts.set_array(node["nodes"], records)

    return _edit_tree(model, change, which)


def _internal(records: np.ndarray) -> np.ndarray:
    return np.flatnonzero(records["left_child"] != -1)


def _leaves(records: np.ndarray) -> np.ndarray:
    return np.flatnonzero(records["left_child"] == -1)


def _widen_values(parts: Any, node: dict[str, Any], outputs: int, classes: int) -> None:
    values = parts.array(node["values"])
    wide = np.zeros((values.shape[0], outputs, classes))
    wide[:, : values.shape[1], : values.shape[2]] = values
    parts.set_array(node["values"], wide)


def _unchecked_writer() -> Registry:
    """The default registry, but boosters written without the writer's own init_ check."""
    base = default_registry()
    boosters = (GradientBoostingClassifier, GradientBoostingRegressor)
    registry = Registry()
    registry.by_tag.update({t: e for t, e in base.by_tag.items() if e.type not in boosters})
    registry.by_type.update({c: e for c, e in base.by_type.items() if c not in boosters})
    for cls in boosters:
        registry.add(estimator_entry(cls, f"sklearn.ensemble.{cls.__name__}",
                                     dropped=frozenset({"_loss"})))
    return registry


# ---- the Tree's own data (N1)

@hostile("X", "a left_child is not after its node and inside the node array")
def probe_left_child_far_out_of_bounds() -> bytes:
    """survey §5 tree_left_child_oob: SIGSEGV in predict."""
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, 10**9))


@hostile("X", "a left_child is not after its node and inside the node array")
def probe_left_child_just_past_the_end() -> bytes:
    """survey §5 tree_left_child_slightly_oob: follows a garbage node."""
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, len(nodes) + 3))


@hostile("X", "a left_child is not after its node")
def probe_cycle_root_to_itself() -> bytes:
    """survey §5 tree_cycle: both root children 0, an endless loop without the GIL."""
    def edit(nodes: np.ndarray) -> None:
        nodes["left_child"][0] = nodes["right_child"][0] = 0

    return _edit_nodes(_clf(), edit)


@hostile("X", "a right_child is not after its node")
def cycle_to_an_ancestor() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_internal(nodes)[1]] = 0  # an inner node points back at the root

    return _edit_nodes(_clf(), edit)


@hostile("X", "a node is the child of two nodes")
def node_with_two_parents() -> bytes:
    """Forward edges only, but a DAG: compute_node_depths would read an unset depth."""
    def edit(nodes: np.ndarray) -> None:
        node = _internal(nodes)[0]
        nodes["right_child"][node] = nodes["left_child"][node]

    return _edit_nodes(_clf(), edit)


@hostile("X", "cannot form a binary tree")
def internal_node_half_a_leaf() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, -1))


@hostile("X", "a leaf (left_child -1) has a right_child other than -1")
def leaf_with_a_right_child() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_leaves(nodes)[0]] = len(nodes) - 1

    return _edit_nodes(_clf(), edit)


@hostile("X", "an internal node's feature is outside [0, 5)")
def probe_feature_far_out_of_bounds() -> bytes:
    """survey §5 tree_feature_oob: reads X out of bounds."""
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(0, 10**7))


@hostile("X", "an internal node's feature is outside [0, 5)")
def probe_feature_off_by_one() -> bytes:
    """survey §5 tree_feature_off_by_one: silently reads the next row's first feature."""
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(0, 5))


@hostile("X", "an internal node's feature is outside [0, 5)")
def feature_negative() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(_internal(nodes)[-1], -1))


@hostile("X", "an internal node's feature is outside [0, 5)")
def probe_importances_write_out_of_bounds() -> bytes:
    """survey §5 tree_importances_write_oob: feature_importances_ writes importances[10**6]."""
    return _edit_nodes(_forest(), lambda nodes: nodes["feature"].__setitem__(_internal(nodes),
                                                                             10**6))


@hostile("X", "a leaf's feature is not -2")
def leaf_with_a_feature() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(_leaves(nodes)[0], 1))


@hostile("X", "missing_go_to_left must be 0 or 1")
def missing_go_to_left_not_boolean() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["missing_go_to_left"].__setitem__(0, 7))


@hostile("X", "max_depth must be a non-negative integer, found -1")
def max_depth_negative() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("max_depth", -1))


@hostile("X", "values must be float64 of shape [")
def values_shape_mismatch() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        values = parts.array(node["values"])
        parts.set_array(node["values"], np.ascontiguousarray(values[:, :, :2]))

    return _edit_tree(_clf(), edit)


@hostile("X", "values must be float64 of shape [")
def values_wrong_dtype() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        values = parts.array(node["values"]).astype(np.float32)
        node["values"]["dtype"] = "<f4"
        parts.tensors[node["values"]["tensor"]].code = "F32"
        parts.set_array(node["values"], values)

    return _edit_tree(_clf(), edit)


@hostile("X", "nodes must be a 1-D array of NODE_DTYPE")
def nodes_wrong_dtype() -> bytes:
    """Same size and layout, but feature is declared int32: not NODE_DTYPE."""
    def edit(parts: Any, node: dict[str, Any]) -> None:
        fields = node["nodes"]["dtype"]["fields"]
        assert fields[2][0] == "feature"
        fields[2][1] = "<i4"

    return _edit_tree(_clf(), edit)


@hostile("X", "nodes must be a 1-D array of NODE_DTYPE")
def nodes_not_structured() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        words = parts.array(node["nodes"]).view(np.int64)
        node["nodes"]["dtype"] = "<i8"
        parts.tensors[node["nodes"]["tensor"]].code = "I64"
        parts.set_array(node["nodes"], words)

    return _edit_tree(_clf(), edit)


@hostile("X", "a tree needs at least one node")
def no_nodes() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        parts.set_array(node["nodes"], parts.array(node["nodes"])[:0])
        parts.set_array(node["values"], parts.array(node["values"])[:0])

    return _edit_tree(_clf(), edit)


@hostile("X", "n_classes must be a list of 1 positive integers")
def n_classes_longer_than_n_outputs() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_classes", [3, 3]))


@hostile("X", "n_features must be an integer in [1, 268435456]")
def n_features_huge() -> bytes:
    """feature_importances_ would allocate and walk n_features doubles."""
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_features", 10**12))


@hostile("X", "n_outputs must be a positive integer, found 0")
def n_outputs_zero() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_outputs"] = 0
        node["n_classes"] = []

    return _edit_tree(_clf(), edit)


@hostile("X", "nodes must be an array, found list")
def nodes_not_an_array() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("nodes", [1, 2, 3]))


@hostile("Xr", "a right_child is not after its node")
def forest_member_tree_data() -> bytes:
    model = ExtraTreesRegressor(n_estimators=3, max_depth=3, random_state=0).fit(
        _data()["Xr"], _data()["yr"])
    return _edit_nodes(model, lambda nodes: nodes["right_child"].__setitem__(0, 10**9), which=2)


# ---- the tree against its owner

@hostile("X", "tree_ has n_classes [4] but n_classes_ is [3]")
def n_classes_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_classes"] = [4]
        _widen_values(parts, node, 1, 4)

    return _edit_tree(_clf(), edit)


@hostile("X", "tree_ has 6 features but n_features_in_ is 5")
def n_features_differs_from_owner() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_features", 6))


@hostile("X", "tree_ has 2 outputs but n_outputs_ is 1")
def n_outputs_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_outputs"] = 2
        node["n_classes"] = [3, 3]
        _widen_values(parts, node, 2, 3)

    return _edit_tree(_clf(), edit)


@hostile("Xr", "a regression tree has one value per output")
def regression_tree_with_classes() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_classes"] = [2]
        _widen_values(parts, node, 1, 2)

    return _edit_tree(_reg(), edit)


@hostile("X", "n_features_in_ must be an integer >= 1, found None")
def fitted_tree_without_n_features_in() -> bytes:
    model = copy.deepcopy(_clf())
    model.n_features_in_ = None
    return paramseal.dumps(model)


@hostile("X", "classes_ must hold [3] labels")
def classes_differ_from_n_classes() -> bytes:
    model = copy.deepcopy(_clf())
    model.classes_ = model.classes_[:2]
    return paramseal.dumps(model)


@hostile("X", "tree_ must be a sklearn.tree.Tree, found ndarray")
def probe_non_tree_in_tree_slot() -> bytes:
    model = copy.deepcopy(_clf())
    model.tree_ = np.zeros(3)
    return paramseal.dumps(model)


# ---- forests

@hostile("X", "estimators_[0] must be a DecisionTreeClassifier, found ExtraTreeClassifier")
def forest_member_of_another_tree_class() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[0] = ExtraTreeClassifier(random_state=0).fit(_data()["X"], _data()["y"])
    return paramseal.dumps(model)


@hostile("X", "estimators_[2] is not fitted")
def forest_member_not_fitted() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[2] = DecisionTreeClassifier()
    return paramseal.dumps(model)


@hostile("X", "estimators_[3] has 4 features and 1 outputs, the forest 5 and 1")
def forest_member_with_other_features() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[3] = DecisionTreeClassifier().fit(_data()["X"][:, :4], _data()["y"])
    return paramseal.dumps(model)


@hostile("X", "estimators_[0] does not have the forest's classes [3]")
def forest_member_with_other_classes() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[0] = DecisionTreeClassifier().fit(_data()["X"], _data()["yb"])
    return paramseal.dumps(model)


@hostile("X", "estimators_ must be a non-empty list")
def forest_without_trees() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_ = []
    return paramseal.dumps(model)


# ---- gradient boosting (N2)

@hostile("Xr", "estimators_ must be an object array of shape [10, 1], found ndarray of shape "
               "[10, 64]")
def probe_gb_stage_matrix_too_wide() -> bytes:
    """survey §5 gb_stage_matrix_too_wide: predict_stages writes out[i, k] for k < 64."""
    model = copy.deepcopy(_gbr())
    model.estimators_ = np.tile(model.estimators_, (1, 64))
    assert model.estimators_.shape == (10, 64) and model.n_trees_per_iteration_ == 1
    return paramseal.dumps(model)


@hostile("Xr", "estimators_ must be an object array of shape [12, 1]")
def gb_stage_count_differs() -> bytes:
    model = copy.deepcopy(_gbr())
    model.n_estimators_ = 12
    return paramseal.dumps(model)


@hostile("Xr", "n_trees_per_iteration_ must be 1, found 3")
def gb_trees_per_iteration_for_regression() -> bytes:
    model = copy.deepcopy(_gbr())
    model.estimators_ = np.tile(model.estimators_, (1, 3))
    model.n_trees_per_iteration_ = 3
    return paramseal.dumps(model)


@hostile("X", "n_trees_per_iteration_ is 1, but 3 classes need 3")
def gb_trees_per_iteration_for_classes() -> bytes:
    model = copy.deepcopy(_gbc())
    model.estimators_ = model.estimators_[:, :1].copy()
    model.n_trees_per_iteration_ = 1
    return paramseal.dumps(model)


@hostile("X", "estimators_ cell 5 must be a DecisionTreeRegressor, found DecisionTreeClassifier")
def gb_cell_of_the_wrong_class() -> bytes:
    model = copy.deepcopy(_gbc())
    model.estimators_[1, 2] = DecisionTreeClassifier(max_depth=2).fit(_data()["X"],
                                                                      _data()["y"])
    return paramseal.dumps(model)


@hostile("Xr", "estimators_ cell 4 must be a single-output tree on 5 features")
def gb_cell_with_two_outputs() -> bytes:
    """A two-output tree has value stride 2; predict_stages reads values with stride 1."""
    model = copy.deepcopy(_gbr())
    model.estimators_[4, 0] = DecisionTreeRegressor(max_depth=2).fit(_data()["Xr"],
                                                                     _data()["yr2"])
    return paramseal.dumps(model)


@hostile("X", "init_ must be a fitted single-output DummyClassifier with 3 classes")
def gb_init_with_too_few_classes() -> bytes:
    """A multiclass init_ sizes the raw prediction buffer: its width must be n_classes_."""
    model = copy.deepcopy(_gbc())
    model.init_ = DummyClassifier(strategy="prior").fit(_data()["X"], _data()["yb"])
    with pytest.raises(errors.UnsupportedTypeError, match="with 3 classes"):
        paramseal.dumps(model)  # our writer refuses it too
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("Xr", "init_ must be a fitted single-output DummyRegressor")
def gb_init_with_two_outputs() -> bytes:
    model = copy.deepcopy(_gbr())
    model.init_ = DummyRegressor().fit(_data()["Xr"], _data()["yr2"])
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("Xr", "estimators_ cell 7 is not fitted")
def gb_cell_not_fitted() -> bytes:
    model = copy.deepcopy(_gbr())
    model.estimators_[7, 0] = DecisionTreeRegressor()
    return paramseal.dumps(model)


@hostile("X", "init_ must be 'zero' or a DummyClassifier, found DecisionTreeClassifier")
def gb_init_of_an_unchecked_class() -> bytes:
    """The width of a tree's predict_proba is not checked against the booster: refused."""
    model = GradientBoostingClassifier(
        n_estimators=2, init=DecisionTreeClassifier(max_depth=2)).fit(_data()["X"],
                                                                      _data()["y"])
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("X", "loss 'exponential' needs exactly 2 classes")
def gb_exponential_loss_with_three_classes() -> bytes:
    parts = testkit.unpack(paramseal.dumps(_gbc()))
    testkit.find(parts, "sklearn.ensemble.GradientBoostingClassifier")[0]["params"]["loss"] = (
        "exponential")
    return testkit.pack(parts)


def _build_and_load(name: str, tmp_path: Any) -> dict[str, Any]:
    build, x_key, match = HOSTILE[name]
    return assert_rejected(build(), _data()[x_key], tmp_path, match=match)


@pytest.fixture(scope="module")
def rejections(request: Any, tmp_path_factory: Any) -> Iterator[dict[str, Future[Any]]]:
    """The selected hostile files, built and loaded by ``assert_rejected``, two at a time."""
    names = [item.callspec.params["name"] for item in request.session.items
             if getattr(item, "module", None) is request.module
             and getattr(item, "originalname", None) == "test_hostile_file_is_rejected"]
    for model in (_clf, _reg, _forest, _gbr, _gbc):
        model()  # fitted once, here, rather than raced for by the workers
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield {name: pool.submit(_build_and_load, name, tmp_path_factory.mktemp(name))
               for name in names}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_rejected(name: str, rejections: dict[str, Any]) -> None:
    report = rejections[name].result()  # re-raises what assert_rejected found wrong
    assert report["outcome"] == "error" and report["class"] == "ReconstructionError"
    assert report["message"].startswith(("sklearn.tree.", "sklearn.ensemble."))
