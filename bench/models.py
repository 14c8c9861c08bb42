"""The eight benchmark models of shared/research/peers-results.md, fitted once and cached.

Shapes and hyperparameters follow the "Models" table of peers-results.md (linreg, logreg, rf,
hgb, knn, tfidf_lr, mlp, pipe). The script that produced that table (bench/peers.py) is not in
this repository, so the data generators below are a reconstruction from its recorded details
(train shapes, class counts, tree/iteration counts, vocabulary size, pickle sizes); every
random draw is seeded, so the same versions of numpy and scikit-learn give the same models.

Fitted models are cached as pickle files under ``bench/results/cache/`` (git-ignored). Pickle
is fine here: the cache is written and read only by this benchmark on this machine, it is a
trusted file, and it keeps the fit (about two minutes on two cores) out of the measurements.
The cache key holds ``SPEC_VERSION`` and the Python, numpy, scipy and scikit-learn versions;
bump ``SPEC_VERSION`` when a definition below changes.
"""

from __future__ import annotations

import json
import os
import pickle
import platform
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

#: Change when a model definition changes: it invalidates the cache.
SPEC_VERSION = 1

NAMES = ("linreg", "logreg", "rf", "hgb", "knn", "tfidf_lr", "mlp", "pipe")

DEFAULT_CACHE = Path(__file__).resolve().parent / "results" / "cache"


@dataclass
class Fitted:
    """A fitted model, the held-out rows its predictions are checked on, and how it was made."""

    name: str
    model: Any
    X_test: Any
    details: dict[str, Any] = field(default_factory=dict)
    fit_s: float = 0.0
    cached: bool = False


def _split(X: Any, y: Any, n_train: int) -> tuple[Any, Any, Any]:
    return X[:n_train], y[:n_train], X[n_train:]


# -- the eight definitions -------------------------------------------------------------------
# Each returns (unfitted model, X_train, y_train, X_test, details).


def _linreg() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.datasets import make_regression
    from sklearn.linear_model import LinearRegression

    n = 10_000
    X, y = make_regression(n_samples=n + 200, n_features=100, noise=1.0, random_state=0)
    X_tr, y_tr, X_te = _split(X, y, n)
    return LinearRegression(), X_tr, y_tr, X_te, {"train_shape": [n, 100]}


def _logreg() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    n = 10_000
    X, y = make_classification(
        n_samples=n + 500, n_features=200, n_informative=60, n_classes=20,
        n_clusters_per_class=1, random_state=0,
    )
    X_tr, y_tr, X_te = _split(X, y, n)
    model = LogisticRegression(max_iter=1000)
    details = {"train_shape": [n, 200], "n_classes": 20, "loss": "multinomial (lbfgs default)"}
    return model, X_tr, y_tr, X_te, details


def _rf() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import RandomForestClassifier

    n = 20_000
    X, y = make_classification(
        n_samples=n + 500, n_features=20, n_informative=10, n_classes=5, random_state=0,
    )
    X_tr, y_tr, X_te = _split(X, y, n)
    model = RandomForestClassifier(n_estimators=300, random_state=0)
    return model, X_tr, y_tr, X_te, {"train_shape": [n, 20], "n_classes": 5, "n_estimators": 300}


def _hgb() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.datasets import make_classification
    from sklearn.ensemble import HistGradientBoostingClassifier

    n = 50_000
    X, y = make_classification(
        n_samples=n + 500, n_features=30, n_informative=15, n_classes=3, random_state=0,
    )
    X_tr, y_tr, X_te = _split(X, y, n)
    model = HistGradientBoostingClassifier(max_iter=200, early_stopping=False, random_state=0)
    details = {"train_shape": [n, 30], "n_classes": 3, "n_iter": 200, "early_stopping": False}
    return model, X_tr, y_tr, X_te, details


def _knn() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.neighbors import KNeighborsClassifier

    n, n_test = 200_000, 50  # kd_tree queries in 50 dimensions are slow: few test rows
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n + n_test, 50))
    y = rng.integers(0, 5, size=n + n_test)
    X_tr, y_tr, X_te = _split(X, y, n)
    model = KNeighborsClassifier(algorithm="kd_tree")
    details = {"train_shape": [n, 50], "dtype": "float64", "algorithm": "kd_tree", "n_classes": 5}
    return model, X_tr, y_tr, X_te, details


def _vocabulary(rng: np.random.Generator, size: int) -> list[str]:
    """``size`` distinct lowercase words of 3 to 10 letters, in a seeded order."""
    words: dict[str, None] = {}
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    while len(words) < size:
        lengths = rng.integers(3, 11, size=size)
        codes = rng.integers(0, 26, size=(size, 10))
        for length, row in zip(lengths, codes, strict=True):
            words.setdefault("".join(letters[row[:length]]), None)
            if len(words) == size:
                break
    return list(words)


def _tfidf_lr() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline

    n, n_test, n_words, n_classes = 20_000, 500, 100_000, 4
    rng = np.random.default_rng(0)
    vocab = np.array(_vocabulary(rng, n_words))
    # Each class prefers its own slice of 2,000 words (a fifth of each document's words);
    # the rest are drawn uniformly from the whole vocabulary.
    docs: list[str] = []
    labels = rng.integers(0, n_classes, size=n + n_test)
    for label in labels:
        length = int(rng.integers(24, 73))
        n_topic = length // 5
        topic = rng.integers(0, 2_000, size=n_topic) + 2_000 * int(label)
        common = rng.integers(0, n_words, size=length - n_topic)
        docs.append(" ".join(vocab[np.concatenate([topic, common])]))
    X_tr, y_tr, X_te = docs[:n], labels[:n], docs[n:]
    model = Pipeline([
        ("tfidf", TfidfVectorizer()),
        ("lr", LogisticRegression(max_iter=1000)),
    ])
    details = {"train_docs": n, "vocab_words_drawn_from": n_words, "n_classes": n_classes}
    return model, X_tr, y_tr, X_te, details


def _mlp() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.datasets import make_classification
    from sklearn.neural_network import MLPClassifier

    n = 20_000
    X, y = make_classification(
        n_samples=n + 500, n_features=100, n_informative=50, n_classes=10, random_state=0,
    )
    X_tr, y_tr, X_te = _split(X, y, n)
    # Two hidden layers of 512: 2.5 MB of weights, plus Adam's moments and _best_coefs (10 MB
    # pickled, as in peers-results); a few epochs only (it does not converge, on purpose).
    model = MLPClassifier(hidden_layer_sizes=(512, 512), max_iter=5, random_state=0)
    details = {"train_shape": [n, 100], "n_classes": 10, "hidden_layer_sizes": [512, 512],
               "max_iter": 5}
    return model, X_tr, y_tr, X_te, details


def _pipe() -> tuple[Any, Any, Any, Any, dict[str, Any]]:
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import GradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    n, n_test = 20_000, 500
    rng = np.random.default_rng(0)
    numeric = [f"num{i}" for i in range(8)]
    levels = {"city": 50, "device": 8, "plan": 20}
    num = rng.standard_normal((n + n_test, 8))
    cats = {c: rng.integers(0, k, size=n + n_test) for c, k in levels.items()}
    score = num @ rng.standard_normal(8)
    for c, k in levels.items():
        score += rng.standard_normal(k)[cats[c]]
    y = (score + rng.standard_normal(n + n_test) > 0).astype(np.int64)
    columns: dict[str, Any] = {name: num[:, i] for i, name in enumerate(numeric)}
    columns.update({c: np.array([f"{c}_{v:02d}" for v in cats[c]], dtype=object)
                    for c in levels})
    try:
        import pandas as pd
    except ImportError:  # fall back to an object array selected by column position
        pd = None
    if pd is not None:
        frame = pd.DataFrame(columns)
        X_tr, X_te = frame.iloc[:n], frame.iloc[n:]
        num_sel: list[Any] = numeric
        cat_sel: list[Any] = list(levels)
        kind = "pandas.DataFrame"
    else:
        table = np.empty((n + n_test, 8 + len(levels)), dtype=object)
        for j, name in enumerate([*numeric, *levels]):
            table[:, j] = columns[name]
        X_tr, X_te = table[:n], table[n:]
        num_sel = list(range(8))
        cat_sel = list(range(8, 8 + len(levels)))
        kind = "numpy object array (pandas is not installed; peers-results used a DataFrame)"
    prep = ColumnTransformer([
        ("num", StandardScaler(), num_sel),
        ("cat", OneHotEncoder(handle_unknown="ignore"), cat_sel),
    ])
    model = Pipeline([("prep", prep),
                      ("gbc", GradientBoostingClassifier(n_estimators=100, random_state=0))])
    details = {"train_rows": n, "numeric_cols": 8, "categorical_cols": levels, "input": kind}
    return model, X_tr, y[:n], X_te, details


BUILDERS: dict[str, Callable[[], tuple[Any, Any, Any, Any, dict[str, Any]]]] = {
    "linreg": _linreg,
    "logreg": _logreg,
    "rf": _rf,
    "hgb": _hgb,
    "knn": _knn,
    "tfidf_lr": _tfidf_lr,
    "mlp": _mlp,
    "pipe": _pipe,
}


def _extra_details(name: str, model: Any) -> dict[str, Any]:
    if name == "rf":
        return {"total_nodes": int(sum(t.tree_.node_count for t in model.estimators_))}
    if name == "hgb":
        return {"n_predictors": int(sum(len(p) for p in model._predictors))}
    if name == "tfidf_lr":
        return {"vocabulary_size": len(model.named_steps["tfidf"].vocabulary_)}
    if name == "pipe":
        return {"n_estimators": len(model.named_steps["gbc"].estimators_)}
    return {}


def cache_key() -> dict[str, Any]:
    import scipy
    import sklearn

    try:
        import pandas

        pandas_version: str | None = pandas.__version__
    except ImportError:
        pandas_version = None
    return {
        "spec_version": SPEC_VERSION,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pandas_version,
    }


def fit(name: str) -> Fitted:
    """Build and fit one model (no cache)."""
    model, X_tr, y_tr, X_te, details = BUILDERS[name]()
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning (mlp, logreg) is expected
        model.fit(X_tr, y_tr)
    fit_s = time.perf_counter() - t0
    details.update(_extra_details(name, model))
    return Fitted(name, model, X_te, details, fit_s)


def get(name: str, cache_dir: Path = DEFAULT_CACHE, *, refit: bool = False) -> Fitted:
    """The fitted model ``name``, from the cache when its key matches, else fitted and cached."""
    if name not in BUILDERS:
        raise KeyError(f"unknown model {name!r}; expected one of {', '.join(NAMES)}")
    path = cache_dir / f"{name}.pkl"
    meta_path = cache_dir / f"{name}.json"
    key = cache_key()
    if not refit and path.exists() and meta_path.exists():
        meta = json.loads(meta_path.read_text())
        if meta.get("key") == key:
            with open(path, "rb") as f:  # trusted: written by fit() below, on this machine
                state = pickle.load(f)
            return Fitted(name, state["model"], state["X_test"], meta["details"], meta["fit_s"],
                          cached=True)
    fitted = fit(name)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".pkl.tmp")
    with open(tmp, "wb") as f:
        # a plain dict, so the cache does not depend on how this module was imported
        pickle.dump({"model": fitted.model, "X_test": fitted.X_test}, f, protocol=5)
    os.replace(tmp, path)
    meta = {"key": key, "fit_s": fitted.fit_s, "details": fitted.details}
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return fitted
