"""The allowlisted scikit-learn estimator classes and their validators (spec/format.md §6.5).

Every class listed here is safe to rebuild: either its state is plain data (numpy does all the
indexing, with bounds checks), or its validator, registered beside it, checks every value that
native code indexes with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from ._estimator import estimator_entry

Validator = Callable[[Any, str], None]


def _plain_classes() -> list[type]:
    from sklearn import (
        compose,
        decomposition,
        dummy,
        feature_extraction,
        impute,
        linear_model,
        model_selection,
        naive_bayes,
        pipeline,
        preprocessing,
    )

    return [
        # linear models: coef_ @ X in numpy (SGD and the others with native state: _linear)
        linear_model.LinearRegression,
        linear_model.Ridge,
        linear_model.RidgeClassifier,
        linear_model.Lasso,
        linear_model.ElasticNet,
        linear_model.LogisticRegression,
        # naive Bayes
        naive_bayes.GaussianNB,
        naive_bayes.MultinomialNB,
        naive_bayes.BernoulliNB,
        naive_bayes.ComplementNB,
        naive_bayes.CategoricalNB,
        # preprocessing and imputation (OneHotEncoder and PolynomialFeatures: see _misc)
        preprocessing.StandardScaler,
        preprocessing.MinMaxScaler,
        preprocessing.MaxAbsScaler,
        preprocessing.RobustScaler,
        preprocessing.OrdinalEncoder,
        preprocessing.LabelEncoder,
        preprocessing.LabelBinarizer,
        impute.SimpleImputer,
        impute.MissingIndicator,
        # decompositions
        decomposition.PCA,
        decomposition.TruncatedSVD,
        # text (the vectorizers, whose vocabulary_ gives CSR indices: see _misc)
        feature_extraction.text.TfidfTransformer,
        # composition
        pipeline.Pipeline,
        pipeline.FeatureUnion,
        compose.ColumnTransformer,
        compose.TransformedTargetRegressor,
        dummy.DummyClassifier,
        dummy.DummyRegressor,
        # searches: inference goes to best_estimator_; scorers and splitters are in _misc
        model_selection.GridSearchCV,
        model_selection.RandomizedSearchCV,
    ]


def register(registry: Registry) -> None:
    from . import (
        _cluster,
        _decomposition,
        _hgb,
        _linear,
        _meta,
        _misc,
        _neighbors,
        _preprocessing,
        _svm,
        _tree,
        tag_for,
    )

    for cls in _plain_classes():
        registry.add(estimator_entry(cls, tag_for(cls)))
    # Families whose state reaches native code: each registers its classes with validators.
    for family in (_tree, _neighbors, _svm, _cluster, _hgb, _misc, _linear, _preprocessing,
                   _decomposition, _meta):
        family.register(registry)
