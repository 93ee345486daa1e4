"""Time PCA.fit on all of MNIST (60000 x 784, float32): minigraph against scikit-learn.

The worksheet keeps 60 components of the 784 pixels. minigraph's default
("auto") sees tall data and takes the eigendecomposition of the 784 x 784
covariance; svd_solver="full" is the SVD of the whole centred matrix, which is
what minigraph did before. scikit-learn's default also picks its covariance
solver here (in the input's float32, where minigraph works in float64).

Each fit is run a few times and the fastest run is printed, since the first
run also pays for warming up BLAS. The last line checks that the fast path
still gives scikit-learn's components.

Run from the repository root: python -m benchmarks.pca
(or python benchmarks/pca.py once minigraph is installed, as tools/setup.sh does).
"""

import time

import numpy as np
from sklearn.decomposition import PCA as SklearnPCA

from minigraph.decomposition import PCA
from minigraph.keras.datasets import mnist

N_COMPONENTS = 60
REPEATS = 3


def best_fit_seconds(make_pca, X) -> tuple:
    """The fastest of REPEATS fits, in seconds, and the last fitted model."""
    seconds = []
    for _ in range(REPEATS):
        pca = make_pca()
        start = time.perf_counter()
        pca.fit(X)
        seconds.append(time.perf_counter() - start)
    return min(seconds), pca


def main() -> None:
    (x_train, _), _ = mnist.load_data()
    X = x_train.reshape(60000, 784).astype(np.float32) / 255
    print(f"PCA(n_components={N_COMPONENTS}).fit on MNIST {X.shape} {X.dtype}, best of {REPEATS} runs")

    contenders = {
        "minigraph, svd_solver='auto'": lambda: PCA(N_COMPONENTS),
        "minigraph, svd_solver='full'": lambda: PCA(N_COMPONENTS, svd_solver="full"),
        "scikit-learn, default": lambda: SklearnPCA(N_COMPONENTS),
        "scikit-learn, svd_solver='full'": lambda: SklearnPCA(N_COMPONENTS, svd_solver="full"),
    }
    fitted = {}
    for name, make_pca in contenders.items():
        seconds, fitted[name] = best_fit_seconds(make_pca, X)
        print(f"  {name:34s} {seconds:7.3f} s")

    ours = fitted["minigraph, svd_solver='auto'"].components_
    theirs = fitted["scikit-learn, svd_solver='full'"].components_
    difference = np.abs(ours - theirs).max()
    print(f"max |components_ difference|, minigraph 'auto' vs scikit-learn 'full': {difference:.2e}")


if __name__ == "__main__":
    main()
