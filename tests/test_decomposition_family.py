"""Decompositions, manifold learning, mixtures, the RBM, Gaussian processes and their kernels:
round trips, refusals when writing, and every validator invariant on hostile files."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.sparse as sp
import testkit
from conftest import HostileBatch, roundtrip
from conftest import edit_array as _array
from conftest import edit_value as _value
from sklearn import decomposition as dec
from sklearn import manifold, mixture
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process import kernels as K
from sklearn.neural_network import BernoulliRBM
from sklearn.pipeline import Pipeline

import paramseal
from paramseal import errors

RNG = np.random.RandomState(3)
X = RNG.rand(40, 4)
XQ = RNG.rand(8, 4)
Y3 = (X[:, 0] * 3).astype(int)          # 3 classes
Y2 = (X[:, 1] > 0.5).astype(int)
YR = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * np.sin(np.arange(40))


# ---------------------------------------------------------------- round trips

DECOMPOSITIONS = [
    dec.DictionaryLearning(n_components=3, max_iter=5, transform_algorithm="omp",
                           random_state=0),
    dec.DictionaryLearning(n_components=5, max_iter=5, fit_algorithm="cd",
                           transform_algorithm="lasso_cd", split_sign=True, random_state=0),
    dec.DictionaryLearning(n_components=3, max_iter=5, transform_algorithm="threshold",
                           fit_algorithm="cd",
                           transform_alpha=0.1, positive_code=True, random_state=0),
    dec.MiniBatchDictionaryLearning(n_components=3, max_iter=3, batch_size=8, random_state=0),
    dec.MiniBatchDictionaryLearning(n_components=4, max_iter=2, batch_size=5,
                                    transform_algorithm="lars", random_state=0),
    dec.SparseCoder(dictionary=RNG.randn(5, 4), transform_algorithm="lasso_lars",
                    transform_alpha=0.05),
    dec.FactorAnalysis(n_components=2, rotation="varimax", random_state=0),
    dec.FactorAnalysis(random_state=0),
    dec.FastICA(n_components=3, max_iter=50, random_state=0),
    dec.FastICA(whiten=False, max_iter=50, random_state=0),
    dec.FastICA(whiten="arbitrary-variance", fun="cube", max_iter=50, random_state=0),
    dec.IncrementalPCA(n_components=2, whiten=True, batch_size=10),
    dec.IncrementalPCA(batch_size=15),
    dec.KernelPCA(n_components=3, kernel="rbf", gamma=0.5),
    dec.KernelPCA(kernel="poly", degree=2, fit_inverse_transform=True),
    dec.KernelPCA(n_components=2, kernel="cosine", remove_zero_eig=True),
    dec.LatentDirichletAllocation(n_components=3, max_iter=3, random_state=0),
    dec.LatentDirichletAllocation(n_components=2, max_iter=2, learning_method="online",
                                  batch_size=10, random_state=0),
    dec.NMF(n_components=2, max_iter=50, random_state=0),
    dec.NMF(n_components=3, solver="mu", beta_loss="kullback-leibler", max_iter=50,
            random_state=0),
    dec.MiniBatchNMF(n_components=2, max_iter=5, batch_size=10, random_state=0),
    dec.MiniBatchNMF(n_components=3, beta_loss="itakura-saito", max_iter=3, batch_size=10,
                     transform_max_iter=7, random_state=0),
    dec.SparsePCA(n_components=2, max_iter=5, random_state=0),
    dec.MiniBatchSparsePCA(n_components=3, max_iter=2, batch_size=10, random_state=0),
]


@pytest.mark.parametrize("model", DECOMPOSITIONS, ids=lambda m: type(m).__name__)
def test_decomposition_roundtrip(model: Any) -> None:
    model.fit(X)
    roundtrip(model, XQ)


def test_float32_and_sparse_fits() -> None:
    roundtrip(dec.IncrementalPCA(n_components=2).fit(X.astype(np.float32)),
              XQ.astype(np.float32))
    roundtrip(dec.NMF(n_components=2, max_iter=30, random_state=0).fit(X.astype(np.float32)),
              XQ.astype(np.float32))
    Xs = sp.csr_matrix(np.where(X > 0.4, X, 0.0))
    loaded = roundtrip(dec.KernelPCA(n_components=2, kernel="rbf").fit(Xs),
                       sp.csr_matrix(XQ))
    assert sp.issparse(loaded.X_fit_)
    roundtrip(dec.LatentDirichletAllocation(n_components=2, max_iter=2, random_state=0)
              .fit(Xs), sp.csr_matrix(XQ))


def test_precomputed_kernel_pca() -> None:
    kernel = X @ X.T
    model = dec.KernelPCA(n_components=3, kernel="precomputed").fit(kernel)
    roundtrip(model, XQ @ X.T)


@pytest.mark.parametrize("model", [
    manifold.Isomap(n_neighbors=6, n_components=2),
    manifold.Isomap(n_neighbors=None, radius=1.0, n_components=3, neighbors_algorithm="brute"),
    manifold.Isomap(n_neighbors=5, neighbors_algorithm="ball_tree", p=1),
    manifold.LocallyLinearEmbedding(n_neighbors=6, n_components=2, random_state=0),
    manifold.LocallyLinearEmbedding(n_neighbors=7, method="modified", random_state=0),
    manifold.LocallyLinearEmbedding(n_neighbors=8, method="hessian", eigen_solver="dense",
                                    random_state=0),
], ids=lambda m: f"{type(m).__name__}")
def test_manifold_with_transform_roundtrip(model: Any) -> None:
    model.fit(X)
    roundtrip(model, XQ)


@pytest.mark.parametrize("model", [
    manifold.TSNE(n_components=2, perplexity=5, max_iter=250, random_state=0),
    manifold.MDS(n_components=2, n_init=1, max_iter=20, init="random", random_state=0),
    manifold.ClassicalMDS(n_components=3),
    manifold.SpectralEmbedding(n_components=2, random_state=0),
    manifold.SpectralEmbedding(n_components=2, affinity="rbf", random_state=0),
], ids=lambda m: type(m).__name__)
def test_embedding_only_roundtrip(model: Any) -> None:
    model.fit(X)
    loaded = roundtrip(model, XQ)
    assert loaded.embedding_.tobytes() == model.embedding_.tobytes()


@pytest.mark.parametrize("cls", [mixture.GaussianMixture, mixture.BayesianGaussianMixture])
@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_mixture_roundtrip(cls: Any, covariance_type: str) -> None:
    model = cls(n_components=3, covariance_type=covariance_type, max_iter=20, random_state=0)
    roundtrip(model.fit(X), XQ)


def test_bayesian_mixture_dirichlet_distribution() -> None:
    model = mixture.BayesianGaussianMixture(
        n_components=2, weight_concentration_prior_type="dirichlet_distribution",
        random_state=0).fit(X)
    roundtrip(model, XQ)


def test_rbm_roundtrip() -> None:
    model = BernoulliRBM(n_components=6, n_iter=3, batch_size=8, random_state=0).fit(X)
    loaded = roundtrip(model, XQ)
    assert loaded.score_samples(XQ).tobytes() == model.score_samples(XQ).tobytes()


KERNELS = [
    K.ConstantKernel() * K.RBF() + K.WhiteKernel(),
    K.RBF(length_scale=[1.0, 2.0, 0.5, 1.0]),
    K.Matern(length_scale=[1.0, 1.0, 2.0, 1.0], nu=2.5) + K.WhiteKernel(0.1, "fixed"),
    K.Matern(nu=0.5, length_scale_bounds="fixed"),
    K.RationalQuadratic(alpha=0.5) * K.ConstantKernel(2.0, (0.1, 10.0)),
    K.ExpSineSquared(periodicity=3.0, periodicity_bounds="fixed") + K.DotProduct(),
    K.DotProduct(sigma_0=0.5) ** 2,
    K.PairwiseKernel(metric="poly", pairwise_kernels_kwargs={"degree": 2, "coef0": 1.0}),
    K.PairwiseKernel(metric="laplacian", gamma=0.3, gamma_bounds="fixed"),
    K.RBF(length_scale=np.array([0.7, 1.3, 1.0, 2.0]),
          length_scale_bounds=np.array([[1e-2, 1e2]] * 4)),
]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: type(k).__name__)
def test_gpr_kernels_roundtrip(kernel: Any) -> None:
    model = GaussianProcessRegressor(kernel, alpha=5.0, optimizer=None, random_state=0)
    model.fit(X, YR)
    loaded = roundtrip(model, XQ)
    assert loaded.kernel_ == model.kernel_
    mean, std = loaded.predict(XQ, return_std=True)
    expected = model.predict(XQ, return_std=True)
    assert mean.tobytes() == expected[0].tobytes() and std.tobytes() == expected[1].tobytes()


def test_gpr_fitted_hyperparameters_and_two_targets() -> None:
    model = GaussianProcessRegressor(K.ConstantKernel() * K.RBF([1.0] * 4), normalize_y=True,
                                     random_state=0)
    model.fit(X, np.c_[YR, -YR])
    loaded = roundtrip(model, XQ)
    assert loaded.kernel_.get_params().keys() == model.kernel_.get_params().keys()
    cov = loaded.predict(XQ, return_cov=True)[1]
    assert cov.tobytes() == model.predict(XQ, return_cov=True)[1].tobytes()


def test_kernels_alone_and_compound() -> None:
    for kernel in [*KERNELS, K.CompoundKernel([K.RBF(2.0), K.WhiteKernel()])]:
        data = paramseal.dumps(kernel)
        loaded = paramseal.loads(data)
        assert type(loaded) is type(kernel) and loaded == kernel
        assert paramseal.dumps(loaded) == data


@pytest.mark.parametrize("y, multi_class", [(Y2, "one_vs_rest"), (Y3, "one_vs_rest"),
                                            (Y3, "one_vs_one")])
def test_gpc_roundtrip(y: Any, multi_class: str) -> None:
    model = GaussianProcessClassifier(K.RBF(1.0), multi_class=multi_class, random_state=0)
    roundtrip(model.fit(X, y), XQ)


def test_unfitted_in_a_pipeline() -> None:
    pipe = Pipeline([("pca", dec.KernelPCA(kernel="rbf")),
                     ("gmm", mixture.GaussianMixture(2))])
    loaded = paramseal.loads(paramseal.dumps(pipe))
    assert loaded.get_params(deep=True).keys() == pipe.get_params(deep=True).keys()
    gpc = GaussianProcessClassifier(K.ConstantKernel() * K.RBF())
    assert paramseal.loads(paramseal.dumps(gpc)).kernel == gpc.kernel


# ---------------------------------------------------------------- refusals when writing

@pytest.mark.parametrize("model, match", [
    (dec.KernelPCA(kernel=lambda a, b: float(a @ b)), "kernel="),
    (manifold.TSNE(metric=lambda a, b: 0.0), "metric="),
    (GaussianProcessRegressor(optimizer=lambda f, t, bounds: (t, f(t))), "optimizer="),
    (GaussianProcessRegressor(K.PairwiseKernel(metric=lambda a, b: 0.0)),
     "PairwiseKernel whose metric is a function"),
], ids=["kpca-kernel", "tsne-metric", "gpr-optimizer", "pairwise-metric"])
def test_refuses_to_write_callables(model: Any, match: str) -> None:
    with pytest.raises(errors.UnsupportedTypeError, match=match):
        paramseal.dumps(model)


def test_refuses_to_write_a_kernel_with_extra_state() -> None:
    kernel = K.RBF()
    kernel.cache = np.zeros(3)
    with pytest.raises(errors.UnsupportedTypeError, match="are not its parameters"):
        paramseal.dumps(kernel)


# ---------------------------------------------------------------- hostile files

HOSTILE = HostileBatch()
hostile = HOSTILE.case
Edit = Callable[[Any, dict[str, Any]], None]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: Any) -> dict[str, Any]:
    return HOSTILE.run(tmp_path_factory.mktemp("hostile"), XQ)


@functools.cache
def _fitted(name: str) -> Any:
    models: dict[str, Callable[[], Any]] = {
        "dl": lambda: dec.DictionaryLearning(n_components=3, max_iter=3, random_state=0).fit(X),
        "mbdl": lambda: dec.MiniBatchDictionaryLearning(n_components=3, max_iter=2,
                                                        batch_size=8, random_state=0).fit(X),
        "coder": lambda: dec.SparseCoder(dictionary=RNG.randn(5, 4)).fit(X),
        "fa": lambda: dec.FactorAnalysis(n_components=2, random_state=0).fit(X),
        "ica": lambda: dec.FastICA(n_components=3, max_iter=20, random_state=0).fit(X),
        "ipca": lambda: dec.IncrementalPCA(n_components=2, batch_size=10).fit(X),
        "kpca": lambda: dec.KernelPCA(n_components=3, kernel="rbf",
                                      fit_inverse_transform=True).fit(X),
        "lda": lambda: dec.LatentDirichletAllocation(n_components=3, max_iter=2,
                                                     random_state=0).fit(X),
        "nmf": lambda: dec.NMF(n_components=2, max_iter=30, random_state=0).fit(X),
        "mbnmf": lambda: dec.MiniBatchNMF(n_components=2, max_iter=3, batch_size=10,
                                          random_state=0).fit(X),
        "spca": lambda: dec.SparsePCA(n_components=2, max_iter=3, random_state=0).fit(X),
        "isomap": lambda: manifold.Isomap(n_neighbors=6).fit(X),
        "lle": lambda: manifold.LocallyLinearEmbedding(n_neighbors=6, random_state=0).fit(X),
        "spectral": lambda: manifold.SpectralEmbedding(n_components=2, random_state=0).fit(X),
        "mds": lambda: manifold.ClassicalMDS(n_components=2).fit(X),
        "gmm": lambda: mixture.GaussianMixture(3, random_state=0).fit(X),
        "gmm_tied": lambda: mixture.GaussianMixture(3, covariance_type="tied",
                                                    random_state=0).fit(X),
        "bgmm": lambda: mixture.BayesianGaussianMixture(n_components=3, max_iter=20,
                                                        random_state=0).fit(X),
        "rbm": lambda: BernoulliRBM(n_components=5, n_iter=2, random_state=0).fit(X),
        "gpr": lambda: GaussianProcessRegressor(
            K.ConstantKernel() * K.RBF([1.0] * 4) + K.WhiteKernel(), optimizer=None).fit(X, YR),
        "kpca_pre": lambda: dec.KernelPCA(n_components=3, kernel="precomputed").fit(X @ X.T),
        "tsne": lambda: manifold.TSNE(perplexity=5, max_iter=250, random_state=0).fit(X),
        "bgmm_dist": lambda: mixture.BayesianGaussianMixture(
            n_components=3, weight_concentration_prior_type="dirichlet_distribution",
            max_iter=10, random_state=0).fit(X),
        "bgmm_tied": lambda: mixture.BayesianGaussianMixture(
            n_components=3, covariance_type="tied", max_iter=10, random_state=0).fit(X),
        "bgmm_spherical": lambda: mixture.BayesianGaussianMixture(
            n_components=3, covariance_type="spherical", max_iter=10, random_state=0).fit(X),
        "kpca_sparse": lambda: dec.KernelPCA(n_components=2, kernel="rbf").fit(
            sp.csr_matrix(np.where(X > 0.4, X, 0.0))),
        "gpr_alpha": lambda: GaussianProcessRegressor(alpha=np.full(40, 1e-6),
                                                      optimizer=None).fit(X, YR),
        "gpc": lambda: GaussianProcessClassifier(K.RBF(), random_state=0).fit(X, Y2),
        "gpc3": lambda: GaussianProcessClassifier(K.RBF(), random_state=0).fit(X, Y3),
        "gpr_kernels": lambda: GaussianProcessRegressor(
            K.Matern(nu=1.5) * K.RationalQuadratic() + K.ExpSineSquared()
            + K.PairwiseKernel(metric="poly", pairwise_kernels_kwargs={"degree": 2})
            + K.DotProduct() ** 2, alpha=5.0, optimizer=None).fit(X, YR),
    }
    return models[name]()


def _tag(model: Any) -> str:
    from paramseal.sklearn import tag_for

    return tag_for(type(model))


def _edit(name: str, edit: Edit, tag: str | None = None, where: str | None = "state",
          index: int = 0) -> Callable[[], bytes]:
    """Dump the fitted model ``name``, apply ``edit`` to one node's map, pack it again."""
    def build() -> bytes:
        model = _fitted(name)
        parts = testkit.unpack(paramseal.dumps(model))
        node = testkit.find(parts, tag or _tag(model))[index]
        edit(parts, node[where] if where else node)
        return testkit.pack(parts)
    return build


def _delete(key: str) -> Edit:
    def edit(parts: Any, state: dict[str, Any]) -> None:
        del state[key]
    return edit


def _insert(key: str, value: Any) -> Edit:
    def edit(parts: Any, state: dict[str, Any]) -> None:
        state[key] = value
        items = sorted(state.items())
        state.clear()
        state.update(items)
    return edit


def _both(*edits: Edit) -> Edit:
    def edit(parts: Any, state: dict[str, Any]) -> None:
        for one in edits:
            one(parts, state)
    return edit


def _narrow(a: np.ndarray) -> np.ndarray:
    return a[..., :-1].copy()


def _short(a: np.ndarray) -> np.ndarray:
    return a[:-1].copy()


RBF_NODE = {"@": "sklearn.gaussian_process.RBF", "length_scale": 1.0,
            "length_scale_bounds": "fixed"}
TYPE_NODE = {"@": "type", "name": "numpy.float64"}
PARAMS = "params"
KERNEL = None  # edit the kernel node itself

# -- shared rules: all fitted attributes or none; callables; iteration counts
hostile("partially_fitted", "fitted attributes ['n_features_in_'] are missing")(
    _edit("dl", _delete("n_features_in_")))
hostile("kpca_kernel_is_a_kernel_object", "kernel must be a string, nil or an allowlisted "
        "function, not a RBF")(_edit("kpca", _value("kernel", RBF_NODE), where=PARAMS))
hostile("tsne_metric_is_a_class", "metric must be a string, nil or an allowlisted function")(
    lambda: _edit_unfitted(manifold.TSNE(), "metric", TYPE_NODE))
hostile("gpr_optimizer_is_a_class", "optimizer must be a string, nil or an allowlisted")(
    _edit("gpr", _value("optimizer", TYPE_NODE), where=PARAMS))
hostile("dl_callback_is_a_kernel", "callback must be a string, nil or an allowlisted")(
    _edit("dl", _value("callback", RBF_NODE), where=PARAMS))
hostile("lda_doc_update_iterations", "max_doc_update_iter is 1000000000, more than the 100000")(
    _edit("lda", _value("max_doc_update_iter", 10**9), where=PARAMS))
hostile("nmf_iterations", "max_iter is 1000000000, more than the 100000")(
    _edit("nmf", _value("max_iter", 10**9), where=PARAMS))
hostile("mbnmf_transform_iterations", "_transform_max_iter is 1000000000, more than")(
    _edit("mbnmf", _value("_transform_max_iter", 10**9)))
hostile("coder_transform_iterations", "transform_max_iter is 1000000000, more than")(
    _edit("coder", _value("transform_max_iter", 10**9), where=PARAMS))


def _edit_binary(name: str, param: str, value: Any) -> Callable[[], bytes]:
    return _edit(name, _value(param, value),
                 tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace",
                 where=PARAMS)


def _edit_unfitted(model: Any, param: str, node: Any) -> bytes:
    parts = testkit.unpack(paramseal.dumps(model))
    testkit.find(parts, _tag(model))[0]["params"][param] = node
    return testkit.pack(parts)


# -- dictionary learning and sparse coding
hostile("dl_components_narrow", "components_ must be a float array of shape [*, 4], found "
        "float64 [3, 3]")(_edit("dl", _array("components_", _narrow)))
hostile("dl_components_int", "components_ must be a float array")(
    _edit("dl", _array("components_", lambda a: a.astype(np.int64))))
hostile("mbdl_A", "_A must be a float array of shape [3, 3]")(
    _edit("mbdl", _array("_A", _short)))
hostile("mbdl_B", "_B must be a float array of shape [4, 3]")(
    _edit("mbdl", _array("_B", _narrow)))
hostile("mbdl_n_components", "_n_components must be 3")(
    _edit("mbdl", _value("_n_components", 7)))
hostile("mbdl_fit_algorithm", "_fit_algorithm must be 'lasso_lars' or 'lasso_cd'")(
    _edit("mbdl", _value("_fit_algorithm", "omp")))
hostile("mbdl_batch_size", "_batch_size must be an integer >= 1")(
    _edit("mbdl", _value("_batch_size", 0)))
hostile("coder_n_components", "n_components_ and n_features_in_ must be 5 and 4")(
    _edit("coder", _value("n_components_", 9)))
hostile("coder_dictionary_1d", "dictionary must be a float array of shape [*, *]")(
    _edit("coder", _array("dictionary", np.ravel), where=PARAMS))

# -- factor analysis, ICA, incremental PCA, sparse PCA
hostile("fa_mean_short", "mean_ must be a float array of shape [4]")(
    _edit("fa", _array("mean_", _short)))
hostile("fa_noise_int", "noise_variance_ must be a float array of shape [4]")(
    _edit("fa", _array("noise_variance_", lambda a: a.astype(np.int32))))
hostile("ica_mixing", "mixing_ must be a float array of shape [4, 3]")(
    _edit("ica", _array("mixing_", _narrow)))
hostile("ica_unmixing", "_unmixing must be a float array of shape [3, 3]")(
    _edit("ica", _array("_unmixing", _short)))
hostile("ica_whitening_missing", "a whitening FastICA must have mean_ and whitening_")(
    _edit("ica", _delete("whitening_")))
hostile("ica_whitening_shape", "whitening_ must be a float array of shape [3, 4]")(
    _edit("ica", _array("whitening_", _narrow)))
hostile("ica_unwhitened_partial", "fitted attributes ['whitening_'] are missing")(
    _edit("ica", lambda parts, node: (node["params"].__setitem__("whiten", False),
                                      node["state"].pop("whitening_")), where=None))
hostile("ipca_variance_long", "explained_variance_ must be a float array of shape [2]")(
    _edit("ipca", _array("explained_variance_", lambda a: np.r_[a, a])))
hostile("ipca_n_components", "n_components_ must be 2")(
    _edit("ipca", _value("n_components_", 3)))
hostile("ipca_var", "var_ must be a float array of shape [4]")(
    _edit("ipca", _array("var_", _short)))
hostile("ipca_samples_seen", "n_samples_seen_ must be a number or one count per feature")(
    _edit("ipca", _value("n_samples_seen_", "many")))
hostile("spca_mean", "mean_ must be a float array of shape [4]")(
    _edit("spca", _array("mean_", _short)))
hostile("spca_n_components", "n_components_ must be 2")(
    _edit("spca", _value("n_components_", 1)))

# -- kernel PCA
hostile("kpca_eigenvalues", "eigenvalues_ must be a float array of shape [3]")(
    _edit("kpca", _array("eigenvalues_", _short)))
hostile("kpca_x_fit_narrow", "X_fit_ must be a numeric array of shape [40, 4]")(
    _edit("kpca", _array("X_fit_", _narrow)))
hostile("kpca_x_fit_short", "X_fit_ must be a numeric array of shape [40, 4]")(
    _edit("kpca", _array("X_fit_", _short)))
hostile("kpca_centerer_width", "_centerer.n_features_in_ must be 40")(
    _edit("kpca", _both(_value("n_features_in_", 39), _array("K_fit_rows_", _short)),
          tag="sklearn.preprocessing.KernelCenterer"))
hostile("kpca_centerer_not_one", "_centerer must be a KernelCenterer")(
    _edit("kpca", _value("_centerer", {"@": "sklearn.decomposition.PCA", "params": dict(
        sorted(dec.PCA().get_params().items())), "state": {}})))
hostile("kpca_dual_coef", "dual_coef_ must be a float array of shape [40, 4]")(
    _edit("kpca", _array("dual_coef_", _narrow)))
hostile("kpca_inverse_partial", "fitted attributes ['dual_coef_'] are missing")(
    _edit("kpca", _delete("dual_coef_")))
hostile("kpca_kernel_params", "kernel_params must be nil or a dict with string keys")(
    _edit("kpca", _value("kernel_params", {"@": "dict", "keys": [1], "values": [2]}),
          where=PARAMS))

# -- latent Dirichlet allocation, NMF
hostile("lda_exp_narrow", "exp_dirichlet_component_ must be a float array of shape [3, 4]")(
    _edit("lda", _array("exp_dirichlet_component_", _narrow)))
hostile("lda_exp_dtype", "exp_dirichlet_component_ must have the dtype of components_")(
    _edit("lda", _array("exp_dirichlet_component_", lambda a: a.astype(np.float32))))
hostile("lda_exp_rows", "exp_dirichlet_component_ must be a float array of shape [2, 4]")(
    _edit("lda", _array("components_", _short)))
hostile("lda_random_state", "random_state_ must be a RandomState")(
    _edit("lda", _value("random_state_", 5)))
hostile("lda_prior", "doc_topic_prior_ must be a finite real number")(
    _edit("lda", _value("doc_topic_prior_", "x")))
hostile("nmf_n_components", "n_components_ and _n_components must be 2")(
    _edit("nmf", _value("_n_components", 5)))
hostile("nmf_beta_loss", "_beta_loss must be a finite real number")(
    _edit("nmf", _value("_beta_loss", "frobenius")))
hostile("nmf_components_narrow", "components_ must be a float array of shape [*, 4]")(
    _edit("nmf", _array("components_", _narrow)))
hostile("mbnmf_numerator", "_components_numerator must be a float array of shape [2, 4]")(
    _edit("mbnmf", _array("_components_numerator", _narrow)))
hostile("mbnmf_gamma", "_gamma must be a finite real number")(
    _edit("mbnmf", _value("_gamma", None)))
hostile("mbnmf_transform_max_iter", "_transform_max_iter must be an integer >= 1")(
    _edit("mbnmf", _value("_transform_max_iter", 0)))

# -- manifold learning
hostile("isomap_dist_matrix", "dist_matrix_ must be a float array of shape [40, 40]")(
    _edit("isomap", _array("dist_matrix_", _short)))
hostile("isomap_embedding_rows", "embedding_ must be a float array of shape [40, 2]")(
    _edit("isomap", _array("embedding_", _short)))
hostile("isomap_embedding_width", "_n_features_out must be 3, the columns of embedding_")(
    _edit("isomap", _array("embedding_", lambda a: np.c_[a, a[:, 0]])))
hostile("isomap_n_features_out", "_n_features_out must be 2")(
    _edit("isomap", _value("_n_features_out", 5)))
hostile("isomap_nbrs_features", "nbrs_ has 4 features, but n_features_in_ is 3")(
    _edit("isomap", _value("n_features_in_", 3)))
hostile("isomap_kernel_pca_kernel", "kernel_pca_ must be a fitted KernelPCA with a "
        "precomputed kernel")(
    _edit("isomap", _value("kernel", "rbf"), tag="sklearn.decomposition.KernelPCA",
          where=PARAMS))
hostile("isomap_metric_is_a_class", "metric must be a string, nil or an allowlisted")(
    lambda: _edit_unfitted(manifold.Isomap(), "metric", TYPE_NODE))
hostile("isomap_nbrs_missing", "nbrs_ must be a fitted NearestNeighbors")(
    _edit("isomap", _value("nbrs_", None)))
hostile("lle_embedding_rows", "embedding_ must be a float array of shape [40, 2]")(
    _edit("lle", _array("embedding_", _short)))
hostile("lle_n_features_out", "_n_features_out must be 2")(
    _edit("lle", _value("_n_features_out", 1)))
hostile("spectral_affinity", "affinity_matrix_ must be a numeric array of shape [40, 40]")(
    _edit("spectral", _value("affinity_matrix_", None)))
hostile("spectral_sparse_affinity_rows", "affinity_matrix_ must be a numeric array of shape "
        "[39, 39], found float64 [40, 40]")(
    _edit("spectral", _array("embedding_", _short)))
# survey §5 sparse_components_bad_indices, on the sparse matrices of this family (N9):
# refused by the sparse entry (§6.3) before the estimator sees them
hostile("spectral_affinity_bad_indices", "indices must be in [0, 40)")(
    _edit("spectral", _array("indices", lambda a: a + 10**8), tag="sparse", where=None))
hostile("kpca_sparse_x_fit_bad_indices", "indices must be in [0, 4)")(
    _edit("kpca_sparse", _array("indices", lambda a: a + 10**8), tag="sparse", where=None))
hostile("mds_dissimilarity", "dissimilarity_matrix_ must be a numeric array of shape [40, 40]")(
    _edit("mds", _array("dissimilarity_matrix_", _narrow)))

# -- mixtures
hostile("gmm_precisions_cholesky", "precisions_cholesky_ must be a float array of shape "
        "[3, 4, 4]")(_edit("gmm", _array("precisions_cholesky_", _narrow)))
hostile("gmm_means_narrow", "means_ must be a float array of shape [3, 4]")(
    _edit("gmm", _array("means_", _narrow)))
hostile("gmm_weights_short", "means_ must be a float array of shape [2, 4]")(
    _edit("gmm", _array("weights_", _short)))
hostile("gmm_covariance_type", "covariances_ must be a float array of shape [3, 4]")(
    _edit("gmm", _value("covariance_type", "diag"), where=PARAMS))
hostile("gmm_tied_shape", "covariances_ must be a float array of shape [4, 4]")(
    _edit("gmm_tied", _array("covariances_", lambda a: np.stack([a] * 3))))
hostile("bgmm_dof", "degrees_of_freedom_ must be a float array of shape [3]")(
    _edit("bgmm", _array("degrees_of_freedom_", _short)))
hostile("bgmm_concentration", "weight_concentration_ must be a pair of arrays")(
    _edit("bgmm", _value("weight_concentration_", {"@": "tuple", "items": []})))
hostile("bgmm_mean_precision", "mean_precision_ must be a float array of shape [3]")(
    _edit("bgmm", _array("mean_precision_", _short)))
hostile("bgmm_mean_prior", "mean_prior_ must be a float array of shape [4]")(
    _edit("bgmm", _array("mean_prior_", _short)))
hostile("bgmm_covariance_prior", "covariance_prior_ must be a float array of shape [4, 4]")(
    _edit("bgmm", _array("covariance_prior_", _narrow)))

# -- RBM
hostile("rbm_components", "components_ must be a float array of shape [*, 4]")(
    _edit("rbm", _array("components_", _narrow)))
hostile("rbm_hidden", "intercept_hidden_ must be a float array of shape [5]")(
    _edit("rbm", _array("intercept_hidden_", _short)))
hostile("rbm_visible", "intercept_visible_ must be a float array of shape [4]")(
    _edit("rbm", _array("intercept_visible_", _short)))
hostile("rbm_n_features_out", "_n_features_out must be 5")(
    _edit("rbm", _value("_n_features_out", 6)))
hostile("rbm_h_samples", "h_samples_ must be a float array of shape [*, 5]")(
    _edit("rbm", _array("h_samples_", _narrow)))

# -- Gaussian process regressor and classifier
hostile("gpr_L_shape", "L_ must be a float array of shape [40, 40]")(
    _edit("gpr", _array("L_", _short)))
hostile("gpr_alpha_shape", "alpha_ must be a float array of shape [40]")(
    _edit("gpr", _array("alpha_", _short)))
hostile("gpr_x_train_narrow", "X_train_ must be a numeric array of shape [*, 4]")(
    _edit("gpr", _array("X_train_", _narrow)))
hostile("gpr_y_train", "y_train_ must be a float array of shape [40]")(
    _edit("gpr", _array("y_train_", _short)))
hostile("gpr_y_std", "_y_train_std must be a float array of shape [] or [1]")(
    _edit("gpr", _array("_y_train_std", lambda a: np.r_[a, a, a])))
hostile("gpr_kernel_not_kernel", "kernel_ must be an allowlisted kernel")(
    _edit("gpr", _value("kernel_", "rbf")))
hostile("gpr_anisotropic_width", "kernel_ has an anisotropic length_scale of 3 entries, but "
        "n_features_in_ is 4")(
    _edit("gpr", _array("length_scale", _short), tag="sklearn.gaussian_process.RBF",
          where=KERNEL, index=1))
hostile("gpr_alpha_param", "alpha must be a number or one value per training sample (40)")(
    _edit("gpr_alpha", _array("alpha", _short), where=PARAMS))
hostile("gpc_binary_y", "y_train_ must hold the class indices 0 and 1")(
    _edit("gpc", _array("y_train_", lambda a: a + 2),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace"))
hostile("gpc_binary_classes", "classes_ must be an array of 2 labels")(
    _edit("gpc", _array("classes_", lambda a: np.r_[a, 9]),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace"))
hostile("gpc_binary_pi", "pi_ must be a float array of shape [40]")(
    _edit("gpc", _array("pi_", _short),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace"))
hostile("gpc_binary_L", "L_ must be a float array of shape [40, 40]")(
    _edit("gpc", _array("L_", _narrow),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace"))
hostile("gpc_binary_max_iter_predict", "max_iter_predict must be a positive integer")(
    _edit("gpc", _value("max_iter_predict", 0),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace", where=PARAMS))
hostile("gpc_n_classes", "n_classes_ must be 2, the length of classes_")(
    _edit("gpc", _value("n_classes_", 3)))
hostile("gpc_features", "base_estimator_ must hold fitted binary Laplace classifiers with 5")(
    _edit("gpc", _value("n_features_in_", 5)))
hostile("gpc_multiclass_classes", "base_estimator_.classes_ must be classes_")(
    _edit("gpc3", _array("classes_", lambda a: a + 10)))

# -- kernels (each edit on the kernel node itself)
_RBF = "sklearn.gaussian_process.RBF"
hostile("kernel_negative_length_scale", "length_scale must be > 0.0 and finite")(
    _edit("gpc", _value("length_scale", -1.0), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_nan_length_scale", "length_scale must be > 0.0 and finite")(
    _edit("gpc", _value("length_scale", float("nan")), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_length_scale_text", "length_scale must be a real number, found str")(
    _edit("gpc", _value("length_scale", "wide"), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_length_scale_2d", "length_scale must be a number or a 1-D array of numbers")(
    _edit("gpc", _value("length_scale", [[1.0, 2.0]]), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_bounds_word", "length_scale_bounds must be 'fixed' or [low, high] pairs")(
    _edit("gpc", _value("length_scale_bounds", "free"), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_bounds_shape", "length_scale_bounds must be one [low, high] pair or 1")(
    _edit("gpc", _value("length_scale_bounds", [1.0, 2.0, 3.0]), tag=_RBF, where=KERNEL,
          index=1))
hostile("kernel_bounds_order", "length_scale_bounds must be pairs with 0 <= low <= high")(
    _edit("gpc", _value("length_scale_bounds", [5.0, 1.0]), tag=_RBF, where=KERNEL, index=1))
hostile("kernel_anisotropic_bounds", "length_scale_bounds must be one [low, high] pair or 4")(
    _edit("gpr", _value("length_scale_bounds", [[1.0, 2.0]] * 3), tag=_RBF, where=KERNEL,
          index=1))
hostile("kernel_operand_not_kernel", "k1 must be an allowlisted kernel, found str")(
    _edit("gpr", _value("k1", "RBF"), tag="sklearn.gaussian_process.Sum", where=KERNEL,
          index=1))
hostile("kernel_operand_estimator", "k2 must be an allowlisted kernel, found KernelPCA")(
    _edit("gpr", _value("k2", {"@": "sklearn.decomposition.KernelPCA", "params": dict(
        sorted(dec.KernelPCA().get_params().items())), "state": {}}),
        tag="sklearn.gaussian_process.Product", where=KERNEL, index=1))
hostile("kernel_nu_zero", "nu must be > 0.0 and finite")(
    _edit("gpr_kernels", _value("nu", 0.0), tag="sklearn.gaussian_process.Matern",
          where=KERNEL, index=1))
hostile("kernel_rq_anisotropic", "RationalQuadratic supports only a scalar length_scale")(
    _edit("gpr_kernels", _value("length_scale", [1.0, 2.0, 1.0, 1.0]),
          tag="sklearn.gaussian_process.RationalQuadratic", where=KERNEL, index=1))
hostile("kernel_periodicity", "periodicity must be > 0.0 and finite")(
    _edit("gpr_kernels", _value("periodicity", float("inf")),
          tag="sklearn.gaussian_process.ExpSineSquared", where=KERNEL, index=1))
hostile("kernel_sigma_negative", "sigma_0 must be >= 0.0 and finite")(
    _edit("gpr_kernels", _value("sigma_0", -0.5), tag="sklearn.gaussian_process.DotProduct",
          where=KERNEL, index=1))
hostile("kernel_exponent_inf", "exponent must be a finite real number")(
    _edit("gpr_kernels", _value("exponent", float("inf")),
          tag="sklearn.gaussian_process.Exponentiation", where=KERNEL, index=1))
hostile("kernel_pairwise_metric", "metric must be one of ['additive_chi2'")(
    _edit("gpr_kernels", _value("metric", "precomputed"),
          tag="sklearn.gaussian_process.PairwiseKernel", where=KERNEL, index=1))
hostile("kernel_pairwise_kwargs", "pairwise_kernels_kwargs of metric 'poly' may only set "
        "['coef0', 'degree']")(
    _edit("gpr_kernels", _value("pairwise_kernels_kwargs", {
        "@": "dict", "keys": ["n_jobs"], "values": [-1]}),
        tag="sklearn.gaussian_process.PairwiseKernel", where=KERNEL, index=1))
hostile("kernel_pairwise_kwarg_value", "pairwise_kernels_kwargs degree must be a finite")(
    _edit("gpr_kernels", _value("pairwise_kernels_kwargs", {
        "@": "dict", "keys": ["degree"], "values": ["2"]}),
        tag="sklearn.gaussian_process.PairwiseKernel", where=KERNEL, index=1))
hostile("kernel_constant_nan", "constant_value must be finite, found nan")(
    _edit("gpr", _value("constant_value", float("nan")),
          tag="sklearn.gaussian_process.ConstantKernel", where=KERNEL, index=1))
hostile("kernel_noise_negative", "noise_level must be >= 0.0 and finite")(
    _edit("gpr", _value("noise_level", -1.0), tag="sklearn.gaussian_process.WhiteKernel",
          where=KERNEL, index=1))
hostile("kernel_compound_empty", "kernels must be a non-empty list of kernels", x=XQ)(
    lambda: _compound([]))
hostile("kernel_compound_member", "kernels[0] must be an allowlisted kernel, found int")(
    lambda: _compound([3]))

# -- more of the same rules, one case per remaining check
hostile("dl_transform_iterations", "transform_max_iter is 1000000000, more than")(
    _edit("dl", _value("transform_max_iter", 10**9), where=PARAMS))
hostile("ica_fun_is_a_class", "fun must be a string, nil or an allowlisted function")(
    _edit("ica", _value("fun", TYPE_NODE), where=PARAMS))
hostile("ica_mean_short", "mean_ must be a float array of shape [4]")(
    _edit("ica", _array("mean_", _short)))
hostile("kpca_eigenvectors_1d", "eigenvectors_ must be a float array of shape [*, *]")(
    _edit("kpca", _array("eigenvectors_", np.ravel)))
hostile("kpca_eigenvectors_empty", "eigenvectors_ must not be empty")(
    _edit("kpca", _array("eigenvectors_", lambda a: a[:, :0].copy())))
hostile("kpca_precomputed_not_square", "a precomputed KernelPCA must hold the [40, 40]")(
    _edit("kpca_pre", _both(_array("X_fit_", _narrow), _value("n_features_in_", 39))))
hostile("kpca_gamma", "gamma_ must be a finite real number")(
    _edit("kpca", _value("gamma_", float("inf"))))
hostile("kpca_centerer_unfitted", "_centerer must be fitted")(
    _edit("kpca", lambda parts, state: state.clear(),
          tag="sklearn.preprocessing.KernelCenterer"))
hostile("mbnmf_denominator", "_components_denominator must be a float array of shape [2, 4]")(
    _edit("mbnmf", _array("_components_denominator", _short)))
hostile("mbnmf_rho", "_rho must be a finite real number")(
    _edit("mbnmf", _value("_rho", None)))
hostile("mbnmf_batch_size", "_batch_size must be an integer >= 1")(
    _edit("mbnmf", _value("_batch_size", -4)))
hostile("spca_callback_is_a_class", "callback must be a string, nil or an allowlisted")(
    lambda: _edit_unfitted(dec.MiniBatchSparsePCA(), "callback", TYPE_NODE))
hostile("tsne_embedding_1d", "embedding_ must be a float array of shape [*, *]")(
    _edit("tsne", _array("embedding_", np.ravel)))
hostile("mds_eigenvalues", "eigenvalues_ must be a float array of shape [2]")(
    _edit("mds", _array("eigenvalues_", _short)))
hostile("spectral_affinity_is_a_class", "affinity must be a string, nil or an allowlisted")(
    _edit("spectral", _value("affinity", TYPE_NODE), where=PARAMS))
hostile("isomap_kernel_pca_size", "kernel_pca_ must be fitted on the [40, 40] geodesic kernel "
        "with 2 components")(
    _edit("isomap", _both(_array("eigenvectors_", lambda a: a[:, :1].copy()),
                          _array("eigenvalues_", lambda a: a[:1].copy())),
          tag="sklearn.decomposition.KernelPCA"))
hostile("bgmm_distribution_concentration", "weight_concentration_ must be a float array of "
        "shape [3]")(
    _edit("bgmm_dist", _array("weight_concentration_", _short)))
hostile("bgmm_tied_dof", "degrees_of_freedom_ must be a finite real number")(
    _edit("bgmm_tied", _value("degrees_of_freedom_", "many")))
hostile("bgmm_spherical_prior", "covariance_prior_ must be a finite real number")(
    _edit("bgmm_spherical", _value("covariance_prior_", float("nan"))))
# scikit-learn's own parameter validation refuses a non-kernel for the public classes; the
# private binary classifier has no parameter constraints, so the validator checks it.
hostile("gpc_binary_kernel_not_kernel", "kernel must be nil or an allowlisted kernel")(
    _edit_binary("gpc", "kernel", "rbf"))
hostile("gpc_binary_restarts", "n_restarts_optimizer must be a non-negative integer")(
    _edit_binary("gpc", "n_restarts_optimizer", -1))
hostile("gpc_binary_warm_start", "warm_start must be a bool")(
    _edit_binary("gpc", "warm_start", 1))
hostile("gpc_binary_f_cached", "f_cached must be a float array of shape [40]")(
    _edit("gpc", _array("f_cached", _short),
          tag="sklearn.gaussian_process._BinaryGaussianProcessClassifierLaplace"))
hostile("gpc_classes_2d", "classes_ must be a 1-D array")(
    _edit("gpc", _array("classes_", lambda a: a[None, :].copy())))
hostile("gpc_multiclass_wrapper", "base_estimator_ must be a fitted OneVsRestClassifier of 3 "
        "or OneVsOneClassifier of 3 binary classifiers")(
    _edit("gpc", _both(_array("classes_", lambda a: np.r_[a, 7]), _value("n_classes_", 3))))


def _compound(items: list[Any]) -> bytes:
    parts = testkit.unpack(paramseal.dumps(K.CompoundKernel([K.RBF()])))
    parts.schema["root"]["kernels"] = items
    return testkit.pack(parts)


@pytest.mark.parametrize("name", list(HOSTILE.cases))
def test_hostile(name: str, batch: dict[str, Any], tmp_path: Any) -> None:
    HOSTILE.check(name, batch, tmp_path)


def test_every_validator_has_hostile_cases() -> None:
    """Each class of the family is covered by at least one hostile file above."""
    prefixes = {"dl", "mbdl", "coder", "fa", "ica", "ipca", "spca", "kpca", "lda", "nmf",
                "mbnmf", "isomap", "lle", "spectral", "mds", "gmm", "bgmm", "rbm", "gpr", "gpc",
                "kernel", "tsne"}
    seen = {name.split("_")[0] for name in HOSTILE.cases}
    assert prefixes <= seen, prefixes - seen
