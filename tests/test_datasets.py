import numpy as np
import pytest

import keras_snn
from tests.helpers import write_npz


def write_mnist(path, train=12, test=5, **overrides):
    rng = np.random.default_rng(0)
    arrays = {
        "x_train": rng.integers(0, 256, size=(train, 28, 28), dtype=np.uint8),
        "y_train": rng.integers(0, 10, size=train, dtype=np.uint8),
        "x_test": rng.integers(0, 256, size=(test, 28, 28), dtype=np.uint8),
        "y_test": rng.integers(0, 10, size=test, dtype=np.uint8),
    }
    return write_npz(path, arrays, overrides)


def test_load_mnist_from_npz(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = write_mnist(path)
    (x_train, y_train), (x_test, y_test) = keras_snn.datasets.load_mnist(path)
    assert x_train.shape == (12, 784) and x_test.shape == (5, 784)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int32
    np.testing.assert_array_equal(
        x_train, arrays["x_train"].reshape(12, 784) / np.float32(255)
    )
    np.testing.assert_array_equal(
        x_test, arrays["x_test"].reshape(5, 784) / np.float32(255)
    )
    np.testing.assert_array_equal(y_train, arrays["y_train"])
    np.testing.assert_array_equal(y_test, arrays["y_test"])
    assert 0.0 <= x_train.min() and x_train.max() <= 1.0


def test_load_mnist_unflattened(tmp_path):
    path = tmp_path / "mnist.npz"
    arrays = write_mnist(path)
    (x_train, _), _ = keras_snn.datasets.load_mnist(str(path), flatten=False)
    assert x_train.shape == (12, 28, 28)
    np.testing.assert_allclose(x_train * 255, arrays["x_train"], atol=1e-4)


def test_load_mnist_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.npz"):
        keras_snn.datasets.load_mnist(tmp_path / "nothere.npz")


@pytest.mark.parametrize(
    "overrides, match",
    [
        ({"y_test": None}, r"lacks \['y_test'\]"),
        (
            {"x_train": np.zeros((12, 784), np.uint8)},
            r"x_train.shape=\(12, 784\)",
        ),
        ({"y_train": np.zeros(11, np.uint8)}, r"y_train.shape=\(11,\)"),
        ({"y_test": np.array([0, 1, 2, 3, 10])}, "y_test must hold integer"),
        (
            {"x_test": np.full((5, 28, 28), 300, np.int32)},
            "x_test must hold pixel values in 0..255",
        ),
    ],
)
def test_load_mnist_bad_files(tmp_path, overrides, match):
    path = tmp_path / "mnist.npz"
    write_mnist(path, **overrides)
    with pytest.raises(ValueError, match=match):
        keras_snn.datasets.load_mnist(path)


def test_load_mnist_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="path=3"):
        keras_snn.datasets.load_mnist(3)
    with pytest.raises(TypeError, match="flatten='no'"):
        keras_snn.datasets.load_mnist(tmp_path / "x.npz", flatten="no")
