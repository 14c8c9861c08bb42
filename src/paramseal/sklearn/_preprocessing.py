"""scikit-learn preprocessing, feature extraction, isotonic regression,
kernel approximation and random projections (spec/format.md §6.5).

What reaches native code, and what is checked at load:

- ``SplineTransformer.bsplines_`` are ``scipy.interpolate.BSpline`` objects whose knots ``t``,
  coefficients ``c`` and degree ``k`` go to scipy's C++ spline evaluation, which trusts them
  (N12). They get their own entry: ``t``, ``c``, ``k`` and ``extrapolate`` are checked here
  (knots finite and non-decreasing, ``len(t) >= 2k+2``, ``c.shape[0] >= len(t)-k-1``), then the
  spline is built by the validating constructor ``BSpline(t, c, k, extrapolate)``. Its
  ``_asarray`` function is never written: the constructor derives it.
- ``MultiLabelBinarizer.transform`` and ``DictVectorizer.transform`` build CSR matrices whose
  column indices come from a dict over the fitted classes / ``vocabulary_`` and whose width is
  that dict's length; scipy does not range-check them and ``toarray()`` writes out of bounds.
  So ``classes_`` must give a dict with one entry per class (no two equal classes), and the
  ``vocabulary_`` values must be the column indices ``0 .. n-1``, each once, agreeing with
  ``feature_names_``. ``MultiLabelBinarizer._cached_dict`` (a cache of that dict) is not
  written; it is rebuilt from ``classes_``.
- ``FeatureHasher``/``HashingVectorizer`` take ``n_features`` as a C modulus (N11): the generic
  reconstructor's ``_validate_params()`` refuses ``n_features < 1``.
- ``SparseRandomProjection.components_`` is a CSR matrix: the sparse entry checks it in full
  (N9); its shape must agree with the estimator.
- ``IsotonicRegression.f_`` (an ``interp1d``, dropped by its ``__getstate__``) is never written:
  it is rebuilt by scikit-learn's own ``_build_f`` from the checked thresholds.
- ``PatchExtractor.patch_size`` sizes an ``as_strided`` view of the input.

Everything else here is computed by numpy, which bounds-checks its indexing; those validators
check shapes and index ranges so that a file cannot turn into silently wrong outputs (e.g. a
negative hash index that numpy would wrap around).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry
from ._estimator import estimator_entry
from ._misc import _INDEX_TYPES, _categories_sorted, _fail, _is_bool, _is_int, _is_real

Validator = Callable[[Any, str], None]
_BSPLINE_TAG = "scipy.interpolate.BSpline"


# ---------------------------------------------------------------- shared checks

def _describe(value: Any) -> str:
    if type(value) is np.ndarray:
        return f"a {value.dtype} array of shape {list(value.shape)}"
    return f"{type(value).__name__} {value!r:.40}"


def _fitted(tag: str, est: Any, names: tuple[str, ...], path: str) -> bool:
    """Whether ``est`` is fitted: all of ``names`` present, or none (then it is unfitted).

    A file cannot skip a check by leaving out one of the attributes that are checked together.
    """
    state = vars(est)
    missing = [name for name in names if name not in state]
    if len(missing) == len(names):
        return False
    if missing:
        raise _fail(tag, f"fitted attributes {missing} are missing while "
                    f"{sorted(set(names) - set(missing))} are present", path)
    return True


def _count(tag: str, name: str, value: Any, path: str, low: int = 1) -> int:
    if not _is_int(value) or not low <= value < 2**62:
        raise _fail(tag, f"{name} must be an int >= {low}, found {_describe(value)}", path)
    return int(value)


def _array(tag: str, name: str, value: Any, path: str, *, kinds: str = "f",
           shape: tuple[int, ...] | None = None, ndim: int | None = None) -> np.ndarray:
    """``value`` if it is an ndarray of one of the dtype ``kinds`` and the given shape."""
    if (
        type(value) is not np.ndarray
        or value.dtype.kind not in kinds
        or (shape is not None and value.shape != shape)
        or (ndim is not None and value.ndim != ndim)
    ):
        kind = " or ".join(dict.fromkeys(_KIND_NAMES[k] for k in kinds))
        want = f"shape {list(shape)}" if shape is not None else f"{ndim} dimension(s)"
        raise _fail(tag, f"{name} must be a {kind} array of {want}, found {_describe(value)}",
                    path)
    return value


_KIND_NAMES = {"b": "bool", "i": "integer", "u": "integer", "f": "float", "U": "str",
               "O": "object"}


def _out_width(tag: str, est: Any, width: int, path: str) -> None:
    """``_n_features_out`` (output width, used for feature names), when present."""
    state = vars(est)
    if "_n_features_out" in state and (
        not _is_int(state["_n_features_out"]) or state["_n_features_out"] != width
    ):
        raise _fail(tag, f"_n_features_out must be {width}, found "
                    f"{_describe(state['_n_features_out'])}", path)


# ---------------------------------------------------------------- scipy BSpline (N12)

_BSPLINE_ATTRS = frozenset({"_t", "_c", "k", "extrapolate", "axis", "_asarray"})


def _encode_bspline(spline: Any, enc: Any, path: P.Path) -> dict[str, Any]:
    state = vars(spline)
    t, c = state.get("_t"), state.get("_c")
    plain = (
        state.keys() == _BSPLINE_ATTRS
        and state["axis"] == 0
        and type(t) is np.ndarray and t.dtype == np.float64 and t.ndim == 1
        and type(c) is np.ndarray and c.dtype == np.float64
        and type(state["k"]) is int
        and (type(state["extrapolate"]) is bool or state["extrapolate"] == "periodic")
    )
    if not plain:
        raise UnsupportedTypeError(
            "cannot write this BSpline: only splines with float64 knots and coefficients, "
            "an int degree, axis 0 and no other attributes can be written",
            path=P.render(path),
        )
    return {
        # fit() gives each spline a column view of one knot matrix; the constructor that
        # rebuilds it makes the knots contiguous, so they are written contiguous.
        "c": enc.encode(c, (path, ".c")),
        "extrapolate": state["extrapolate"],
        "k": state["k"],
        "t": enc.encode(np.ascontiguousarray(t), (path, ".t")),
    }


def _decode_bspline(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
    from scipy.interpolate import BSpline

    def fail(message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=_BSPLINE_TAG, path=P.render(path))

    k, extrapolate = node["k"], node["extrapolate"]
    if type(k) is not int or not 0 <= k < 2**31:
        raise fail(f"k (the degree) must be an int in [0, 2**31), found {k!r:.40}")
    if type(extrapolate) is not bool and extrapolate != "periodic":
        raise fail(f"extrapolate must be a bool or 'periodic', found {extrapolate!r:.40}")
    c = dec.field(node, "c", path)  # fields in schema order: tensors are numbered so
    t = dec.field(node, "t", path)
    if type(t) is not np.ndarray or t.dtype != np.float64 or t.ndim != 1:
        raise fail(f"t (the knots) must be a 1-d float64 array, found {_describe(t)}")
    if type(c) is not np.ndarray or c.dtype != np.float64 or c.ndim < 1:
        raise fail(f"c (the coefficients) must be a float64 array of at least 1 dimension, "
                   f"found {_describe(c)}")
    if len(t) < 2 * k + 2:
        raise fail(f"a spline of degree {k} needs at least {2 * k + 2} knots, found {len(t)}")
    if not np.isfinite(t).all():
        raise fail("knots must be finite")
    if (t[1:] < t[:-1]).any():
        raise fail("knots must be non-decreasing")
    n = len(t) - k - 1
    if t[n] <= t[k]:
        raise fail("the base interval t[k] .. t[n] must not be empty (two distinct internal "
                   "knots are needed)")
    if c.shape[0] < n:
        raise fail(f"c has {c.shape[0]} rows, but {len(t)} knots of degree {k} need at "
                   f"least {n}")
    try:
        return BSpline(t, c, k, extrapolate=extrapolate)
    except ValueError as exc:  # the constructor's own checks: a safety net
        raise fail(f"invalid spline: {exc}") from exc


def _validate_spline_transformer(est: Any, path: str) -> None:
    from scipy.interpolate import BSpline

    tag = "sklearn.preprocessing.SplineTransformer"
    if not _fitted(tag, est, ("bsplines_", "n_features_in_", "n_features_out_"), path):
        return
    state = vars(est)
    n_in = _count(tag, "n_features_in_", state["n_features_in_"], path)
    splines = state["bsplines_"]
    if type(splines) is not list or len(splines) != n_in or not all(
        type(s) is BSpline for s in splines
    ):
        raise _fail(tag, f"bsplines_ must be a list of n_features_in_ = {n_in} BSplines", path)
    degree, periodic = est.degree, est.extrapolation == "periodic"
    extrapolate = est.extrapolation in ("periodic", "continue")
    first = splines[0].c
    n_splines = first.shape[1] if first.ndim == 2 else -1
    for i, spline in enumerate(splines):
        t, c = spline.t, spline.c
        rows = len(t) - spline.k - 1
        if spline.k != degree or spline.extrapolate is not extrapolate:
            raise _fail(tag, f"bsplines_[{i}] must have degree {degree} and extrapolate "
                        f"{extrapolate} (from the parameters), found {spline.k} and "
                        f"{spline.extrapolate!r}", path)
        if c.ndim != 2 or c.shape != (rows, n_splines) or n_splines < 1:
            raise _fail(tag, f"bsplines_[{i}].c must have shape [{rows}, {n_splines}] (one row "
                        f"per basis function, as many columns as bsplines_[0]), found "
                        f"{list(c.shape)}", path)
        if rows - (degree if periodic else 0) != n_splines:
            raise _fail(tag, f"bsplines_[{i}] has {len(t)} knots: that gives "
                        f"{rows - (degree if periodic else 0)} basis functions, not "
                        f"{n_splines}", path)
    expected = n_in * n_splines - n_in * (1 - bool(est.include_bias))
    if not _is_int(state["n_features_out_"]) or state["n_features_out_"] != expected:
        raise _fail(tag, f"n_features_out_ must be {expected} ({n_in} features x {n_splines} "
                    f"splines, include_bias={est.include_bias}), found "
                    f"{_describe(state['n_features_out_'])}", path)


# ---------------------------------------------------------------- preprocessing

def _validate_kernel_centerer(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.KernelCenterer"
    if not _fitted(tag, est, ("K_fit_rows_", "K_fit_all_", "n_features_in_"), path):
        return
    state = vars(est)
    n = _count(tag, "n_features_in_", state["n_features_in_"], path)
    _array(tag, "K_fit_rows_", state["K_fit_rows_"], path, shape=(n,))
    if not _is_real(state["K_fit_all_"]):
        raise _fail(tag, f"K_fit_all_ must be a real number, found "
                    f"{_describe(state['K_fit_all_'])}", path)


def _no_cache(est: Any) -> None:
    """``MultiLabelBinarizer._cached_dict`` caches ``dict(zip(classes_, ...))``: not written."""
    if "classes_" in vars(est):
        est._cached_dict = None


def _validate_multilabel_binarizer(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.MultiLabelBinarizer"
    if not _fitted(tag, est, ("classes_",), path):
        return
    classes = _array(tag, "classes_", est.classes_, path, kinds="iuO", ndim=1)
    # transform() maps labels through this very dict and makes a CSR matrix as wide as the
    # dict: two classes that are equal as dict keys (e.g. 1 and 1.0) would leave an index
    # past the last column.
    try:
        mapping = dict(zip(classes, range(len(classes)), strict=True))
    except TypeError as exc:
        raise _fail(tag, f"classes_ must hold hashable labels: {exc}", path) from exc
    if len(mapping) != len(classes):
        raise _fail(tag, f"classes_ must be distinct labels: {len(classes)} classes give "
                    f"{len(mapping)} distinct keys", path)
    est._cached_dict = mapping  # what _build_cache() builds on the first transform()


def _validate_power_transformer(est: Any, path: str) -> None:
    from sklearn.preprocessing import StandardScaler

    tag = "sklearn.preprocessing.PowerTransformer"
    if not _fitted(tag, est, ("lambdas_", "n_features_in_"), path):
        return
    n = _count(tag, "n_features_in_", est.n_features_in_, path)
    _array(tag, "lambdas_", est.lambdas_, path, shape=(n,))
    scaler = vars(est).get("_scaler")
    if est.standardize and (
        type(scaler) is not StandardScaler or vars(scaler).get("n_features_in_") != n
    ):
        raise _fail(tag, f"standardize=True needs _scaler, a StandardScaler fitted on {n} "
                    "features", path)


def _validate_quantile_transformer(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.QuantileTransformer"
    names = ("quantiles_", "references_", "n_quantiles_", "n_features_in_")
    if not _fitted(tag, est, names, path):
        return
    n = _count(tag, "n_features_in_", est.n_features_in_, path)
    q = _count(tag, "n_quantiles_", est.n_quantiles_, path)
    quantiles = _array(tag, "quantiles_", est.quantiles_, path, shape=(q, n))
    references = _array(tag, "references_", est.references_, path, shape=(q,))
    # np.interp needs increasing sample points (NaN columns, from all-NaN features, pass)
    if (np.diff(quantiles, axis=0) < 0).any() or (np.diff(references) < 0).any():
        raise _fail(tag, "quantiles_ (each column) and references_ must be non-decreasing",
                    path)


def _validate_kbins(est: Any, path: str) -> None:
    from sklearn.preprocessing import OneHotEncoder

    tag = "sklearn.preprocessing.KBinsDiscretizer"
    if not _fitted(tag, est, ("bin_edges_", "n_bins_", "n_features_in_"), path):
        return
    state = vars(est)
    n = _count(tag, "n_features_in_", state["n_features_in_"], path)
    n_bins = _array(tag, "n_bins_", state["n_bins_"], path, kinds="iu", shape=(n,))
    edges = _array(tag, "bin_edges_", state["bin_edges_"], path, kinds="O", shape=(n,))
    if n and n_bins.min() < 1:
        raise _fail(tag, "n_bins_ must be at least 1 for every feature", path)
    for j, (e, b) in enumerate(zip(edges, n_bins.tolist(), strict=True)):
        _array(tag, f"bin_edges_[{j}]", e, path, shape=(b + 1,))
    if n:  # all features at once: a load does not pay numpy calls per feature
        flat = np.concatenate(list(edges)).astype(np.float64, copy=False)
        ends = np.cumsum(n_bins + 1)
        falls = np.diff(flat) < 0
        falls[ends[:-1] - 1] = False  # from one feature's last edge to the next one's first
        bad = np.isnan(flat) | np.r_[falls, False]
        if bad.any():
            j = int(np.searchsorted(ends, np.flatnonzero(bad)[0], side="right"))
            raise _fail(tag, f"bin_edges_[{j}] must be non-decreasing, without nan", path)
    encoder = state.get("_encoder")
    if "onehot" not in est.encode:
        return  # transform() returns the bin numbers before any _encoder is used
    cats = vars(encoder).get("categories_") if type(encoder) is OneHotEncoder else None
    if (
        type(cats) is not list or len(cats) != n
        or vars(encoder).get("n_features_in_") != n
        or not all(type(c) is np.ndarray and c.dtype.kind in "iuf" and c.shape == (b,)
                   for c, b in zip(cats, n_bins.tolist(), strict=True))
        # each feature's categories are 0 .. n_bins_[j] - 1
        or (n and not np.array_equal(np.concatenate(cats), np.arange(int(n_bins.sum()))
                                     - np.repeat(np.cumsum(n_bins) - n_bins, n_bins)))
    ):
        raise _fail(tag, "_encoder must be a OneHotEncoder fitted on the bin numbers "
                    "0 .. n_bins_[j] - 1 of each feature", path)


def _validate_target_encoder(est: Any, path: str) -> None:
    tag = "sklearn.preprocessing.TargetEncoder"
    names = ("categories_", "encodings_", "target_mean_", "target_type_", "classes_",
             "n_features_in_")
    if not _fitted(tag, est, names, path):
        return
    state = vars(est)
    n = _count(tag, "n_features_in_", state["n_features_in_"], path)
    kind = state["target_type_"]
    if type(kind) is not str or kind not in ("binary", "multiclass", "continuous"):
        raise _fail(tag, f"target_type_ must be 'binary', 'multiclass' or 'continuous', found "
                    f"{kind!r:.40}", path)
    if state.get("_infrequent_enabled", False) is not False:
        raise _fail(tag, "_infrequent_enabled must be False (TargetEncoder has no "
                    "infrequent categories)", path)
    cats = state["categories_"]
    if type(cats) is not list or len(cats) != n or not all(
        type(c) is np.ndarray and c.ndim == 1 and c.size > 0 for c in cats
    ):
        raise _fail(tag, f"categories_ must be a list of {n} non-empty 1-d arrays", path)
    for i, c in enumerate(cats):
        if not _categories_sorted(c):
            raise _fail(tag, f"numeric categories_[{i}] must be sorted and distinct (nan last)",
                        path)
    classes = state["classes_"]
    if kind == "continuous":
        per_feature = 1
        if classes is not None:
            raise _fail(tag, "a continuous target has no classes_", path)
        mean_shape: tuple[int, ...] = ()
    else:
        classes = _array(tag, "classes_", classes, path, kinds="biufUO", ndim=1)
        per_feature = len(classes) if kind == "multiclass" else 1
        if len(classes) < 2:
            raise _fail(tag, f"a {kind} target needs at least 2 classes_", path)
        mean_shape = (per_feature,) if kind == "multiclass" else ()
    mean = state["target_mean_"]
    if not (
        (type(mean) is np.ndarray and mean.dtype.kind == "f" and mean.shape == mean_shape)
        or (_is_real(mean) and mean_shape == ())
    ):
        raise _fail(tag, f"target_mean_ must be real, of shape {list(mean_shape)}, found "
                    f"{_describe(mean)}", path)
    encodings = state["encodings_"]
    if type(encodings) is not list or len(encodings) != n * per_feature:
        raise _fail(tag, f"encodings_ must be a list of {n * per_feature} arrays "
                    f"({n} features x {per_feature})", path)
    for e_idx, encoding in enumerate(encodings):
        size = len(cats[e_idx // per_feature])
        _array(tag, f"encodings_[{e_idx}]", encoding, path, shape=(size,))


# ---------------------------------------------------------------- feature extraction

def _validate_dict_vectorizer(est: Any, path: str) -> None:
    tag = "sklearn.feature_extraction.DictVectorizer"
    if not _fitted(tag, est, ("vocabulary_", "feature_names_"), path):
        return
    vocabulary, names = est.vocabulary_, est.feature_names_
    if type(vocabulary) is not dict or type(names) is not list or len(vocabulary) != len(names):
        raise _fail(tag, "vocabulary_ must be a dict and feature_names_ a list, of the same "
                    "length", path)
    # vocabulary_ values are the CSR column indices of transform(), and the matrix is
    # len(vocabulary_) wide: they must be 0 .. n-1, each once. (feature_names_ only labels
    # the columns: get_feature_names_out, inverse_transform.)
    size = len(vocabulary)
    values = vocabulary.values()
    indices = None
    if set(map(type, values)) <= _INDEX_TYPES:  # not float, not bool
        try:
            indices = np.fromiter(values, dtype=np.int64, count=size)
        except OverflowError:
            indices = None
    if indices is None or (size and (
        indices.min() < 0 or indices.max() >= size
        or not (np.bincount(indices, minlength=size) == 1).all()
    )):
        raise _fail(tag, f"vocabulary_ values must be the column indices 0 .. {size - 1}, "
                    "each once", path)


def _validate_patch_extractor(est: Any, path: str) -> None:
    # patch_size shapes an as_strided view of each image (its constraint is only `tuple`)
    size = est.patch_size
    if size is not None and (
        type(size) is not tuple or len(size) != 2
        or not all(_is_int(s) and 1 <= s < 2**31 for s in size)
    ):
        raise _fail("sklearn.feature_extraction.PatchExtractor",
                    f"patch_size must be nil or two positive ints, found {size!r:.60}", path)


# ---------------------------------------------------------------- isotonic regression

def _validate_isotonic(est: Any, path: str) -> None:
    tag = "sklearn.isotonic.IsotonicRegression"
    names = ("X_thresholds_", "y_thresholds_", "X_min_", "X_max_", "increasing_")
    if not _fitted(tag, est, names, path):
        return
    state = vars(est)
    x = _array(tag, "X_thresholds_", state["X_thresholds_"], path, ndim=1)
    y = _array(tag, "y_thresholds_", state["y_thresholds_"], path, ndim=1)
    if x.dtype not in (np.float32, np.float64) or y.dtype != x.dtype or len(x) < 1:
        raise _fail(tag, "X_thresholds_ and y_thresholds_ must be non-empty float32 or "
                    "float64 arrays of one dtype", path)
    _array(tag, "y_thresholds_", y, path, shape=x.shape)
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise _fail(tag, "X_thresholds_ and y_thresholds_ must be finite", path)
    if (x[1:] <= x[:-1]).any():
        raise _fail(tag, "X_thresholds_ must be strictly increasing", path)
    increasing = state["increasing_"]
    if not _is_bool(increasing):
        raise _fail(tag, f"increasing_ must be a bool, found {_describe(increasing)}", path)
    steps = np.diff(y)
    if (steps < 0).any() if increasing else (steps > 0).any():
        order = "non-decreasing" if increasing else "non-increasing"
        raise _fail(tag, f"y_thresholds_ must be {order} (increasing_={bool(increasing)})",
                    path)
    low, high = state["X_min_"], state["X_max_"]
    if not (_is_real(low) and _is_real(high) and low == x[0] and high == x[-1]):
        raise _fail(tag, "X_min_ and X_max_ must be the first and last of X_thresholds_", path)
    # f_ is not written (IsotonicRegression.__getstate__ drops it): rebuilt as fit() builds it
    est._build_f(x, y)


# ---------------------------------------------------------------- kernel approximation

def _validate_nystroem(est: Any, path: str) -> None:
    tag = "sklearn.kernel_approximation.Nystroem"
    names = ("components_", "component_indices_", "normalization_", "n_features_in_")
    if not _fitted(tag, est, names, path):
        return
    state = vars(est)
    n = _count(tag, "n_features_in_", state["n_features_in_"], path)
    components = _array(tag, "components_", state["components_"], path, ndim=2)
    k = components.shape[0]
    if components.shape[1] != n or k < 1:
        raise _fail(tag, f"components_ must have shape [n_components, n_features_in_ = {n}], "
                    f"found {list(components.shape)}", path)
    indices = _array(tag, "component_indices_", state["component_indices_"], path,
                     kinds="iu", shape=(k,))
    if indices.min() < 0:
        raise _fail(tag, "component_indices_ must be non-negative", path)
    _array(tag, "normalization_", state["normalization_"], path, shape=(k, k))
    _out_width(tag, est, k, path)


def _writable_components(est: Any) -> None:
    """The chi2 kernels hand ``components_`` to a Cython function that takes a writable
    memoryview (it only reads it): a read-only view of the file is copied for them."""
    components = vars(est).get("components_")
    if (est.kernel in ("additive_chi2", "chi2") and type(components) is np.ndarray
            and not components.flags.writeable):
        est.components_ = components.copy()


def _sampler_validator(tag: str) -> Validator:
    """RBFSampler and SkewedChi2Sampler: ``cos(X @ random_weights_ + random_offset_)``."""
    def validate(est: Any, path: str) -> None:
        names = ("random_weights_", "random_offset_", "n_features_in_")
        if not _fitted(tag, est, names, path):
            return
        state = vars(est)
        n, k = _count(tag, "n_features_in_", state["n_features_in_"], path), est.n_components
        _array(tag, "random_weights_", state["random_weights_"], path, shape=(n, k))
        _array(tag, "random_offset_", state["random_offset_"], path, shape=(k,))
        if "_gamma" in state and not _is_real(state["_gamma"]):
            raise _fail(tag, "_gamma must be a real number", path)
        _out_width(tag, est, k, path)

    return validate


def _validate_count_sketch(est: Any, path: str) -> None:
    tag = "sklearn.kernel_approximation.PolynomialCountSketch"
    if not _fitted(tag, est, ("indexHash_", "bitHash_", "n_features_in_"), path):
        return
    state = vars(est)
    n = _count(tag, "n_features_in_", state["n_features_in_"], path)
    shape = (est.degree, n + (est.coef0 != 0))
    index = _array(tag, "indexHash_", state["indexHash_"], path, kinds="iu", shape=shape)
    bits = _array(tag, "bitHash_", state["bitHash_"], path, kinds="iu", shape=shape)
    # indexHash_ picks the count-sketch column: numpy would wrap a negative one around
    if index.size and (index.min() < 0 or index.max() >= est.n_components):
        raise _fail(tag, f"indexHash_ must be sketch indices in [0, n_components = "
                    f"{est.n_components})", path)
    if bits.size and not np.isin(bits, (-1, 1)).all():
        raise _fail(tag, "bitHash_ must hold signs -1 or 1", path)
    _out_width(tag, est, est.n_components, path)


# ---------------------------------------------------------------- random projections

def _projection_validator(tag: str, sparse: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        import scipy.sparse as sp

        names = ("components_", "n_components_", "n_features_in_")
        if not _fitted(tag, est, names, path):
            return
        state = vars(est)
        n = _count(tag, "n_features_in_", state["n_features_in_"], path)
        k = _count(tag, "n_components_", state["n_components_"], path)
        components = state["components_"]
        # The CSR matrix itself was checked in full by its own entry (indices in range, ...).
        if sparse and sp.issparse(components):
            if components.format != "csr" or components.dtype.kind != "f" or (
                components.shape != (k, n)
            ):
                raise _fail(tag, f"components_ must be a float CSR matrix of shape [{k}, {n}], "
                            f"found {components.format} {components.dtype} "
                            f"{list(components.shape)}", path)
        else:
            _array(tag, "components_", components, path, shape=(k, n))
        if "inverse_components_" in state:
            _array(tag, "inverse_components_", state["inverse_components_"], path, shape=(n, k))
        if sparse:
            density = state.get("density_")
            if not _is_real(density) or not 0 < density <= 1 or math.isnan(density):
                raise _fail(tag, f"density_ must be in (0, 1], found {_describe(density)}",
                            path)
        _out_width(tag, est, k, path)

    return validate


# ---------------------------------------------------------------- registration

def register(registry: Registry) -> None:
    from scipy.interpolate import BSpline
    from sklearn import isotonic, kernel_approximation, preprocessing, random_projection
    from sklearn.feature_extraction import DictVectorizer, FeatureHasher, image, text

    from . import tag_for

    def add(cls: type, validate: Validator | None = None, **kwargs: Any) -> None:
        registry.add(estimator_entry(cls, tag_for(cls), validate, **kwargs))

    # Plain data: parameters and n_features_in_ only; _validate_params() checks n_features
    # of the hashers (a C modulus).
    for cls in (preprocessing.Binarizer, preprocessing.Normalizer,
                kernel_approximation.AdditiveChi2Sampler, FeatureHasher):
        add(cls)
    # ``_stop_words_id`` is ``id(stop_words)`` set by transform(): a memory address, not state
    add(text.HashingVectorizer, dropped=frozenset({"_stop_words_id"}))
    add(preprocessing.KernelCenterer, _validate_kernel_centerer)
    add(preprocessing.MultiLabelBinarizer, _validate_multilabel_binarizer, derived=_no_cache,
        dropped=frozenset({"_cached_dict"}))
    add(preprocessing.PowerTransformer, _validate_power_transformer)
    add(preprocessing.QuantileTransformer, _validate_quantile_transformer)
    add(preprocessing.KBinsDiscretizer, _validate_kbins)
    add(preprocessing.SplineTransformer, _validate_spline_transformer)
    add(preprocessing.TargetEncoder, _validate_target_encoder)
    add(DictVectorizer, _validate_dict_vectorizer)
    add(image.PatchExtractor, _validate_patch_extractor, validate_unfitted=True)
    add(isotonic.IsotonicRegression, _validate_isotonic, dropped=frozenset({"f_"}))
    add(kernel_approximation.Nystroem, _validate_nystroem, derived=_writable_components)
    add(kernel_approximation.PolynomialCountSketch, _validate_count_sketch)
    for cls in (kernel_approximation.RBFSampler, kernel_approximation.SkewedChi2Sampler):
        add(cls, _sampler_validator(tag_for(cls)))
    add(random_projection.GaussianRandomProjection,
        _projection_validator(tag_for(random_projection.GaussianRandomProjection), False))
    add(random_projection.SparseRandomProjection,
        _projection_validator(tag_for(random_projection.SparseRandomProjection), True))
    registry.add(Entry(_BSPLINE_TAG, BSpline, _encode_bspline, _decode_bspline,
                       frozenset({"c", "extrapolate", "k", "t"})))
