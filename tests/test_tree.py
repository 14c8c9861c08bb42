"""Decision trees, forests and gradient boosting: round trips, and every Tree invariant (N1, N2).

A forest's or a booster's trees are written as one ``sklearn.ensemble.TreeBatch`` node (shared
values once, per-tree columns, all node records in one tensor); a single tree, and trees that
do not batch, as ``sklearn.tree.Tree`` nodes inside their estimators. Both forms are tested.

Hostile files are made two ways: by editing one field or one array of a valid file with the
testkit (the trees' own data), or by writing a model whose Python objects were swapped (a
forest holding a wrong tree, a reshaped stage matrix). All of them are loaded in ONE child
process (``HostileBatch``), which must refuse each, naming the broken invariant, without
crashing or hanging; a file the child did not report on is loaded again alone.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import testkit
from conftest import (
    METHODS,
    HostileBatch,
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
from paramseal.sklearn import _tree
from paramseal.sklearn._estimator import estimator_entry

TREE = "sklearn.tree.Tree"
BATCH = "sklearn.ensemble.TreeBatch"


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
    parts = testkit.unpack(paramseal.dumps(model))
    if hasattr(model, "estimators_"):  # the trees of an ensemble are written as one batch
        (batch,) = testkit.find(parts, BATCH)
        assert not testkit.find(parts, TREE), "no tree is written on its own"
        trees = _trees(model)
        assert batch["class"] == f"sklearn.tree.{type(trees[0]).__name__}"
        assert parts.array(batch["node_counts"]).tolist() == [t.tree_.node_count for t in trees]
        assert batch["container"] == ("list" if type(model.estimators_) is list else "ndarray")
        assert batch["shape"] == list(np.shape(model.estimators_))
    else:
        assert len(testkit.find(parts, TREE)) == 1 and not testkit.find(parts, BATCH)


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




@functools.cache
def _big() -> ExtraTreesRegressor:
    """Eight trees of 5999 nodes: their records span two chunks of ``_CHUNK_NODES`` nodes."""
    rng = np.random.RandomState(0)
    return ExtraTreesRegressor(n_estimators=8, random_state=0).fit(rng.rand(3000, 5),
                                                                   rng.rand(3000))


def _big_x() -> np.ndarray:
    return np.random.RandomState(1).rand(40, 5)


def _batches(data: bytes) -> list[dict[str, Any]]:
    return testkit.find(testkit.unpack(data), BATCH)


def test_batch_shares_values_and_keeps_columns() -> None:
    # A forest's trees have their own random_state (a column) and their own, equal, classes_
    # arrays (stored once). A booster's trees all hold the booster's RandomState: a ref.
    (batch,) = _batches(paramseal.dumps(_forest()))
    assert list(batch["columns"]) == ["random_state"]
    assert batch["columns"]["random_state"] == [t.random_state for t in _forest().estimators_]
    assert batch["state"]["classes_"]["@"] == "ndarray"
    assert batch["params"]["max_depth"] == 4
    (batch,) = _batches(paramseal.dumps(_gbr()))
    assert batch["columns"] == {}
    assert batch["params"]["random_state"] == {"@": "ref", "id": 0}
    loaded = paramseal.loads(paramseal.dumps(_forest()))
    assert [t.random_state for t in loaded.estimators_] == [
        t.random_state for t in _forest().estimators_]
    first = loaded.estimators_[0].classes_
    assert all(t.classes_ is first for t in loaded.estimators_)


def test_batch_validates_each_parameter_value_once(monkeypatch: Any) -> None:
    import sklearn.utils._param_validation as validation

    calls: list[tuple[str, tuple[str, ...]]] = []
    real = validation.validate_parameter_constraints

    def counting(constraints: Any, params: dict[str, Any], caller_name: str) -> None:
        calls.append((caller_name, tuple(params)))
        real(constraints, params, caller_name=caller_name)

    monkeypatch.setattr(validation, "validate_parameter_constraints", counting)
    monkeypatch.setattr(_tree, "_VALID", {})
    forest = RandomForestRegressor(n_estimators=12, max_depth=2, random_state=0).fit(
        _data()["Xr"], _data()["yr"])
    paramseal.loads(paramseal.dumps(forest))
    checked = [names for caller, names in calls if caller == "DecisionTreeRegressor"]
    # 12 shared parameters, then the 12 distinct random_state values of the column.
    assert sorted(checked) == sorted([(name,) for name in forest.estimators_[0].get_params()
                                      if name != "random_state"] + [("random_state",)] * 12)
    calls.clear()
    paramseal.loads(paramseal.dumps(forest))  # plain values: remembered for the process
    assert not [c for c in calls if c[0] == "DecisionTreeRegressor"]


def test_batch_spanning_several_chunks_roundtrips() -> None:
    model = _big()
    data = paramseal.dumps(model)
    (batch,) = _batches(data)
    counts = testkit.unpack(data).array(batch["node_counts"])
    assert len(_tree._chunks(np.cumsum(counts))) == 2
    loaded = roundtrip(model, _big_x())
    _check_trees_equal(model, loaded)


def test_batch_chunks_cover_every_tree_once() -> None:
    for counts in ([1], [5] * 3, [40_000], [3, 40_000, 3], [20_000] * 5, [32_768, 1, 32_767]):
        ends = np.cumsum(counts)
        chunks = _tree._chunks(ends)
        assert [t for a, b in chunks for t in range(a, b)] == list(range(len(counts)))
        for a, b in chunks:
            assert b - a == 1 or ends[b - 1] - (ends[a - 1] if a else 0) <= _tree._CHUNK_NODES


def _records(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """The trees' node records back to back (as a batch holds them), and their counts."""
    states = [t.tree_.__getstate__() for t in _trees(model)]
    counts = np.array([len(s["nodes"]) for s in states], dtype=np.int64)
    return np.concatenate([s["nodes"] for s in states], out=np.empty(
        counts.sum(), dtype=states[0]["nodes"].dtype)), counts


def test_batch_check_agrees_with_the_per_tree_check() -> None:
    """Random damage to one tree: the batch check finds the first damaged tree and says what
    the check of that tree alone says; undamaged batches pass."""
    records, counts = _records(_forest())
    ends = np.cumsum(counts)
    rng = np.random.default_rng(0)
    fields = ("left_child", "right_child", "feature", "missing_go_to_left")
    assert _tree._check_nodes(records, counts, ends, 5) is None
    found = set()
    for _ in range(400):
        damaged = records.copy()
        t = int(rng.integers(len(counts)))
        a = int(ends[t] - counts[t])
        node = a + int(rng.integers(counts[t]))
        field = fields[rng.integers(len(fields))]
        choices = [-2, -1, 0, 1, 5, int(counts[t]), int(counts[t]) - 1, node - a, 10**9,
                   int(damaged["left_child"][node]), int(damaged["right_child"][node])]
        value = choices[rng.integers(len(choices))]
        damaged[field][node] = value % 256 if field == "missing_go_to_left" else value
        alone = [_tree._check_nodes(damaged[e - c:e], counts[i:i + 1], counts[i:i + 1], 5)
                 for i, (c, e) in enumerate(zip(counts, ends, strict=True))]
        bad = [(i, problem[1]) for i, problem in enumerate(alone) if problem]
        result = _tree._check_nodes(damaged, counts, ends, 5)
        assert result == (bad[0] if bad else None), (t, node, field, value)
        found.update(message.split(" (")[0] for _, message in bad)
    assert len(found) >= 6, found  # the damage reached most of the checks


def test_trees_that_do_not_batch_are_written_one_by_one(data: dict[str, Any]) -> None:
    # An extra attribute on one tree: the trees differ in their attribute names.
    model = copy.deepcopy(_forest())
    model.estimators_[2].note_ = "pruned by hand"
    written = paramseal.dumps(model)
    assert not _batches(written) and len(testkit.find(testkit.unpack(written), TREE)) == 4
    loaded = _roundtrip(model, data["X"])
    assert loaded.estimators_[2].note_ == "pruned by hand"
    # A tree that is also referenced before the forest: written once, then a ref to it.
    pair = [_forest().estimators_[0], _forest()]
    loaded_pair = paramseal.loads(paramseal.dumps(pair))
    assert not _batches(paramseal.dumps(pair))
    assert loaded_pair[1].estimators_[0] is loaded_pair[0]
    stage = copy.deepcopy(_gbr())
    stage.estimators_ = np.tile(stage.estimators_, (1, 2))  # one tree in two cells
    assert not _batches(paramseal.dumps(stage))


def test_a_tree_written_in_a_batch_cannot_be_referenced_again() -> None:
    for later in (_forest().estimators_[1], _forest().estimators_[1].tree_,
                  _forest().estimators_[2].classes_):  # a copy of a value stored once
        with pytest.raises(errors.UnsupportedTypeError, match="written in a batch"):
            paramseal.dumps([_forest(), later])


def test_a_value_referenced_before_the_batch_keeps_its_identity() -> None:
    classes = _forest().estimators_[2].classes_
    written = paramseal.dumps([classes, _forest()])
    (batch,) = _batches(written)
    assert "classes_" in batch["columns"]  # not merged with the other trees' equal copies
    loaded = paramseal.loads(written)
    assert loaded[1].estimators_[2].classes_ is loaded[0]
    assert paramseal.dumps(loaded) == written


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()


def hostile(match: str, x: str = "X", error: str = "ReconstructionError"
            ) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a hostile file builder under its name; ``x`` is the key of X in _data()."""
    def add(build: Callable[[], bytes]) -> Callable[[], bytes]:
        X = None if x == "X" else _big_x() if x == "big" else _data()[x]
        return HOSTILE.case(build.__name__, match, x=X, error=error)(build)

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


def _edit_batch(model: Any, edit: Callable[[Any, dict[str, Any]], None]) -> bytes:
    """A file of ``model`` whose TreeBatch node was changed by ``edit``."""
    parts = testkit.unpack(paramseal.dumps(model))
    (node,) = testkit.find(parts, BATCH)
    edit(parts, node)
    return testkit.pack(parts)


def _edit_batch_nodes(model: Any, tree: int, edit: Callable[[np.ndarray], None]) -> bytes:
    """A file of ``model`` where ``edit`` changed the records of the batch's tree ``tree``
    (a writable view into all the records; its child indices are local to the tree)."""
    def change(parts: Any, node: dict[str, Any]) -> None:
        records = parts.array(node["nodes"])
        ends = np.cumsum(parts.array(node["node_counts"]))
        edit(records[(ends[tree - 1] if tree else 0):ends[tree]])
        parts.set_array(node["nodes"], records)

    return _edit_batch(model, change)


def _edit_counts(model: Any, edit: Callable[[np.ndarray], None]) -> bytes:
    def change(parts: Any, node: dict[str, Any]) -> None:
        counts = parts.array(node["node_counts"])
        edit(counts)
        parts.set_array(node["node_counts"], counts)

    return _edit_batch(model, change)


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


# ---- one Tree (N1), in a single tree's estimator

@hostile("a left_child is not after its node and inside its tree")
def probe_left_child_far_out_of_bounds() -> bytes:
    """survey §5 tree_left_child_oob: SIGSEGV in predict."""
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, 10**9))


@hostile("a left_child is not after its node and inside its tree")
def probe_left_child_just_past_the_end() -> bytes:
    """survey §5 tree_left_child_slightly_oob: follows a garbage node."""
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, len(nodes) + 3))


@hostile("a left_child is not after its node")
def probe_cycle_root_to_itself() -> bytes:
    """survey §5 tree_cycle: both root children 0, an endless loop without the GIL."""
    def edit(nodes: np.ndarray) -> None:
        nodes["left_child"][0] = nodes["right_child"][0] = 0

    return _edit_nodes(_clf(), edit)


@hostile("a right_child is not after its node")
def cycle_to_an_ancestor() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_internal(nodes)[1]] = 0  # an inner node points back at the root

    return _edit_nodes(_clf(), edit)


@hostile("a node is the child of two nodes")
def node_with_two_parents() -> bytes:
    """Forward edges only, but a DAG: compute_node_depths would read an unset depth."""
    def edit(nodes: np.ndarray) -> None:
        node = _internal(nodes)[0]
        nodes["right_child"][node] = nodes["left_child"][node]

    return _edit_nodes(_clf(), edit)


@hostile("cannot form a binary tree")
def internal_node_half_a_leaf() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["left_child"].__setitem__(0, -1))


@hostile("a leaf (left_child -1) has a right_child other than -1")
def leaf_with_a_right_child() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_leaves(nodes)[0]] = len(nodes) - 1

    return _edit_nodes(_clf(), edit)


@hostile("an internal node's feature is outside [0, 5)")
def probe_feature_far_out_of_bounds() -> bytes:
    """survey §5 tree_feature_oob: reads X out of bounds."""
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(0, 10**7))


@hostile("an internal node's feature is outside [0, 5)")
def probe_feature_off_by_one() -> bytes:
    """survey §5 tree_feature_off_by_one: silently reads the next row's first feature."""
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(0, 5))


@hostile("an internal node's feature is outside [0, 5)")
def feature_negative() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(_internal(nodes)[-1], -1))


@hostile("a leaf's feature is not -2")
def leaf_with_a_feature() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["feature"].__setitem__(_leaves(nodes)[0], 1))


@hostile("missing_go_to_left must be 0 or 1")
def missing_go_to_left_not_boolean() -> bytes:
    return _edit_nodes(_clf(), lambda nodes: nodes["missing_go_to_left"].__setitem__(0, 7))


@hostile("max_depth must be a non-negative integer, found -1")
def max_depth_negative() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("max_depth", -1))


@hostile("values must be float64 of shape [")
def values_shape_mismatch() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        values = parts.array(node["values"])
        parts.set_array(node["values"], np.ascontiguousarray(values[:, :, :2]))

    return _edit_tree(_clf(), edit)


@hostile("values must be float64 of shape [")
def values_wrong_dtype() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        values = parts.array(node["values"]).astype(np.float32)
        node["values"]["dtype"] = "<f4"
        parts.tensors[node["values"]["tensor"]].code = "F32"
        parts.set_array(node["values"], values)

    return _edit_tree(_clf(), edit)


@hostile("nodes must be a 1-D array of NODE_DTYPE")
def nodes_wrong_dtype() -> bytes:
    """Same size and layout, but feature is declared int32: not NODE_DTYPE."""
    def edit(parts: Any, node: dict[str, Any]) -> None:
        fields = node["nodes"]["dtype"]["fields"]
        assert fields[2][0] == "feature"
        fields[2][1] = "<i4"

    return _edit_tree(_clf(), edit)


@hostile("nodes must be a 1-D array of NODE_DTYPE")
def nodes_not_structured() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        words = parts.array(node["nodes"]).view(np.int64)
        node["nodes"]["dtype"] = "<i8"
        parts.tensors[node["nodes"]["tensor"]].code = "I64"
        parts.set_array(node["nodes"], words)

    return _edit_tree(_clf(), edit)


@hostile("a tree needs at least one node")
def no_nodes() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        parts.set_array(node["nodes"], parts.array(node["nodes"])[:0])
        parts.set_array(node["values"], parts.array(node["values"])[:0])

    return _edit_tree(_clf(), edit)


@hostile("n_classes must be a list of 1 positive integers")
def n_classes_longer_than_n_outputs() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_classes", [3, 3]))


@hostile("n_features must be an integer in [1, 268435456]")
def n_features_huge() -> bytes:
    """feature_importances_ would allocate and walk n_features doubles."""
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_features", 10**12))


@hostile("n_outputs must be a positive integer, found 0")
def n_outputs_zero() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_outputs"] = 0
        node["n_classes"] = []

    return _edit_tree(_clf(), edit)


@hostile("nodes must be an array, found list")
def nodes_not_an_array() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("nodes", [1, 2, 3]))


@hostile("a right_child is not after its node", x="Xr")
def forest_member_tree_data_in_the_per_tree_form() -> bytes:
    model = ExtraTreesRegressor(n_estimators=3, max_depth=3, random_state=0).fit(
        _data()["Xr"], _data()["yr"])
    model.estimators_[1].note_ = 1  # the trees do not batch: each has its Tree node
    return _edit_nodes(model, lambda nodes: nodes["right_child"].__setitem__(0, 10**9), which=2)


# ---- the tree against its owner

@hostile("tree_ has n_classes [4] but n_classes_ is [3]")
def n_classes_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_classes"] = [4]
        _widen_values(parts, node, 1, 4)

    return _edit_tree(_clf(), edit)


@hostile("tree_ has 6 features but n_features_in_ is 5")
def n_features_differs_from_owner() -> bytes:
    return _edit_tree(_clf(), lambda parts, node: node.__setitem__("n_features", 6))


@hostile("tree_ has 2 outputs but n_outputs_ is 1")
def n_outputs_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_outputs"] = 2
        node["n_classes"] = [3, 3]
        _widen_values(parts, node, 2, 3)

    return _edit_tree(_clf(), edit)


@hostile("a regression tree has one value per output", x="Xr")
def regression_tree_with_classes() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_classes"] = [2]
        _widen_values(parts, node, 1, 2)

    return _edit_tree(_reg(), edit)


@hostile("n_features_in_ must be an integer >= 1, found None")
def fitted_tree_without_n_features_in() -> bytes:
    model = copy.deepcopy(_clf())
    model.n_features_in_ = None
    return paramseal.dumps(model)


@hostile("classes_ must hold [3] labels")
def classes_differ_from_n_classes() -> bytes:
    model = copy.deepcopy(_clf())
    model.classes_ = model.classes_[:2]
    return paramseal.dumps(model)


@hostile("tree_ must be a sklearn.tree.Tree, found ndarray")
def probe_non_tree_in_tree_slot() -> bytes:
    model = copy.deepcopy(_clf())
    model.tree_ = np.zeros(3)
    return paramseal.dumps(model)


# ---- batches: the trees' records (N1), checked all together

@hostile("tree 0: a left_child is not after its node and inside its tree")
def batch_child_points_into_the_next_tree() -> bytes:
    """Local index = the tree's size: the next tree's root, were indices global."""
    return _edit_batch_nodes(_forest(), 0, lambda nodes: nodes["left_child"].__setitem__(
        0, len(nodes)))


@hostile("tree 1: a right_child is not after its node and inside its tree")
def batch_last_internal_node_points_past_its_tree() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_internal(nodes)[-1]] = len(nodes) + 2

    return _edit_batch_nodes(_forest(), 1, edit)


@hostile("tree 2: a left_child is not after its node and inside its tree")
def batch_probe_left_child_far_out_of_bounds() -> bytes:
    return _edit_batch_nodes(_forest(), 2, lambda nodes: nodes["left_child"].__setitem__(
        0, 10**9))


@hostile("tree 3: a right_child is not after its node")
def batch_cycle_to_the_root() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_internal(nodes)[1]] = 0

    return _edit_batch_nodes(_forest(), 3, edit)


@hostile("tree 3: a left_child is not after its node")
def batch_child_points_back_into_the_previous_tree() -> bytes:
    return _edit_batch_nodes(_forest(), 3, lambda nodes: nodes["left_child"].__setitem__(0, -5))


@hostile("tree 3: a node is the child of two nodes")
def batch_last_node_with_two_parents() -> bytes:
    """The last tree's last node gets a second parent (and another node none)."""
    def edit(nodes: np.ndarray) -> None:
        last = len(nodes) - 1
        parents = _internal(nodes)
        other = next(p for p in parents if last not in (nodes["left_child"][p],
                                                        nodes["right_child"][p]))
        nodes["left_child"][other] = last

    return _edit_batch_nodes(_forest(), 3, edit)


@hostile("tree 1: 21 nodes with 9 internal ones cannot form a binary tree")
def batch_internal_node_half_a_leaf() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        assert len(nodes) == 21
        nodes["left_child"][0] = -1

    return _edit_batch_nodes(_forest(), 1, edit)


@hostile("tree 0: 27 nodes with 14 internal ones cannot form a binary tree")
def batch_node_counts_move_a_boundary() -> bytes:
    """Trees of 25 and 21 nodes: the first two nodes of tree 1 (both internal) move into
    tree 0. The counts still add up; the trees they describe are no binary trees."""
    def edit(counts: np.ndarray) -> None:
        assert counts.tolist()[:2] == [25, 21]
        records, _ = _records(_forest())
        assert (records["left_child"][25:27] != -1).all()
        counts[:2] = [27, 19]

    return _edit_counts(_forest(), edit)


@hostile("tree 2: a leaf (left_child -1) has a right_child other than -1")
def batch_leaf_with_a_right_child() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        nodes["right_child"][_leaves(nodes)[0]] = len(nodes) - 1

    return _edit_batch_nodes(_forest(), 2, edit)


@hostile("tree 1: an internal node's feature is outside [0, 5)")
def batch_probe_feature_off_by_one() -> bytes:
    return _edit_batch_nodes(_forest(), 1, lambda nodes: nodes["feature"].__setitem__(
        _internal(nodes)[-1], 5))


@hostile("tree 3: an internal node's feature is outside [0, 5)")
def batch_feature_negative() -> bytes:
    return _edit_batch_nodes(_forest(), 3, lambda nodes: nodes["feature"].__setitem__(0, -1))


@hostile("tree 0: an internal node's feature is outside [0, 5)")
def batch_probe_importances_write_out_of_bounds() -> bytes:
    """survey §5 tree_importances_write_oob: feature_importances_ writes importances[10**6]."""
    return _edit_batch_nodes(_forest(), 0, lambda nodes: nodes["feature"].__setitem__(
        _internal(nodes), 10**6))


@hostile("tree 2: a leaf's feature is not -2")
def batch_leaf_with_a_feature() -> bytes:
    return _edit_batch_nodes(_forest(), 2, lambda nodes: nodes["feature"].__setitem__(
        _leaves(nodes)[-1], 1))


@hostile("tree 3: missing_go_to_left must be 0 or 1")
def batch_missing_go_to_left_not_boolean() -> bytes:
    return _edit_batch_nodes(_forest(), 3, lambda nodes: nodes["missing_go_to_left"].__setitem__(
        len(nodes) - 1, 2))


@hostile("tree 4: a right_child is not after its node and inside its tree", x="big")
def batch_child_points_across_a_chunk_boundary() -> bytes:
    """Tree 4 ends the first chunk of records: its root's right child would be tree 5's root."""
    ends = np.cumsum([t.tree_.node_count for t in _big().estimators_])
    assert _tree._chunks(ends)[0] == (0, 5)
    return _edit_batch_nodes(_big(), 4, lambda nodes: nodes["right_child"].__setitem__(
        0, len(nodes)))


@hostile("tree 6: a node is the child of two nodes", x="big")
def batch_two_parents_in_the_second_chunk() -> bytes:
    def edit(nodes: np.ndarray) -> None:
        node = _internal(nodes)[-1]
        nodes["right_child"][node] = nodes["left_child"][node]

    return _edit_batch_nodes(_big(), 6, edit)


# ---- batches: node_counts and the layout

@hostile("node_counts add up to 97, not to the 96 nodes")
def batch_node_counts_add_up_to_more() -> bytes:
    return _edit_counts(_forest(), lambda counts: counts.__setitem__(-1, counts[-1] + 1))


@hostile("node_counts add up to 95, not to the 96 nodes")
def batch_node_counts_add_up_to_less() -> bytes:
    return _edit_counts(_forest(), lambda counts: counts.__setitem__(0, counts[0] - 1))


@hostile("node_counts must be positive: every tree has a root")
def batch_node_count_zero() -> bytes:
    def edit(counts: np.ndarray) -> None:
        counts[0] += counts[1]
        counts[1] = 0

    return _edit_counts(_forest(), edit)


@hostile("node_counts must be positive: every tree has a root")
def batch_node_count_negative() -> bytes:
    def edit(counts: np.ndarray) -> None:
        counts[2] += counts[3] + 7
        counts[3] = -7

    return _edit_counts(_forest(), edit)


@hostile("node_counts has a tree of 4611686018427387976 nodes, but nodes holds 96")
def batch_node_counts_sum_wraps_around() -> bytes:
    """Four counts of about 2**62 add up to 96 modulo 2**64."""
    def edit(counts: np.ndarray) -> None:
        counts[:] = [2**62, 2**62, 2**62, 2**62 + 96 - 72]
        counts[0] += 72

    return _edit_counts(_forest(), edit)


@hostile("node_counts must be int64 of shape [9]", x="Xr")
def batch_fewer_trees_than_node_counts() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("shape", [9, 1]))


@hostile("node_counts must be int64 of shape [4], found uint64")
def batch_node_counts_unsigned() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["node_counts"]["dtype"] = "<u8"
        parts.tensors[node["node_counts"]["tensor"]].code = "U64"

    return _edit_batch(_forest(), edit)


@hostile("values must be float64 of shape [70, 1, 2]", x="Xr")
def batch_values_shape_mismatch() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("n_classes", [2]))


@hostile("nodes must be a 1-D array of NODE_DTYPE")
def batch_nodes_wrong_dtype() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["nodes"]["dtype"]["fields"][1][1] = "<u8"

    return _edit_batch(_forest(), edit)


@hostile("n_features must be an integer in [1, 268435456]", x="Xr")
def batch_n_features_huge() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("n_features", 2**40))


@hostile("tree_ has 6 features but n_features_in_ is 5", x="Xr")
def batch_n_features_differs_from_owner() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("n_features", 6))


@hostile("tree_ has n_classes [4] but n_classes_ is [3]")
def batch_n_classes_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_classes"] = [4]
        _widen_values(parts, node, 1, 4)

    return _edit_batch(_forest(), edit)


@hostile("tree_ has 2 outputs but n_outputs_ is 1", x="Xr")
def batch_n_outputs_differs_from_owner() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["n_outputs"] = 2
        node["n_classes"] = [1, 1]
        _widen_values(parts, node, 2, 1)

    return _edit_batch(_gbr(), edit)


@hostile("classes_ must hold [3] labels")
def batch_classes_column_of_a_wrong_size() -> bytes:
    """One tree's classes_ differs, so classes_ is a column: each tree is validated."""
    model = copy.deepcopy(_forest())
    model.estimators_[2].classes_ = model.estimators_[2].classes_[:2]
    written = paramseal.dumps(model)
    assert "classes_" in _batches(written)[0]["columns"]
    return written


# ---- batches: the class, the container and the names

@hostile("class must be the tag of a tree estimator class, found "
         "'sklearn.ensemble.RandomForestClassifier'")
def batch_class_not_a_tree() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__(
        "class", "sklearn.ensemble.RandomForestClassifier"))


@hostile("class must be the tag of a tree estimator class, found 'posix.system'")
def batch_class_not_in_the_registry() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__("class", "posix.system"))


@hostile("estimators_[0] must be a DecisionTreeClassifier, found ExtraTreeClassifier")
def batch_class_of_another_tree_kind() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__(
        "class", "sklearn.tree.ExtraTreeClassifier"))


@hostile("container must be 'list' or 'ndarray', found 'tuple'")
def batch_container_unknown() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__("container", "tuple"))


@hostile("shape must be 1 to 1 positive sizes")
def batch_list_with_two_dimensions() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__("shape", [2, 2]))


@hostile("shape must be 1 to 32 positive sizes", x="Xr")
def batch_shape_with_a_zero() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("shape", [10, 0]))


@hostile("more than 20000000 schema nodes at $.estimators_", error="LimitError")
def batch_of_too_many_trees() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__("shape", [10**11]))


@hostile("invalid parameters: The 'max_depth' parameter of DecisionTreeClassifier")
def batch_shared_parameter_invalid() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node["params"].__setitem__(
        "max_depth", -1))


@hostile("invalid parameters: The 'random_state' parameter of DecisionTreeClassifier")
def batch_column_parameter_invalid() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node["columns"]["random_state"].__setitem__(
        3, -5))


@hostile("parameters differ from the class's: missing ['splitter']", error="SchemaError")
def batch_parameter_missing() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node["params"].pop("splitter"))


@hostile("parameters differ from the class's: missing [], unknown ['note']",
         error="SchemaError")
def batch_parameter_unknown() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["params"]["note"] = 1
        node["params"] = dict(sorted(node["params"].items()))

    return _edit_batch(_forest(), edit)


@hostile("attribute name 'predict' is not allowed", error="SchemaError")
def batch_state_shadows_a_method() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["state"]["predict"] = None
        node["state"] = dict(sorted(node["state"].items()))

    return _edit_batch(_forest(), edit)


@hostile("attribute name 'tree_' is not allowed", error="SchemaError")
def batch_state_sets_tree_() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["state"]["tree_"] = None
        node["state"] = dict(sorted(node["state"].items()))

    return _edit_batch(_forest(), edit)


@hostile("attribute name '__class__' is not allowed", error="SchemaError")
def batch_column_sets_a_dunder() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["columns"]["__class__"] = [0] * 4
        node["columns"] = dict(sorted(node["columns"].items()))

    return _edit_batch(_forest(), edit)


@hostile("column 'random_state' must be an array of 4 nodes", error="SchemaError")
def batch_column_too_short() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node["columns"]["random_state"].pop())


@hostile("'random_state' is both shared and a column", error="SchemaError")
def batch_parameter_shared_and_a_column() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["params"]["random_state"] = 0
        node["params"] = dict(sorted(node["params"].items()))

    return _edit_batch(_forest(), edit)


@hostile("map keys are not in canonical (bytewise) order", error="SchemaError")
def batch_params_not_sorted() -> bytes:
    return _edit_batch(_forest(), lambda parts, node: node.__setitem__(
        "params", dict(reversed(node["params"].items()))))


# ---- forests

@hostile("estimators_[0] must be a DecisionTreeClassifier, found ExtraTreeClassifier")
def forest_member_of_another_tree_class() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[0] = ExtraTreeClassifier(random_state=0).fit(_data()["X"], _data()["y"])
    return paramseal.dumps(model)


@hostile("estimators_[2] is not fitted")
def forest_member_not_fitted() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[2] = DecisionTreeClassifier()
    return paramseal.dumps(model)


@hostile("estimators_[3] has 4 features and 1 outputs, the forest 5 and 1")
def forest_member_with_other_features() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[3] = DecisionTreeClassifier().fit(_data()["X"][:, :4], _data()["y"])
    return paramseal.dumps(model)


@hostile("estimators_[0] does not have the forest's classes [3]")
def forest_member_with_other_classes() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_[0] = DecisionTreeClassifier().fit(_data()["X"], _data()["yb"])
    return paramseal.dumps(model)


@hostile("estimators_ must be a non-empty list")
def forest_without_trees() -> bytes:
    model = copy.deepcopy(_forest())
    model.estimators_ = []
    return paramseal.dumps(model)


# ---- gradient boosting (N2)

def _tree_copy(tree: Any) -> Any:
    """A tree estimator of its own (a batch holds each once) with the same parameters."""
    other = copy.copy(tree)
    other.tree_ = copy.deepcopy(tree.tree_)
    return other


@hostile("estimators_ must be an object array of shape [10, 1], found ndarray of shape "
         "[10, 64]", x="Xr")
def probe_gb_stage_matrix_too_wide() -> bytes:
    """survey §5 gb_stage_matrix_too_wide: predict_stages writes out[i, k] for k < 64."""
    model = copy.deepcopy(_gbr())
    model.estimators_ = np.array([[_tree_copy(t) for _ in range(64)]
                                  for t in model.estimators_[:, 0]], dtype=object)
    assert model.estimators_.shape == (10, 64) and model.n_trees_per_iteration_ == 1
    written = paramseal.dumps(model)
    assert _batches(written)[0]["shape"] == [10, 64]
    return written


@hostile("estimators_ must be an object array of shape [10, 1], found ndarray of shape "
         "[5, 2]", x="Xr")
def batch_gb_stage_matrix_reshaped() -> bytes:
    return _edit_batch(_gbr(), lambda parts, node: node.__setitem__("shape", [5, 2]))


@hostile("estimators_ must be an object array of shape [10, 1], found list", x="Xr")
def batch_gb_stages_as_a_list() -> bytes:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["container"] = "list"
        node["shape"] = [10]

    return _edit_batch(_gbr(), edit)


@hostile("estimators_ must be an object array of shape [12, 1]", x="Xr")
def gb_stage_count_differs() -> bytes:
    model = copy.deepcopy(_gbr())
    model.n_estimators_ = 12
    return paramseal.dumps(model)


@hostile("n_trees_per_iteration_ must be 1, found 3", x="Xr")
def gb_trees_per_iteration_for_regression() -> bytes:
    model = copy.deepcopy(_gbr())
    model.estimators_ = np.tile(model.estimators_, (1, 3))
    model.n_trees_per_iteration_ = 3
    return paramseal.dumps(model)


@hostile("n_trees_per_iteration_ is 1, but 3 classes need 3")
def gb_trees_per_iteration_for_classes() -> bytes:
    model = copy.deepcopy(_gbc())
    model.estimators_ = model.estimators_[:, :1].copy()
    model.n_trees_per_iteration_ = 1
    return paramseal.dumps(model)


@hostile("estimators_ cell 5 must be a DecisionTreeRegressor, found DecisionTreeClassifier")
def gb_cell_of_the_wrong_class() -> bytes:
    model = copy.deepcopy(_gbc())
    model.estimators_[1, 2] = DecisionTreeClassifier(max_depth=2).fit(_data()["X"],
                                                                      _data()["y"])
    return paramseal.dumps(model)


@hostile("estimators_ cell 4 must be a single-output tree on 5 features", x="Xr")
def gb_cell_with_two_outputs() -> bytes:
    """A two-output tree has value stride 2; predict_stages reads values with stride 1."""
    model = copy.deepcopy(_gbr())
    model.estimators_[4, 0] = DecisionTreeRegressor(max_depth=2).fit(_data()["Xr"],
                                                                     _data()["yr2"])
    return paramseal.dumps(model)


@hostile("init_ must be a fitted single-output DummyClassifier with 3 classes")
def gb_init_with_too_few_classes() -> bytes:
    """A multiclass init_ sizes the raw prediction buffer: its width must be n_classes_."""
    model = copy.deepcopy(_gbc())
    model.init_ = DummyClassifier(strategy="prior").fit(_data()["X"], _data()["yb"])
    with pytest.raises(errors.UnsupportedTypeError, match="with 3 classes"):
        paramseal.dumps(model)  # our writer refuses it too
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("init_ must be a fitted single-output DummyRegressor", x="Xr")
def gb_init_with_two_outputs() -> bytes:
    model = copy.deepcopy(_gbr())
    model.init_ = DummyRegressor().fit(_data()["Xr"], _data()["yr2"])
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("estimators_ cell 7 is not fitted", x="Xr")
def gb_cell_not_fitted() -> bytes:
    model = copy.deepcopy(_gbr())
    model.estimators_[7, 0] = DecisionTreeRegressor()
    return paramseal.dumps(model)


@hostile("init_ must be 'zero' or a DummyClassifier, found DecisionTreeClassifier")
def gb_init_of_an_unchecked_class() -> bytes:
    """The width of a tree's predict_proba is not checked against the booster: refused."""
    model = GradientBoostingClassifier(
        n_estimators=2, init=DecisionTreeClassifier(max_depth=2)).fit(_data()["X"],
                                                                      _data()["y"])
    return paramseal.dumps(model, registry=_unchecked_writer())


@hostile("loss 'exponential' needs exactly 2 classes")
def gb_exponential_loss_with_three_classes() -> bytes:
    parts = testkit.unpack(paramseal.dumps(_gbc()))
    testkit.find(parts, "sklearn.ensemble.GradientBoostingClassifier")[0]["params"]["loss"] = (
        "exponential")
    return testkit.pack(parts)


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), _data()["X"])


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile_file_is_rejected(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)
    report = batch["reports"].get(name)
    if report is not None and report["class"] == "ReconstructionError":
        assert report["message"].startswith(("sklearn.tree.", "sklearn.ensemble."))
