"""Tests for minigraph.decomposition.PCA: scikit-learn's numbers, and clear errors."""

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

from minigraph import decomposition
from minigraph.decomposition import PCA

ATTRIBUTES = ["components_", "explained_variance_", "explained_variance_ratio_", "singular_values_", "mean_"]
# float64 agrees to rounding; float32 input is fitted in float32 by scikit-learn but
# in float64 here, so the two differ by float32 rounding.
TOLERANCE = {np.float64: dict(rtol=1e-7, atol=1e-9), np.float32: dict(rtol=1e-3, atol=1e-4)}


def random_data(dtype, n_samples=200, n_features=30, seed=0):
    """Correlated features of very different scales, so the variances are well separated."""
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(n_features, n_features)) * np.geomspace(10, 0.1, n_features)[:, None]
    return (rng.normal(size=(n_samples, n_features)) @ mixing + 5).astype(dtype)


def align_signs(components, reference):
    """Flip each row of components to point the same way as the matching row of reference."""
    signs = np.sign(np.sum(components * reference, axis=1))
    return components * signs[:, None]


def assert_matches_sklearn(ours: PCA, theirs: SklearnPCA, X, dtype) -> None:
    for name in ATTRIBUTES:
        assert getattr(ours, name).dtype == getattr(theirs, name).dtype, name
        np.testing.assert_allclose(getattr(ours, name), getattr(theirs, name), err_msg=name, **TOLERANCE[dtype])
    assert ours.n_components_ == theirs.n_components_
    ours_projected, theirs_projected = ours.transform(X), theirs.transform(X)
    assert ours_projected.dtype == theirs_projected.dtype
    scale = np.abs(theirs_projected).max()
    np.testing.assert_allclose(ours_projected / scale, theirs_projected / scale, **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_on_random_data(dtype):
    X = random_data(dtype)
    ours = PCA(n_components=8).fit(X)
    theirs = SklearnPCA(n_components=8, svd_solver="full").fit(X)
    # Up to sign, the components are the same directions ...
    np.testing.assert_allclose(align_signs(ours.components_, theirs.components_), theirs.components_,
                               **TOLERANCE[dtype])
    # ... and with scikit-learn's sign convention they are equal outright.
    assert_matches_sklearn(ours, theirs, X, dtype)


def test_sign_convention_is_the_one_sklearn_uses():
    """Random data makes u-based and v-based sign choices disagree for some components."""
    ours = PCA(n_components=10).fit(random_data(np.float64, seed=1))
    largest = np.argmax(np.abs(ours.components_), axis=1)
    assert (ours.components_[np.arange(10), largest] > 0).all()


def test_fit_transform_equals_fit_then_transform_and_sklearn():
    X = random_data(np.float64, seed=2)
    projected = PCA(n_components=4).fit_transform(X)
    np.testing.assert_allclose(projected, PCA(n_components=4).fit(X).transform(X))
    np.testing.assert_allclose(projected, SklearnPCA(n_components=4, svd_solver="full").fit_transform(X),
                               rtol=1e-7, atol=1e-9)
    # The projected coordinates are uncorrelated, with the explained variances on the diagonal.
    covariance = np.cov(projected, rowvar=False)
    expected = PCA(n_components=4).fit(X).explained_variance_
    np.testing.assert_allclose(covariance, np.diag(expected), atol=1e-8 * expected[0])


def test_transform_new_data_and_integer_input():
    X = random_data(np.float64, seed=3).round().astype(np.int64)
    new = random_data(np.float64, seed=4)
    ours = PCA(n_components=5).fit(X)
    theirs = SklearnPCA(n_components=5, svd_solver="full").fit(X)
    assert ours.components_.dtype == np.float64
    np.testing.assert_allclose(ours.components_, theirs.components_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ours.transform(new), theirs.transform(new), rtol=1e-7, atol=1e-7)


def test_fit_returns_self_and_leaves_input_alone():
    X = random_data(np.float64)
    before = X.copy()
    pca = PCA(3)
    assert pca.fit(X) is pca
    np.testing.assert_array_equal(X, before)
    assert pca.components_.shape == (3, 30) and pca.mean_.shape == (30,)
    assert repr(pca) == "PCA(n_components=3)"


def test_all_components_explain_all_the_variance():
    X = random_data(np.float64, n_samples=50, n_features=12)
    pca = PCA(12).fit(X)
    assert pca.explained_variance_ratio_.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(pca.explained_variance_.sum(), X.var(axis=0, ddof=1).sum())
    np.testing.assert_allclose(pca.components_ @ pca.components_.T, np.eye(12), atol=1e-12)


# --- the two solvers ---------------------------------------------------------------


@pytest.mark.parametrize("n_samples, n_features, chosen", [
    (60, 30, "covariance_eigh"),  # n_samples >= 2 * n_features: tall
    (59, 30, "full"),
    (20, 30, "full"),             # wide
])
def test_auto_uses_the_covariance_for_tall_data(n_samples, n_features, chosen):
    X = random_data(np.float64, n_samples=n_samples, n_features=n_features)
    assert PCA(3).fit(X)._fit_svd_solver == chosen
    assert PCA(3, svd_solver="full").fit(X)._fit_svd_solver == "full"
    assert PCA(3, svd_solver="covariance_eigh").fit(X)._fit_svd_solver == "covariance_eigh"


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("svd_solver", ["full", "covariance_eigh"])
def test_each_solver_matches_sklearn(svd_solver, dtype):
    X = random_data(dtype, n_samples=200, n_features=30)  # tall, so either solver applies
    ours = PCA(n_components=8, svd_solver=svd_solver).fit(X)
    assert ours._fit_svd_solver == svd_solver
    assert_matches_sklearn(ours, SklearnPCA(n_components=8, svd_solver="full").fit(X), X, dtype)


@pytest.mark.parametrize("n_samples, n_features", [(200, 30), (25, 30)])
def test_the_solvers_agree_with_each_other(n_samples, n_features):
    """Same components, signs included, on tall data and (if asked for) on wide data."""
    X = random_data(np.float64, n_samples=n_samples, n_features=n_features)
    k = 10
    full = PCA(k, svd_solver="full").fit(X)
    covariance = PCA(k, svd_solver="covariance_eigh").fit(X)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(covariance, name), getattr(full, name), rtol=1e-8, atol=1e-10,
                                   err_msg=name)
    np.testing.assert_allclose(covariance.transform(X), full.transform(X), rtol=1e-8, atol=1e-8)


def test_covariance_summed_in_chunks(monkeypatch):
    """Chunks of 7 rows (the last one shorter) give the covariance of all 200 rows at once."""
    X = random_data(np.float64, n_samples=200, n_features=30)
    whole = PCA(8, svd_solver="covariance_eigh").fit(X)
    monkeypatch.setattr(decomposition, "CHUNK_VALUES", 7 * 30)
    chunked = PCA(8, svd_solver="covariance_eigh").fit(X)
    for name in ATTRIBUTES:
        np.testing.assert_allclose(getattr(chunked, name), getattr(whole, name), rtol=1e-12, atol=1e-13,
                                   err_msg=name)


def test_covariance_never_copies_all_of_x(monkeypatch):
    """The full solver needs a float64 copy of X; the covariance solver only of one chunk."""
    import tracemalloc

    def peak_bytes_of_fit(svd_solver):
        tracemalloc.start()
        try:
            PCA(5, svd_solver=svd_solver).fit(X)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    X = random_data(np.float32, n_samples=20_000, n_features=50)
    float64_copy = 2 * X.nbytes  # 8 MB
    monkeypatch.setattr(decomposition, "CHUNK_VALUES", 1000 * 50)  # chunks of 0.4 MB in float64
    assert peak_bytes_of_fit("full") >= float64_copy
    assert peak_bytes_of_fit("covariance_eigh") < float64_copy / 4


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("svd_solver", ["full", "covariance_eigh"])
def test_matches_sklearn_on_mnist(svd_solver, dtype):
    from minigraph.keras.datasets import mnist

    (x_train, _), (x_test, _) = mnist.load_data()
    X = x_train[:3000].reshape(3000, 784).astype(dtype) / 255
    ours = PCA(n_components=60, svd_solver=svd_solver).fit(X)
    theirs = SklearnPCA(n_components=60, svd_solver="full").fit(X)
    assert_matches_sklearn(ours, theirs, X, dtype)
    new = x_test[:500].reshape(500, 784).astype(dtype) / 255
    scale = np.abs(theirs.transform(new)).max()
    np.testing.assert_allclose(ours.transform(new) / scale, theirs.transform(new) / scale, **TOLERANCE[dtype])


@pytest.mark.slow
def test_matches_sklearn_on_all_of_mnist():
    """The worksheet's fit: all 60000 training images as float32, where "auto" takes the covariance."""
    from minigraph.keras.datasets import mnist

    (x_train, _), _ = mnist.load_data()
    X = x_train.reshape(60000, 784).astype(np.float32) / 255
    ours = PCA(n_components=60).fit(X)
    assert ours._fit_svd_solver == "covariance_eigh"
    assert_matches_sklearn(ours, SklearnPCA(n_components=60, svd_solver="full").fit(X), X, np.float32)


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [2.5, "60", None, True])
def test_n_components_must_be_an_integer(bad):
    with pytest.raises(TypeError, match=f"n_components must be a positive integer, got {bad!r}"):
        PCA(bad)


@pytest.mark.parametrize("bad", [0, -3])
def test_n_components_must_be_positive(bad):
    with pytest.raises(ValueError, match=f"n_components must be a positive integer, got {bad}"):
        PCA(bad)


def test_svd_solver_must_be_one_we_have():
    with pytest.raises(ValueError) as caught:
        PCA(2, svd_solver="randomized")
    assert str(caught.value) == "svd_solver must be one of 'auto', 'full', 'covariance_eigh', got 'randomized'"
    assert repr(PCA(2, svd_solver="full")) == "PCA(n_components=2, svd_solver='full')"


def test_n_components_accepts_numpy_integers():
    assert PCA(np.int64(3)).fit(random_data(np.float64)).components_.shape == (3, 30)


def test_n_components_at_most_min_of_samples_and_features():
    with pytest.raises(ValueError) as caught:
        PCA(6).fit(np.ones((5, 8)))
    assert str(caught.value) == "n_components=6 is larger than min(n_samples, n_features)=5 for X of shape (5, 8)"
    with pytest.raises(ValueError, match=r"min\(n_samples, n_features\)=4 for X of shape \(10, 4\)"):
        PCA(5).fit(np.ones((10, 4)))


@pytest.mark.parametrize("shape", [(10,), (2, 3, 4), ()])
def test_x_must_be_2d(shape):
    with pytest.raises(ValueError) as caught:
        PCA(1).fit(np.ones(shape))
    assert str(caught.value) == f"PCA expects a 2-D array of shape (n_samples, n_features), got shape {shape}"


def test_x_must_be_finite_real_numbers_with_two_samples():
    X = random_data(np.float64)
    X[3, 4] = np.nan
    X[5, 6] = np.inf
    with pytest.raises(ValueError, match="X contains 2 NaN or infinite values"):
        PCA(2).fit(X)
    with pytest.raises(TypeError, match="PCA expects real numbers, got an array of dtype <U1"):
        PCA(1).fit([["a", "b"], ["c", "d"]])
    with pytest.raises(ValueError, match=r"at least 2 samples .* got X of shape \(1, 5\)"):
        PCA(1).fit(np.ones((1, 5)))


def test_transform_before_fit():
    with pytest.raises(RuntimeError, match=r"this PCA is not fitted yet: call fit\(X\) before transform\(X\)"):
        PCA(2).transform(np.ones((3, 4)))


def test_transform_with_the_wrong_number_of_features():
    pca = PCA(2).fit(random_data(np.float64, n_features=8))
    with pytest.raises(ValueError) as caught:
        pca.transform(np.ones((3, 7)))
    assert str(caught.value) == "X has 7 features, but this PCA was fitted on 8 features"
    with pytest.raises(ValueError, match=r"got shape \(8,\)"):
        pca.transform(np.ones(8))
