"""MNIST-1D, ready for `keras_snn.build_sequence()`.

MNIST-1D (Greydanus & Kobak, "Scaling down deep learning with MNIST-1D",
ICML 2024) holds 4,000 training and 1,000 test sequences of 40 steps, one
value per step, in 10 classes. `load_mnist1d` generates it offline with
the `mnist1d` package's `make_dataset` (the package's `get_dataset`
downloads a file; this loader never does), or reads it from a `.npz` file.
"""

import numpy as np

from keras_snn.datasets._npz import read_npz

MNIST1D_KEYS = ("x", "y", "x_test", "y_test")
NUM_CLASSES = 10


def load_mnist1d(path=None, *, seed=42):
    """Loads MNIST-1D as sequences `[n, 40, 1]`, one feature per step.

    Args:
        path: str, path-like or None. A `.npz` file holding the arrays
            `x` (`[n, 40]` training sequences), `y` (`[n]` labels in
            0..9), `x_test` and `y_test`, as the `mnist1d` package's
            dataset dict names them. None (the default) generates the
            dataset with `mnist1d.data.make_dataset` and its default
            arguments (5,000 sequences, 80 % for training), offline; this
            needs the `mnist1d` package (`pip install mnist1d`).
        seed: int. The generator's seed, used when `path` is None. The
            default, 42, is the package's and gives the published split.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: float32 sequences
        `[n, steps, 1]` and int32 labels in 0..9.

    Raises:
        FileNotFoundError: if `path` is not a file.
        ValueError: for a file without the four arrays, sequences that
            are not `[n, steps]`, labels and sequences of different
            lengths, or a label outside 0..9 (the message names it).
        ImportError: if `path` is None and `mnist1d` is not installed.

    Example:

    ```python
    (x, y), (x_test, y_test) = keras_snn.datasets.load_mnist1d()
    x.shape  # (4000, 40, 1)
    ```
    """
    if path is None:
        arrays = _generate(seed)
    else:
        arrays = read_npz(path, MNIST1D_KEYS, "MNIST-1D")
    return (
        (_sequences(arrays["x"], "x"), _labels(arrays["y"], "y")),
        (
            _sequences(arrays["x_test"], "x_test"),
            _labels(arrays["y_test"], "y_test"),
        ),
    )


def _generate(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer. Received: seed={seed!r}")
    try:
        from mnist1d.data import get_dataset_args
        from mnist1d.data import make_dataset
    except ImportError as error:
        raise ImportError(
            "Generating MNIST-1D needs the mnist1d package: "
            '`pip install mnist1d` (or `pip install -e ".[examples]"`), '
            "or pass path=, a .npz file with the arrays "
            f"{list(MNIST1D_KEYS)}."
        ) from error
    args = get_dataset_args()
    args.seed = int(seed)
    # make_dataset seeds NumPy's and Python's global generators; the
    # caller's random streams are left as they were.
    import random

    numpy_state, python_state = np.random.get_state(), random.getstate()
    try:
        dataset = make_dataset(args)
    finally:
        np.random.set_state(numpy_state)
        random.setstate(python_state)
    return {key: dataset[key] for key in MNIST1D_KEYS}


def _sequences(x, name):
    x = np.asarray(x)
    if x.ndim != 2 or not np.issubdtype(x.dtype, np.number):
        raise ValueError(
            f"{name} must be numbers of shape [n, steps]. Received: "
            f"{name}.shape={x.shape}, {name}.dtype={x.dtype}"
        )
    return x.astype("float32")[..., None]


def _labels(y, name):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must have shape [n]. Received: {name}.shape={y.shape}"
        )
    bad = ~np.isin(y, np.arange(NUM_CLASSES)) if y.size else np.zeros(0, bool)
    if bad.any():
        raise ValueError(
            f"{name} must hold integer labels in 0..{NUM_CLASSES - 1}. "
            f"Received: {name}[{int(np.argmax(bad))}]={y[bad][0]!r}"
        )
    return y.astype("int32")
