"""Principal component analysis (PCA) in numpy, giving scikit-learn's numbers.

The idea: centre the data (subtract each feature's mean), then take the
singular value decomposition of the centred matrix,

    X_c = X - mean = U S V^T,    S sorted from largest to smallest.

The rows of V^T are orthonormal directions, the principal components. The
data's variance along row i is S_i^2 / (n_samples - 1), so the first k rows
are the k directions that keep the most variance, and projecting onto them,

    transform(X) = (X - mean) V_k,

is the best k-dimensional linear summary of the data. The worksheet uses it to
shrink 784 MNIST pixels to 60 numbers before the network sees them.

Two ways to get V and S (``svd_solver``, named as in scikit-learn):

- "full": the SVD of X_c itself, as above. Its cost grows like
  n_samples * n_features^2 with a large constant, and LAPACK wants float64
  copies of X_c and of U, both as large as X.
- "covariance_eigh": the same decomposition from a small matrix. Since U is
  orthonormal,

      X_c^T X_c = V S U^T U S V^T = V S^2 V^T,

  which is an eigendecomposition: the right singular vectors of X_c are the
  eigenvectors of the n_features x n_features matrix X_c^T X_c, and its
  eigenvalues are S^2. Building that matrix is one matrix product (fast BLAS),
  done a few thousand rows at a time so that X is never copied in full, and
  np.linalg.eigh of a 784 x 784 matrix takes milliseconds. The price is
  precision: squaring S squares the spread of the singular values, so for
  a direction with S_i = 1e-4 S_1 the eigenvalue S_i^2 keeps about 8 correct
  digits instead of about 16. That is plenty for the leading components PCA
  is used for, but "full" is the reference.
- "auto" (the default) picks "covariance_eigh" for tall data,
  n_samples >= 2 * n_features, and "full" otherwise. At that ratio the
  covariance matrix holds at most half as many numbers as X, so it never
  costs more memory than X, and eigh is already several times faster than the SVD
  (about 4x at 1568 x 784, about 9x for all 60000 MNIST images; see
  benchmarks/pca.py). For wide data (many features, few samples) the
  n_features^2 matrix could dwarf X, so the SVD of X_c is used.

Two details make the numbers agree with sklearn.decomposition.PCA:

- Signs. A singular vector is only defined up to sign (if v is one, so is -v),
  and different LAPACK builds may return either; so is an eigenvector. Like
  scikit-learn (svd_flip with u_based_decision=False, since scikit-learn 1.5),
  each component is flipped so that its entry of largest magnitude is
  positive. Both solvers therefore give the same components, not just the
  same directions.
- Precision. Both solvers work in float64; the fitted attributes keep the
  input's dtype (float32 in, float32 out, as in scikit-learn; float64 for
  other input).
"""

import numbers

import numpy as np

SVD_SOLVERS = ("auto", "full", "covariance_eigh")
# "auto" uses the covariance when n_samples >= TALL_RATIO * n_features.
TALL_RATIO = 2
# The covariance is summed over chunks of about this many values (16 MB in float64).
CHUNK_VALUES = 2**21


class PCA:
    """Keep the ``n_components`` directions of largest variance.

    ``svd_solver`` is "auto" (the default), "full" or "covariance_eigh"; the
    module docstring explains them.

    After ``fit(X)``:
      components_               (n_components, n_features), one direction per row
      explained_variance_       variance of the data along each component
      explained_variance_ratio_ that variance as a fraction of the total
      singular_values_          the matching singular values S_i
      mean_                     (n_features,), the per-feature mean subtracted first
      n_components_             the number of components kept
    """

    def __init__(self, n_components: int, svd_solver: str = "auto") -> None:
        if isinstance(n_components, bool) or not isinstance(n_components, numbers.Integral):
            raise TypeError(f"n_components must be a positive integer, got {n_components!r}")
        if n_components < 1:
            raise ValueError(f"n_components must be a positive integer, got {n_components!r}")
        if svd_solver not in SVD_SOLVERS:
            raise ValueError(f"svd_solver must be one of {', '.join(map(repr, SVD_SOLVERS))}, got {svd_solver!r}")
        self.n_components = int(n_components)
        self.svd_solver = svd_solver
        # Set by fit():
        self.components_ = None
        self.explained_variance_ = None
        self.explained_variance_ratio_ = None
        self.singular_values_ = None
        self.mean_ = None
        self.n_components_ = None
        self._fit_svd_solver = None  # the solver fit used ("auto" resolved), as in scikit-learn

    def __repr__(self) -> str:
        # Like scikit-learn, show only the arguments that differ from the defaults.
        solver = "" if self.svd_solver == "auto" else f", svd_solver={self.svd_solver!r}"
        return f"PCA(n_components={self.n_components}{solver})"

    def fit(self, X) -> "PCA":
        """Find the principal components of X, shape (n_samples, n_features). Returns self."""
        X = _as_2d_array(X)
        n_samples, n_features = X.shape
        limit = min(n_samples, n_features)
        if self.n_components > limit:
            raise ValueError(
                f"n_components={self.n_components} is larger than "
                f"min(n_samples, n_features)={limit} for X of shape {X.shape}"
            )
        if n_samples < 2:
            raise ValueError(f"PCA needs at least 2 samples to measure variance, got X of shape {X.shape}")

        solver = self.svd_solver
        if solver == "auto":
            solver = "covariance_eigh" if n_samples >= TALL_RATIO * n_features else "full"
        if solver == "full":
            mean, singular_values, components = _svd_of_centred(X)
        else:
            mean, singular_values, components = _eigh_of_covariance(X)
        components = _flip_signs(components)
        variance = singular_values**2 / (n_samples - 1)
        variance_ratio = variance / variance.sum()

        k = self.n_components
        dtype = _result_dtype(X)
        self.components_ = components[:k].astype(dtype)
        self.explained_variance_ = variance[:k].astype(dtype)
        self.explained_variance_ratio_ = variance_ratio[:k].astype(dtype)
        self.singular_values_ = singular_values[:k].astype(dtype)
        self.mean_ = mean.astype(dtype)
        self.n_components_ = k
        self._fit_svd_solver = solver
        return self

    def transform(self, X) -> np.ndarray:
        """Project X onto the components: (X - mean_) @ components_.T, shape (n_samples, n_components)."""
        if self.components_ is None:
            raise RuntimeError("this PCA is not fitted yet: call fit(X) before transform(X)")
        X = _as_2d_array(X)
        n_features = self.components_.shape[1]
        if X.shape[1] != n_features:
            raise ValueError(
                f"X has {X.shape[1]} features, but this PCA was fitted on {n_features} features"
            )
        # In float32 when both the data and the fitted model are float32, as scikit-learn
        # does: ten times faster than float64 on MNIST, and as exact as the float32 data.
        dtype = np.result_type(_result_dtype(X), self.components_.dtype)
        centred = X.astype(dtype, copy=False) - self.mean_.astype(dtype)
        return centred @ self.components_.T.astype(dtype)

    def fit_transform(self, X) -> np.ndarray:
        """fit(X), then transform(X)."""
        return self.fit(X).transform(X)


def _as_2d_array(X) -> np.ndarray:
    """X as a finite, real, 2-D numpy array; raise an error quoting what is wrong."""
    X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"PCA expects a 2-D array of shape (n_samples, n_features), got shape {X.shape}")
    if X.dtype.kind not in "biuf":
        raise TypeError(f"PCA expects real numbers, got an array of dtype {X.dtype}")
    if X.dtype.kind == "f" and not np.isfinite(X).all():
        raise ValueError(f"X contains {np.count_nonzero(~np.isfinite(X))} NaN or infinite values")
    return X


def _result_dtype(X: np.ndarray) -> np.dtype:
    """float32 stays float32; everything else (float64, ints, bools) becomes float64."""
    return X.dtype if X.dtype == np.float32 else np.dtype(np.float64)


def _svd_of_centred(X: np.ndarray) -> tuple:
    """mean, S (descending) and V^T from the SVD X - mean = U S V^T, in float64."""
    X64 = X.astype(np.float64)  # a copy, so centring in place leaves X alone
    mean = X64.mean(axis=0)
    X64 -= mean
    _, singular_values, components = np.linalg.svd(X64, full_matrices=False)
    return mean, singular_values, components


def _eigh_of_covariance(X: np.ndarray) -> tuple:
    """The same mean, S and V^T from the eigendecomposition X_c^T X_c = V S^2 V^T, in float64."""
    n_samples, n_features = X.shape
    mean = X.mean(axis=0, dtype=np.float64)  # accumulates in float64 without a float64 copy of X
    scatter = np.zeros((n_features, n_features))  # X_c^T X_c
    rows = max(1, CHUNK_VALUES // n_features)
    for start in range(0, n_samples, rows):
        # Centre before multiplying: X^T X - n mean mean^T would cancel away digits.
        chunk = X[start : start + rows].astype(np.float64)  # a copy of a few rows, never of all of X
        chunk -= mean
        scatter += chunk.T @ chunk
    eigenvalues, eigenvectors = np.linalg.eigh(scatter)  # ascending; eigenvectors are the columns
    # Rounding can leave the zero eigenvalues of constant features slightly negative.
    singular_values = np.sqrt(np.maximum(eigenvalues[::-1], 0.0))
    components = eigenvectors[:, ::-1].T
    return mean, singular_values, components


def _flip_signs(components: np.ndarray) -> np.ndarray:
    """Flip each row so that its entry of largest magnitude is positive (sklearn's svd_flip on V^T)."""
    largest = np.argmax(np.abs(components), axis=1)
    signs = np.sign(components[np.arange(len(components)), largest])
    return components * signs[:, np.newaxis]
