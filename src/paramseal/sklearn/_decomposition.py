"""scikit-learn decompositions, manifold learning, mixtures, the RBM
and Gaussian processes (spec/format.md §6.5).

None of these estimators hands a stored value to native code as an index: their inference is
numpy and BLAS/LAPACK through numpy and scipy, which check shapes, plus two Cython kernels whose
sizes all derive from one stored array (``_online_lda_fast`` from ``exp_dirichlet_component_``,
``_cdnmf_fast`` from ``components_``, re-checked by ``NMF._check_w_h``). What a file can still
break is the agreement between the arrays: a 4-column mixture mean against 3-column precision
factors gives silently wrong log-likelihoods (``zip`` stops early and ``np.empty`` columns are
returned), an Isomap whose ``dist_matrix_`` is not square over the fitted samples mis-assigns
rows. So every validator checks the full set of fitted arrays against each other: kinds,
dimensions, and every size against ``n_features_in_``, the number of components and the number
of fitted samples, all taken from the arrays (hyper-parameters are compared only where
inference reads them, so a model whose parameters were changed after fitting still loads). An
estimator with no fitted attribute (a parameter of a meta-estimator) is accepted; one with any
of them must have all of them.

Callables: parameters that scikit-learn lets be callables (``KernelPCA.kernel``,
``SpectralEmbedding.affinity``, ``TSNE``/``MDS``/``ClassicalMDS``/``Isomap.metric``,
``FastICA.fun``, dictionary learning ``callback``, the Gaussian processes' ``optimizer``) must be
strings or nil, or a function of the closed table (§6.2); anything else is refused when writing
and at load. Iteration counts of ``transform`` loops are bounded (:data:`MAX_INFERENCE_ITER`).

Gaussian-process kernels (``sklearn.gaussian_process.kernels``) are a composable expression
tree. Each class has its own entry whose fields are exactly its constructor parameters; the
reader checks every value (positive finite scales, bounds ``"fixed"`` or ``[low, high]`` pairs
matching the hyper-parameter's size, operands that are themselves allowlisted kernels, a
``PairwiseKernel`` metric from the closed list of kernel names with only that kernel's keyword
parameters) and then calls the constructor, which only stores them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .. import _paths as P
from ..errors import ReconstructionError, UnsupportedTypeError
from ..registry import Entry, Registry, with_write_check
from ._estimator import estimator_entry
from ._misc import _allowed_function, _is_bool, _is_int, _is_real

Validator = Callable[[Any, str], None]
Shape = tuple[int | None, ...]

_FLOAT = "f"
_MAX_COUNT = 2**62
#: Iteration counts that inference (``transform``) loops over, with a convergence test that a
#: tolerance of 0 turns off: a file may not make one call loop longer than this. scikit-learn's
#: defaults are 100 to 1000.
MAX_INFERENCE_ITER = 100_000


# ---------------------------------------------------------------- checks of one estimator

class _Checks:
    """Checks of one estimator's state, failing with its tag and path."""

    def __init__(self, est: Any, tag: str, path: str) -> None:
        self.est = est
        self.state: dict[str, Any] = est.__dict__
        self.tag = tag
        self.path = path

    def fail(self, message: str) -> ReconstructionError:
        return ReconstructionError(message, type_name=self.tag, path=self.path)

    def fitted(self, names: tuple[str, ...]) -> bool:
        """False if none of ``names`` is set; True if all are; else the file is refused."""
        present = [n for n in names if n in self.state]
        if not present:
            return False
        missing = [n for n in names if n not in self.state]
        if missing:
            raise self.fail(f"fitted attributes {missing} are missing while {present} are set")
        return True

    def count(self, name: str, low: int = 1, value: Any = None) -> int:
        value = self.state.get(name) if value is None else value
        if not _is_int(value) or not low <= value < _MAX_COUNT:
            raise self.fail(f"{name} must be an integer >= {low}, found {value!r:.40}")
        return int(value)

    def real(self, name: str, *, finite: bool = True, optional: bool = False) -> None:
        value: Any = self.state.get(name)
        if optional and value is None:
            return
        if isinstance(value, np.ndarray) and value.shape in ((), (1,)) and value.dtype.kind == "f":
            value = value.reshape(-1)[0]
        if not _is_real(value) or (finite and not math.isfinite(value)):
            raise self.fail(f"{name} must be a {'finite ' if finite else ''}real number, "
                            f"found {value!r:.40}")

    def array(self, name: str, shape: Shape, kinds: str = _FLOAT, value: Any = None,
              sparse: bool = False) -> Any:
        """``name`` (or ``value``): an array of one of ``kinds`` with exactly ``shape``."""
        array: Any = self.state.get(name) if value is None else value
        if sparse and _is_sparse(array):
            found = _describe(array)
            if len(shape) != 2 or array.dtype.kind not in kinds:
                raise self.fail(f"{name} must be {_expected(shape, kinds)}, found {found}")
        elif type(array) is not np.ndarray or array.dtype.kind not in kinds:
            raise self.fail(f"{name} must be {_expected(shape, kinds)}, found {_describe(array)}")
        if array.ndim != len(shape) or any(
            want is not None and got != want for got, want in zip(array.shape, shape, strict=True)
        ):
            raise self.fail(f"{name} must be {_expected(shape, kinds)}, "
                            f"found {_describe(array)}")
        return array

    def matrix(self, name: str, kinds: str = _FLOAT, sparse: bool = False) -> Any:
        """A non-empty 2-D array of any shape (the first array that fixes the sizes)."""
        value = self.array(name, (None, None), kinds, sparse=sparse)
        if 0 in value.shape:
            raise self.fail(f"{name} must not be empty, found shape {list(value.shape)}")
        return value

    def iterations(self, names: tuple[str, ...]) -> None:
        """Parameters (or derived attributes) that bound a loop of ``transform``."""
        for name in names:
            value: Any = getattr(self.est, name, None)
            if _is_int(value) and value > MAX_INFERENCE_ITER:
                raise self.fail(f"{name} is {value}, more than the {MAX_INFERENCE_ITER} "
                                "iterations a loaded model may run per call")

    def no_callable(self, names: tuple[str, ...]) -> None:
        for name in names:
            check_callable(self.fail, name, getattr(self.est, name))


def _is_sparse(value: Any) -> bool:
    import scipy.sparse as sp

    return bool(sp.issparse(value))


def _expected(shape: Shape, kinds: str) -> str:
    kind = {"f": "float", "iub": "integer", "fiub": "numeric"}.get(kinds, kinds)
    sizes = ", ".join("*" if s is None else str(s) for s in shape)
    return f"a {kind} array of shape [{sizes}]"


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray) or _is_sparse(value):
        return f"{value.dtype} {list(value.shape)}"
    return f"{type(value).__name__}"


def check_callable(fail: Callable[[str], ReconstructionError], name: str, value: Any) -> None:
    if callable(value) and not _allowed_function(value):
        raise fail(f"{name} must be a string, nil or an allowlisted function, not a "
                   f"{type(value).__name__}")


def _write_check(names: tuple[str, ...]) -> Callable[[Any, P.Path], None]:
    """Refuse, when writing, a callable parameter that the reader would refuse."""
    def check(est: Any, path: P.Path) -> None:
        for name in names:
            value = getattr(est, name, None)
            if callable(value) and not _allowed_function(value):
                shown = getattr(value, "__qualname__", None) or type(value).__name__
                raise UnsupportedTypeError(
                    f"cannot write {type(est).__name__} with {name}={shown:.80}: only strings "
                    "and the allowlisted functions can be written (never a Python callable)",
                    path=P.render(path))
    return check


# ---------------------------------------------------------------- decompositions

def _components(c: _Checks, n_features: int, name: str = "components_") -> int:
    components = c.matrix(name)
    c.array(name, (None, n_features), value=components)
    return int(components.shape[0])


def _validate_dictionary_learning(tag: str, minibatch: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        c = _Checks(est, tag, path)
        c.no_callable(("callback",))
        c.iterations(("transform_max_iter",))
        names: tuple[str, ...] = ("components_", "n_features_in_")
        if minibatch:
            names += ("_A", "_B", "_n_components", "_batch_size", "_fit_algorithm")
        if not c.fitted(names):
            return
        d = c.count("n_features_in_")
        k = _components(c, d)
        if minibatch:
            if c.count("_n_components") != k:
                raise c.fail(f"_n_components must be {k}, the rows of components_")
            c.array("_A", (k, k))
            c.array("_B", (d, k))
            c.count("_batch_size")
            if c.state["_fit_algorithm"] not in ("lasso_lars", "lasso_cd"):
                raise c.fail("_fit_algorithm must be 'lasso_lars' or 'lasso_cd'")
    return validate


def _validate_sparse_coder(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.decomposition.SparseCoder", path)
    c.iterations(("transform_max_iter",))
    dictionary = est.dictionary
    if isinstance(dictionary, np.ndarray):
        c.array("dictionary", (None, None), value=dictionary)
    if not c.fitted(("n_features_in_", "n_components_")):
        return
    k, d = c.array("dictionary", (None, None), value=dictionary).shape
    if c.count("n_features_in_") != d or c.count("n_components_") != k:
        raise c.fail(f"n_components_ and n_features_in_ must be {k} and {d}, the shape of "
                     "dictionary")


def _validate_factor_analysis(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.decomposition.FactorAnalysis", path)
    if not c.fitted(("components_", "mean_", "noise_variance_", "n_features_in_")):
        return
    d = c.count("n_features_in_")
    _components(c, d)
    c.array("mean_", (d,))
    c.array("noise_variance_", (d,))


def _validate_fastica(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.decomposition.FastICA", path)
    c.no_callable(("fun",))
    if not c.fitted(("components_", "mixing_", "_unmixing", "n_features_in_")):
        return
    d = c.count("n_features_in_")
    k = _components(c, d)
    c.array("mixing_", (d, k))
    c.array("_unmixing", (k, k))
    # transform subtracts mean_ when whiten is on; fit sets both or neither
    if est.whiten and not ("mean_" in c.state and "whitening_" in c.state):
        raise c.fail("a whitening FastICA must have mean_ and whitening_")
    if c.fitted(("mean_", "whitening_")):
        c.array("mean_", (d,))
        c.array("whitening_", (k, d))


def _validate_incremental_pca(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.decomposition.IncrementalPCA", path)
    names = ("components_", "mean_", "var_", "explained_variance_", "explained_variance_ratio_",
             "singular_values_", "n_components_", "n_features_in_", "n_samples_seen_")
    if not c.fitted(names):
        return
    d = c.count("n_features_in_")
    k = _components(c, d)
    if c.count("n_components_") != k:
        raise c.fail(f"n_components_ must be {k}, the rows of components_")
    for name in ("mean_", "var_"):
        c.array(name, (d,))
    for name in ("explained_variance_", "explained_variance_ratio_", "singular_values_"):
        c.array(name, (k,))
    seen = c.state["n_samples_seen_"]
    if not (_is_real(seen) or (isinstance(seen, np.ndarray) and seen.shape in ((), (d,)))):
        raise c.fail("n_samples_seen_ must be a number or one count per feature")


_KERNEL_PCA_KERNELS = frozenset({"linear", "poly", "rbf", "sigmoid", "cosine", "precomputed"})


def _validate_kernel_pca(est: Any, path: str) -> None:
    from sklearn.preprocessing import KernelCenterer

    c = _Checks(est, "sklearn.decomposition.KernelPCA", path)
    c.no_callable(("kernel",))
    params = est.kernel_params
    if params is not None and (type(params) is not dict
                               or not all(type(k) is str for k in params)):
        raise c.fail("kernel_params must be nil or a dict with string keys")
    names = ("eigenvalues_", "eigenvectors_", "X_fit_", "_centerer", "n_features_in_",
             "gamma_")
    if not c.fitted(names):
        return
    d = c.count("n_features_in_")
    vectors = c.matrix("eigenvectors_")
    n, k = vectors.shape
    c.array("eigenvalues_", (k,))
    x_fit = c.array("X_fit_", (n, d), kinds="fiub", sparse=True)
    if est.kernel == "precomputed" and x_fit.shape != (n, n):
        raise c.fail(f"a precomputed KernelPCA must hold the [{n}, {n}] training kernel")
    c.real("gamma_")
    centerer = c.state["_centerer"]
    if type(centerer) is not KernelCenterer:
        raise c.fail("_centerer must be a KernelCenterer")
    cc = _Checks(centerer, c.tag, path)
    if not cc.fitted(("K_fit_rows_", "K_fit_all_", "n_features_in_")):
        raise c.fail("_centerer must be fitted")
    if cc.count("n_features_in_") != n:
        raise c.fail(f"_centerer.n_features_in_ must be {n}, the number of fitted samples")
    cc.array("K_fit_rows_", (n,))
    cc.real("K_fit_all_")
    if c.fitted(("dual_coef_", "X_transformed_fit_")):  # fit_inverse_transform
        c.array("dual_coef_", (n, d))
        c.array("X_transformed_fit_", (n, k))


def _validate_lda(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.decomposition.LatentDirichletAllocation", path)
    c.iterations(("max_doc_update_iter",))
    names = ("components_", "exp_dirichlet_component_", "doc_topic_prior_",
             "topic_word_prior_", "n_features_in_", "random_state_")
    if not c.fitted(names):
        return
    d = c.count("n_features_in_")
    k = _components(c, d)
    dtype = c.state["components_"].dtype
    exp = c.array("exp_dirichlet_component_", (k, d))
    if exp.dtype != dtype:
        raise c.fail(f"exp_dirichlet_component_ must have the dtype of components_ ({dtype})")
    c.real("doc_topic_prior_")
    c.real("topic_word_prior_")
    if type(c.state["random_state_"]) is not np.random.RandomState:
        raise c.fail("random_state_ must be a RandomState")


def _validate_nmf(tag: str, minibatch: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        c = _Checks(est, tag, path)
        c.iterations(("max_iter", "transform_max_iter", "_transform_max_iter") if minibatch
                     else ("max_iter",))
        names: tuple[str, ...] = ("components_", "n_components_", "_n_components", "_beta_loss",
                 "n_features_in_")
        if minibatch:
            names += ("_components_numerator", "_components_denominator", "_gamma",
                      "_transform_max_iter", "_batch_size", "_rho")
        if not c.fitted(names):
            return
        d = c.count("n_features_in_")
        k = _components(c, d)
        if c.count("n_components_") != k or c.count("_n_components") != k:
            raise c.fail(f"n_components_ and _n_components must be {k}, the rows of "
                         "components_")
        c.real("_beta_loss")
        if not minibatch:
            return
        c.array("_components_numerator", (k, d))
        c.array("_components_denominator", (k, d))
        c.real("_gamma")
        c.count("_transform_max_iter")
        c.count("_batch_size")
        c.real("_rho")
    return validate


def _validate_sparse_pca(tag: str, minibatch: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        c = _Checks(est, tag, path)
        if minibatch:
            c.no_callable(("callback",))
        if not c.fitted(("components_", "mean_", "n_components_", "n_features_in_")):
            return
        d = c.count("n_features_in_")
        k = _components(c, d)
        if c.count("n_components_") != k:
            raise c.fail(f"n_components_ must be {k}, the rows of components_")
        c.array("mean_", (d,))
    return validate


# ---------------------------------------------------------------- manifold learning

def _embedding(c: _Checks) -> tuple[int, int]:
    embedding = c.matrix("embedding_")
    return int(embedding.shape[0]), int(embedding.shape[1])


def _embedding_validator(tag: str, callables: tuple[str, ...],
                         square: tuple[str, ...] = ()) -> Validator:
    """TSNE, MDS, ClassicalMDS, SpectralEmbedding: no inference method, only shapes."""
    def validate(est: Any, path: str) -> None:
        c = _Checks(est, tag, path)
        c.no_callable(callables)
        if not c.fitted(("embedding_", "n_features_in_", *square)):
            return
        c.count("n_features_in_")
        n, k = _embedding(c)
        for name in square:
            c.array(name, (n, n), kinds="fiub", sparse=True)
        if "eigenvalues_" in c.state:
            c.array("eigenvalues_", (k,))
    return validate


def _neighbors_of(c: _Checks) -> tuple[int, int]:
    """The fitted ``nbrs_`` (validated by its own entry): (n_samples_fit_, n_features_in_)."""
    from sklearn.neighbors import NearestNeighbors

    nbrs = c.state["nbrs_"]
    if type(nbrs) is not NearestNeighbors or "n_samples_fit_" not in vars(nbrs):
        raise c.fail("nbrs_ must be a fitted NearestNeighbors")
    d = c.count("n_features_in_")
    if nbrs.n_features_in_ != d:
        raise c.fail(f"nbrs_ has {nbrs.n_features_in_} features, but n_features_in_ is {d}")
    return int(nbrs.n_samples_fit_), d


def _validate_isomap(est: Any, path: str) -> None:
    from sklearn.decomposition import KernelPCA

    c = _Checks(est, "sklearn.manifold.Isomap", path)
    c.no_callable(("metric",))
    names = ("nbrs_", "kernel_pca_", "dist_matrix_", "embedding_", "n_features_in_",
             "_n_features_out")
    if not c.fitted(names):
        return
    n, _ = _neighbors_of(c)
    c.array("dist_matrix_", (n, n))
    _, k = _embedding(c)
    c.array("embedding_", (n, k))
    if c.count("_n_features_out") != k:
        raise c.fail(f"_n_features_out must be {k}, the columns of embedding_")
    kpca = c.state["kernel_pca_"]
    if (type(kpca) is not KernelPCA or kpca.kernel != "precomputed"
            or "eigenvectors_" not in vars(kpca)):
        raise c.fail("kernel_pca_ must be a fitted KernelPCA with a precomputed kernel")
    if kpca.n_features_in_ != n or kpca.eigenvectors_.shape[1] != k:
        raise c.fail(f"kernel_pca_ must be fitted on the [{n}, {n}] geodesic kernel with {k} "
                     "components")


def _validate_lle(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.manifold.LocallyLinearEmbedding", path)
    names = ("nbrs_", "embedding_", "n_features_in_", "_n_features_out")
    if not c.fitted(names):
        return
    n, _ = _neighbors_of(c)
    # transform fills rows of n_components values with embedding_ rows
    k = est.n_components
    c.array("embedding_", (n, k))
    if c.count("_n_features_out") != k:
        raise c.fail(f"_n_features_out must be {k}, the columns of embedding_")


# ---------------------------------------------------------------- mixtures

def _covariance_shape(covariance_type: str, k: int, d: int) -> Shape:
    return {"full": (k, d, d), "tied": (d, d), "diag": (k, d), "spherical": (k,)}[
        covariance_type]


def _validate_mixture(tag: str, bayesian: bool) -> Validator:
    def validate(est: Any, path: str) -> None:
        c = _Checks(est, tag, path)
        names: tuple[str, ...] = ("weights_", "means_", "covariances_", "precisions_cholesky_",
                                  "precisions_",
                 "n_features_in_")
        if bayesian:
            names += ("weight_concentration_", "mean_precision_", "degrees_of_freedom_",
                      "mean_prior_", "covariance_prior_")
        if not c.fitted(names):
            return
        d = c.count("n_features_in_")
        k = len(c.array("weights_", (None,)))
        if not k:
            raise c.fail("weights_ must not be empty")
        c.array("means_", (k, d))
        shape = _covariance_shape(est.covariance_type, k, d)
        for name in ("covariances_", "precisions_cholesky_", "precisions_"):
            c.array(name, shape)
        if not bayesian:
            return
        concentration = c.state["weight_concentration_"]
        if est.weight_concentration_prior_type == "dirichlet_process":
            if type(concentration) is not tuple or len(concentration) != 2:
                raise c.fail("weight_concentration_ must be a pair of arrays for a "
                             "dirichlet_process prior")
            for part in concentration:
                c.array("weight_concentration_", (k,), value=part)
        else:
            c.array("weight_concentration_", (k,))
        c.array("mean_precision_", (k,))
        if est.covariance_type == "tied":
            c.real("degrees_of_freedom_")
        else:
            c.array("degrees_of_freedom_", (k,))
        c.array("mean_prior_", (d,))
        if est.covariance_type == "spherical":
            c.real("covariance_prior_")
        else:
            c.array("covariance_prior_", (d,) if est.covariance_type == "diag" else (d, d))
    return validate


# ---------------------------------------------------------------- BernoulliRBM

def _validate_rbm(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.neural_network.BernoulliRBM", path)
    names = ("components_", "intercept_hidden_", "intercept_visible_", "h_samples_",
             "n_features_in_", "_n_features_out")
    if not c.fitted(names):
        return
    d = c.count("n_features_in_")
    k = _components(c, d)
    if c.count("_n_features_out") != k:
        raise c.fail(f"_n_features_out must be {k}, the rows of components_")
    c.array("intercept_hidden_", (k,))
    c.array("intercept_visible_", (d,))
    c.array("h_samples_", (None, k))


# ---------------------------------------------------------------- Gaussian processes

def _kernel_classes() -> dict[str, type]:
    from sklearn.gaussian_process import kernels

    return {name: getattr(kernels, name) for name in _KERNEL_FIELDS}


def _kernel_nodes(kernel: Any) -> Iterator[Any]:
    yield kernel
    params = vars(kernel)
    for name in ("k1", "k2", "kernel"):
        if name in params:
            yield from _kernel_nodes(params[name])
    for sub in params.get("kernels", ()):
        yield from _kernel_nodes(sub)


def _check_kernel(c: _Checks, name: str, value: Any, n_features: int | None,
                  optional: bool = False) -> None:
    if value is None and optional:
        return
    if type(value) not in _kernel_classes().values():
        raise c.fail(f"{name} must be {'nil or ' if optional else ''}an allowlisted kernel")
    if n_features is None:
        return
    for node in _kernel_nodes(value):
        scale = np.ravel(vars(node).get("length_scale", 1.0))
        if len(scale) > 1 and len(scale) != n_features:
            raise c.fail(f"{name} has an anisotropic length_scale of {len(scale)} entries, "
                         f"but n_features_in_ is {n_features}")


def _check_gp_params(c: _Checks) -> None:
    c.no_callable(("optimizer",))
    if not _is_int(c.est.n_restarts_optimizer) or c.est.n_restarts_optimizer < 0:
        raise c.fail("n_restarts_optimizer must be a non-negative integer")


def _gp_training_set(c: _Checks, binary: bool = False) -> tuple[int, int]:
    """(samples, features) of ``X_train_``; the binary classifier has no ``n_features_in_``."""
    x_train = c.matrix("X_train_", kinds="fiub")
    if binary:
        return int(x_train.shape[0]), int(x_train.shape[1])
    d = c.count("n_features_in_")
    c.array("X_train_", (None, d), kinds="fiub", value=x_train)
    return int(x_train.shape[0]), d


def _validate_gpr(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.gaussian_process.GaussianProcessRegressor", path)
    _check_gp_params(c)
    _check_kernel(c, "kernel", est.kernel, None, optional=True)
    names = ("X_train_", "y_train_", "alpha_", "L_", "kernel_", "_y_train_mean",
             "_y_train_std", "n_features_in_")
    if not c.fitted(names):
        return
    n, d = _gp_training_set(c)
    _check_kernel(c, "kernel_", c.state["kernel_"], d)
    y = c.state["y_train_"]
    if type(y) is not np.ndarray or y.ndim not in (1, 2):
        raise c.fail("y_train_ must be a 1-D or 2-D array")
    targets = 1 if y.ndim == 1 else y.shape[1]
    c.array("y_train_", (n,) if y.ndim == 1 else (n, targets))
    c.array("alpha_", y.shape)
    c.array("L_", (n, n))
    for name in ("_y_train_mean", "_y_train_std"):
        value = c.state[name]
        if type(value) is not np.ndarray or value.dtype.kind != "f" or value.shape not in (
                (), (1,), (targets,)):
            raise c.fail(f"{name} must be a float array of shape [] or [{targets}], found "
                         f"{_describe(value)}")
    alpha = est.alpha
    if isinstance(alpha, np.ndarray) and alpha.shape not in ((), (1,), (n,)):
        raise c.fail(f"alpha must be a number or one value per training sample ({n})")


def _validate_binary_gpc(est: Any, path: str) -> None:
    c = _Checks(est, "sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace", path)
    _check_gp_params(c)
    _check_kernel(c, "kernel", est.kernel, None, optional=True)
    for name in ("warm_start", "copy_X_train"):
        if not _is_bool(getattr(est, name)):
            raise c.fail(f"{name} must be a bool")
    if not _is_int(est.max_iter_predict) or est.max_iter_predict < 1:
        raise c.fail("max_iter_predict must be a positive integer")
    names = ("X_train_", "y_train_", "classes_", "kernel_", "pi_", "W_sr_", "L_")
    if not c.fitted(names):
        return
    n, d = _gp_training_set(c, binary=True)
    _check_kernel(c, "kernel_", c.state["kernel_"], d)
    y = c.array("y_train_", (n,), kinds="iub")
    if y.size and (y.min() < 0 or y.max() > 1):
        raise c.fail("y_train_ must hold the class indices 0 and 1")
    classes = c.state["classes_"]
    if type(classes) is not np.ndarray or classes.shape != (2,):
        raise c.fail(f"classes_ must be an array of 2 labels, found {_describe(classes)}")
    for name in ("pi_", "W_sr_"):
        c.array(name, (n,))
    c.array("L_", (n, n))
    if "f_cached" in c.state:
        c.array("f_cached", (n,))


def _validate_gpc(est: Any, path: str) -> None:
    from sklearn.gaussian_process._gpc import _BinaryGaussianProcessClassifierLaplace as Binary

    c = _Checks(est, "sklearn.gaussian_process.GaussianProcessClassifier", path)
    _check_gp_params(c)
    _check_kernel(c, "kernel", est.kernel, None, optional=True)
    names = ("base_estimator_", "classes_", "n_classes_", "n_features_in_")
    if not c.fitted(names):
        return
    d = c.count("n_features_in_")
    classes = c.state["classes_"]
    if type(classes) is not np.ndarray or classes.ndim != 1:
        raise c.fail("classes_ must be a 1-D array")
    n_classes = c.count("n_classes_", low=2)
    if n_classes != len(classes):
        raise c.fail(f"n_classes_ must be {len(classes)}, the length of classes_")
    base = c.state["base_estimator_"]
    members: Any = [base]
    if n_classes > 2:
        from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier

        counts = {OneVsRestClassifier: n_classes,
                  OneVsOneClassifier: n_classes * (n_classes - 1) // 2}
        expected = counts.get(type(base))
        members = vars(base).get("estimators_") if expected is not None else None
        if type(members) not in (list, tuple) or len(members) != expected:
            raise c.fail(f"base_estimator_ must be a fitted OneVsRestClassifier of {n_classes} "
                         f"or OneVsOneClassifier of {n_classes * (n_classes - 1) // 2} binary "
                         "classifiers")
        if not np.array_equal(vars(base).get("classes_"), classes):
            raise c.fail("base_estimator_.classes_ must be classes_")
    for member in members:
        x_train = vars(member).get("X_train_") if type(member) is Binary else None
        if getattr(x_train, "shape", (0, 0))[1:] != (d,):
            raise c.fail(f"base_estimator_ must hold fitted binary Laplace classifiers with "
                         f"{d} features")


# Kernel entries: the fields of each kernel are exactly its constructor parameters.
_KERNEL_FIELDS: dict[str, tuple[str, ...]] = {
    "RBF": ("length_scale", "length_scale_bounds"),
    "Matern": ("length_scale", "length_scale_bounds", "nu"),
    "RationalQuadratic": ("alpha", "alpha_bounds", "length_scale", "length_scale_bounds"),
    "ExpSineSquared": ("length_scale", "length_scale_bounds", "periodicity",
                       "periodicity_bounds"),
    "DotProduct": ("sigma_0", "sigma_0_bounds"),
    "ConstantKernel": ("constant_value", "constant_value_bounds"),
    "WhiteKernel": ("noise_level", "noise_level_bounds"),
    "PairwiseKernel": ("gamma", "gamma_bounds", "metric", "pairwise_kernels_kwargs"),
    "Sum": ("k1", "k2"),
    "Product": ("k1", "k2"),
    "Exponentiation": ("exponent", "kernel"),
    "CompoundKernel": ("kernels",),
}
#: Hyper-parameter -> (lowest value, whether the lowest value itself is allowed, may be an
#: array of one value per feature).
_HYPER: dict[str, tuple[float, bool, bool]] = {
    "length_scale": (0.0, False, True),
    "nu": (0.0, False, False),
    "alpha": (0.0, False, False),
    "periodicity": (0.0, False, False),
    "sigma_0": (0.0, True, False),
    "constant_value": (-math.inf, True, False),
    "noise_level": (0.0, True, False),
    "gamma": (0.0, True, False),
}
#: The keyword parameters each PairwiseKernel metric takes besides gamma
#: (sklearn.metrics.pairwise.KERNEL_PARAMS without gamma).
_PAIRWISE_KWARGS: dict[str, frozenset[str]] = {
    "additive_chi2": frozenset(),
    "chi2": frozenset(),
    "cosine": frozenset(),
    "linear": frozenset(),
    "poly": frozenset({"degree", "coef0"}),
    "polynomial": frozenset({"degree", "coef0"}),
    "rbf": frozenset(),
    "laplacian": frozenset(),
    "sigmoid": frozenset({"coef0"}),
}
_MAX_LENGTH_SCALES = 2**20


def _kernel_fail(tag: str, path: P.Path, message: str) -> ReconstructionError:
    return ReconstructionError(message, type_name=tag, path=P.render(path))


def _hyper_value(tag: str, path: P.Path, name: str, value: Any) -> int:
    """Check a hyper-parameter's value; its number of elements."""
    low, inclusive, per_feature = _HYPER[name]
    if per_feature and isinstance(value, np.ndarray | list | tuple):
        try:
            array = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise _kernel_fail(tag, path, f"{name} must be numbers") from exc
        if (type(value) is not np.ndarray and not all(_is_real(v) for v in value)) or (
                array.ndim != 1 or not 1 <= array.size <= _MAX_LENGTH_SCALES):
            raise _kernel_fail(tag, path, f"{name} must be a number or a 1-D array of numbers")
        values = array
    elif _is_real(value):
        values = np.asarray([value], dtype=np.float64)
    else:
        raise _kernel_fail(tag, path, f"{name} must be a real number, found "
                           f"{type(value).__name__}")
    ok = (values >= low) if inclusive else (values > low)
    finite_ok = np.isfinite(values) | ((values == math.inf) & (name == "nu"))
    if not (ok & finite_ok).all():
        bound = f"{'>=' if inclusive else '>'} {low} and " if low > -math.inf else ""
        raise _kernel_fail(tag, path, f"{name} must be {bound}finite, found "
                           f"{float(values[~(ok & finite_ok)][0])!r}")
    return int(values.size)


def _bounds(tag: str, path: P.Path, name: str, bounds: Any, n_elements: int) -> None:
    if type(bounds) is str:
        if bounds != "fixed":
            raise _kernel_fail(tag, path, f"{name} must be 'fixed' or [low, high] pairs")
        return
    if not isinstance(bounds, np.ndarray | list | tuple):
        raise _kernel_fail(tag, path, f"{name} must be 'fixed' or [low, high] pairs")
    try:
        array = np.atleast_2d(np.asarray(bounds, dtype=np.float64))
    except (TypeError, ValueError) as exc:
        raise _kernel_fail(tag, path, f"{name} must be numbers") from exc
    if array.ndim != 2 or array.shape[1] != 2 or array.shape[0] not in (1, n_elements):
        raise _kernel_fail(tag, path, f"{name} must be one [low, high] pair or {n_elements}, "
                           f"found shape {list(array.shape)}")
    low, high = array[:, 0], array[:, 1]
    if not ((low >= 0) & (low <= high)).all():
        raise _kernel_fail(tag, path, f"{name} must be pairs with 0 <= low <= high")


def _check_pairwise_kwargs(tag: str, path: P.Path, metric: str, kwargs: Any) -> None:
    if kwargs is None:
        return
    allowed = _PAIRWISE_KWARGS[metric]
    if type(kwargs) is not dict or not all(type(k) is str and k in allowed for k in kwargs):
        raise _kernel_fail(tag, path, f"pairwise_kernels_kwargs of metric {metric!r} may only "
                           f"set {sorted(allowed)}")
    for key, value in kwargs.items():
        if not _is_real(value) or not math.isfinite(value):
            raise _kernel_fail(tag, path, f"pairwise_kernels_kwargs {key} must be a finite "
                               "number")


def _kernel_decoder(cls: type, tag: str) -> Callable[[dict[str, Any], Any, P.Path], Any]:
    fields = _KERNEL_FIELDS[cls.__name__]
    allowed = frozenset(_kernel_classes().values())

    def operand(name: str, value: Any, path: P.Path) -> None:
        if type(value) not in allowed:
            raise _kernel_fail(tag, path, f"{name} must be an allowlisted kernel, found "
                               f"{type(value).__name__}")

    def decode(node: dict[str, Any], dec: Any, path: P.Path) -> Any:
        values = {name: dec.field(node, name, path) for name in fields}
        sizes: dict[str, int] = {}
        for name, value in values.items():
            if name in _HYPER:
                sizes[name] = _hyper_value(tag, path, name, value)
        for name, value in values.items():
            if name.endswith("_bounds"):
                _bounds(tag, path, name, value, sizes[name[:-len("_bounds")]])
        for name in ("k1", "k2", "kernel"):
            if name in values:
                operand(name, values[name], path)
        if "exponent" in values and (not _is_real(values["exponent"])
                                     or not math.isfinite(values["exponent"])):
            raise _kernel_fail(tag, path, "exponent must be a finite real number")
        if "kernels" in values:
            kernels = values["kernels"]
            if type(kernels) is not list or not kernels:
                raise _kernel_fail(tag, path, "kernels must be a non-empty list of kernels")
            for i, sub in enumerate(kernels):
                operand(f"kernels[{i}]", sub, path)
        if "metric" in values:
            metric = values["metric"]
            if type(metric) is not str or metric not in _PAIRWISE_KWARGS:
                raise _kernel_fail(tag, path, f"metric must be one of {sorted(_PAIRWISE_KWARGS)}"
                                   f", found {metric!r:.40}")
            _check_pairwise_kwargs(tag, path, metric, values["pairwise_kernels_kwargs"])
        if cls.__name__ in ("RationalQuadratic", "ExpSineSquared") and sizes["length_scale"] != 1:
            raise _kernel_fail(tag, path, f"{cls.__name__} supports only a scalar length_scale")
        return cls(**values)

    return decode


def _kernel_encoder(cls: type, tag: str) -> Callable[[Any, Any, P.Path], dict[str, Any]]:
    fields = _KERNEL_FIELDS[cls.__name__]

    def encode(kernel: Any, enc: Any, path: P.Path) -> dict[str, Any]:
        state = vars(kernel)
        if state.keys() != set(fields):
            raise UnsupportedTypeError(
                f"cannot write this {tag}: its attributes {sorted(state)} are not its "
                f"parameters {sorted(fields)}", path=P.render(path))
        metric = state.get("metric")
        if "metric" in state and type(metric) is not str:
            raise UnsupportedTypeError(
                f"cannot write a PairwiseKernel whose metric is a "
                f"{type(metric).__name__}: only kernel names can be written",
                path=P.render(path))
        return {name: enc.encode(state[name], (path, f".{name}")) for name in sorted(fields)}

    return encode


# ---------------------------------------------------------------- registration

def register(registry: Registry) -> None:
    """Add this family's classes, each with the validators its native consumers need."""
    from sklearn import decomposition as dec
    from sklearn import gaussian_process as gp
    from sklearn import manifold, mixture, neural_network
    from sklearn.gaussian_process._gpc import _BinaryGaussianProcessClassifierLaplace

    from . import tag_for

    def add(cls: type, validate: Validator, callables: tuple[str, ...] = ()) -> None:
        # Every validator also checks parameters (callables, iteration counts, kernels).
        entry = estimator_entry(cls, tag_for(cls), validate, validate_unfitted=True)
        if callables:
            entry = with_write_check(entry, _write_check(callables))
        registry.add(entry)

    def tag(cls: type) -> str:
        return tag_for(cls)

    add(dec.DictionaryLearning,
        _validate_dictionary_learning(tag(dec.DictionaryLearning), False), ("callback",))
    add(dec.MiniBatchDictionaryLearning,
        _validate_dictionary_learning(tag(dec.MiniBatchDictionaryLearning), True), ("callback",))
    add(dec.SparseCoder, _validate_sparse_coder)
    add(dec.FactorAnalysis, _validate_factor_analysis)
    add(dec.FastICA, _validate_fastica, ("fun",))
    add(dec.IncrementalPCA, _validate_incremental_pca)
    add(dec.KernelPCA, _validate_kernel_pca, ("kernel",))
    add(dec.LatentDirichletAllocation, _validate_lda)
    add(dec.NMF, _validate_nmf(tag(dec.NMF), False))
    add(dec.MiniBatchNMF, _validate_nmf(tag(dec.MiniBatchNMF), True))
    add(dec.SparsePCA, _validate_sparse_pca(tag(dec.SparsePCA), False))
    add(dec.MiniBatchSparsePCA, _validate_sparse_pca(tag(dec.MiniBatchSparsePCA), True),
        ("callback",))

    add(manifold.Isomap, _validate_isomap, ("metric",))
    add(manifold.LocallyLinearEmbedding, _validate_lle)
    add(manifold.TSNE, _embedding_validator(tag(manifold.TSNE), ("metric",)), ("metric",))
    add(manifold.MDS, _embedding_validator(tag(manifold.MDS), ("metric",),
                                           ("dissimilarity_matrix_",)), ("metric",))
    add(manifold.ClassicalMDS, _embedding_validator(
        tag(manifold.ClassicalMDS), ("metric",), ("dissimilarity_matrix_",)), ("metric",))
    add(manifold.SpectralEmbedding, _embedding_validator(
        tag(manifold.SpectralEmbedding), ("affinity",), ("affinity_matrix_",)), ("affinity",))

    add(mixture.GaussianMixture, _validate_mixture(tag(mixture.GaussianMixture), False))
    add(mixture.BayesianGaussianMixture,
        _validate_mixture(tag(mixture.BayesianGaussianMixture), True))
    add(neural_network.BernoulliRBM, _validate_rbm)

    add(gp.GaussianProcessRegressor, _validate_gpr, ("optimizer",))
    add(gp.GaussianProcessClassifier, _validate_gpc, ("optimizer",))
    add(_BinaryGaussianProcessClassifierLaplace, _validate_binary_gpc, ("optimizer",))
    for name, cls in _kernel_classes().items():
        kernel_tag = tag_for(cls)
        registry.add(Entry(kernel_tag, cls, _kernel_encoder(cls, kernel_tag),
                           _kernel_decoder(cls, kernel_tag), frozenset(_KERNEL_FIELDS[name])))
