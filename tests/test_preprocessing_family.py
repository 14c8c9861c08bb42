"""Preprocessing, feature extraction, isotonic regression, kernel approximation and random
projections: round trips, the coverage harness, and a hostile file for every invariant that
src/paramseal/sklearn/_preprocessing.py enforces (spec: notes/spec-preprocessing.md)."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import testkit
from conftest import HostileBatch, assert_same_outputs, outputs, roundtrip
from conftest import edit_array as _array
from conftest import edit_value as _value
from scipy.interpolate import BSpline
from sklearn import isotonic, kernel_approximation, preprocessing, random_projection
from sklearn.feature_extraction import DictVectorizer, FeatureHasher, image, text

import paramseal
from paramseal import errors

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 4))
XQ = np.r_[X[:10], RNG.normal(scale=3.0, size=(5, 4))]
X_POS = np.abs(X) + 0.25
Y3 = np.digitize(X[:, 0] - X[:, 2], [-0.5, 0.5]).astype(np.int64)
YR = X @ np.array([1.0, -2.0, 0.5, 3.0])
X_CAT = RNG.randint(0, 4, size=(60, 3)).astype(np.float64)
NAMES = np.array(["ant", "bee", "cat", "dog"], dtype=object)
S_CAT = NAMES[RNG.randint(0, 4, size=(60, 2))]
X_NAN = X.copy()
X_NAN[::7, 1] = np.nan
X1 = np.sort(RNG.uniform(-2, 2, size=40))
Y1 = X1 + RNG.normal(scale=0.5, size=40)
X1Q = np.r_[X1[:10], -5.0, 5.0, 0.123]
K = X @ X.T
KQ = XQ @ X.T
RECORDS = [{"colour": c, "size": float(s), "tags": ["x", "y"][: s % 3]}
           for c, s in zip(["red", "green", "blue"] * 6, range(18), strict=True)]
RECORDS_Q = [*RECORDS[:5], {"colour": "violet", "size": 2.0, "new": 1.0}]
DOCS = ["the cat sat on the mat", "the dog ate my homework", "a cat and a dog met"] * 3
LABEL_SETS = [{"ant", "bee"}, {"cat"}, set(), {"bee", "dog"}] * 3
IMAGES = RNG.uniform(size=(3, 8, 8))


def _fit(est: Any, *args: Any) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(*args)


def _sorted_projection(**kwargs: Any) -> Any:
    model = _fit(random_projection.SparseRandomProjection(random_state=0, **kwargs), X)
    model.components_.sort_indices()
    return model


# ---------------------------------------------------------------- round trips

CASES: dict[str, Callable[[], tuple[Any, Any]]] = {
    "Binarizer": lambda: (_fit(preprocessing.Binarizer(threshold=0.5), X), XQ),
    "Normalizer-l1": lambda: (_fit(preprocessing.Normalizer("l1"), X), XQ),
    "Normalizer-max-sparse": lambda: (_fit(preprocessing.Normalizer("max"), X),
                                      sp.csr_matrix(np.where(XQ > 0, XQ, 0))),
    "KBins-quantile-onehot": lambda: (_fit(preprocessing.KBinsDiscretizer(5), X), XQ),
    "KBins-uniform-ordinal": lambda: (
        _fit(preprocessing.KBinsDiscretizer(4, encode="ordinal", strategy="uniform"), X), XQ),
    "KBins-kmeans-dense-f32": lambda: (
        _fit(preprocessing.KBinsDiscretizer(3, encode="onehot-dense", strategy="kmeans",
                                            dtype=np.float32), X), XQ),
    "KBins-constant-column": lambda: (
        _fit(preprocessing.KBinsDiscretizer([2, 3, 4, 5], strategy="uniform"),
             np.c_[X[:, :3], np.ones(60)]), np.c_[XQ[:, :3], np.arange(15.0)]),
    "KernelCenterer": lambda: (_fit(preprocessing.KernelCenterer(), K), KQ),
    "MultiLabelBinarizer": lambda: (_fit(preprocessing.MultiLabelBinarizer(), LABEL_SETS),
                                    [*LABEL_SETS[:4], {"ant", "dog"}]),
    "MultiLabelBinarizer-ints-sparse": lambda: (
        _fit(preprocessing.MultiLabelBinarizer(classes=[3, 1, 2], sparse_output=True),
             [[1], [2, 3]]), [[3], [1, 2], []]),
    "PowerTransformer-yeo-johnson": lambda: (_fit(preprocessing.PowerTransformer(), X), XQ),
    "PowerTransformer-box-cox-raw": lambda: (
        _fit(preprocessing.PowerTransformer("box-cox", standardize=False), X_POS),
        np.abs(XQ) + 0.1),
    "QuantileTransformer-normal": lambda: (
        _fit(preprocessing.QuantileTransformer(n_quantiles=20, output_distribution="normal",
                                               random_state=0), X), XQ),
    "QuantileTransformer-nan": lambda: (
        _fit(preprocessing.QuantileTransformer(n_quantiles=60), X_NAN), X_NAN[:15]),
    "QuantileTransformer-sparse": lambda: (
        _fit(preprocessing.QuantileTransformer(n_quantiles=10),
             sp.csc_matrix(np.where(X > 0, X, 0))), sp.csc_matrix(np.where(XQ > 0, XQ, 0))),
    "Spline-default": lambda: (_fit(preprocessing.SplineTransformer(), X), XQ),
    "Spline-periodic-quantile": lambda: (
        _fit(preprocessing.SplineTransformer(n_knots=6, degree=2, knots="quantile",
                                             extrapolation="periodic"), X), XQ),
    "Spline-continue-nobias": lambda: (
        _fit(preprocessing.SplineTransformer(degree=4, extrapolation="continue",
                                             include_bias=False), X), XQ),
    "Spline-linear-F": lambda: (
        _fit(preprocessing.SplineTransformer(degree=1, n_knots=3, extrapolation="linear",
                                             order="F"), X), XQ),
    "Spline-sparse-periodic": lambda: (
        _fit(preprocessing.SplineTransformer(extrapolation="periodic", sparse_output=True),
             X), XQ),
    "Spline-degree0-explicit-knots": lambda: (
        _fit(preprocessing.SplineTransformer(degree=0, knots=np.linspace(-3, 3, 5)[:, None]
                                             * np.ones(4), extrapolation="constant"), X), XQ),
    "Spline-missing-zeros": lambda: (
        _fit(preprocessing.SplineTransformer(handle_missing="zeros"), X_NAN), X_NAN[:15]),
    "TargetEncoder-continuous": lambda: (
        _fit(preprocessing.TargetEncoder(random_state=0), X_CAT, YR), X_CAT[:10]),
    "TargetEncoder-binary-smooth": lambda: (
        _fit(preprocessing.TargetEncoder(smooth=2.0, cv=3, random_state=0), X_CAT, Y3 > 0),
        np.r_[X_CAT[:10], [[9.0, 1.0, 2.0]]]),
    "TargetEncoder-multiclass-strings": lambda: (
        _fit(preprocessing.TargetEncoder(random_state=0), S_CAT, NAMES[Y3]),
        np.r_[S_CAT[:8], [["eel", "ant"]]]),
    "DictVectorizer": lambda: (_fit(DictVectorizer(), RECORDS), RECORDS_Q),
    "DictVectorizer-dense-unsorted": lambda: (
        _fit(DictVectorizer(sparse=False, sort=False, separator=":"), RECORDS), RECORDS_Q),
    "FeatureHasher": lambda: (_fit(FeatureHasher(n_features=16), RECORDS[:3]),
                              [{"colour": 1.0, "size": 2.0}, {"q": -3.0}]),
    "FeatureHasher-strings": lambda: (
        _fit(FeatureHasher(8, input_type="string", alternate_sign=False), [["a"]]),
        [["a", "b", "a"], ["zz"]]),
    "HashingVectorizer": lambda: (_fit(text.HashingVectorizer(n_features=64), DOCS), DOCS),
    "HashingVectorizer-char-binary": lambda: (
        _fit(text.HashingVectorizer(analyzer="char_wb", ngram_range=(2, 3), binary=True,
                                    norm=None, n_features=2**10), DOCS), DOCS),
    "PatchExtractor-max-patches": lambda: (
        _fit(image.PatchExtractor(patch_size=(2, 3), max_patches=5, random_state=0), IMAGES),
        IMAGES),
    "PatchExtractor-default": lambda: (_fit(image.PatchExtractor(), IMAGES), IMAGES),
    "Isotonic": lambda: (_fit(isotonic.IsotonicRegression(), X1, Y1), X1Q),
    "Isotonic-auto-clip": lambda: (
        _fit(isotonic.IsotonicRegression(increasing="auto", out_of_bounds="clip",
                                         y_min=-1.0, y_max=1.5), X1, -Y1), X1Q),
    "Isotonic-float32": lambda: (
        _fit(isotonic.IsotonicRegression(), X1.astype(np.float32), Y1.astype(np.float32)),
        X1Q.astype(np.float32)),
    "Isotonic-single-point": lambda: (
        _fit(isotonic.IsotonicRegression(), np.ones(5), np.arange(5.0)), X1Q),
    "AdditiveChi2Sampler": lambda: (
        _fit(kernel_approximation.AdditiveChi2Sampler(sample_steps=3), X_POS), X_POS[:10]),
    "AdditiveChi2Sampler-interval": lambda: (
        _fit(kernel_approximation.AdditiveChi2Sampler(sample_steps=5, sample_interval=0.3),
             X_POS), sp.csr_matrix(X_POS[:10])),
    "Nystroem-rbf": lambda: (
        _fit(kernel_approximation.Nystroem(n_components=20, random_state=0), X), XQ),
    "Nystroem-poly": lambda: (
        _fit(kernel_approximation.Nystroem("polynomial", degree=3, coef0=1.0, n_components=10,
                                           random_state=0), X), XQ),
    "Nystroem-chi2": lambda: (
        _fit(kernel_approximation.Nystroem("additive_chi2", n_components=8, random_state=0),
             X_POS), X_POS[:10]),
    "PolynomialCountSketch": lambda: (
        _fit(kernel_approximation.PolynomialCountSketch(n_components=16, random_state=0), X),
        XQ),
    "PolynomialCountSketch-coef0-sparse": lambda: (
        _fit(kernel_approximation.PolynomialCountSketch(degree=3, coef0=1.0, n_components=8,
                                                        random_state=0), X),
        sp.csc_matrix(np.where(XQ > 0, XQ, 0))),
    "RBFSampler-scale": lambda: (
        _fit(kernel_approximation.RBFSampler(gamma="scale", n_components=12, random_state=0),
             X), XQ),
    "SkewedChi2Sampler": lambda: (
        _fit(kernel_approximation.SkewedChi2Sampler(skewedness=3.0, n_components=12,
                                                    random_state=0), X), XQ),
    "GaussianRandomProjection-inverse": lambda: (
        _fit(random_projection.GaussianRandomProjection(3, compute_inverse_components=True,
                                                        random_state=0), X), XQ),
    "SparseRandomProjection": lambda: (
        _fit(random_projection.SparseRandomProjection(3, random_state=0), X), XQ),
    "SparseRandomProjection-dense-inverse": lambda: (
        _fit(random_projection.SparseRandomProjection(
            2, density=0.5, dense_output=True, compute_inverse_components=True,
            random_state=1), X), sp.csr_matrix(XQ)),
    "SparseRandomProjection-density-1": lambda: (
        _fit(random_projection.SparseRandomProjection(3, density=1.0, random_state=0), X), XQ),
    "SparseRandomProjection-sorted": lambda: (_sorted_projection(n_components=3), XQ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_roundtrip(name: str) -> None:
    model, x = CASES[name]()
    roundtrip(model, x)


MY_CLASSES = frozenset({
    "Binarizer", "KBinsDiscretizer", "KernelCenterer", "MultiLabelBinarizer", "Normalizer",
    "PowerTransformer", "QuantileTransformer", "SplineTransformer", "TargetEncoder",
    "DictVectorizer", "FeatureHasher", "HashingVectorizer", "PatchExtractor",
    "IsotonicRegression", "AdditiveChi2Sampler", "Nystroem", "PolynomialCountSketch",
    "RBFSampler", "SkewedChi2Sampler", "GaussianRandomProjection", "SparseRandomProjection",
})


def _coverage_cases() -> list[Any]:
    from paramseal.sklearn import coverage

    return [c for c in coverage.cases()
            if c.class_name in MY_CLASSES or c.id == "OneHotEncoder-strings"]


@pytest.mark.parametrize("case", _coverage_cases(), ids=lambda c: c.id)
def test_coverage_harness(case: Any) -> None:
    from paramseal.sklearn import coverage

    result = coverage.run_case(case)
    assert result.status == "ok", result.detail


def test_coverage_lists_every_class_of_the_family() -> None:
    assert {c.class_name for c in _coverage_cases()} == MY_CLASSES | {"OneHotEncoder"}


@pytest.mark.parametrize("cls", [
    preprocessing.KBinsDiscretizer, preprocessing.SplineTransformer,
    preprocessing.TargetEncoder, preprocessing.MultiLabelBinarizer,
    isotonic.IsotonicRegression, DictVectorizer, kernel_approximation.Nystroem,
    kernel_approximation.PolynomialCountSketch, random_projection.SparseRandomProjection,
], ids=lambda c: c.__name__)
def test_unfitted_roundtrip(cls: Any) -> None:
    model = cls()
    loaded = paramseal.loads(paramseal.dumps(model))
    assert type(loaded) is cls and vars(loaded).keys() == vars(model).keys()


def test_bspline_rebuilt_by_its_constructor() -> None:
    model, _ = CASES["Spline-default"]()
    data = paramseal.dumps(model)
    parts = testkit.unpack(data)
    nodes = testkit.find(parts, "scipy.interpolate.BSpline")
    assert len(nodes) == 4 and all(set(n) == {"@", "c", "extrapolate", "k", "t"} for n in nodes)
    loaded = paramseal.loads(data)
    for spline in loaded.bsplines_:
        assert type(spline) is BSpline and spline._asarray is model.bsplines_[0]._asarray
        assert spline.t.flags.c_contiguous and spline.c is loaded.bsplines_[0].c


def test_unusual_bsplines_are_not_written() -> None:
    model, _ = CASES["Spline-default"]()
    spline = model.bsplines_[1]
    for odd in (BSpline.construct_fast(spline.t, spline.c.astype(np.float32), spline.k),
                BSpline.construct_fast(spline.t, spline.c.T.copy(), spline.k, axis=1)):
        model.bsplines_[1] = odd
        with pytest.raises(errors.UnsupportedTypeError, match="cannot write this BSpline") as info:
            paramseal.dumps(model)
        assert info.value.path == "$.bsplines_[1]"


@pytest.mark.parametrize("name", ["Nystroem-chi2", "Spline-sparse-periodic", "MultiLabelBinarizer",
                                  "SparseRandomProjection", "Isotonic-auto-clip",
                                  "KBins-quantile-onehot"])
def test_roundtrip_from_mapped_file(name: str, tmp_path: Any) -> None:
    """Loaded from a file: arrays are read-only views of the mapping."""
    model, x = CASES[name]()
    path = tmp_path / "model.paramseal"
    paramseal.dump(model, path)
    loaded = paramseal.load(path)
    assert_same_outputs(outputs(model, x), outputs(loaded, x))


def test_roundtrip_inside_composites() -> None:
    from sklearn import linear_model, pipeline

    union = pipeline.FeatureUnion([
        ("rbf", kernel_approximation.RBFSampler(n_components=5, random_state=0)),
        ("nys", kernel_approximation.Nystroem(n_components=5, random_state=0)),
        ("proj", random_projection.SparseRandomProjection(3, random_state=0)),
    ])
    model = pipeline.Pipeline([
        ("spline", preprocessing.SplineTransformer(n_knots=4)),
        ("union", union),
        ("ridge", linear_model.Ridge()),
    ])
    roundtrip(_fit(model, X, YR), XQ)
    binned = pipeline.make_pipeline(preprocessing.KBinsDiscretizer(4),
                                    linear_model.LogisticRegression())
    roundtrip(_fit(binned, X, Y3), XQ)


def test_isotonic_interpolator_is_rebuilt_not_stored() -> None:
    model, x = CASES["Isotonic"]()
    data = paramseal.dumps(model)
    (node,) = testkit.find(testkit.unpack(data), "sklearn.isotonic.IsotonicRegression")
    assert "f_" not in node["state"]
    loaded = paramseal.loads(data)
    assert type(loaded.f_) is type(model.f_)
    assert loaded.predict(x).tobytes() == model.predict(x).tobytes()


def test_multilabel_cache_is_not_stored() -> None:
    model, x = CASES["MultiLabelBinarizer"]()
    model.transform(x)  # fills _cached_dict
    assert model._cached_dict is not None
    data = paramseal.dumps(model)
    (node,) = testkit.find(testkit.unpack(data), "sklearn.preprocessing.MultiLabelBinarizer")
    assert "_cached_dict" not in node["state"]
    loaded = paramseal.loads(data)
    assert loaded._cached_dict == dict(zip(model.classes_, range(len(model.classes_)),
                                           strict=True))


def test_unsorted_components_kept_in_order() -> None:
    """transform() sums each row in stored order: the rows are written as they are (§6.3)."""
    model, _ = CASES["SparseRandomProjection"]()
    assert not model.components_.has_sorted_indices
    data = paramseal.dumps(model)
    loaded = paramseal.loads(data)
    assert np.array_equal(loaded.components_.indices, model.components_.indices)
    assert not loaded.components_.has_sorted_indices


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()
hostile = HOSTILE.case
Edit = Callable[[Any, Any], Any]  # (parts, a schema map or array) -> anything


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


def _edited(model: Any, edit: Edit, tag: str | None = None) -> bytes:
    """``model`` written, then ``edit(parts, state)`` on its (first) estimator node's state."""
    from paramseal.sklearn import tag_for

    parts = testkit.unpack(paramseal.dumps(model))
    edit(parts, testkit.find(parts, tag or tag_for(type(model)))[0]["state"])
    return testkit.pack(parts)


def _params(model: Any, edit: Edit) -> bytes:
    from paramseal.sklearn import tag_for

    parts = testkit.unpack(paramseal.dumps(model))
    edit(parts, testkit.find(parts, tag_for(type(model)))[0]["params"])
    return testkit.pack(parts)


def _drop(key: str) -> Edit:
    def edit(parts: Any, state: dict[str, Any]) -> None:
        del state[key]
    return edit


def _add(key: str, value: Any) -> Edit:
    def edit(parts: Any, state: dict[str, Any]) -> None:
        items = {**state, key: value}
        state.clear()
        state.update(sorted(items.items()))
    return edit


def _node(key: str, *path: Any, edit: Edit) -> Edit:
    """Apply ``edit`` to the map found at ``state[key][path...]``."""
    def apply(parts: Any, state: dict[str, Any]) -> None:
        node = state[key]
        for step in path:
            node = node[step]
        edit(parts, node)
    return apply


def _items(key: str, items: list[Any]) -> Edit:
    """Replace the items of the object array (or list) at ``key``."""
    def edit(parts: Any, state: dict[str, Any]) -> None:
        node = state[key]
        if isinstance(node, list):
            state[key] = items
        else:
            node["items"] = items
            node["shape"] = [len(items)]
    return edit


# scipy BSpline (N12): every check before the constructor runs
SPLINE = "scipy.interpolate.BSpline"
ST = "sklearn.preprocessing.SplineTransformer"


def _spline() -> Any:
    return _fit(preprocessing.SplineTransformer(n_knots=5, degree=3), X)


def _bspline(edit: Edit, model: Any = None) -> bytes:
    parts = testkit.unpack(paramseal.dumps(model or _spline()))
    edit(parts, testkit.find(parts, SPLINE)[0])
    return testkit.pack(parts)


hostile("bspline_k_negative", "k (the degree) must be an int in [0, 2**31)")(
    lambda: _bspline(_value("k", -1)))
hostile("bspline_k_huge", "k (the degree) must be an int in [0, 2**31)")(
    lambda: _bspline(_value("k", 2**40)))
hostile("bspline_k_above_knots", "a spline of degree 40 needs at least 82 knots, found 11")(
    lambda: _bspline(_value("k", 40)))
hostile("bspline_extrapolate", "extrapolate must be a bool or 'periodic'")(
    lambda: _bspline(_value("extrapolate", "yes")))
hostile("bspline_t_int", "t (the knots) must be a 1-d float64 array")(
    lambda: _bspline(_array("t", lambda a: a.astype(np.int64))))
hostile("bspline_t_2d", "t (the knots) must be a 1-d float64 array")(
    lambda: _bspline(_array("t", lambda a: np.c_[a, a])))
hostile("bspline_c_int", "c (the coefficients) must be a float64 array")(
    lambda: _bspline(_array("c", lambda a: a.astype(np.int64))))
def _zero_d(parts: Any, node: dict[str, Any]) -> None:
    """Make the array ``node["c"]`` a 0-d array (testkit writes 0-d arrays as 1-d)."""
    c = node["c"]
    parts.set_array(c, np.array([1.0]))
    c["shape"] = parts.tensors[c["tensor"]].shape = []


hostile("bspline_c_0d", "c (the coefficients) must be a float64 array of at least 1")(
    lambda: _bspline(_zero_d))
hostile("bspline_t_nan", "knots must be finite")(
    lambda: _bspline(_array("t", lambda a: np.r_[a[:5], np.nan, a[6:]])))
hostile("bspline_t_inf", "knots must be finite")(
    lambda: _bspline(_array("t", lambda a: np.r_[a[:-1], np.inf])))
hostile("bspline_t_decreasing", "knots must be non-decreasing")(
    lambda: _bspline(_array("t", lambda a: a[::-1])))
hostile("bspline_t_flat", "the base interval t[k] .. t[n] must not be empty")(
    lambda: _bspline(_array("t", lambda a: np.r_[a[:3], np.full(5, a[3]), a[8:]])))
# evaluate_spline reads c[interval - k .. interval]: fewer rows than basis functions reads
# past the buffer
hostile("bspline_c_short", "c has 1 rows, but 11 knots of degree 3 need at least 7")(
    lambda: _bspline(_array("c", lambda a: a[:1])))
# SplineTransformer: its splines agree with its parameters and output width
hostile("spline_missing_splines", "fitted attributes ['bsplines_'] are missing")(
    lambda: _edited(_spline(), _drop("bsplines_")))
hostile("spline_count", "bsplines_ must be a list of n_features_in_ = 4 BSplines")(
    lambda: _edited(_spline(), _node("bsplines_", edit=lambda p, n: n.pop())))
hostile("spline_not_bspline", "bsplines_ must be a list of n_features_in_ = 4 BSplines")(
    lambda: _edited(_spline(), _node("bsplines_", edit=lambda p, n: n.__setitem__(3, 1.5))))
hostile("spline_degree", "bsplines_[0] must have degree 3 and extrapolate False (from the "
        "parameters), found 4")(
    lambda: _bspline(_value("k", 4)))
hostile("spline_extrapolate", "bsplines_[0] must have degree 3 and extrapolate False")(
    lambda: _bspline(_value("extrapolate", True)))
hostile("spline_c_rows", "bsplines_[0].c must have shape [7, 7]")(
    lambda: _bspline(_array("c", lambda a: np.r_[a, a[:1]])))
hostile("spline_c_columns", "bsplines_[0] has 11 knots: that gives 7 basis functions, not 9")(
    lambda: _bspline(_array("c", lambda a: np.c_[a, a[:, :2]])))
hostile("spline_c_1d", "bsplines_[0].c must have shape [7, -1]")(
    lambda: _bspline(_array("c", lambda a: a[:, 0].copy())))
hostile("spline_n_features_out", "n_features_out_ must be 28 (4 features x 7 splines")(
    lambda: _edited(_spline(), _value("n_features_out_", 99)))


# KernelCenterer
def _centerer() -> Any:
    return _fit(preprocessing.KernelCenterer(), K)


hostile("centerer_rows", "K_fit_rows_ must be a float array of shape [60]", x=KQ)(
    lambda: _edited(_centerer(), _array("K_fit_rows_", lambda a: a[:1])))
hostile("centerer_all", "K_fit_all_ must be a real number", x=KQ)(
    lambda: _edited(_centerer(), _value("K_fit_all_", "x")))
hostile("centerer_missing", "fitted attributes ['K_fit_all_'] are missing", x=KQ)(
    lambda: _edited(_centerer(), _drop("K_fit_all_")))
hostile("centerer_n_features", "n_features_in_ must be an int >= 1", x=KQ)(
    lambda: _edited(_centerer(), _value("n_features_in_", 0)))


# MultiLabelBinarizer: transform's CSR matrix is as wide as dict(zip(classes_, ...))
LABELS_X = np.array([["ant", "bee"], ["cat", "cat"], ["dog", "ant"]])


def _mlb() -> Any:
    return _fit(preprocessing.MultiLabelBinarizer(), LABEL_SETS)


hostile("mlb_duplicate_classes", "classes_ must be distinct labels: 4 classes give 3", x=LABELS_X)(
    lambda: _edited(_mlb(), _items("classes_", ["ant", "ant", "bee", "dog"])))
hostile("mlb_equal_keys", "classes_ must be distinct labels: 2 classes give 1", x=LABELS_X)(
    lambda: _edited(_mlb(), _items("classes_", [1, 1.0])))
hostile("mlb_unhashable", "classes_ must hold hashable labels", x=LABELS_X)(
    lambda: _edited(_mlb(), _items("classes_", [["ant"], "bee"])))
hostile("mlb_float_classes", "classes_ must be a integer or object array of 1 dimension(s)",
        x=LABELS_X)(
    lambda: _edited(_fit(preprocessing.MultiLabelBinarizer(), [[1, 2]]),
                    _array("classes_", lambda a: a.astype(np.float64))))
hostile("mlb_cached_dict", "attribute name '_cached_dict' is not allowed", x=LABELS_X,
        error="SchemaError")(
    lambda: _edited(_mlb(), _add("_cached_dict", {"@": "dict", "keys": ["ant"],
                                                  "values": [10**9]})))


# PowerTransformer
def _power(standardize: bool = True) -> Any:
    return _fit(preprocessing.PowerTransformer(standardize=standardize), X)


hostile("power_lambdas", "lambdas_ must be a float array of shape [4]")(
    lambda: _edited(_power(), _array("lambdas_", lambda a: a[:2])))
hostile("power_scaler_missing", "standardize=True needs _scaler, a StandardScaler fitted on 4")(
    lambda: _edited(_power(), _drop("_scaler")))
hostile("power_scaler_width", "standardize=True needs _scaler, a StandardScaler fitted on 4")(
    lambda: _edited(_power(), _node("_scaler", "state", edit=_value("n_features_in_", 3))))


# QuantileTransformer (np.interp on each column)
def _quantile() -> Any:
    return _fit(preprocessing.QuantileTransformer(n_quantiles=20), X)


hostile("quantile_rows", "quantiles_ must be a float array of shape [20, 4]")(
    lambda: _edited(_quantile(), _array("quantiles_", lambda a: a[:5])))
hostile("quantile_references", "references_ must be a float array of shape [20]")(
    lambda: _edited(_quantile(), _array("references_", lambda a: a[:5])))
hostile("quantile_unsorted", "quantiles_ (each column) and references_ must be non-decreasing")(
    lambda: _edited(_quantile(), _array("quantiles_", lambda a: a[::-1])))
hostile("quantile_references_unsorted", "and references_ must be non-decreasing")(
    lambda: _edited(_quantile(), _array("references_", lambda a: a[::-1])))
hostile("quantile_n_quantiles", "n_quantiles_ must be an int >= 1")(
    lambda: _edited(_quantile(), _value("n_quantiles_", 0)))


# KBinsDiscretizer
def _kbins(**kwargs: Any) -> Any:
    return _fit(preprocessing.KBinsDiscretizer(5, **kwargs), X)


def _edges(change: Callable[[np.ndarray], np.ndarray]) -> Edit:
    return _node("bin_edges_", "items", 0, edit=_array_self(change))


def _array_self(change: Callable[[np.ndarray], np.ndarray]) -> Edit:
    """Like edit_array, on the ndarray node itself."""
    def edit(parts: Any, node: dict[str, Any]) -> None:
        _array("x", change)(parts, {"x": node})
    return edit


hostile("kbins_n_bins_shape", "n_bins_ must be a integer array of shape [4]")(
    lambda: _edited(_kbins(), _array("n_bins_", lambda a: a[:3])))
hostile("kbins_n_bins_zero", "n_bins_ must be at least 1 for every feature")(
    lambda: _edited(_kbins(), _array("n_bins_", lambda a: np.r_[0, a[1:]])))
hostile("kbins_edges_count", "bin_edges_ must be a object array of shape [4]")(
    lambda: _edited(_kbins(), _node("bin_edges_", edit=lambda p, n: (
        n["items"].pop(), n.__setitem__("shape", [3])))))
hostile("kbins_edges_length", "bin_edges_[0] must be a float array of shape [6]")(
    lambda: _edited(_kbins(), _edges(lambda a: a[:3])))
hostile("kbins_edges_unsorted", "bin_edges_[0] must be non-decreasing, without nan")(
    lambda: _edited(_kbins(), _edges(lambda a: a[::-1])))
hostile("kbins_edges_unsorted_later", "bin_edges_[2] must be non-decreasing, without nan")(
    lambda: _edited(_kbins(), _node("bin_edges_", "items", 2,
                                    edit=_array_self(lambda a: a[[0, 2, 1, 3, 4, 5]]))))
hostile("kbins_edges_nan", "bin_edges_[0] must be non-decreasing, without nan")(
    lambda: _edited(_kbins(), _edges(lambda a: np.r_[a[:2], np.nan, a[3:]])))
hostile("kbins_encoder_missing", "_encoder must be a OneHotEncoder fitted on the bin numbers")(
    lambda: _edited(_kbins(), _drop("_encoder")))
hostile("kbins_encoder_categories", "_encoder must be a OneHotEncoder fitted on the bin")(
    lambda: _edited(_kbins(), _node("_encoder", "state", "categories_", 0,
                                    edit=_array_self(lambda a: a * 2))))
hostile("kbins_missing", "fitted attributes ['n_bins_'] are missing")(
    lambda: _edited(_kbins(), _drop("n_bins_")))


# TargetEncoder
def _target(y: Any = Y3) -> Any:
    return _fit(preprocessing.TargetEncoder(random_state=0), X_CAT, y)


X_CAT_Q = X_CAT[:10]
hostile("target_type", "target_type_ must be 'binary', 'multiclass' or 'continuous'", x=X_CAT_Q)(
    lambda: _edited(_target(), _value("target_type_", "ranking")))
hostile("target_infrequent", "_infrequent_enabled must be False", x=X_CAT_Q)(
    lambda: _edited(_target(), _value("_infrequent_enabled", True)))
hostile("target_categories_count", "categories_ must be a list of 3 non-empty 1-d arrays",
        x=X_CAT_Q)(
    lambda: _edited(_target(), _node("categories_", edit=lambda p, n: n.pop())))
hostile("target_categories_unsorted", "numeric categories_[0] must be sorted and distinct",
        x=X_CAT_Q)(
    lambda: _edited(_target(), _node("categories_", 0, edit=_array_self(lambda a: a[::-1]))))
hostile("target_continuous_classes", "a continuous target has no classes_", x=X_CAT_Q)(
    lambda: _edited(_target(YR), _value("classes_", 5)))
hostile("target_one_class", "a multiclass target needs at least 2 classes_", x=X_CAT_Q)(
    lambda: _edited(_target(), _array("classes_", lambda a: a[:1])))
hostile("target_mean", "target_mean_ must be real, of shape [3]", x=X_CAT_Q)(
    lambda: _edited(_target(), _array("target_mean_", lambda a: a[:2])))
hostile("target_encodings_count", "encodings_ must be a list of 9 arrays (3 features x 3)",
        x=X_CAT_Q)(
    lambda: _edited(_target(), _node("encodings_", edit=lambda p, n: n.pop())))
hostile("target_encoding_shape", "encodings_[0] must be a float array of shape [4]", x=X_CAT_Q)(
    lambda: _edited(_target(), _node("encodings_", 0, edit=_array_self(lambda a: a[:1]))))
hostile("target_missing", "fitted attributes ['encodings_'] are missing", x=X_CAT_Q)(
    lambda: _edited(_target(), _drop("encodings_")))


# DictVectorizer: vocabulary_ values are CSR column indices (toarray() writes there)
def _dict_vectorizer(values: list[Any]) -> bytes:
    model = _fit(DictVectorizer(sparse=False), [{"a": 1.0, "b": 2.0}])

    def edit(parts: Any, state: dict[str, Any]) -> None:
        state["vocabulary_"]["values"] = values
    return _edited(model, edit)


hostile("dict_index_oob", "vocabulary_ values must be the column indices 0 .. 1, each once")(
    lambda: _dict_vectorizer([0, 10**8]))
hostile("dict_index_negative", "vocabulary_ values must be the column indices 0 .. 1")(
    lambda: _dict_vectorizer([-1, 1]))
hostile("dict_index_twice", "vocabulary_ values must be the column indices 0 .. 1")(
    lambda: _dict_vectorizer([1, 1]))
hostile("dict_index_huge", "vocabulary_ values must be the column indices 0 .. 1")(
    lambda: _dict_vectorizer([0, 2**64 - 1]))
hostile("dict_float_index", "vocabulary_ values must be the column indices 0 .. 1")(
    lambda: _dict_vectorizer([0, 1.0]))
hostile("dict_bool_index", "vocabulary_ values must be the column indices 0 .. 1")(
    lambda: _dict_vectorizer([False, True]))
hostile("dict_lengths", "vocabulary_ must be a dict and feature_names_ a list, of the same")(
    lambda: _edited(_fit(DictVectorizer(), [{"a": 1.0, "b": 2.0}]),
                    _value("feature_names_", ["a"])))
hostile("dict_missing", "fitted attributes ['feature_names_'] are missing")(
    lambda: _edited(_fit(DictVectorizer(), [{"a": 1.0}]), _drop("feature_names_")))


# FeatureHasher / HashingVectorizer (N11): n_features is a C modulus, SIGFPE at 0
def _hasher(n: int) -> bytes:
    return _params(_fit(FeatureHasher(8), [{"a": 1.0}]), _value("n_features", n))


for _n in (0, -3):
    hostile(f"hasher_n_features_{_n}", "invalid parameters: The 'n_features' parameter")(
        functools.partial(_hasher, _n))
hostile("hashing_vectorizer_n_features_0", "invalid parameters: The 'n_features' parameter")(
    lambda: _params(_fit(text.HashingVectorizer(n_features=8), DOCS), _value("n_features", 0)))


# PatchExtractor: patch_size shapes an as_strided view
def _patches(size: list[Any]) -> bytes:
    model = _fit(image.PatchExtractor(patch_size=(2, 2)), IMAGES)
    return _params(model, _node("patch_size", edit=lambda p, n: n.__setitem__("items", size)))


for _size in ([-1, 3], [0, 2], [2, 2, 2]):
    hostile(f"patch_size_{'_'.join(map(str, _size))}".replace("-", "m"),
            "patch_size must be nil or two positive ints", x=IMAGES)(
        functools.partial(_patches, _size))


# IsotonicRegression: thresholds checked, then f_ rebuilt by _build_f
ISO = "sklearn.isotonic.IsotonicRegression"


def _iso() -> Any:
    return _fit(isotonic.IsotonicRegression(), X1, Y1)


hostile("iso_unsorted", "X_thresholds_ must be strictly increasing", x=X1Q)(
    lambda: _edited(_iso(), _array("X_thresholds_", lambda a: a[::-1])))
hostile("iso_duplicate", "X_thresholds_ must be strictly increasing", x=X1Q)(
    lambda: _edited(_iso(), _array("X_thresholds_", lambda a: np.r_[a[:1], a[:-1]])))
hostile("iso_lengths", "y_thresholds_ must be a float array of shape", x=X1Q)(
    lambda: _edited(_iso(), _array("y_thresholds_", lambda a: a[:2])))
hostile("iso_nan", "X_thresholds_ and y_thresholds_ must be finite", x=X1Q)(
    lambda: _edited(_iso(), _array("y_thresholds_", lambda a: np.r_[np.nan, a[1:]])))
hostile("iso_dtypes", "must be non-empty float32 or float64 arrays of one dtype", x=X1Q)(
    # (as many bytes as before: a tensor keeps its place in the params section)
    lambda: _edited(_iso(), _array("X_thresholds_",
                                   lambda a: np.repeat(a, 2).astype(np.float32))))
hostile("iso_empty", "must be non-empty float32 or float64 arrays of one dtype", x=X1Q)(
    lambda: _edited(_iso(), lambda p, s: (_array("X_thresholds_", lambda a: a[:0])(p, s),
                                          _array("y_thresholds_", lambda a: a[:0])(p, s))))
hostile("iso_not_monotone", "y_thresholds_ must be non-decreasing (increasing_=True)", x=X1Q)(
    lambda: _edited(_iso(), _array("y_thresholds_", lambda a: a[::-1])))
hostile("iso_increasing_type", "increasing_ must be a bool", x=X1Q)(
    lambda: _edited(_iso(), _value("increasing_", "yes")))
hostile("iso_min", "X_min_ and X_max_ must be the first and last of X_thresholds_", x=X1Q)(
    lambda: _edited(_iso(), _value("X_min_", -100.0)))
hostile("iso_missing", "fitted attributes ['y_thresholds_'] are missing", x=X1Q)(
    lambda: _edited(_iso(), _drop("y_thresholds_")))
hostile("iso_f_written", "attribute name 'f_' is not allowed", x=X1Q, error="SchemaError")(
    lambda: _edited(_iso(), _add("f_", None)))


# Nystroem
def _nystroem() -> Any:
    return _fit(kernel_approximation.Nystroem(n_components=10, random_state=0), X)


hostile("nystroem_width", "components_ must have shape [n_components, n_features_in_ = 4]")(
    lambda: _edited(_nystroem(), _array("components_", lambda a: a[:, :2])))
hostile("nystroem_indices", "component_indices_ must be a integer array of shape [10]")(
    lambda: _edited(_nystroem(), _array("component_indices_", lambda a: a[:3])))
hostile("nystroem_indices_negative", "component_indices_ must be non-negative")(
    lambda: _edited(_nystroem(), _array("component_indices_", lambda a: a - 100)))
hostile("nystroem_normalization", "normalization_ must be a float array of shape [10, 10]")(
    lambda: _edited(_nystroem(), _array("normalization_", lambda a: a[:3])))
hostile("nystroem_out", "_n_features_out must be 10")(
    lambda: _edited(_nystroem(), _value("_n_features_out", 11)))


# RBFSampler / SkewedChi2Sampler
def _rbf() -> Any:
    return _fit(kernel_approximation.RBFSampler(n_components=12, random_state=0), X)


hostile("rbf_weights", "random_weights_ must be a float array of shape [4, 12]")(
    lambda: _edited(_rbf(), _array("random_weights_", lambda a: a[:, :5])))
hostile("rbf_offset", "random_offset_ must be a float array of shape [12]")(
    lambda: _edited(_rbf(), _array("random_offset_", lambda a: a[:5])))
hostile("rbf_gamma", "_gamma must be a real number")(
    lambda: _edited(_rbf(), _value("_gamma", "scale")))
hostile("rbf_out", "_n_features_out must be 12")(
    lambda: _edited(_rbf(), _value("_n_features_out", 3)))
hostile("skewed_weights", "random_weights_ must be a float array of shape [4, 12]")(
    lambda: _edited(_fit(kernel_approximation.SkewedChi2Sampler(n_components=12,
                                                                random_state=0), X),
                    _array("random_weights_", lambda a: a[:2])))


# PolynomialCountSketch: indexHash_ picks the sketch column, bitHash_ a sign
def _sketch() -> Any:
    return _fit(kernel_approximation.PolynomialCountSketch(n_components=16, random_state=0), X)


hostile("sketch_index_oob", "indexHash_ must be sketch indices in [0, n_components = 16)")(
    lambda: _edited(_sketch(), _array("indexHash_", lambda a: a + 16)))
hostile("sketch_index_negative", "indexHash_ must be sketch indices in [0, n_components = 16)")(
    lambda: _edited(_sketch(), _array("indexHash_", lambda a: a - 16)))
hostile("sketch_shape", "indexHash_ must be a integer array of shape [2, 4]")(
    lambda: _edited(_sketch(), _array("indexHash_", lambda a: a[:, :3])))
hostile("sketch_bits", "bitHash_ must hold signs -1 or 1")(
    lambda: _edited(_sketch(), _array("bitHash_", lambda a: a * 2)))
hostile("sketch_bits_shape", "bitHash_ must be a integer array of shape [2, 4]")(
    lambda: _edited(_sketch(), _array("bitHash_", lambda a: a[:1])))
hostile("sketch_out", "_n_features_out must be 16")(
    lambda: _edited(_sketch(), _value("_n_features_out", 3)))


# random projections
def _gaussian() -> Any:
    return _fit(random_projection.GaussianRandomProjection(
        2, compute_inverse_components=True, random_state=0), X)


def _sparse_projection() -> Any:
    return _fit(random_projection.SparseRandomProjection(3, random_state=0), X)


def _components(edit: Edit, model: Any = None, tag: str = "sparse") -> bytes:
    parts = testkit.unpack(paramseal.dumps(model or _sparse_projection()))
    edit(parts, testkit.find(parts, tag)[0])
    return testkit.pack(parts)


hostile("gaussian_components", "components_ must be a float array of shape [2, 4]")(
    lambda: _edited(_gaussian(), _array("components_", lambda a: a[:, :1])))
hostile("gaussian_inverse", "inverse_components_ must be a float array of shape [4, 2]")(
    lambda: _edited(_gaussian(), _array("inverse_components_", lambda a: a[:1])))
hostile("gaussian_n_components", "n_components_ must be an int >= 1")(
    lambda: _edited(_gaussian(), _value("n_components_", 0)))
hostile("gaussian_out", "_n_features_out must be 2")(
    lambda: _edited(_gaussian(), _value("_n_features_out", 4)))
# survey §5 sparse_components_bad_indices (SIGSEGV in transform), through both node kinds
hostile("sparse_components_bad_indices", "indices must be in [0, 4)")(
    lambda: _components(_array("indices", lambda a: a + 10**8)))
hostile("sparse_components_bad_indices_sorted", "indices must be in [0, 4)")(
    lambda: _components(_array("indices", lambda a: a + 10**8),
                        _sorted_projection(n_components=3), "sparse"))
hostile("sparse_components_indptr", "indptr must start at 0 and end at nnz")(
    lambda: _components(_array("indptr", lambda a: a + 1)))
hostile("sparse_components_duplicate", "an index appears twice within a row")(
    lambda: _components(_array("indices", lambda a: np.r_[a[1], a[1:]])))
hostile("sparse_components_shape_field", "shape must be two non-negative integers")(
    lambda: _components(_value("shape", [3, -4])))
hostile("sparse_components_not_arrays", "data, indices and indptr must be arrays")(
    lambda: _components(_value("data", [1.0, 2.0])))
hostile("sparse_components_int32_shape", "int32 indices cannot address this shape")(
    lambda: _components(_value("shape", [3, 2**31])))
hostile("sparse_components_shape", "components_ must be a float CSR matrix of shape [3, 4]")(
    lambda: _components(_value("shape", [3, 10])))
hostile("sparse_density", "density_ must be in (0, 1]")(
    lambda: _edited(_sparse_projection(), _value("density_", 0.0)))
hostile("sparse_dense_components", "components_ must be a float array of shape [3, 4]")(
    lambda: _edited(_fit(random_projection.SparseRandomProjection(3, density=1.0,
                                                                  random_state=0), X),
                    _array("components_", lambda a: a[:, :2])))


def test_hostile_cases_cover_every_message() -> None:
    """Every distinct refusal of the module has at least one hostile file (spot list)."""
    messages = " ".join(match for _, match, _, _ in HOSTILE.cases.values())
    for part in ("k (the degree)", "knots must be finite", "c has 1 rows", "bsplines_[0].c",
                 "classes_ must be distinct", "vocabulary_ values", "n_features",
                 "patch_size", "X_thresholds_ must be strictly", "indexHash_", "density_"):
        assert part in messages, part


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)


def test_hostile_spline_loads_nothing_in_process() -> None:
    """The same refusal in-process, with the error class and path."""
    with pytest.raises(errors.ReconstructionError, match=r"c has 1 rows") as info:
        paramseal.loads(_bspline(_array("c", lambda a: a[:1])))
    assert info.value.path == "$.bsplines_[0]"
