"""keras_snn.datasets.load_mnist1d: MNIST-1D from a .npz file or generated
offline by the mnist1d package."""

import random

import numpy as np
import pytest

import keras_snn
from tests.helpers import write_npz


def write_mnist1d(path, train=12, test=5, steps=40, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x": rng.normal(size=(train, steps)),
        "y": rng.integers(0, 10, size=train),
        "x_test": rng.normal(size=(test, steps)),
        "y_test": rng.integers(0, 10, size=test),
    }
    return write_npz(path, arrays, overrides)


def test_load_mnist1d_from_npz(tmp_path):
    path = tmp_path / "mnist1d.npz"
    arrays = write_mnist1d(path)
    (x, y), (x_test, y_test) = keras_snn.datasets.load_mnist1d(path)
    assert x.shape == (12, 40, 1) and x_test.shape == (5, 40, 1)
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(x[..., 0], arrays["x"].astype(np.float32))
    np.testing.assert_array_equal(
        x_test[..., 0], arrays["x_test"].astype(np.float32)
    )
    np.testing.assert_array_equal(y, arrays["y"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])


def test_generated_dataset_is_the_packages_with_the_seed():
    from mnist1d.data import get_dataset_args
    from mnist1d.data import make_dataset

    random.seed(123)
    np.random.seed(123)
    expected_draw = np.random.uniform(size=3)
    np.random.seed(123)
    (x, y), (x_test, y_test) = keras_snn.datasets.load_mnist1d(seed=7)
    # The generator seeds NumPy's global generator; the loader restores it.
    np.testing.assert_array_equal(np.random.uniform(size=3), expected_draw)
    assert x.shape == (4000, 40, 1) and x_test.shape == (1000, 40, 1)
    args = get_dataset_args()
    assert args.seed == 42  # the loader's default too
    args.seed = 7
    reference = make_dataset(args)
    np.testing.assert_array_equal(x[..., 0], reference["x"].astype("float32"))
    np.testing.assert_array_equal(y_test, reference["y_test"])
    assert set(np.unique(y)) == set(range(10))


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        keras_snn.datasets.load_mnist1d(tmp_path / "nothere.npz")


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"y_test": None}, r"lacks \['y_test'\]"),
        ({"x": None, "y": None}, r"lacks \['x', 'y'\]"),
        ({"y": np.zeros(11, np.int64)}, r"y.shape=\(11,\)"),
        ({"x_test": np.zeros((5, 40, 2))}, r"x_test.shape=\(5, 40, 2\)"),
        ({"y_test": np.array([0, 1, 2, 10, 3])}, r"y_test\[3\]=.*10"),
        ({"y": np.array([0] * 11 + [-1])}, r"y\[11\]=.*-1"),
        ({"y": np.array([0.5] * 12)}, r"y\[0\]=.*0.5"),
        ({"y": np.zeros((12, 1), np.int64)}, r"y.shape=\(12, 1\)"),
    ],
)
def test_bad_files(tmp_path, overrides, match):
    path = tmp_path / "bad.npz"
    write_mnist1d(path, **overrides)
    with pytest.raises(ValueError, match=match):
        keras_snn.datasets.load_mnist1d(path)


def test_bad_arguments():
    with pytest.raises(TypeError, match="path=3"):
        keras_snn.datasets.load_mnist1d(3)
    with pytest.raises(TypeError, match="seed=1.5"):
        keras_snn.datasets.load_mnist1d(seed=1.5)
