"""Round trips of the core estimators, their helper objects, refusals, and hostile files.

Covers linear models, SGD, naive Bayes, scalers and encoders, imputation, polynomial features,
PCA/TruncatedSVD, text vectorizers, MLPs, composites (Pipeline, FeatureUnion, ColumnTransformer,
TransformedTargetRegressor), searches (GridSearchCV, RandomizedSearchCV) and dummies.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import re
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import sklearn
import testkit
from conftest import assert_rejected, roundtrip
from sklearn import (
    compose,
    decomposition,
    dummy,
    impute,
    linear_model,
    model_selection,
    naive_bayes,
    neural_network,
    pipeline,
    preprocessing,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction import text
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.utils import Bunch

import paramseal
from paramseal import errors

warnings.filterwarnings("ignore", category=ConvergenceWarning)

# ---------------------------------------------------------------- data

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 4))
Y2 = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
Y3 = np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5]).astype(np.int64)
Y3_STR = np.array(["ant", "bee", "cat"], dtype=object)[Y3]
YR = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * RNG.normal(size=60)
YR2 = np.column_stack([YR, -YR + 1.0])
X_COUNTS = RNG.randint(0, 4, size=(60, 4))
X_POS = np.abs(X) + 0.5
X_NAN = X.copy()
X_NAN[::7, 1] = np.nan
X_NAN[::5, 3] = np.nan
S_CAT = np.array([["red", "s"], ["green", "m"], ["blue", "l"], ["red", "m"], ["red", "s"],
                  ["green", "s"]] * 10, dtype=object)
S_CAT_TEST = np.vstack([S_CAT[:12], [["violet", "xl"], ["red", "xxs"]]])
S_NONE = S_CAT.copy()
S_NONE[::4, 0] = None
DOCS = ["the cat sat on the mat", "the dog ate my homework", "a cat and a dog met",
        "dogs and cats are pets", "my homework is late", "the mat is red"] * 4
DOCS_TEST = [*DOCS[:6], "an unseen word zebra", "", "cat cat cat dog"]


def _fit(est: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args)


# ---------------------------------------------------------------- round trips

CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    # linear models
    "LinearRegression": lambda: (_fit(linear_model.LinearRegression(), X, YR), X),
    "LinearRegression-nointercept-2d": lambda: (
        _fit(linear_model.LinearRegression(fit_intercept=False), X, YR2), X),
    "Ridge": lambda: (_fit(linear_model.Ridge(alpha=2.0), X, YR), X),
    "Ridge-2d": lambda: (_fit(linear_model.Ridge(solver="svd"), X, YR2), X),
    "RidgeClassifier-binary": lambda: (_fit(linear_model.RidgeClassifier(), X, Y2), X),
    "RidgeClassifier-strings": lambda: (_fit(linear_model.RidgeClassifier(), X, Y3_STR), X),
    "Lasso": lambda: (_fit(linear_model.Lasso(alpha=0.05), X, YR), X),
    "ElasticNet": lambda: (_fit(linear_model.ElasticNet(alpha=0.05, l1_ratio=0.3), X, YR), X),
    "LogisticRegression-binary": lambda: (_fit(linear_model.LogisticRegression(), X, Y2), X),
    "LogisticRegression-multiclass": lambda: (
        _fit(linear_model.LogisticRegression(C=0.5), X, Y3), X),
    "LogisticRegression-strings": lambda: (
        _fit(linear_model.LogisticRegression(), X, Y3_STR), X),
    "LogisticRegression-class_weight": lambda: (
        _fit(linear_model.LogisticRegression(class_weight={0: 3.0, 1: 0.5, 2: 1.0}), X, Y3), X),
    "LogisticRegression-balanced-liblinear": lambda: (
        _fit(linear_model.LogisticRegression(class_weight="balanced", solver="liblinear"),
             X, Y2), X),
    # SGD
    **{
        f"SGDClassifier-{loss}-{kind}": (
            lambda loss=loss, y=y: (
                _fit(linear_model.SGDClassifier(loss=loss, max_iter=30, random_state=0), X, y),
                X,
            )
        )
        for loss in ("hinge", "log_loss", "modified_huber")
        for kind, y in (("binary", Y2), ("multiclass", Y3_STR))
    },
    "SGDClassifier-average-earlystop": lambda: (
        _fit(linear_model.SGDClassifier(average=True, early_stopping=True, max_iter=30,
                                        random_state=0), X, Y3), X),
    "SGDRegressor": lambda: (
        _fit(linear_model.SGDRegressor(max_iter=30, random_state=0), X, YR), X),
    "SGDRegressor-huber-average": lambda: (
        _fit(linear_model.SGDRegressor(loss="huber", average=True, max_iter=30,
                                       random_state=0), X, YR), X),
    # naive Bayes
    "GaussianNB": lambda: (_fit(naive_bayes.GaussianNB(), X, Y3_STR), X),
    "MultinomialNB": lambda: (_fit(naive_bayes.MultinomialNB(alpha=0.5), X_COUNTS, Y3),
                              X_COUNTS),
    "BernoulliNB": lambda: (_fit(naive_bayes.BernoulliNB(binarize=1.5), X_COUNTS, Y2),
                            X_COUNTS),
    "ComplementNB": lambda: (_fit(naive_bayes.ComplementNB(norm=True), X_COUNTS, Y3),
                             X_COUNTS),
    "CategoricalNB": lambda: (_fit(naive_bayes.CategoricalNB(), X_COUNTS, Y3_STR), X_COUNTS),
    # scalers
    "StandardScaler": lambda: (_fit(preprocessing.StandardScaler(), X), X),
    "StandardScaler-nomean": lambda: (_fit(preprocessing.StandardScaler(with_mean=False), X), X),
    "MinMaxScaler": lambda: (_fit(preprocessing.MinMaxScaler((-1, 2), clip=True), X), X),
    "MaxAbsScaler": lambda: (_fit(preprocessing.MaxAbsScaler(), X), X),
    "RobustScaler": lambda: (_fit(preprocessing.RobustScaler(quantile_range=(10, 90)), X), X),
    # encoders
    "OneHotEncoder-strings-ignore": lambda: (
        _fit(preprocessing.OneHotEncoder(handle_unknown="ignore"), S_CAT), S_CAT_TEST),
    "OneHotEncoder-ints-drop-first": lambda: (
        _fit(preprocessing.OneHotEncoder(drop="first", sparse_output=False), X_COUNTS),
        X_COUNTS),
    "OneHotEncoder-if-binary": lambda: (
        _fit(preprocessing.OneHotEncoder(drop="if_binary"), np.c_[Y2, X_COUNTS[:, 0]]),
        np.c_[Y2, X_COUNTS[:, 0]]),
    "OneHotEncoder-min-frequency": lambda: (
        _fit(preprocessing.OneHotEncoder(min_frequency=12, handle_unknown="infrequent_if_exist",
                                         sparse_output=False), S_CAT), S_CAT_TEST),
    "OneHotEncoder-max-categories-drop": lambda: (
        _fit(preprocessing.OneHotEncoder(max_categories=2, drop="first"), X_COUNTS), X_COUNTS),
    "OneHotEncoder-explicit-categories": lambda: (
        _fit(preprocessing.OneHotEncoder(categories=[[0, 1, 2, 3, 7]] * 4, dtype=np.float32),
             X_COUNTS), X_COUNTS),
    "OrdinalEncoder-unknown-value": lambda: (
        _fit(preprocessing.OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1),
             S_CAT), S_CAT_TEST),
    "OrdinalEncoder-nan": lambda: (
        _fit(preprocessing.OrdinalEncoder(encoded_missing_value=np.nan),
             np.where(np.isnan(X_NAN), np.nan, np.round(X_NAN))),
        np.where(np.isnan(X_NAN), np.nan, np.round(X_NAN))),
    "OrdinalEncoder-none-missing": lambda: (
        _fit(preprocessing.OrdinalEncoder(encoded_missing_value=-2), S_NONE), S_NONE),
    "LabelEncoder-ints": lambda: (_fit(preprocessing.LabelEncoder(), Y3 * 10 - 7), Y3 * 10 - 7),
    "LabelEncoder-strings": lambda: (_fit(preprocessing.LabelEncoder(), Y3_STR), Y3_STR),
    "LabelBinarizer-binary": lambda: (_fit(preprocessing.LabelBinarizer(), Y2), Y2),
    "LabelBinarizer-strings-sparse": lambda: (
        _fit(preprocessing.LabelBinarizer(sparse_output=True), Y3_STR), Y3_STR),
    "LabelBinarizer-labels": lambda: (
        _fit(preprocessing.LabelBinarizer(neg_label=-1, pos_label=2), Y3), Y3),
    # imputation
    "SimpleImputer-mean": lambda: (_fit(impute.SimpleImputer(), X_NAN), X_NAN),
    "SimpleImputer-median-indicator": lambda: (
        _fit(impute.SimpleImputer(strategy="median", add_indicator=True), X_NAN), X_NAN),
    "SimpleImputer-most-frequent-objects": lambda: (
        _fit(impute.SimpleImputer(strategy="most_frequent", missing_values=None), S_NONE),
        S_NONE),
    "SimpleImputer-constant": lambda: (
        _fit(impute.SimpleImputer(strategy="constant", fill_value=-1.5), X_NAN), X_NAN),
    "SimpleImputer-constant-strings": lambda: (
        _fit(impute.SimpleImputer(strategy="constant", fill_value="missing",
                                  missing_values=None), S_NONE), S_NONE),
    # polynomial features
    "PolynomialFeatures-2": lambda: (_fit(preprocessing.PolynomialFeatures(2), X), X),
    "PolynomialFeatures-interaction": lambda: (
        _fit(preprocessing.PolynomialFeatures(3, interaction_only=True, include_bias=False), X),
        X),
    "PolynomialFeatures-range-F": lambda: (
        _fit(preprocessing.PolynomialFeatures((2, 3), order="F"), X), X),
    # decompositions
    "PCA-full": lambda: (_fit(decomposition.PCA(3, svd_solver="full"), X), X),
    "PCA-randomized": lambda: (
        _fit(decomposition.PCA(2, svd_solver="randomized", random_state=0), X), X),
    "PCA-arpack": lambda: (
        _fit(decomposition.PCA(2, svd_solver="arpack", random_state=0), X), X),
    "PCA-whiten": lambda: (_fit(decomposition.PCA(0.9, whiten=True), X), X),
    "TruncatedSVD-randomized": lambda: (
        _fit(decomposition.TruncatedSVD(2, random_state=0), X), X),
    "TruncatedSVD-arpack": lambda: (
        _fit(decomposition.TruncatedSVD(2, algorithm="arpack", random_state=0), X), X),
    # text
    "CountVectorizer": lambda: (_fit(text.CountVectorizer(), DOCS), DOCS_TEST),
    "CountVectorizer-ngrams-stopwords": lambda: (
        _fit(text.CountVectorizer(ngram_range=(1, 2), stop_words=["the", "a"], min_df=2),
             DOCS), DOCS_TEST),
    "CountVectorizer-max-features-binary": lambda: (
        _fit(text.CountVectorizer(max_features=5, binary=True, dtype=np.float32), DOCS),
        DOCS_TEST),
    "CountVectorizer-char-vocabulary": lambda: (
        _fit(text.CountVectorizer(analyzer="char_wb", ngram_range=(2, 3),
                                  vocabulary={"ca": 2, "at": 0, "do": 1}), DOCS), DOCS_TEST),
    "TfidfVectorizer": lambda: (_fit(text.TfidfVectorizer(), DOCS), DOCS_TEST),
    "TfidfVectorizer-options": lambda: (
        _fit(text.TfidfVectorizer(ngram_range=(1, 2), max_features=12, binary=True,
                                  sublinear_tf=True, norm="l1", smooth_idf=False), DOCS),
        DOCS_TEST),
    "TfidfVectorizer-vocabulary": lambda: (
        _fit(text.TfidfVectorizer(vocabulary={"cat": 1, "dog": 0, "mat": 2}, use_idf=False),
             DOCS), DOCS_TEST),
    "TfidfTransformer": lambda: (_fit(text.TfidfTransformer(), X_COUNTS), X_COUNTS),
    # neural networks
    "MLPClassifier-adam-multiclass": lambda: (
        _fit(neural_network.MLPClassifier((5,), max_iter=15, random_state=0), X, Y3), X),
    "MLPClassifier-adam-strings-2layers": lambda: (
        _fit(neural_network.MLPClassifier((4, 3), activation="tanh", max_iter=15,
                                          random_state=0), X, Y3_STR), X),
    "MLPClassifier-sgd-binary": lambda: (
        _fit(neural_network.MLPClassifier((4,), solver="sgd", learning_rate="invscaling",
                                          max_iter=15, random_state=0), X, Y2), X),
    "MLPClassifier-early-stopping": lambda: (
        _fit(neural_network.MLPClassifier((4,), early_stopping=True, max_iter=15,
                                          random_state=0), X, Y2), X),
    "MLPClassifier-lbfgs": lambda: (
        _fit(neural_network.MLPClassifier((3,), solver="lbfgs", max_iter=15, random_state=0),
             X, Y2), X),
    "MLPRegressor-adam": lambda: (
        _fit(neural_network.MLPRegressor(hidden_layer_sizes=(5,), max_iter=15, random_state=0),
             X, YR2), X),
    "MLPRegressor-sgd": lambda: (
        _fit(neural_network.MLPRegressor(hidden_layer_sizes=(5,), solver="sgd", momentum=0.5,
                                         nesterovs_momentum=False, max_iter=15,
                                         random_state=0), X, YR), X),
    # composites
    "Pipeline": lambda: (
        _fit(pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                                ("pca", decomposition.PCA(3)),
                                ("clf", linear_model.LogisticRegression())]), X, Y3_STR), X),
    "Pipeline-passthrough-step": lambda: (
        _fit(pipeline.Pipeline([("none", "passthrough"),
                                ("reg", linear_model.Ridge())]), X, YR), X),
    "FeatureUnion": lambda: (
        _fit(pipeline.FeatureUnion([("a", preprocessing.StandardScaler()),
                                    ("b", decomposition.PCA(2))],
                                   transformer_weights={"b": 2.0}), X), X),
    "ColumnTransformer-passthrough-ints": lambda: (
        _fit(compose.ColumnTransformer([("s", preprocessing.StandardScaler(), [0, 2])],
                                       remainder="passthrough"), X), X),
    "ColumnTransformer-slice-mask-drop": lambda: (
        _fit(compose.ColumnTransformer(
            [("mm", preprocessing.MinMaxScaler(), slice(0, 2)),
             ("poly", preprocessing.PolynomialFeatures(2), np.array([False, False, True, True]))],
            remainder="drop"), X), X),
    "ColumnTransformer-remainder-estimator-sparse": lambda: (
        _fit(compose.ColumnTransformer([("oh", preprocessing.OneHotEncoder(), [0])],
                                       remainder=preprocessing.MaxAbsScaler(),
                                       sparse_threshold=1.0), X_COUNTS), X_COUNTS),
    "ColumnTransformer-objects": lambda: (
        _fit(pipeline.make_pipeline(
            compose.ColumnTransformer([
                ("oh", preprocessing.OneHotEncoder(handle_unknown="ignore"), [0]),
                ("ord", preprocessing.OrdinalEncoder(), [1])]),
            linear_model.LogisticRegression()), S_CAT, Y2), S_CAT_TEST),
    "FunctionTransformer-log1p": lambda: (
        _fit(preprocessing.FunctionTransformer(np.log1p, inverse_func=np.expm1, validate=True,
                                               kw_args={"dtype": np.float32}), X_POS), X_POS),
    "FunctionTransformer-identity": lambda: (
        _fit(preprocessing.FunctionTransformer(feature_names_out="one-to-one"), X), X),
    "TransformedTargetRegressor-func": lambda: (
        _fit(compose.TransformedTargetRegressor(regressor=linear_model.Ridge(), func=np.log1p,
                                                inverse_func=np.expm1), X, np.abs(YR)), X),
    "TransformedTargetRegressor-transformer": lambda: (
        _fit(compose.TransformedTargetRegressor(regressor=linear_model.LinearRegression(),
                                                transformer=preprocessing.StandardScaler()),
             X, YR), X),
    "DummyClassifier-prior-strings": lambda: (
        _fit(dummy.DummyClassifier(strategy="prior"), X, Y3_STR), X),
    "DummyClassifier-constant": lambda: (
        _fit(dummy.DummyClassifier(strategy="constant", constant="bee"), X, Y3_STR), X),
    "DummyClassifier-stratified": lambda: (
        _fit(dummy.DummyClassifier(strategy="stratified", random_state=3), X, Y3), X),
    "DummyRegressor-median": lambda: (_fit(dummy.DummyRegressor(strategy="median"), X, YR), X),
    "DummyRegressor-quantile-2d": lambda: (
        _fit(dummy.DummyRegressor(strategy="quantile", quantile=0.3), X, YR2), X),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_roundtrip(name: str) -> None:
    model, data = CASES[name]()
    roundtrip(model, data)


def _search_cases() -> dict[str, Callable[[], tuple[Any, Any, Any]]]:
    def grid_default() -> Any:
        return model_selection.GridSearchCV(
            linear_model.LogisticRegression(), {"C": [0.1, 1.0]}, cv=3)

    def grid_accuracy_strings() -> Any:
        return model_selection.GridSearchCV(
            pipeline.make_pipeline(preprocessing.StandardScaler(),
                                   linear_model.LogisticRegression()),
            [{"logisticregression__C": [0.1, 1.0]},
             {"logisticregression__C": [1.0], "logisticregression__fit_intercept": [False]}],
            scoring="accuracy", cv=model_selection.StratifiedKFold(3, shuffle=True,
                                                                   random_state=1))

    def grid_multimetric() -> Any:
        return model_selection.GridSearchCV(
            linear_model.Ridge(), {"alpha": [0.1, 1.0, 10.0], "solver": ["svd", "cholesky"]},
            scoring={"r2": "r2", "mae": "neg_mean_absolute_error"}, refit="r2", cv=3,
            return_train_score=True)

    def grid_make_scorer_shuffle_split() -> Any:
        return model_selection.GridSearchCV(
            linear_model.LogisticRegression(), {"C": [0.5, 2.0]},
            scoring=make_scorer(accuracy_score),
            cv=model_selection.ShuffleSplit(3, test_size=0.25, random_state=0))

    def grid_estimators_as_params() -> Any:
        return model_selection.GridSearchCV(
            pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                               ("reg", linear_model.Ridge())]),
            {"scale": [preprocessing.StandardScaler(), preprocessing.MinMaxScaler()]}, cv=3)

    def randomized() -> Any:
        return model_selection.RandomizedSearchCV(
            linear_model.SGDClassifier(max_iter=20, random_state=0),
            {"alpha": [1e-4, 1e-3, 1e-2, 1e-1], "loss": ["hinge", "log_loss"]}, n_iter=3, cv=3,
            random_state=0)

    def randomized_rs_kfold() -> Any:
        return model_selection.RandomizedSearchCV(
            linear_model.Ridge(), {"alpha": [0.1, 1.0, 3.0, 10.0]}, n_iter=2,
            cv=model_selection.KFold(3, shuffle=True, random_state=np.random.RandomState(4)),
            random_state=np.random.RandomState(5))

    return {
        "grid-default-scorer": lambda: (grid_default(), X, Y2),
        "grid-accuracy-pipeline-strings": lambda: (grid_accuracy_strings(), X, Y3_STR),
        "grid-multimetric": lambda: (grid_multimetric(), X, YR),
        "grid-make-scorer-shuffle-split": lambda: (grid_make_scorer_shuffle_split(), X, Y2),
        "grid-estimators-as-params": lambda: (grid_estimators_as_params(), X, YR),
        "randomized": lambda: (randomized(), X, Y3),
        "randomized-randomstate-kfold": lambda: (randomized_rs_kfold(), X, YR),
    }


SEARCHES = _search_cases()


def _assert_same_value(a: Any, b: Any, where: str) -> None:
    assert type(a) is type(b), where
    if isinstance(a, np.ma.MaskedArray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert np.array_equal(np.ma.getmaskarray(a), np.ma.getmaskarray(b)), where
        assert a.fill_value == b.fill_value, where
        kept = ~np.ma.getmaskarray(a)
        _assert_same_value(np.asarray(a.data)[kept], np.asarray(b.data)[kept], where)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        if a.dtype == object:
            for i, (p, q) in enumerate(zip(a.ravel(), b.ravel(), strict=True)):
                _assert_same_value(p, q, f"{where}[{i}]")
        else:
            assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _assert_same_value(a[key], b[key], f"{where}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (p, q) in enumerate(zip(a, b, strict=True)):
            _assert_same_value(p, q, f"{where}[{i}]")
    elif isinstance(a, sklearn.base.BaseEstimator):
        assert _repr(a) == _repr(b), where
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_roundtrip(name: str) -> None:
    search, data, y = SEARCHES[name]()
    _fit(search, data, y)
    loaded = roundtrip(search, data)
    assert loaded.score(data, y) == search.score(data, y)
    _assert_same_value(search.cv_results_, loaded.cv_results_, "cv_results_")
    for attr in ("best_params_", "best_index_", "best_score_", "n_splits_", "multimetric_"):
        _assert_same_value(getattr(search, attr), getattr(loaded, attr), attr)
    cv, cv2 = search._checked_cv_orig, loaded._checked_cv_orig
    assert type(cv2) is type(cv) and vars(cv2).keys() == vars(cv).keys()
    for key, value in vars(cv).items():
        if isinstance(value, np.random.RandomState):
            assert vars(cv2)[key].get_state()[1].tobytes() == value.get_state()[1].tobytes()
        else:
            assert vars(cv2)[key] == value
    # What was one object before is one object after.
    if not isinstance(search.cv, int):
        assert loaded._checked_cv_orig is loaded.cv
    scorer = loaded.scorer_
    if type(scorer).__name__ == "_PassthroughScorer":
        assert scorer._estimator is loaded.estimator
    if not isinstance(search.scoring, (str, dict, type(None))):
        assert loaded.scorer_ is loaded.scoring


def _repr(obj: Any) -> str:
    return re.sub(r" at 0x[0-9A-Fa-f]+", "", repr(obj))


def test_unfitted_estimators_roundtrip() -> None:
    for model in (linear_model.SGDClassifier(loss="modified_huber"),
                  neural_network.MLPRegressor(hidden_layer_sizes=(3, 2)),
                  preprocessing.OneHotEncoder(drop="first"), preprocessing.PolynomialFeatures(3),
                  text.TfidfVectorizer(ngram_range=(1, 3)),
                  SEARCHES["grid-make-scorer-shuffle-split"]()[0],
                  SEARCHES["randomized-randomstate-kfold"]()[0]):
        data = paramseal.dumps(model)
        loaded = paramseal.loads(data)
        assert type(loaded) is type(model)
        assert _repr(loaded) == _repr(model)
        assert vars(loaded).keys() == vars(model).keys()
        assert paramseal.dumps(loaded) == data


def test_search_cv_results_masked_arrays_keep_their_mask() -> None:
    search, data, y = SEARCHES["grid-accuracy-pipeline-strings"]()
    _fit(search, data, y)
    loaded = paramseal.loads(paramseal.dumps(search))
    masked = loaded.cv_results_["param_logisticregression__fit_intercept"]
    assert type(masked) is np.ma.MaskedArray
    assert masked.mask.tolist() == [True, True, False]
    assert masked.dtype == search.cv_results_[
        "param_logisticregression__fit_intercept"].dtype


def test_sgd_loss_function_is_rebuilt_and_partial_fit_continues() -> None:
    for loss, kind in (("hinge", "Hinge"), ("log_loss", "CyHalfBinomialLoss"),
                       ("modified_huber", "ModifiedHuber")):
        model = _fit(linear_model.SGDClassifier(loss=loss, max_iter=20, random_state=0), X, Y3)
        data = paramseal.dumps(model)
        assert b"_loss_function_" not in data
        loaded = paramseal.loads(bytearray(data))  # writable arrays, as partial_fit needs
        assert type(loaded._loss_function_).__name__ == kind
        model.partial_fit(X, Y3)
        loaded.partial_fit(X, Y3)
        assert loaded.coef_.tobytes() == model.coef_.tobytes()
        assert loaded.intercept_.tobytes() == model.intercept_.tobytes()


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_mlp_optimizer_state_roundtrips_and_partial_fit_continues(solver: str) -> None:
    model = _fit(neural_network.MLPClassifier((5,), solver=solver, max_iter=10, random_state=0),
                 X, Y3)
    loaded = paramseal.loads(bytearray(paramseal.dumps(model)))
    assert type(loaded._optimizer) is type(model._optimizer)
    assert vars(loaded._optimizer).keys() == vars(model._optimizer).keys()
    _assert_same_value(vars(model._optimizer), vars(loaded._optimizer), "_optimizer")
    assert loaded._random_state.get_state()[1].tobytes() == (
        model._random_state.get_state()[1].tobytes())
    assert type(loaded._label_binarizer) is preprocessing.LabelBinarizer
    # The optimizer's buffers are its own arrays, not the layers (sklearn 1.9).
    assert all(m is not c for m in loaded._optimizer.__dict__.get("ms", [])
               for c in loaded.coefs_)
    for estimator in (model, loaded):
        estimator.partial_fit(X, Y3)
    for a, b in zip(model.coefs_ + model.intercepts_, loaded.coefs_ + loaded.intercepts_,
                    strict=True):
        assert a.tobytes() == b.tobytes()


def test_memory_layout_is_kept() -> None:
    """PCA's components_ is Fortran-ordered (svd) or a reversed view (arpack); matmul's result
    bits depend on the layout, so a loaded copy must keep it (checked in test_roundtrip)."""
    for solver in ("full", "randomized", "arpack"):
        model = _fit(decomposition.PCA(3, svd_solver=solver, random_state=0), X)
        loaded = paramseal.loads(paramseal.dumps(model))
        original, copy = model.components_, loaded.components_
        assert np.array_equal(original, copy)
        assert copy.strides == original.strides, solver
        assert loaded.transform(X).tobytes() == model.transform(X).tobytes()


def test_composites_keep_shared_references() -> None:
    model, _ = CASES["Pipeline"]()
    loaded = paramseal.loads(paramseal.dumps(model))
    for (name, step), (name2, step2) in zip(model.steps, loaded.steps, strict=True):
        assert name == name2 and type(step) is type(step2)
        assert loaded.named_steps[name] is step2
    ct, _ = CASES["ColumnTransformer-passthrough-ints"]()
    loaded_ct = paramseal.loads(paramseal.dumps(ct))
    assert loaded_ct._columns[0] is loaded_ct.transformers[0][2]
    assert loaded_ct.transformers_[0][1] is not loaded_ct.transformers[0][1]
    assert loaded_ct.output_indices_ == ct.output_indices_
    assert type(loaded_ct.transformers_[1][1]) is preprocessing.FunctionTransformer
    ttr, _ = CASES["TransformedTargetRegressor-func"]()
    loaded_ttr = paramseal.loads(paramseal.dumps(ttr))
    assert loaded_ttr.func is np.log1p and loaded_ttr.transformer_.inverse_func is np.expm1
    # The same fitted estimator in two places is written once and loaded once.
    scaler = _fit(preprocessing.StandardScaler(), X)
    both = pipeline.FeatureUnion([("a", scaler), ("b", scaler)])
    loaded_both = paramseal.loads(paramseal.dumps(both))
    assert loaded_both.transformer_list[0][1] is loaded_both.transformer_list[1][1]
    assert len(paramseal.inspect(paramseal.dumps(both)).tensors) == len(
        paramseal.inspect(paramseal.dumps(scaler)).tensors)


def test_vectorizer_drops_the_stop_words_address() -> None:
    model = _fit(text.CountVectorizer(stop_words=["the"]), DOCS)
    assert "_stop_words_id" in vars(model)
    data = paramseal.dumps(model)
    assert b"_stop_words_id" not in data
    loaded = paramseal.loads(data)
    assert (loaded.transform(DOCS_TEST) != model.transform(DOCS_TEST)).nnz == 0
    assert paramseal.dumps(loaded) == data  # transform cached a new address: still not written


def test_metadata_requests_roundtrip() -> None:
    with sklearn.config_context(enable_metadata_routing=True):
        model = linear_model.LogisticRegression().set_fit_request(sample_weight=True)
        model.set_score_request(sample_weight="weights")
        _fit(model, X, Y2)
        scorer = make_scorer(accuracy_score).set_score_request(sample_weight=True)
        data = paramseal.dumps({"model": model, "scorer": scorer})
        loaded = paramseal.loads(data)
        assert paramseal.dumps(loaded) == data
        for a, b in ((model, loaded["model"]), (scorer, loaded["scorer"])):
            assert str(a.get_metadata_routing()) == str(b.get_metadata_routing())
        request = loaded["model"]._metadata_request
        assert request.owner == "LogisticRegression"  # a display name, not a cycle
        assert request.fit.requests == {"sample_weight": True}
        assert np.array_equal(loaded["model"].predict(X), model.predict(X))


def test_bunch_and_splitters_roundtrip() -> None:
    bunch = Bunch(a=1, b=np.arange(3), c=[linear_model.Ridge()])
    bunch["not an identifier"] = None
    loaded = paramseal.loads(paramseal.dumps(bunch))
    assert type(loaded) is Bunch and list(loaded) == ["a", "b", "c", "not an identifier"]
    assert loaded.a == 1 and np.array_equal(loaded.b, bunch.b) and loaded["c"][0].alpha == 1.0
    for splitter in (model_selection.KFold(4),
                     model_selection.StratifiedKFold(3, shuffle=True, random_state=7),
                     model_selection.ShuffleSplit(5, train_size=0.5, random_state=2),
                     model_selection.StratifiedShuffleSplit(2, test_size=10, random_state=0)):
        copy = paramseal.loads(paramseal.dumps(splitter))
        assert type(copy) is type(splitter) and vars(copy) == vars(splitter)
        ys = Y2
        assert [t.tolist() for s in copy.split(X, ys) for t in s] == [
            t.tolist() for s in splitter.split(X, ys) for t in s]


# ---------------------------------------------------------------- refusals at dump

class UserThing:
    """Not allowlisted."""


def _refusal(obj: Any) -> errors.UnsupportedTypeError:
    with pytest.raises(errors.UnsupportedTypeError) as info:
        paramseal.dumps(obj)
    return info.value


def test_refuses_lambda_in_function_transformer() -> None:
    model = pipeline.Pipeline([("scale", preprocessing.StandardScaler()),
                               ("f", preprocessing.FunctionTransformer(lambda v: v + 1))])
    _fit(model, X)
    exc = _refusal(model)
    assert exc.path == "$.steps[1][1].func"
    assert "<lambda>" in str(exc) and "allowlist" in str(exc)


def test_refuses_user_class_lambda_cycle_matrix() -> None:
    exc = _refusal({"est": [1, UserThing()]})
    assert exc.path == "$['est'][1]"
    assert f"{UserThing.__module__}.UserThing" in str(exc)
    exc = _refusal({"f": lambda v: v})
    assert exc.path == "$['f']" and "<lambda>" in str(exc)
    loop: list[Any] = [1]
    loop.append(loop)
    exc = _refusal(loop)
    assert exc.path == "$[1]" and "cycle" in str(exc)
    exc = _refusal(np.matrix([[1.0, 2.0]]))
    assert exc.path == "$" and "numpy.matrix" in str(exc)


def test_refuses_unlisted_objects_inside_estimators() -> None:
    search = model_selection.RandomizedSearchCV(
        linear_model.Ridge(), {"alpha": UserThing()}, n_iter=2, cv=2, random_state=0)
    exc = _refusal(search)
    assert exc.path == "$.param_distributions['alpha']" and "UserThing" in str(exc)
    custom = make_scorer(lambda y, p: float(np.mean(y == p)))
    exc = _refusal(custom)
    assert exc.path == "$._score_func" and "<lambda>" in str(exc)
    cached = pipeline.Pipeline([("r", linear_model.Ridge())], memory=UserThing())
    exc = _refusal(cached)
    assert exc.path == "$.memory"
    splitter = model_selection.KFold(3)
    splitter.extra = 1
    exc = _refusal(splitter)
    assert exc.path == "$" and "extra" in str(exc)


# ---------------------------------------------------------------- hostile files

@functools.cache
def _one_hot(**kwargs: Any) -> tuple[Any, np.ndarray]:
    model = _fit(preprocessing.OneHotEncoder(sparse_output=False, **kwargs), X_COUNTS)
    return model, X_COUNTS


def _set_items(node: dict[str, Any], items: list[Any]) -> None:
    node["items"] = items
    node["shape"] = [len(items)]


#: name -> (make, tag, edit, error, match, in_subprocess)
HOSTILE: dict[str, tuple[Callable[[], tuple[Any, Any]], str, Callable[[Any, Any], None], str,
                         str, bool]] = {}


def hostile(name: str, make: Callable[[], tuple[Any, Any]], tag: str, error: str, match: str,
            *, in_subprocess: bool = True
            ) -> Callable[[Callable[[Any, Any], None]], Callable[[Any, Any], None]]:
    """Register a hostile file: ``edit`` changes the first ``tag`` node of ``make()``'s file.

    Files that could reach native code, or make a loaded model call something, are loaded in
    a subprocess by ``assert_rejected`` (crash and hang detection, every prediction method
    called). Pure type checks of helper objects (``in_subprocess=False``) are loaded here.
    """
    def register(edit: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
        HOSTILE[name] = (make, tag, edit, error, match, in_subprocess)
        return edit

    return register


OHE = "sklearn.preprocessing.OneHotEncoder"


@hostile("onehot-unsorted-categories", lambda: _one_hot(), OHE, "ReconstructionError",
         "must be sorted and distinct")
def _(parts: Any, node: dict[str, Any]) -> None:
    cats = node["state"]["categories_"][0]
    parts.set_array(cats, parts.array(cats)[::-1])


@hostile("onehot-drop-index-out-of-range", lambda: _one_hot(drop="first"), OHE,
         "ReconstructionError", "outside its")
def _(parts: Any, node: dict[str, Any]) -> None:
    for key in ("_drop_idx_after_grouping", "drop_idx_"):  # one array, written once
        if "items" in node["state"][key]:
            _set_items(node["state"][key], [-1_000_000, 0, 0, 0])


@hostile("onehot-n-features-outs-too-small", lambda: _one_hot(), OHE, "ReconstructionError",
         "outside its")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["_n_features_outs"][3] -= 1


@hostile("onehot-infrequent-mapping-out-of-range",
         lambda: _one_hot(max_categories=2, handle_unknown="infrequent_if_exist"), OHE,
         "ReconstructionError", "outside its")
def _(parts: Any, node: dict[str, Any]) -> None:
    mapping = node["state"]["_default_to_infrequent_mappings"][0]
    parts.set_array(mapping, parts.array(mapping) * 1000)


@hostile("onehot-infrequent-indices-out-of-range",
         lambda: _one_hot(max_categories=2, handle_unknown="infrequent_if_exist"), OHE,
         "ReconstructionError", "must index categories_")
def _(parts: Any, node: dict[str, Any]) -> None:
    indices = node["state"]["_infrequent_indices"][1]
    parts.set_array(indices, parts.array(indices) + 50)


@hostile("onehot-categories-count", lambda: _one_hot(), OHE, "ReconstructionError",
         "n_features_in_ non-empty")
def _(parts: Any, node: dict[str, Any]) -> None:
    del node["state"]["categories_"][3]


@functools.cache
def _count_vectorizer(cls: type = text.CountVectorizer) -> tuple[Any, np.ndarray]:
    model = pipeline.make_pipeline(cls(), linear_model.LogisticRegression())
    return _fit(model, DOCS, np.arange(len(DOCS)) % 2), np.asarray(DOCS_TEST)


def _vocabulary_values(node: dict[str, Any]) -> list[Any]:
    return node["state"]["vocabulary_"]["values"]


@hostile("vectorizer-index-out-of-range", _count_vectorizer,
         "sklearn.feature_extraction.CountVectorizer", "ReconstructionError", "column indices")
def _(parts: Any, node: dict[str, Any]) -> None:
    _vocabulary_values(node)[0] = 10_000_000


@hostile("vectorizer-repeated-index", lambda: _count_vectorizer(text.TfidfVectorizer),
         "sklearn.feature_extraction.TfidfVectorizer", "ReconstructionError", "each once")
def _(parts: Any, node: dict[str, Any]) -> None:
    values = _vocabulary_values(node)
    values[1] = values[0]


@hostile("vectorizer-idf-length", lambda: _count_vectorizer(text.TfidfVectorizer),
         "sklearn.feature_extraction.TfidfTransformer", "ReconstructionError",
         "one weight per vocabulary entry")
def _(parts: Any, node: dict[str, Any]) -> None:
    idf = node["state"]["idf_"]
    parts.set_array(idf, parts.array(idf)[:3])


POLY = "sklearn.preprocessing.PolynomialFeatures"


@hostile("polynomial-max-degree", lambda: (_fit(preprocessing.PolynomialFeatures(2), X), X),
         POLY, "ReconstructionError", "_max_degree is 40")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["_max_degree"] = 40


@hostile("polynomial-too-wide", lambda: (_fit(preprocessing.PolynomialFeatures(2), X), X),
         POLY, "ReconstructionError", "too wide")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["params"]["degree"] = 10**9
    node["state"]["_max_degree"] = 10**9


@functools.cache
def _grid_accuracy() -> tuple[Any, np.ndarray]:
    search = SEARCHES["grid-accuracy-pipeline-strings"]()[0]
    return _fit(search, X, Y3_STR), X


@functools.cache
def _grid_passthrough() -> tuple[Any, np.ndarray]:
    """Masked cv_results_, a StratifiedKFold and the default scorer: no metric function."""
    search = model_selection.GridSearchCV(
        linear_model.LogisticRegression(),
        [{"C": [0.1, 1.0]}, {"C": [1.0], "fit_intercept": [False]}],
        cv=model_selection.StratifiedKFold(3, shuffle=True, random_state=1))
    return _fit(search, X, Y3), X


@functools.cache
def _grid_shuffle_split() -> tuple[Any, np.ndarray]:
    search = model_selection.GridSearchCV(
        linear_model.Ridge(), {"alpha": [0.1, 1.0]},
        cv=model_selection.ShuffleSplit(3, test_size=0.25, random_state=0))
    return _fit(search, X, YR), X


SCORER = "sklearn.metrics._Scorer"


@hostile("scorer-response-method", _grid_accuracy, SCORER, "ReconstructionError",
         "response_method must be one of")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["response_method"] = "fit"


@hostile("scorer-sign", _grid_accuracy, SCORER, "ReconstructionError", "sign must be 1 or -1",
         in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["sign"] = 7


@hostile("scorer-function-not-allowlisted", _grid_accuracy, SCORER, "ReconstructionError",
         "score_func must be an allowlisted metric function")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["score_func"] = {"@": "type", "name": "builtins.object"}


@hostile("splitter-n-splits", _grid_passthrough, "sklearn.model_selection.StratifiedKFold",
         "ReconstructionError", "n_splits must be an int >= 2")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["n_splits"] = 1


@hostile("splitter-random-state", _grid_passthrough, "sklearn.model_selection.StratifiedKFold",
         "ReconstructionError", "random_state must be", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["random_state"] = -3


@hostile("splitter-test-size",
         _grid_shuffle_split,
         "sklearn.model_selection.ShuffleSplit", "ReconstructionError", "test_size must be",
         in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["test_size"] = 1.5


@hostile("masked-array-mask-shape", _grid_passthrough, "numpy.ma.MaskedArray",
         "ReconstructionError", "mask must be nil or a bool array of shape")
def _(parts: Any, node: dict[str, Any]) -> None:
    mask = node["mask"]
    parts.set_array(mask, parts.array(mask)[:1])


@functools.cache
def _mlp(solver: str = "adam") -> tuple[Any, np.ndarray]:
    return _fit(neural_network.MLPClassifier((4,), solver=solver, max_iter=5, random_state=0),
                X, Y3), X


MLP = "sklearn.neural_network.MLPClassifier"


@hostile("mlp-layers-do-not-chain", _mlp, MLP, "ReconstructionError", "layer shapes do not chain")
def _(parts: Any, node: dict[str, Any]) -> None:
    coef = node["state"]["coefs_"][1]
    parts.set_array(coef, parts.array(coef)[:2])


@hostile("mlp-out-activation", _mlp, MLP, "ReconstructionError", "out_activation_ must be",
         in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["out_activation_"] = "__class__"


@hostile("mlp-optimizer-shapes", _mlp, MLP, "ReconstructionError",
         "optimizer's state does not match", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    optimizer = node["state"]["_optimizer"]
    for key in ("ms", "vs"):
        parts.set_array(optimizer[key][0], parts.array(optimizer[key][0])[:, :1])


@hostile("adam-ms-vs", _mlp, "sklearn.neural_network.AdamOptimizer", "ReconstructionError",
         "ms and vs must hold arrays of the same shapes")
def _(parts: Any, node: dict[str, Any]) -> None:
    parts.set_array(node["vs"][0], parts.array(node["vs"][0])[:1])


@hostile("adam-step", _mlp, "sklearn.neural_network.AdamOptimizer", "ReconstructionError",
         "t must be a non-negative int", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["t"] = -1


@hostile("adam-floats", _mlp, "sklearn.neural_network.AdamOptimizer", "ReconstructionError",
         "beta_1 must be a real number", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["beta_1"] = "0.9"


@hostile("sgd-optimizer-schedule", lambda: _mlp("sgd"), "sklearn.neural_network.SGDOptimizer",
         "ReconstructionError", "lr_schedule must be", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["lr_schedule"] = "fast"


@hostile("sgd-optimizer-nesterov", lambda: _mlp("sgd"), "sklearn.neural_network.SGDOptimizer",
         "ReconstructionError", "nesterov must be a bool", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["nesterov"] = 1


@hostile("sgd-optimizer-velocities", lambda: _mlp("sgd"),
         "sklearn.neural_network.SGDOptimizer", "ReconstructionError",
         "velocities must be a list of float arrays")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["velocities"] = [1, 2]


FT = "sklearn.preprocessing.FunctionTransformer"


@hostile("function-transformer-func",
         lambda: CASES["TransformedTargetRegressor-func"](), FT, "ReconstructionError",
         "func must be nil or an allowlisted function")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["params"]["inverse_func"] = {"@": "type", "name": "numpy.str_"}


@functools.cache
def _routed() -> tuple[Any, np.ndarray]:
    with sklearn.config_context(enable_metadata_routing=True):
        model = linear_model.LogisticRegression().set_fit_request(sample_weight=True)
    return _fit(model, X, Y2), X


MR = "sklearn.utils.MetadataRequest"


@hostile("metadata-request-methods", _routed, MR, "ReconstructionError",
         "requests must map exactly the methods")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["requests"]["keys"][0] = "__init__"


@hostile("metadata-request-aliases", _routed, MR, "ReconstructionError",
         "must map str to bool, nil or str", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["requests"]["values"][0] = {"@": "dict", "keys": ["sample_weight"], "values": [3]}


@hostile("metadata-request-owner", _routed, MR, "ReconstructionError",
         "owner must be nil or a short string", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["owner"] = 5


@hostile("bunch-keys", lambda: (Bunch(a=1, b=2), X), "sklearn.utils.Bunch",
         "ReconstructionError", "keys must be distinct strings")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["keys"] = ["a", "a"]


@hostile("passthrough-scorer-estimator",
         lambda: (SEARCHES["grid-default-scorer"]()[0].fit(X, Y2), X),
         "sklearn.metrics._PassthroughScorer", "ReconstructionError",
         "estimator must be an estimator")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["estimator"] = "nope"


@hostile("onehot-n-features-outs-type", lambda: _one_hot(), OHE, "ReconstructionError",
         "_n_features_outs must be a list of n_features_in_ sizes")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["_n_features_outs"][0] = "4"


@hostile("onehot-infrequent-enabled", lambda: _one_hot(), OHE, "ReconstructionError",
         "_infrequent_enabled must be a bool")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["_infrequent_enabled"] = 1


@hostile("onehot-infrequent-state-length",
         lambda: _one_hot(max_categories=2, handle_unknown="infrequent_if_exist"), OHE,
         "ReconstructionError", "one entry per feature")
def _(parts: Any, node: dict[str, Any]) -> None:
    del node["state"]["_default_to_infrequent_mappings"][-1]


@hostile("onehot-drop-shape", lambda: _one_hot(drop="first"), OHE, "ReconstructionError",
         "_drop_idx_after_grouping must be nil or one index")
def _(parts: Any, node: dict[str, Any]) -> None:
    for key in ("_drop_idx_after_grouping", "drop_idx_"):
        if "items" in node["state"][key]:
            _set_items(node["state"][key], [0, 0, 0])


@hostile("onehot-infrequent-mapping-shape",
         lambda: _one_hot(max_categories=2, handle_unknown="infrequent_if_exist"), OHE,
         "ReconstructionError", "must map each of the")
def _(parts: Any, node: dict[str, Any]) -> None:
    mapping = node["state"]["_default_to_infrequent_mappings"][0]
    parts.set_array(mapping, parts.array(mapping)[:-1])



@hostile("polynomial-n-features-in",
         lambda: (_fit(preprocessing.PolynomialFeatures(2), X), X), POLY,
         "ReconstructionError", "n_features_in_ must be a positive int")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["state"]["n_features_in_"] = 0


@hostile("polynomial-degree-shape",
         lambda: (_fit(preprocessing.PolynomialFeatures(2), X), X), POLY,
         "ReconstructionError", "degree must be an int or a (min, max) pair")
def _(parts: Any, node: dict[str, Any]) -> None:
    node["params"]["degree"] = {"@": "tuple", "items": [1, 2, 3]}


@hostile("scorer-kwargs", _grid_accuracy, SCORER, "ReconstructionError",
         "kwargs must be a dict with str keys", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["kwargs"] = {"@": "dict", "keys": [1], "values": [2]}


@hostile("scorer-metadata-request", _grid_accuracy, SCORER, "ReconstructionError",
         "metadata_request must be a MetadataRequest", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["metadata_request"] = {"@": "dict", "keys": [], "values": []}
    ordered = sorted(node.items())  # node keys stay in canonical order
    node.clear()
    node.update(ordered)


@hostile("splitter-shuffle", _grid_passthrough, "sklearn.model_selection.StratifiedKFold",
         "ReconstructionError", "shuffle must be a bool", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["shuffle"] = "yes"


@hostile("shuffle-split-n-splits",
         _grid_shuffle_split,
         "sklearn.model_selection.ShuffleSplit", "ReconstructionError",
         "n_splits must be a positive int", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["n_splits"] = 0


MASKED = "numpy.ma.MaskedArray"


@hostile("masked-array-data", _grid_passthrough, MASKED, "ReconstructionError",
         "data must be an array without fields", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["data"] = 5


@hostile("masked-array-fill-value", _grid_passthrough, MASKED, "ReconstructionError",
         "fill_value must be nil or a 0-d array", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["fill_value"] = [1.0]


@hostile("masked-array-hard-mask", _grid_passthrough, MASKED, "ReconstructionError",
         "hard_mask must be a bool", in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["hard_mask"] = 0


@hostile("bunch-lengths", lambda: (Bunch(a=1, b=2), X), "sklearn.utils.Bunch",
         "ReconstructionError", "keys and values must be arrays of the same length",
         in_subprocess=False)
def _(parts: Any, node: dict[str, Any]) -> None:
    node["keys"] = ["a"]


def _hostile_file(name: str) -> tuple[bytes, Any]:
    make, tag, edit, *_ = HOSTILE[name]
    model, data = make()
    original = paramseal.dumps(model)
    assert type(paramseal.loads(original)) is type(model)  # the untouched file loads
    parts = testkit.unpack(original)
    nodes = testkit.find(parts, tag)
    assert nodes, f"no {tag} node"
    edit(parts, nodes[0])
    return testkit.pack(parts), data


SUBPROCESS_CASES = sorted(name for name, case in HOSTILE.items() if case[5])
IN_PROCESS_CASES = sorted(name for name, case in HOSTILE.items() if not case[5])


@pytest.fixture(scope="module")
def hostile_outcomes(tmp_path_factory: Any) -> dict[str, BaseException | None]:
    """The subprocess cases, each checked with assert_rejected, several at a time."""
    def check(name: str) -> BaseException | None:
        try:
            hostile_data, data = files[name]
            error, match = HOSTILE[name][3:5]
            assert_rejected(hostile_data, data, tmp_path_factory.mktemp(name), error=error,
                            match=match)
        except BaseException as exc:  # re-raised by the case's own test
            return exc
        return None

    files: dict[str, Any] = {}
    failures: dict[str, BaseException | None] = {}
    for name in SUBPROCESS_CASES:  # built here, before the threads run
        try:
            files[name] = _hostile_file(name)
        except BaseException as exc:
            failures[name] = exc
    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        outcomes = dict(zip(list(files), pool.map(check, list(files)), strict=True))
    return {**outcomes, **failures}


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_hostile_file_is_rejected(name: str, hostile_outcomes: dict[str, Any]) -> None:
    outcome = hostile_outcomes[name]
    if outcome is not None:
        raise outcome


@pytest.mark.parametrize("name", IN_PROCESS_CASES)
def test_hostile_helper_fields_are_rejected(name: str) -> None:
    hostile_data, _ = _hostile_file(name)
    error, match = HOSTILE[name][3:5]
    with pytest.raises(getattr(errors, error)) as info:
        paramseal.loads(hostile_data)
    assert match in str(info.value)


def test_vectorizer_key_that_is_not_a_string_is_harmless() -> None:
    """Only vocabulary_ values reach native code; a non-str key just never matches a token."""
    model, X = _count_vectorizer()
    parts = testkit.unpack(paramseal.dumps(model))
    (node,) = testkit.find(parts, "sklearn.feature_extraction.CountVectorizer")
    node["state"]["vocabulary_"]["keys"][0] = 12
    loaded = paramseal.loads(testkit.pack(parts))
    assert loaded.predict(X).shape == model.predict(X).shape
