"""Which scikit-learn estimators round-trip through paramseal, measured on the installed version.

Every class of ``sklearn.utils.all_estimators()`` (and the two experimental successive-halving
searches, which it lists only once enabled) is built the way scikit-learn's own common
tests build it (``instance_generator._construct_instances``: one instance per parameter set,
with realistic inner estimators for meta-estimators), plus the extra variants of
:data:`EXTRA_CASES` that reach states the defaults do not (string labels, sparse fits,
categorical boosting, nested composites, search CVs, ...). Each is fitted on data that its tags
ask for, written with :func:`paramseal.dumps`, read back, and compared with a deep copy of the
original on every inference method: outputs must be bit-identical, and the loaded model must
dump to the same bytes.

:data:`EXCLUDED` is the one place where a class may be left out, with the reason; an exclusion
is a coverage gap and is reported as such. This module is used by ``paramseal supported`` and
the coverage tests; loading files never imports it.
"""

from __future__ import annotations

import copy
import dataclasses
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

#: Classes of ``all_estimators()`` that paramseal does not write, and why. Empty: none is.
EXCLUDED: dict[str, str] = {}

#: Inference methods compared after a round trip, when the estimator has them.
METHODS = (
    "predict", "predict_proba", "predict_log_proba", "decision_function", "transform",
    "score_samples", "apply", "decision_path", "kneighbors", "mahalanobis",
)


@dataclasses.dataclass(frozen=True)
class Case:
    """One estimator configuration and how to fit it."""

    id: str
    class_name: str
    build: Callable[[], Any]
    #: "tags": as scikit-learn's common tests (NaNs where allowed); "dense": the same without
    #: NaNs; or a named kind of input (see :func:`fit_inputs`).
    data: str = "tags"


@dataclasses.dataclass(frozen=True)
class Result:
    """The outcome of one :class:`Case`."""

    id: str
    class_name: str
    status: str  # "ok", "unsupported", "mismatch", "error", "excluded", "unfittable"
    detail: str = ""
    bytes: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ------------------------------------------------------------------------------------ data


def _blobs() -> tuple[Any, Any]:
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=60, centers=[[0, 0, 0, 0], [1, 1, 1, 0], [0, 2, 1, 1]],
                      cluster_std=0.35, random_state=0)
    return X, y


def fit_inputs(estimator: Any, data: str = "tags") -> tuple[tuple[Any, ...], Any]:
    """(arguments to ``fit``, the input the inference methods are called with)."""
    from sklearn.metrics.pairwise import rbf_kernel
    from sklearn.utils import get_tags
    from sklearn.utils.estimator_checks import (
        _enforce_estimator_tags_X,
        _enforce_estimator_tags_y,
    )

    X, y = _blobs()
    if data == "text":
        docs = ["the cat sat on the mat", "the dog ate my homework", "a cat and a dog met",
                "dogs and cats are pets", "my homework is late", "the mat is red"] * 3
        return (docs, np.arange(len(docs)) % 2), [*docs[:6], "an unseen zebra", ""]
    if data == "dicts":
        records = [{"colour": c, "size": float(s)} for c, s in
                   zip(["red", "green", "blue"] * 6, range(18), strict=True)]
        return (records,), [*records[:5], {"colour": "violet", "size": 2.0, "new": 1.0}]
    if data == "pairs":
        pairs = [[("a", 1.0), ("b", 2.0)], [("c", -1.0)], [("a", 3.0)]] * 4
        return (pairs,), pairs
    if data == "images":
        images = np.random.RandomState(0).uniform(size=(3, 8, 8))
        return (images,), images
    if data == "labels":
        labels = np.array(["ant", "bee", "cat", "bee", "ant", "dog"] * 3, dtype=object)
        return (labels,), labels[:6]
    if data == "label_sets":
        sets = [{"ant", "bee"}, {"cat"}, set(), {"bee", "dog"}] * 3
        return (sets,), sets[:4]
    if data == "strings":
        names = np.array(["ant", "bee", "cat"], dtype=object)
        Xs = np.column_stack([names[y.astype(int)], names[(y.astype(int) + 1) % 3]])
        return (Xs, y), np.vstack([Xs[:8], [["zebra", "ant"]]])
    tags = get_tags(estimator)
    if data == "regression":
        y = X @ np.array([1.0, -2.0, 0.5, 3.0])
    elif data == "multioutput":
        y = np.column_stack([X @ np.array([1.0, -2.0, 0.5, 3.0]), X[:, 0] - X[:, 1]])
    elif data == "multilabel":
        y = np.column_stack([y == 0, y == 1, X[:, 2] > 0.5]).astype(np.int64)
    elif data == "string_labels":
        y = np.array(["ant", "bee", "cat"], dtype=object)[y.astype(int)]
    elif data == "sparse":
        import scipy.sparse

        X = np.where(np.abs(X) > 0.6, X, 0.0)
        Xs = scipy.sparse.csr_matrix(X)
        return (Xs, y), Xs
    elif tags.regressor_tags is not None and tags.classifier_tags is None:
        y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * np.sin(np.arange(len(X)))
    X = _enforce_estimator_tags_X(estimator, X, kernel=rbf_kernel)
    if data not in ("tags", "dense"):
        return (X, y), X
    if data == "tags" and tags.input_tags.allow_nan and not tags.input_tags.categorical:
        X = np.array(X, dtype=np.float64)
        X.reshape(-1)[np.random.RandomState(42).choice(X.size, 10, replace=False)] = np.nan
    return (X, _enforce_estimator_tags_y(estimator, y)), X


# ------------------------------------------------------------------------------ cases


def _common_cases() -> Iterator[Case]:
    from sklearn.utils import all_estimators
    from sklearn.utils._test_common.instance_generator import _construct_instances

    special_data = {
        "CountVectorizer": "text", "TfidfVectorizer": "text", "HashingVectorizer": "text",
        "DictVectorizer": "dicts", "FeatureHasher": "dicts", "PatchExtractor": "images",
        "LabelEncoder": "labels", "LabelBinarizer": "labels", "MultiLabelBinarizer": "label_sets",
    }
    from sklearn.model_selection import _search_successive_halving as halving

    classes = dict(all_estimators())
    # experimental, so listed only once someone enabled them: check them regardless
    classes.setdefault("HalvingGridSearchCV", halving.HalvingGridSearchCV)
    classes.setdefault("HalvingRandomSearchCV", halving.HalvingRandomSearchCV)
    for name, cls in sorted(classes.items()):
        if name == "FrozenEstimator":  # skipped by scikit-learn's generator: wrap a fitted model
            yield Case(name, name, _frozen)
            continue
        if name == "SparseCoder":  # the generator's dictionary has 3 features; the data has 4
            yield Case(name, name, _sparse_coder)
            continue
        try:
            instances = list(_construct_instances(cls))
        except Exception:  # scikit-learn skips it: build it with its defaults
            instances = [cls()]
        for i, instance in enumerate(instances):
            case_id = name if len(instances) == 1 else f"{name}-{i}"
            yield Case(case_id, name, _cloner(instance), special_data.get(name, "tags"))


def _cloner(instance: Any) -> Callable[[], Any]:
    from sklearn.base import clone

    return lambda: clone(instance)


def _frozen() -> Any:
    from sklearn.frozen import FrozenEstimator
    from sklearn.linear_model import LogisticRegression

    X, y = _blobs()
    return FrozenEstimator(LogisticRegression().fit(X, y))


def _sparse_coder() -> Any:
    from sklearn.decomposition import SparseCoder

    return SparseCoder(dictionary=np.random.RandomState(0).normal(size=(5, 4)))


def _extra_cases() -> list[Case]:
    """Variants beyond scikit-learn's defaults (issue 3, item 1)."""
    from scipy import stats
    from sklearn import (
        calibration,
        cluster,
        compose,
        decomposition,
        ensemble,
        feature_selection,
        gaussian_process,
        impute,
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
    from sklearn.gaussian_process import kernels

    def lr() -> Any:
        return linear_model.LogisticRegression(max_iter=500)

    def composite() -> Any:
        numeric = pipeline.Pipeline([("impute", impute.SimpleImputer()),
                                     ("scale", preprocessing.StandardScaler())])
        columns = compose.ColumnTransformer([
            ("num", numeric, [0, 1]),
            ("poly", preprocessing.PolynomialFeatures(2), slice(2, 4)),
        ])
        union = pipeline.FeatureUnion([("pca", decomposition.PCA(2)),
                                       ("kbest", feature_selection.SelectKBest(k=2))])
        return pipeline.Pipeline([("columns", columns), ("union", union),
                                  ("model", ensemble.HistGradientBoostingClassifier(max_iter=5))])

    cases = [
        ("Stacking-rf-svc", "StackingClassifier", lambda: ensemble.StackingClassifier(
            [("rf", ensemble.RandomForestClassifier(n_estimators=3, random_state=0)),
             ("svc", svm.SVC(probability=True, random_state=0))], final_estimator=lr()),
         "tags"),
        ("Stacking-regressor", "StackingRegressor", lambda: ensemble.StackingRegressor(
            [("ridge", linear_model.Ridge()), ("tree", tree.DecisionTreeRegressor(max_depth=3))]),
         "regression"),
        ("Voting-soft-strings", "VotingClassifier", lambda: ensemble.VotingClassifier(
            [("lr", lr()), ("nb", naive_bayes.GaussianNB())],
            voting="soft"), "string_labels"),
        ("Voting-regressor", "VotingRegressor", lambda: ensemble.VotingRegressor(
            [("ridge", linear_model.Ridge()), ("knn", neighbors.KNeighborsRegressor(3))]),
         "regression"),
        ("Bagging-tree", "BaggingClassifier", lambda: ensemble.BaggingClassifier(
            tree.DecisionTreeClassifier(), n_estimators=4, max_features=0.75, random_state=0),
         "tags"),
        ("AdaBoost-regressor", "AdaBoostRegressor", lambda: ensemble.AdaBoostRegressor(
            n_estimators=5, random_state=0), "regression"),
        ("Calibrated-isotonic", "CalibratedClassifierCV",
         lambda: calibration.CalibratedClassifierCV(svm.LinearSVC(), method="isotonic", cv=3),
         "tags"),
        ("Calibrated-sigmoid", "CalibratedClassifierCV",
         lambda: calibration.CalibratedClassifierCV(
             ensemble.RandomForestClassifier(n_estimators=3, random_state=0), cv=3), "tags"),
        ("MultiOutputRegressor-ridge", "MultiOutputRegressor",
         lambda: multioutput.MultiOutputRegressor(linear_model.Ridge()), "multioutput"),
        ("ClassifierChain-lr", "ClassifierChain",
         lambda: multioutput.ClassifierChain(lr(), random_state=0), "multilabel"),
        ("OneVsRest-svc", "OneVsRestClassifier",
         lambda: multiclass.OneVsRestClassifier(svm.SVC()), "tags"),
        ("OneVsOne-linearsvc", "OneVsOneClassifier",
         lambda: multiclass.OneVsOneClassifier(svm.LinearSVC()), "string_labels"),
        ("SelfTraining-svc", "SelfTrainingClassifier",
         lambda: semi_supervised.SelfTrainingClassifier(svm.SVC(probability=True, random_state=0)),
         "tags"),
        ("SFS-knn", "SequentialFeatureSelector",
         lambda: feature_selection.SequentialFeatureSelector(
             neighbors.KNeighborsClassifier(3), n_features_to_select=2, cv=3), "tags"),
        ("RFE-linearsvc", "RFE",
         lambda: feature_selection.RFE(svm.LinearSVC(), n_features_to_select=2), "tags"),
        ("RFECV-lr", "RFECV", lambda: feature_selection.RFECV(lr(), cv=3), "tags"),
        ("SelectFromModel-rf", "SelectFromModel", lambda: feature_selection.SelectFromModel(
            ensemble.RandomForestClassifier(n_estimators=3, random_state=0)), "tags"),
        ("TransformedTarget-log1p", "TransformedTargetRegressor",
         lambda: compose.TransformedTargetRegressor(linear_model.Ridge(), func=np.log1p,
                                                    inverse_func=np.expm1), "positive_regression"),
        ("Pipeline-nested", "Pipeline", composite, "tags"),
        ("GridSearch-svc", "GridSearchCV", lambda: model_selection.GridSearchCV(
            svm.SVC(), {"C": [1.0, 10.0], "kernel": ["rbf", "linear"]}, cv=3), "tags"),
        ("RandomizedSearch-multimetric", "RandomizedSearchCV",
         lambda: model_selection.RandomizedSearchCV(
             linear_model.Ridge(), {"alpha": stats.loguniform(1e-3, 1e2)}, n_iter=3, cv=3,
             scoring={"r2": "r2", "mae": "neg_mean_absolute_error"}, refit="r2", random_state=0),
         "regression"),
        ("HGB-categorical-early-stopping", "HistGradientBoostingClassifier",
         lambda: ensemble.HistGradientBoostingClassifier(
             max_iter=8, categorical_features=[3], early_stopping=True, scoring="accuracy",
             validation_fraction=0.2, n_iter_no_change=2, random_state=0), "categorical"),
        ("KNN-ball-mahalanobis", "KNeighborsClassifier", lambda: neighbors.KNeighborsClassifier(
            3, algorithm="ball_tree", metric="mahalanobis",
            metric_params={"VI": np.eye(4)}), "tags"),
        ("SVC-sparse-probability", "SVC", lambda: svm.SVC(probability=True, random_state=0),
         "sparse"),
        ("HDBSCAN-centers", "HDBSCAN", lambda: cluster.HDBSCAN(store_centers="both"), "dense"),
        ("GPR-kernel-expression", "GaussianProcessRegressor",
         lambda: gaussian_process.GaussianProcessRegressor(
             kernels.ConstantKernel() * kernels.RBF() + kernels.WhiteKernel(), random_state=0),
         "regression"),
        ("OneHotEncoder-strings", "OneHotEncoder",
         lambda: preprocessing.OneHotEncoder(handle_unknown="ignore"), "strings"),
        ("TargetEncoder-strings", "TargetEncoder",
         lambda: preprocessing.TargetEncoder(random_state=0), "strings"),
    ]
    return [Case(i, c, b, d) for i, c, b, d in cases]


def cases() -> list[Case]:
    """Every configuration checked, scikit-learn's common instances first."""
    return [*_common_cases(), *_extra_cases()]


# ------------------------------------------------------------------------------- checks


def run_case(case: Case) -> Result:
    """Fit, write, read back and compare one configuration."""
    import paramseal
    from paramseal.errors import UnsupportedTypeError

    start = time.perf_counter()
    if case.class_name in EXCLUDED:
        return Result(case.id, case.class_name, "excluded", EXCLUDED[case.class_name])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator, X = fit(case)
        except Exception as exc:  # reported; the run goes on
            return Result(case.id, case.class_name, "unfittable", f"{type(exc).__name__}: {exc}")
        try:
            data = paramseal.dumps(estimator)
        except UnsupportedTypeError as exc:
            return Result(case.id, case.class_name, "unsupported", str(exc))
        try:
            loaded = paramseal.loads(data)
            problem = compare(estimator, lambda: paramseal.loads(data), X)
            if problem is None and paramseal.dumps(loaded) != data:
                problem = "the loaded model dumps to different bytes"
            if problem is None and paramseal.dumps(estimator) != data:
                problem = "dumping twice gave different bytes"
        except Exception as exc:  # reported; the run goes on
            return Result(case.id, case.class_name, "error", f"{type(exc).__name__}: {exc}",
                          len(data), time.perf_counter() - start)
    status = "ok" if problem is None else "mismatch"
    return Result(case.id, case.class_name, status, problem or "", len(data),
                  time.perf_counter() - start)


def fit(case: Case) -> tuple[Any, Any]:
    """The fitted estimator of ``case`` and the input its inference methods are called on."""
    from sklearn.utils.estimator_checks import set_random_state

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = case.build()
        fit_args, X = _inputs(estimator, case.data)
        set_random_state(estimator, 0)
        if case.class_name != "FrozenEstimator":  # already fitted; its fit() refuses
            estimator.fit(*fit_args)
    return estimator, X


def _inputs(estimator: Any, data: str) -> tuple[tuple[Any, ...], Any]:
    if data == "positive_regression":
        X, _ = _blobs()
        y = np.abs(X @ np.array([1.0, -2.0, 0.5, 3.0])) + 1.0
        return (X, y), X
    if data == "categorical":
        X, y = _blobs()
        X = X.copy()
        X[:, 3] = np.arange(len(X)) % 4
        return (X, y), X
    return fit_inputs(estimator, data)


def compare(original: Any, fresh_loaded: Callable[[], Any], X: Any) -> str | None:
    """None if every method gives bit-identical results, else what differs.

    Each method runs on its own deep copy of the original and its own freshly loaded model,
    so methods that draw from the estimator's random state see the same state on both sides.
    """
    for name in METHODS:
        if not hasattr(original, name):
            continue
        expected = _call(copy.deepcopy(original), name, X)
        got = _call(fresh_loaded(), name, X)
        problem = _difference(expected, got, name)
        if problem is not None:
            return problem
    return None


def _call(model: Any, name: str, X: Any) -> Any:
    try:
        return getattr(model, name)(X)
    except Exception as exc:  # raising alike on both sides is equal behaviour
        return ("raises", type(exc).__name__, str(exc)[:200])


def _difference(a: Any, b: Any, where: str) -> str | None:
    if type(a) is not type(b):
        return f"{where}: {type(a).__name__} against {type(b).__name__}"
    if isinstance(a, (tuple, list)):
        if len(a) != len(b):
            return f"{where}: lengths {len(a)} and {len(b)}"
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            problem = _difference(p, q, f"{where}[{i}]")
            if problem is not None:
                return problem
        return None
    if hasattr(a, "toarray"):
        a, b = a.toarray(), b.toarray()
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return f"{where}: {a.dtype}{a.shape} against {b.dtype}{b.shape}"
        same = np.array_equal(a, b) if a.dtype == object else a.tobytes() == b.tobytes()
        return None if same else f"{where}: values differ"
    return None if a == b else f"{where}: {a!r:.80} against {b!r:.80}"


def run(selected: Callable[[Case], bool] | None = None) -> list[Result]:
    """Run every case (or those ``selected``) and return their results in order."""
    return [run_case(case) for case in cases() if selected is None or selected(case)]
