"""The allowlisted scikit-learn estimator classes and their validators (spec/format.md §6.5).

Every class listed here is safe to rebuild: either its state is plain data (numpy does all the
indexing, with bounds checks), or its validator, registered beside it, checks every value that
native code indexes with.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..registry import Registry
from . import _validators as V
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
        naive_bayes,
        pipeline,
        preprocessing,
    )

    return [
        # linear models: coef_ @ X in numpy
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
        # preprocessing and imputation
        preprocessing.StandardScaler,
        preprocessing.MinMaxScaler,
        preprocessing.MaxAbsScaler,
        preprocessing.RobustScaler,
        preprocessing.OneHotEncoder,
        preprocessing.OrdinalEncoder,
        preprocessing.LabelEncoder,
        preprocessing.LabelBinarizer,
        preprocessing.PolynomialFeatures,
        impute.SimpleImputer,
        # decompositions
        decomposition.PCA,
        decomposition.TruncatedSVD,
        # text
        feature_extraction.text.CountVectorizer,
        feature_extraction.text.TfidfVectorizer,
        feature_extraction.text.TfidfTransformer,
        # composition
        pipeline.Pipeline,
        pipeline.FeatureUnion,
        compose.ColumnTransformer,
        compose.TransformedTargetRegressor,
        dummy.DummyClassifier,
        dummy.DummyRegressor,
    ]


def _validated_classes() -> dict[type, Validator]:
    return V.validators()


def register(registry: Registry) -> None:
    from . import tag_for

    for cls in _plain_classes():
        registry.add(estimator_entry(cls, tag_for(cls)))
    for cls, validate in _validated_classes().items():
        registry.add(estimator_entry(cls, tag_for(cls), validate))
