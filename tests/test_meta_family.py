"""Meta-estimators: ensembles of estimators, calibration, multiclass/multioutput wrappers,
feature selection, threshold tuning, successive halving, frozen estimators, and the scipy.stats
distributions of randomized searches (src/paramseal/sklearn/_meta.py).

Round trips go through the coverage harness (every case of these classes) and through
``conftest.roundtrip`` for settings that change the fitted structure. Every invariant the
validators enforce has a hostile file, all loaded in one child process (``HostileBatch``), which
must refuse each and name the broken invariant.
"""

from __future__ import annotations

import copy
import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse
import testkit
from conftest import HostileBatch, roundtrip
from scipy import stats
from sklearn import (
    calibration,
    ensemble,
    feature_selection,
    frozen,
    linear_model,
    model_selection,
    multiclass,
    multioutput,
    naive_bayes,
    neighbors,
    pipeline,
    preprocessing,
    semi_supervised,
    svm,
    tree,
)
from sklearn.experimental import enable_halving_search_cv  # noqa: F401

import paramseal
from paramseal import errors

RNG = np.random.RandomState(0)
CENTERS = np.array([[0.0, 0.0, 0.0, 0.0], [1.5, 1.5, 1.0, 0.0], [0.0, 3.0, 1.5, 1.0]])
Y3 = np.repeat([0, 1, 2], 20)
X = CENTERS[Y3] + 0.5 * RNG.normal(size=(60, 4))
Y2 = (Y3 > 0).astype(np.int64)
Y3_STR = np.array(["ant", "bee", "cat"], dtype=object)[Y3]
YR = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * RNG.normal(size=60)
YR2 = np.column_stack([YR, X[:, 0] - X[:, 1]])
YML = np.column_stack([Y3 == 0, Y3 == 1, X[:, 2] > 0.5]).astype(np.int64)
X_SPARSE = scipy.sparse.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0))
WEIGHTS = np.linspace(0.5, 2.0, 60)

#: The classes this module registers (all their coverage cases must round-trip).
CLASSES = (
    "AdaBoostClassifier", "AdaBoostRegressor", "BaggingClassifier", "BaggingRegressor",
    "IsolationForest", "RandomTreesEmbedding", "StackingClassifier", "StackingRegressor",
    "VotingClassifier", "VotingRegressor", "CalibratedClassifierCV", "OneVsOneClassifier",
    "OneVsRestClassifier", "OutputCodeClassifier", "ClassifierChain", "MultiOutputClassifier",
    "MultiOutputRegressor", "RegressorChain", "SelfTrainingClassifier", "FrozenEstimator",
    "FixedThresholdClassifier", "TunedThresholdClassifierCV", "HalvingGridSearchCV",
    "HalvingRandomSearchCV", "GenericUnivariateSelect", "RFE", "RFECV", "SelectFdr",
    "SelectFpr", "SelectFromModel", "SelectFwe", "SelectKBest", "SelectPercentile",
    "SequentialFeatureSelector", "VarianceThreshold",
)
EXTRA_IDS = ("Pipeline-nested", "RandomizedSearch-multimetric")


def _fit(est: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args)


def _lr() -> Any:
    return linear_model.LogisticRegression(max_iter=500)


# ---------------------------------------------------------------- coverage harness

def _coverage_ids() -> list[str]:
    from paramseal.sklearn import coverage

    return [c.id for c in coverage.cases() if c.class_name in CLASSES or c.id in EXTRA_IDS]


@functools.cache
def _coverage() -> dict[str, Any]:
    from paramseal.sklearn import coverage

    wanted = set(_coverage_ids())
    return {r.id: r for r in coverage.run(lambda c: c.id in wanted)}


@pytest.mark.parametrize("case_id", _coverage_ids())
def test_coverage_case_roundtrips(case_id: str) -> None:
    result = _coverage()[case_id]
    assert result.status == "ok", f"{result.status}: {result.detail}"


# ---------------------------------------------------------------- round trips

CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "AdaBoostClassifier-strings": lambda: (
        _fit(ensemble.AdaBoostClassifier(n_estimators=6, random_state=0), X, Y3_STR), X),
    "AdaBoostClassifier-lr": lambda: (
        _fit(ensemble.AdaBoostClassifier(_lr(), n_estimators=3, random_state=0), X, Y3), X),
    "AdaBoostRegressor-square": lambda: (
        _fit(ensemble.AdaBoostRegressor(n_estimators=6, loss="square", random_state=0), X, YR),
        X),
    "Bagging-knn-feature-subsets": lambda: (
        _fit(ensemble.BaggingClassifier(neighbors.KNeighborsClassifier(3), n_estimators=4,
                                        max_features=2, bootstrap_features=True,
                                        random_state=0), X, Y3_STR), X),
    "BaggingRegressor-ridge": lambda: (
        _fit(ensemble.BaggingRegressor(linear_model.Ridge(), n_estimators=3, max_samples=0.5,
                                       random_state=0), X, YR), X),
    "BaggingRegressor-trees-oob": lambda: (
        _fit(ensemble.BaggingRegressor(n_estimators=8, oob_score=True, max_features=3,
                                       random_state=0), X, YR), X),
    "IsolationForest-subsets": lambda: (
        _fit(ensemble.IsolationForest(n_estimators=6, max_features=0.5, random_state=0), X), X),
    "IsolationForest-bootstrap-contamination": lambda: (
        _fit(ensemble.IsolationForest(n_estimators=4, bootstrap=True, contamination=0.1,
                                      max_samples=30, random_state=0), X), X),
    "IsolationForest-sparse-weights": lambda: (
        ensemble.IsolationForest(n_estimators=5, max_features=3, random_state=0).fit(
            X_SPARSE, sample_weight=WEIGHTS), X_SPARSE),
    "Bagging-svc-sparse": lambda: (
        _fit(ensemble.BaggingClassifier(svm.SVC(probability=True, random_state=0),
                                        n_estimators=3, random_state=0), X_SPARSE, Y3),
        X_SPARSE),
    "BaggingRegressor-weights-bootstrap-int": lambda: (
        ensemble.BaggingRegressor(n_estimators=3, max_samples=80, random_state=0).fit(
            X, YR, sample_weight=WEIGHTS), X),
    "RandomTreesEmbedding-dense": lambda: (
        _fit(ensemble.RandomTreesEmbedding(n_estimators=4, max_depth=3, sparse_output=False,
                                           random_state=0), X), X),
    "Stacking-passthrough-drop": lambda: (
        _fit(ensemble.StackingClassifier(
            [("lr", _lr()), ("off", "drop"), ("nb", naive_bayes.GaussianNB())],
            stack_method="predict", passthrough=True, cv=3), X, Y3_STR), X),
    "Stacking-binary-proba": lambda: (
        _fit(ensemble.StackingClassifier(
            [("tree", tree.DecisionTreeClassifier(max_depth=2, random_state=0)),
             ("svc", svm.SVC(random_state=0))], cv=3), X, Y2), X),
    "StackingRegressor-final": lambda: (
        _fit(ensemble.StackingRegressor(
            [("ridge", linear_model.Ridge()), ("knn", neighbors.KNeighborsRegressor(3))],
            final_estimator=linear_model.LinearRegression(), cv=3), X, YR), X),
    "Voting-hard-weights-drop": lambda: (
        _fit(ensemble.VotingClassifier(
            [("lr", _lr()), ("off", "drop"), ("tree", tree.DecisionTreeClassifier(max_depth=2)),
             ("nb", naive_bayes.GaussianNB())], weights=[2.0, 1.0, 1.0, 1.0]), X, Y3), X),
    "VotingRegressor-weights": lambda: (
        _fit(ensemble.VotingRegressor([("ridge", linear_model.Ridge()),
                                       ("tree", tree.DecisionTreeRegressor(max_depth=3))],
                                      weights=[1.0, 3.0]), X, YR), X),
    "Calibrated-temperature": lambda: (
        _fit(calibration.CalibratedClassifierCV(_lr(), method="temperature", cv=3), X, Y3), X),
    "Calibrated-binary-no-ensemble": lambda: (
        _fit(calibration.CalibratedClassifierCV(svm.LinearSVC(), ensemble=False, cv=3), X,
             Y2), X),
    "Calibrated-isotonic-strings": lambda: (
        _fit(calibration.CalibratedClassifierCV(naive_bayes.GaussianNB(), method="isotonic",
                                                cv=2), X, Y3_STR), X),
    "Calibrated-frozen": lambda: (
        _fit(calibration.CalibratedClassifierCV(frozen.FrozenEstimator(_fit(_lr(), X, Y3))),
             X, Y3), X),
    "OneVsRest-multilabel-constant": lambda: (
        _fit(multiclass.OneVsRestClassifier(_lr()),
             X, np.column_stack([YML, np.ones(60, dtype=np.int64)])), X),
    "OneVsRest-binary": lambda: (_fit(multiclass.OneVsRestClassifier(svm.SVC()), X, Y2), X),
    "OneVsOne-strings": lambda: (
        _fit(multiclass.OneVsOneClassifier(naive_bayes.GaussianNB()), X, Y3_STR), X),
    "OutputCode": lambda: (
        _fit(multiclass.OutputCodeClassifier(_lr(), code_size=2.0, random_state=1), X, Y3), X),
    "ClassifierChain-proba": lambda: (
        _fit(multioutput.ClassifierChain(_lr(), chain_method="predict_proba", order=[2, 0, 1]),
             X, YML), X),
    "RegressorChain-order": lambda: (
        _fit(multioutput.RegressorChain(linear_model.Ridge(), order=[1, 0]), X, YR2), X),
    "MultiOutputClassifier-trees": lambda: (
        _fit(multioutput.MultiOutputClassifier(tree.DecisionTreeClassifier(max_depth=2)), X,
             YML), X),
    "SelfTraining-k-best": lambda: (
        _fit(semi_supervised.SelfTrainingClassifier(_lr(), criterion="k_best", k_best=5),
             X, np.where(np.arange(60) % 3 == 0, Y3, -1)), X),
    "Frozen-pipeline": lambda: (
        frozen.FrozenEstimator(_fit(pipeline.make_pipeline(preprocessing.StandardScaler(),
                                                           _lr()), X, Y3)), X),
    "FixedThreshold-proba": lambda: (
        _fit(model_selection.FixedThresholdClassifier(_lr(), threshold=0.3), X, Y2), X),
    "TunedThreshold-list": lambda: (
        _fit(model_selection.TunedThresholdClassifierCV(
            _lr(), thresholds=[0.2, 0.4, 0.6], cv=3, store_cv_results=True,
            scoring="f1"), X, Y2), X),
    "HalvingRandom-distributions": lambda: (
        _fit(model_selection.HalvingRandomSearchCV(
            linear_model.Ridge(), {"alpha": stats.loguniform(1e-3, 1e1),
                                   "max_iter": stats.randint(10, 50)},
            n_candidates=4, cv=2, random_state=0), X, YR), X),
    "RandomizedSearch-discrete-and-scaled": lambda: (
        _fit(model_selection.RandomizedSearchCV(
            _lr(), {"C": stats.expon(scale=2.0), "tol": stats.uniform(1e-4, 1e-3),
                    "max_iter": stats.poisson(200, loc=100)},
            n_iter=2, cv=2, random_state=0), X, Y3), X),
    "RandomizedSearch-list-of-dicts": lambda: (
        _fit(model_selection.RandomizedSearchCV(
            _lr(), [{"C": stats.uniform(0.1, 2.0)}, {"tol": stats.loguniform(1e-5, 1e-3)}],
            n_iter=3, cv=2, random_state=0), X, Y3), X),
    "SelectPercentile-mutual-info": lambda: (
        _fit(feature_selection.SelectPercentile(feature_selection.mutual_info_classif,
                                                percentile=50), X, Y3), X),
    "GenericUnivariate-fwe": lambda: (
        _fit(feature_selection.GenericUnivariateSelect(feature_selection.f_regression,
                                                       mode="fwe", param=0.5), X, YR), X),
    "SelectFromModel-max-features-getter": lambda: (
        _fit(feature_selection.SelectFromModel(linear_model.Ridge(), max_features=2,
                                               threshold=-np.inf, importance_getter="coef_"),
             X, YR), X),
    "RFE-pipeline-getter": lambda: (
        _fit(feature_selection.RFE(pipeline.Pipeline([("lr", _lr())]), n_features_to_select=2,
                                   importance_getter="named_steps.lr.coef_"), X, Y3), X),
    "RFECV-step": lambda: (
        _fit(feature_selection.RFECV(linear_model.Ridge(), step=2, cv=2), X, YR), X),
    "SFS-backward": lambda: (
        _fit(feature_selection.SequentialFeatureSelector(
            linear_model.Ridge(), n_features_to_select=3, direction="backward", cv=2), X, YR),
        X),
    "VarianceThreshold-threshold": lambda: (
        _fit(feature_selection.VarianceThreshold(0.3), X), X),
}


@pytest.mark.parametrize("name", list(CASES))
def test_roundtrip(name: str) -> None:
    model, inputs = CASES[name]()
    roundtrip(model, inputs)


def test_unfitted_meta_estimators_roundtrip() -> None:
    models = [
        ensemble.BaggingClassifier(svm.SVC()),
        ensemble.IsolationForest(),
        ensemble.StackingClassifier([("lr", _lr())]),
        calibration.CalibratedClassifierCV(),
        multioutput.ClassifierChain(_lr()),
        feature_selection.RFE(_lr(), importance_getter="coef_"),
        model_selection.TunedThresholdClassifierCV(_lr()),
    ]
    loaded = paramseal.loads(paramseal.dumps(models))
    assert [type(m) for m in loaded] == [type(m) for m in models]
    assert paramseal.dumps(loaded) == paramseal.dumps(models)


def test_isolation_forest_path_lengths_are_rebuilt_not_read() -> None:
    model, _ = CASES["IsolationForest-subsets"]()
    data = paramseal.dumps(model)
    parts = testkit.unpack(data)
    (node,) = testkit.find(parts, "sklearn.ensemble.IsolationForest")
    assert "_decision_path_lengths" not in node["state"]
    assert "_average_path_length_per_tree" not in node["state"]
    assert len(testkit.find(parts, "sklearn.ensemble.TreeBatch")) == 1
    loaded = paramseal.loads(data)
    for a, b in zip(model._decision_path_lengths, loaded._decision_path_lengths, strict=True):
        assert a.dtype == b.dtype and a.tobytes() == b.tobytes()
    for a, b in zip(model._average_path_length_per_tree,
                    loaded._average_path_length_per_tree, strict=True):
        assert a.tobytes() == b.tobytes()


def test_tree_ensembles_write_their_trees_as_one_batch() -> None:
    for name in ("AdaBoostClassifier-strings", "BaggingRegressor-trees-oob",
                 "RandomTreesEmbedding-dense"):
        parts = testkit.unpack(paramseal.dumps(CASES[name]()[0]))
        assert len(testkit.find(parts, "sklearn.ensemble.TreeBatch")) == 1, name


def test_named_estimators_alias_estimators() -> None:
    model, _ = CASES["Voting-hard-weights-drop"]()
    loaded = paramseal.loads(paramseal.dumps(model))
    assert loaded.named_estimators_["lr"] is loaded.estimators_[0]
    assert loaded.named_estimators_["nb"] is loaded.estimators_[2]
    assert loaded.named_estimators_["off"] == "drop"


def test_frozen_distribution_keeps_its_random_state() -> None:
    dist = stats.uniform(2.0, 3.0)
    dist.random_state = np.random.RandomState(7)
    loaded = paramseal.loads(paramseal.dumps(dist))
    assert type(loaded) is type(dist)
    assert loaded.args == dist.args
    assert loaded.rvs(5).tobytes() == dist.rvs(5).tobytes()
    default = paramseal.loads(paramseal.dumps(stats.randint(1, 9)))
    assert default.random_state is np.random.mtrand._rand


@pytest.mark.parametrize("dist", [
    stats.vonmises(1.0),  # not in the table
    stats.uniform(np.array([0.0, 1.0])),  # an array argument
], ids=["unlisted", "array-argument"])
def test_refuses_distributions_outside_the_table(dist: Any) -> None:
    with pytest.raises(errors.UnsupportedTypeError, match=r"scipy\.stats"):
        paramseal.dumps(dist)


def test_refuses_a_customised_distribution() -> None:
    custom = stats.rv_continuous.__new__(type(stats.uniform))
    custom.__init__(a=0.0, b=2.0, name="uniform")  # same name and class, other support
    with pytest.raises(errors.UnsupportedTypeError, match="standard parameters"):
        paramseal.dumps(custom(0.5))


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()


@functools.cache
def _model(name: str) -> Any:
    """A fitted model (cached: hostile cases change a copy of it, or of its file)."""
    models: dict[str, Callable[[], Any]] = {
        "iforest": lambda: CASES["IsolationForest-subsets"]()[0],
        "bagging": lambda: _fit(ensemble.BaggingClassifier(n_estimators=3, max_features=3,
                                                           random_state=0), X, Y3),
        "adaboost": lambda: _fit(ensemble.AdaBoostClassifier(n_estimators=4, random_state=0),
                                 X, Y3),
        "rte": lambda: CASES["RandomTreesEmbedding-dense"]()[0],
        "stacking": lambda: _fit(ensemble.StackingClassifier(
            [("lr", _lr()), ("nb", naive_bayes.GaussianNB())], cv=3), X, Y3),
        "voting": lambda: _fit(ensemble.VotingClassifier(
            [("lr", _lr()), ("nb", naive_bayes.GaussianNB())]), X, Y3),
        "calibrated": lambda: _fit(calibration.CalibratedClassifierCV(_lr(), cv=2), X, Y3),
        "ovr": lambda: _fit(multiclass.OneVsRestClassifier(_lr()), X, Y3),
        "ovo": lambda: _fit(multiclass.OneVsOneClassifier(_lr()), X, Y3),
        "ecoc": lambda: _fit(multiclass.OutputCodeClassifier(_lr(), random_state=0), X, Y3),
        "ovr-constant": lambda: CASES["OneVsRest-multilabel-constant"]()[0],
        "chain": lambda: _fit(multioutput.ClassifierChain(_lr()), X, YML),
        "multioutput": lambda: _fit(multioutput.MultiOutputClassifier(_lr()), X, YML),
        "self-training": lambda: CASES["SelfTraining-k-best"]()[0],
        "tuned": lambda: _fit(model_selection.TunedThresholdClassifierCV(_lr(), cv=2,
                                                                        thresholds=5), X, Y2),
        "search": lambda: CASES["HalvingRandom-distributions"]()[0],
        "kbest": lambda: _fit(feature_selection.SelectKBest(k=2), X, Y3),
        "variance": lambda: _fit(feature_selection.VarianceThreshold(), X),
        "rfe": lambda: _fit(feature_selection.RFE(_lr(), n_features_to_select=2), X, Y3),
        "sfm": lambda: _fit(feature_selection.SelectFromModel(linear_model.Ridge(),
                                                              max_features=2), X, YR),
        "sfs": lambda: _fit(feature_selection.SequentialFeatureSelector(
            linear_model.Ridge(), n_features_to_select=2, cv=2), X, YR),
    }
    return models[name]()


@functools.cache
def _file(name: str) -> bytes:
    return paramseal.dumps(_model(name))


def _edit(model: str, tag: str, edit: Callable[[Any, dict[str, Any]], None],
          which: int = 0) -> bytes:
    """``model``'s file with node number ``which`` of type ``tag`` changed by ``edit``."""
    parts = testkit.unpack(_file(model))
    edit(parts, testkit.find(parts, tag)[which])
    return testkit.pack(parts)


def _set_array(parts: Any, node: dict[str, Any], array: np.ndarray) -> None:
    array = np.ascontiguousarray(array)
    parts.set_array(node, array)
    if array.dtype.str != node["dtype"]:
        node["dtype"] = array.dtype.str
        parts.tensors[node["tensor"]].code = testkit.NATIVE[array.dtype.str]


def _change_array(key: str, change: Callable[[np.ndarray], np.ndarray], index: int | None = None
                  ) -> Callable[[Any, dict[str, Any]], None]:
    """Edit of an estimator node: state[key] (or state[key][index]) := change(array)."""
    def edit(parts: Any, node: dict[str, Any]) -> None:
        target = node["state"][key] if index is None else node["state"][key][index]
        _set_array(parts, target, change(parts.array(target)))
    return edit


def _sorted(node: dict[str, Any], key: str) -> None:
    node[key] = dict(sorted(node[key].items()))


def _set_state(key: str, value: Any) -> Callable[[Any, dict[str, Any]], None]:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["state"][key] = value
        _sorted(node, "state")
    return edit


def _set_param(key: str, value: Any) -> Callable[[Any, dict[str, Any]], None]:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node["params"][key] = value
    return edit


def _drop_state(key: str) -> Callable[[Any, dict[str, Any]], None]:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        # Keep its tensors referenced, in order: move the value to a name sorting next to it.
        node["state"][f"{key}_moved"] = node["state"].pop(key)
        _sorted(node, "state")
    return edit


def hostile(name: str, model: str, tag: str, edit: Callable[[Any, dict[str, Any]], None],
            match: str, which: int = 0, error: str = "ReconstructionError") -> None:
    HOSTILE.case(name, match, error=error)(lambda: _edit(model, tag, edit, which))


def tamper(name: str, model: str, change: Callable[[Any], None], match: str,
           error: str = "ReconstructionError") -> None:
    """A hostile file written from a changed copy of a fitted model (the writer does not
    validate): for values that share one node in an honest file, e.g. classes_ aliases."""
    def build() -> bytes:
        obj = copy.deepcopy(_model(model))
        change(obj)
        return paramseal.dumps(obj)

    HOSTILE.case(name, match, error=error)(build)


ENS = "sklearn.ensemble."
IFOREST = ENS + "IsolationForest"

# ---- IsolationForest: apply(X[:, features], check_input=False) on every tree


def _narrow_iforest(parts: Any, node: dict[str, Any]) -> None:
    """Trees split on 2 features; claim 1 (so X[:, features] has 1 column): an OOB read."""
    node["state"]["_max_features"] = 1
    for sub in node["state"]["estimators_features_"]:
        _set_array(parts, sub, parts.array(sub)[:1])


hostile("iforest-tree-wider-than-its-columns", "iforest", IFOREST, _narrow_iforest,
        "splits on 2 features, but _max_features is 1")
hostile("iforest-feature-index-out-of-range", "iforest", IFOREST,
        _change_array("estimators_features_", lambda a: a + 10**6, index=1),
        "estimators_features_[1] has a column index outside [0, 4)")
hostile("iforest-feature-index-negative", "iforest", IFOREST,
        _change_array("estimators_features_", lambda a: a - 5, index=0),
        "has a column index outside")
hostile("iforest-feature-subset-length", "iforest", IFOREST,
        _change_array("estimators_features_", lambda a: np.append(a, 0), index=0),
        "estimators_features_[0] must be 2 integer column indices")
hostile("iforest-feature-subset-float", "iforest", IFOREST,
        _change_array("estimators_features_", lambda a: a.astype(np.float64), index=0),
        "must be 2 integer column indices")
hostile("iforest-max-features-too-large", "iforest", IFOREST, _set_state("_max_features", 9),
        "_max_features (9) exceeds n_features_in_ (4)")
hostile("iforest-missing-seeds", "iforest", IFOREST, _drop_state("_seeds"),
        "fitted attributes missing: ['_seeds']")
hostile("iforest-seeds-shape", "iforest", IFOREST,
        _change_array("_seeds", lambda a: a[:2]), "_seeds must be an integer array of shape [6]")
hostile("iforest-n-estimators", "iforest", IFOREST, _set_param("n_estimators", 7),
        "estimators_ holds 6 trees, but n_estimators is 7")
hostile("iforest-path-lengths-in-file", "iforest", IFOREST,
        _set_state("_decision_path_lengths", []), "is not allowed", error="SchemaError")
hostile("iforest-offset", "iforest", IFOREST, _set_state("offset_", "x"),
        "offset_ must be a real number")

# ---- Bagging and AdaBoost

hostile("bagging-feature-index-out-of-range", "bagging", ENS + "BaggingClassifier",
        _change_array("estimators_features_", lambda a: a * 0 + 4, index=2),
        "estimators_features_[2] has a column index outside [0, 4)")
hostile("bagging-n-classes", "bagging", ENS + "BaggingClassifier", _set_state("n_classes_", 5),
        "n_classes_ must be 3")
hostile("bagging-estimator-width", "bagging", ENS + "BaggingClassifier",
        lambda parts, node: [node["state"].__setitem__("_max_features", 2),
                             [_set_array(parts, s, parts.array(s)[:2])
                              for s in node["state"]["estimators_features_"]]],
        "estimators_[0] was fitted on 3 features, not 2")
hostile("bagging-max-samples", "bagging", ENS + "BaggingClassifier",
        _set_state("_max_samples", 0), "_max_samples must be an integer >= 1")
hostile("bagging-max-samples-huge", "bagging", ENS + "BaggingClassifier",
        _set_state("_max_samples", 10**12),
        "_max_samples is 1000000000000, but the parameters and _n_samples give 60")
hostile("bagging-sample-weight", "bagging", ENS + "BaggingClassifier",
        _set_state("_sample_weight", [1.0]), "_sample_weight must be nil or a float array")
hostile("iforest-max-samples-huge", "iforest", IFOREST,
        _set_state("_max_samples", 10**12), "_max_samples is 1000000000000, but")
hostile("iforest-max-samples-beyond-n-samples", "iforest", IFOREST,
        _set_state("max_samples_", 61), "max_samples_ must be an integer in [1, 60]")
hostile("adaboost-weights-length", "adaboost", ENS + "AdaBoostClassifier",
        _change_array("estimator_weights_", lambda a: a[:2]),
        "estimator_weights_ must be a float array of shape [4]")
hostile("adaboost-more-estimators-than-n-estimators", "adaboost", ENS + "AdaBoostClassifier",
        _set_param("n_estimators", 2), "more than n_estimators (2)")
hostile("adaboost-width", "adaboost", ENS + "AdaBoostClassifier",
        _set_state("n_features_in_", 5), "estimators_[0] was fitted on 4 features, not 5")
tamper("adaboost-classes", "adaboost",
       lambda m: setattr(m, "classes_", np.append(m.classes_, 3)), "n_classes_ must be 4")
tamper("adaboost-inner-classes", "adaboost",
       lambda m: [setattr(m, "classes_", np.append(m.classes_, 3)), setattr(m, "n_classes_", 4)],
       "estimators_[0] has 3 classes, not 4")

# ---- RandomTreesEmbedding: apply(X, check_input=False) on every tree

hostile("rte-trees-width", "rte", ENS + "RandomTreesEmbedding",
        _set_state("n_features_in_", 3), "has 4 features and 1 outputs, the forest 3 and 1")
hostile("rte-encoder-missing", "rte", ENS + "RandomTreesEmbedding",
        _set_state("one_hot_encoder_", None), "one_hot_encoder_ must be a OneHotEncoder")
hostile("rte-partial", "rte", ENS + "RandomTreesEmbedding", _drop_state("one_hot_encoder_"),
        "fitted attributes missing")

# ---- Stacking and voting: method names and aliasing

STACK = ENS + "StackingClassifier"
hostile("stacking-method-name", "stacking", STACK,
        _set_state("stack_method_", ["predict_proba", "__reduce__"]),
        "stack_method_ must name one of")
hostile("stacking-method-fit", "stacking", STACK, _set_state("stack_method_", ["fit", "predict"]),
        "stack_method_ must name one of")
hostile("stacking-method-count", "stacking", STACK, _set_state("stack_method_", ["predict"]),
        "stack_method_ must name one of")
hostile("stacking-feature-outs", "stacking", STACK, _set_state("_n_feature_outs", [3, 0]),
        "_n_feature_outs must hold one positive width per estimator")
hostile("stacking-partial", "stacking", STACK, _drop_state("stack_method_"),
        "fitted attributes missing: ['stack_method_']")
tamper("stacking-label-encoder", "stacking", lambda m: setattr(m, "classes_", m.classes_[:2]),
       "_label_encoder must be a LabelEncoder fitted on the 2 classes_")


def _unalias(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["named_estimators_"]["values"][1] = "drop"


hostile("stacking-named-not-aliased", "stacking", STACK, _unalias,
        "named_estimators_['nb'] must be the same object as its entry in estimators_")
hostile("voting-named-not-aliased", "voting", ENS + "VotingClassifier", _unalias,
        "must be the same object")


def _rename_named(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["named_estimators_"]["keys"] = ["lr", "other"]


hostile("voting-named-keys", "voting", ENS + "VotingClassifier", _rename_named,
        "named_estimators_ must be a Bunch of the estimators' names")


def _drop_spec(parts: Any, node: dict[str, Any]) -> None:
    node["params"]["estimators"][1]["items"][1] = "drop"


hostile("voting-dropped-but-fitted", "voting", ENS + "VotingClassifier", _drop_spec,
        "estimators_ holds 2 estimators, but estimators names 1")
tamper("voting-le-classes", "voting", lambda m: setattr(m, "classes_", np.append(m.classes_, 7)),
       "le_ must be a LabelEncoder fitted on the 4 classes_")

# ---- calibration

CALIBRATED = "sklearn.calibration._CalibratedClassifier"


def _set_field(key: str, value: Any) -> Callable[[Any, dict[str, Any]], None]:
    def edit(parts: Any, node: dict[str, Any]) -> None:
        node[key] = value
    return edit


hostile("calibrated-method", "calibrated", CALIBRATED, _set_field("method", "predict"),
        "method must be one of ['isotonic', 'sigmoid', 'temperature']")
hostile("calibrated-too-many-calibrators", "calibrated", CALIBRATED,
        lambda parts, node: _set_array(parts, node["classes"], parts.array(node["classes"])[:2]),
        "calibrators must be a list of at most 1 estimators")
hostile("calibrated-one-class", "calibrated", CALIBRATED,
        lambda parts, node: _set_array(parts, node["classes"], parts.array(node["classes"])[:1]),
        "classes must be a 1-d array of at least 2 labels")
tamper("calibrated-cv-classes", "calibrated",
       lambda m: setattr(m, "classes_", np.append(m.classes_, 9)),
       "calibrated_classifiers_[0] has 3 classes, not 4")
hostile("calibrated-cv-width", "calibrated", "sklearn.calibration.CalibratedClassifierCV",
        _set_state("n_features_in_", 6), "was fitted on 4 features, not 6")
hostile("sigmoid-a", "calibrated", "sklearn.calibration._SigmoidCalibration",
        _set_state("a_", "x"), "a_ and b_ must be real numbers")
hostile("sigmoid-partial", "calibrated", "sklearn.calibration._SigmoidCalibration",
        _drop_state("b_"), "fitted attributes missing: ['b_']")

# ---- multiclass and multioutput

hostile("ovr-estimators-count", "ovr", "sklearn.multiclass.OneVsRestClassifier",
        _change_array("classes_", lambda a: np.append(a, 3)),
        "estimators_ holds 3 estimators for 4 classes")
tamper("ovr-binarizer-classes", "ovr", lambda m: setattr(m, "classes_", m.classes_[:2]),
       "label_binarizer_ must be a LabelBinarizer fitted on the 2 classes_")
hostile("ovr-width", "ovr", "sklearn.multiclass.OneVsRestClassifier",
        _set_state("n_features_in_", 2), "was fitted on 4 features, not 2")
hostile("ovo-pairs", "ovo", "sklearn.multiclass.OneVsOneClassifier",
        _change_array("classes_", lambda a: np.append(a, 3)),
        "estimators_ holds 3 estimators, but 4 classes make 6 pairs")
hostile("ovo-pairwise-indices", "ovo", "sklearn.multiclass.OneVsOneClassifier",
        _set_state("pairwise_indices_", [1, 2, 3]), "pairwise_indices_ must be nil or 3 arrays")
hostile("ecoc-code-book", "ecoc", "sklearn.multiclass.OutputCodeClassifier",
        _change_array("code_book_", lambda a: a[:, :2]),
        "code_book_ must be a float array of shape [3, 4]")
hostile("constant-predictor-y", "ovr-constant", "sklearn.multiclass._ConstantPredictor",
        _change_array("y_", lambda a: np.append(a, a)), "y_ must be a numeric array of one value")
hostile("chain-method-name", "chain", "sklearn.multioutput.ClassifierChain",
        _set_state("chain_method_", "__init__"), "chain_method_ must be one of")
hostile("chain-method-fit", "chain", "sklearn.multioutput.ClassifierChain",
        _set_state("chain_method_", "fit"), "chain_method_ must be one of")
hostile("chain-order", "chain", "sklearn.multioutput.ClassifierChain",
        _change_array("order_", lambda a: np.array([0, 0, 1])),
        "order_ must be a permutation of the 3 outputs")
tamper("chain-classes", "chain", lambda m: setattr(m, "classes_", m.classes_[:2]),
       "classes_ must hold one array per estimator")
hostile("multioutput-width", "multioutput", "sklearn.multioutput.MultiOutputClassifier",
        _set_state("n_features_in_", 3), "estimators_[0] was fitted on 4 features, not 3")
tamper("self-training-classes", "self-training", lambda m: setattr(m, "classes_", m.classes_[:2]),
       "estimator_ has 3 classes, not 2")
hostile("self-training-transduction", "self-training",
        "sklearn.semi_supervised.SelfTrainingClassifier",
        _change_array("transduction_", lambda a: a[:5]),
        "transduction_ and labeled_iter_ must be 1-d arrays of one length")

# ---- thresholds and scorers

CURVE = "sklearn.metrics._CurveScorer"
hostile("curve-scorer-response-method", "tuned", CURVE,
        _set_field("response_method", "fit"), "response_method must be one of")
hostile("curve-scorer-thresholds-count", "tuned", CURVE,
        _set_field("thresholds", 10**12), "thresholds must be a count in [1, 1048576]")
hostile("curve-scorer-thresholds-kind", "tuned", CURVE,
        _set_field("thresholds", ["a"]), "thresholds must be a count or a 1-d sequence")
hostile("curve-scorer-sign", "tuned", CURVE, _set_field("sign", 3), "sign must be 1 or -1")
hostile("tuned-threshold", "tuned", "sklearn.model_selection.TunedThresholdClassifierCV",
        _set_state("best_threshold_", "x"), "best_threshold_ must be a real number")
hostile("tuned-partial", "tuned", "sklearn.model_selection.TunedThresholdClassifierCV",
        _drop_state("_curve_scorer"), "fitted attributes missing: ['_curve_scorer']")

# ---- scipy.stats distributions (a closed table of names, numeric arguments)

CONT = "scipy.stats.rv_continuous_frozen"
hostile("distribution-unlisted-name", "search", CONT, _set_field("name", "vonmises"),
        "name must be one of")
hostile("distribution-discrete-name-as-continuous", "search", CONT, _set_field("name", "randint"),
        "name must be one of")
hostile("distribution-unknown-keyword", "search", CONT,
        _set_field("kwds", {"@": "dict", "keys": ["size"], "values": [10**9]}),
        "kwds must map some of ['a', 'b', 'loc', 'scale'] to real numbers")
hostile("distribution-too-many-args", "search", CONT,
        _set_field("args", [1.0, 2.0, 3.0, 4.0, 5.0]), "loguniform takes at most 4 arguments")
hostile("distribution-string-arg", "search", CONT, _set_field("args", ["1", 2.0]),
        "args must be a list of real numbers")
hostile("distribution-random-state", "search", CONT, _set_field("random_state", 3),
        "random_state must be nil, a RandomState or a Generator")
hostile("distribution-discrete-bad-args", "search", "scipy.stats.rv_discrete_frozen",
        _set_field("args", [1, 2, 3, 4, 5]), "randint takes at most 4 arguments")

# ---- feature selection

hostile("kbest-scores-length", "kbest", "sklearn.feature_selection.SelectKBest",
        _change_array("scores_", lambda a: a[:3]), "scores_ must be an array of shape [4]")
hostile("kbest-pvalues-kind", "kbest", "sklearn.feature_selection.SelectKBest",
        _set_state("pvalues_", "x"), "pvalues_ must be an array of shape [4]")
hostile("variance-length", "variance", "sklearn.feature_selection.VarianceThreshold",
        _change_array("variances_", lambda a: a[:1]), "variances_ must be an array of shape [4]")
hostile("rfe-support-length", "rfe", "sklearn.feature_selection.RFE",
        _change_array("ranking_", lambda a: a[:3]), "ranking_ must be an array of shape [4]")
hostile("rfe-support-disagrees", "rfe", "sklearn.feature_selection.RFE",
        _change_array("ranking_", lambda a: a + 1), "n_features_, support_ and ranking_ disagree")
hostile("rfe-getter-dunder", "rfe", "sklearn.feature_selection.RFE",
        _set_param("importance_getter", "__class__.__init__"), "importance_getter must be")
hostile("rfe-getter-method", "rfe", "sklearn.feature_selection.RFE",
        _set_param("importance_getter", "fit"), "importance_getter must be")
hostile("sfm-getter-private", "sfm", "sklearn.feature_selection.SelectFromModel",
        _set_param("importance_getter", "estimator_._validate_params_"),
        "importance_getter must be")
hostile("sfm-max-features", "sfm", "sklearn.feature_selection.SelectFromModel",
        _set_state("max_features_", -1), "max_features_ must be a non-negative integer")
hostile("sfs-count", "sfs", "sklearn.feature_selection.SequentialFeatureSelector",
        _set_state("n_features_to_select_", 3),
        "n_features_to_select_ must be the number of features in support_")

# ---- the remaining checks, one hostile file each

hostile("adaboost-estimators-not-a-list", "adaboost", ENS + "AdaBoostClassifier",
        _set_state("estimators_", 5), "estimators_ must be a non-empty list of estimators")
hostile("adaboost-errors-length", "adaboost", ENS + "AdaBoostClassifier",
        _change_array("estimator_errors_", lambda a: a[:1]),
        "estimator_errors_ must be a float array of shape [4]")
hostile("bagging-features-count", "bagging", ENS + "BaggingClassifier",
        lambda parts, node: node["state"]["estimators_features_"].pop(),
        "estimators_features_ must be a list of 3 arrays")
hostile("bagging-n-estimators", "bagging", ENS + "BaggingClassifier",
        _set_param("n_estimators", 4), "estimators_ holds 3 estimators, but n_estimators is 4")
hostile("bagging-n-samples", "bagging", ENS + "BaggingClassifier",
        _set_state("_n_samples", -1), "_n_samples must be an integer >= 1")
tamper("bagging-more-samples-than-rows", "bagging",
       lambda m: [setattr(m, "bootstrap", False), setattr(m, "max_samples", 100),
                  setattr(m, "_max_samples", 100)],
       "_max_samples (100) exceeds _n_samples (60) without bootstrap")
tamper("iforest-not-a-tree", "iforest",
       lambda m: m.estimators_.__setitem__(1, linear_model.Ridge().fit(X[:, :2], YR)),
       "estimators_[1] must be a fitted single-output ExtraTreeRegressor")
tamper("stacking-final-estimator", "stacking", lambda m: setattr(m, "final_estimator_", "x"),
       "final_estimator_ must be an estimator")
hostile("calibrated-estimator", "calibrated", CALIBRATED, _set_field("estimator", 1),
        "estimator must be an estimator")
tamper("calibrated-cv-members", "calibrated",
       lambda m: setattr(m, "calibrated_classifiers_", [m.calibrated_classifiers_[0].estimator]),
       "calibrated_classifiers_ must be a non-empty list of _CalibratedClassifier")
tamper("temperature-beta", "calibrated",
       lambda m: setattr(m.calibrated_classifiers_[0], "calibrators",
                         [_fit(calibration._TemperatureScaling(), np.zeros((4, 3)),
                               np.array([0, 1, 2, 0]))]) or
       setattr(m.calibrated_classifiers_[0].calibrators[0], "beta_", "hot"),
       "beta_ must be a real number")
tamper("multioutput-classes", "multioutput", lambda m: setattr(m, "classes_", m.classes_[:1]),
       "classes_ must hold one array per estimator")
hostile("chain-n-features", "chain", "sklearn.multioutput.ClassifierChain",
        _set_state("n_features_in_", 0), "n_features_in_ must be an integer >= 1")
tamper("self-training-estimator", "self-training", lambda m: setattr(m, "estimator_", [1]),
       "estimator_ must be an estimator")
tamper("tuned-estimator", "tuned", lambda m: setattr(m, "estimator_", None),
       "estimator_ must be an estimator")
tamper("tuned-scorer-kind", "tuned", lambda m: setattr(m, "_curve_scorer", None),
       "_curve_scorer must be a _CurveScorer")
hostile("curve-scorer-function", "tuned", CURVE, _set_field("score_func", 3),
        "score_func must be an allowlisted metric function")
hostile("curve-scorer-kwargs", "tuned", CURVE, _set_field("kwargs", [1]),
        "kwargs must be a dict with str keys")
hostile("curve-scorer-metadata", "tuned", CURVE, _set_field("metadata_request", 1),
        "metadata_request must be a MetadataRequest")
tamper("rfe-estimator-width", "rfe", lambda m: setattr(m.estimator_, "n_features_in_", 3),
       "estimator_[0] was fitted on 3 features, not 2")
hostile("bagging-n-classes-array", "bagging", ENS + "BaggingClassifier",
        _set_state("n_classes_", [3, 3]), "n_classes_ must be 3")
hostile("rfe-n-features-list", "rfe", "sklearn.feature_selection.RFE",
        _set_state("n_features_", [2, 2]), "n_features_, support_ and ranking_ disagree")
hostile("sfs-count-list", "sfs", "sklearn.feature_selection.SequentialFeatureSelector",
        _set_state("n_features_to_select_", [2]),
        "n_features_to_select_ must be the number of features in support_")
hostile("iforest-estimators-not-a-list", "iforest", IFOREST, _set_state("estimators_", 1),
        "estimators_ must be a non-empty list of trees")
tamper("voting-spec-not-pairs", "voting", lambda m: setattr(m, "estimators", [1, 2]),
       "estimators must be a list of (name, estimator) pairs")
hostile("multioutput-n-features", "multioutput", "sklearn.multioutput.MultiOutputClassifier",
        _set_state("n_features_in_", "4"), "n_features_in_ must be a positive integer")
hostile("calibrated-cv-n-features", "calibrated", "sklearn.calibration.CalibratedClassifierCV",
        _set_state("n_features_in_", -4), "n_features_in_ must be a positive integer")
tamper("sfm-estimator", "sfm", lambda m: setattr(m, "estimator_", 3),
       "estimator_ must be an estimator")
hostile("distribution-rejected-by-scipy", "search", "scipy.stats.rv_discrete_frozen",
        _set_field("kwds", {"@": "dict", "keys": ["scale"], "values": [2.0]}),
        "invalid arguments for randint")


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), X)


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile_file_is_rejected(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)
