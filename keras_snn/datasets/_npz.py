"""Reading the `.npz` files of the array datasets (MNIST, MNIST-1D)."""

import os

import numpy as np


def read_npz(path, keys, name):
    """Reads the arrays `keys` from the `.npz` file `path`.

    Args:
        path: str or path-like. The file.
        keys: tuple of 4 str. The names of the training inputs, training
            labels, test inputs and test labels, in this order.
        name: str. The dataset's name, for the error messages.

    Returns:
        A dict from each of `keys` to its NumPy array.

    Raises:
        TypeError: if `path` is not a path.
        FileNotFoundError: if `path` is not a file.
        ValueError: if the file lacks one of `keys`, or the inputs and
            labels of a split differ in length.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a file path or None. Received: path={path!r}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No {name} file at this path. Received: path={str(path)!r}"
        )
    with np.load(path, allow_pickle=False) as data:
        missing = [key for key in keys if key not in data.files]
        if missing:
            raise ValueError(
                f"The {name} file must hold the arrays {list(keys)}; it "
                f"lacks {missing}. Received: path={str(path)!r} with arrays "
                f"{sorted(data.files)}"
            )
        arrays = {key: data[key] for key in keys}
    for x_key, y_key in (keys[:2], keys[2:]):
        if len(arrays[x_key]) != len(arrays[y_key]):
            raise ValueError(
                f"{x_key} and {y_key} must hold as many entries. Received: "
                f"{x_key}.shape={arrays[x_key].shape}, "
                f"{y_key}.shape={arrays[y_key].shape}"
            )
    return arrays
