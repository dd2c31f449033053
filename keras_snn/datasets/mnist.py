"""MNIST, ready for `keras_snn.build()`.

`load_mnist` reads MNIST from a local `.npz` file or downloads it with
`keras.datasets.mnist`, and returns it ready for `keras_snn.build()`:
flattened, scaled to [0, 1], with integer labels.
"""

import keras
import numpy as np

from keras_snn.datasets._npz import read_npz
from keras_snn.validation import check_bool

MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


def load_mnist(path=None, *, flatten=True):
    """Loads MNIST, scaled to [0, 1].

    Args:
        path: str, path-like or None. A `.npz` file in the standard MNIST
            format (the one `keras.datasets.mnist` downloads): arrays
            `x_train` (`[60000, 28, 28]`, uint8 pixels in 0..255),
            `y_train` (`[60000]`), `x_test` and `y_test`. Any number of
            images is accepted. None (the default) calls
            `keras.datasets.mnist.load_data()`, which downloads the file
            once into `~/.keras/datasets/`.
        flatten: bool. Return images as `[n, 784]` vectors (the default)
            or as `[n, 28, 28]`.

    Returns:
        `((x_train, y_train), (x_test, y_test))`: float32 images with
        pixels divided by 255, and int32 labels in 0..9.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = keras_snn.datasets.load_mnist()
    x_train.shape  # (60000, 784)
    ```
    """
    check_bool("flatten", flatten)
    if path is None:
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    else:
        arrays = read_npz(path, MNIST_KEYS, "MNIST")
        x_train, y_train, x_test, y_test = (arrays[k] for k in MNIST_KEYS)
    return (
        (_images(x_train, "x_train", flatten), _labels(y_train, "y_train")),
        (_images(x_test, "x_test", flatten), _labels(y_test, "y_test")),
    )


def _images(images, name, flatten):
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"{name} must have shape [n, 28, 28]. Received: "
            f"{name}.shape={images.shape}"
        )
    if images.size and (images.min() < 0 or images.max() > 255):
        raise ValueError(
            f"{name} must hold pixel values in 0..255. Received: values "
            f"from {images.min()!r} to {images.max()!r}"
        )
    images = images.astype("float32") / 255.0
    if flatten:
        images = images.reshape(len(images), 28 * 28)
    return images


def _labels(labels, name):
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must have shape [n]. Received: {name}.shape={labels.shape}"
        )
    if labels.size and not (
        np.all(labels == np.round(labels))
        and labels.min() >= 0
        and labels.max() <= 9
    ):
        raise ValueError(
            f"{name} must hold integer labels in 0..9. Received: values "
            f"from {labels.min()!r} to {labels.max()!r}"
        )
    return labels.astype("int32")
