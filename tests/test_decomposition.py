"""Tests for minigraph.decomposition.PCA: scikit-learn's numbers, and clear errors."""

import numpy as np
import pytest
from sklearn.decomposition import PCA as SklearnPCA

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


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_matches_sklearn_on_mnist(dtype):
    from minigraph.keras.datasets import mnist

    (x_train, _), (x_test, _) = mnist.load_data()
    X = x_train[:3000].reshape(3000, 784).astype(dtype) / 255
    ours = PCA(n_components=60).fit(X)
    theirs = SklearnPCA(n_components=60, svd_solver="full").fit(X)
    assert_matches_sklearn(ours, theirs, X, dtype)
    new = x_test[:500].reshape(500, 784).astype(dtype) / 255
    scale = np.abs(theirs.transform(new)).max()
    np.testing.assert_allclose(ours.transform(new) / scale, theirs.transform(new) / scale, **TOLERANCE[dtype])


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [2.5, "60", None, True])
def test_n_components_must_be_an_integer(bad):
    with pytest.raises(TypeError, match=f"n_components must be a positive integer, got {bad!r}"):
        PCA(bad)


@pytest.mark.parametrize("bad", [0, -3])
def test_n_components_must_be_positive(bad):
    with pytest.raises(ValueError, match=f"n_components must be a positive integer, got {bad}"):
        PCA(bad)


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
