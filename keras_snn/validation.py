"""Argument checks that raise errors naming the argument and its value."""

import math
import numbers

import keras
import numpy as np

from keras_snn import _backend


def _received(name, value):
    return f"Received: {name}={value!r}"


def check_number(name, value):
    """Checks that `value` is a real Python or NumPy number (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"{name} must be a number. {_received(name, value)} "
            f"of type {type(value).__name__}"
        )
    return float(value)


def check_finite_number(name, value):
    """Checks that `value` is a finite number."""
    value_float = check_number(name, value)
    if not math.isfinite(value_float):
        raise ValueError(
            f"{name} must be a finite number. {_received(name, value)}"
        )
    return value_float


def check_positive_number(name, value):
    """Checks that `value` is a finite number greater than zero."""
    value_float = check_number(name, value)
    if not (math.isfinite(value_float) and value_float > 0):
        raise ValueError(
            f"{name} must be a finite number greater than 0. "
            f"{_received(name, value)}"
        )
    return value_float


def check_range(name, value, low, high, *, low_open=False, high_open=False):
    """Checks that `value` is a number in an interval; returns a float.

    Args:
        name: str. The argument's name, for the message.
        value: the argument.
        low: float. The lower end of the interval.
        high: float. The upper end of the interval.
        low_open: bool. Exclude `low`. Defaults to False.
        high_open: bool. Exclude `high`. Defaults to False.

    Raises:
        TypeError: if `value` is not a number.
        ValueError: if it lies outside the interval (NaN does).
    """
    value_float = check_number(name, value)
    if not _in_range(value_float, low, high, low_open, high_open):
        raise ValueError(
            f"{name} must be in the interval "
            f"{_interval(low, high, low_open, high_open)}. "
            f"{_received(name, value)}"
        )
    return value_float


def check_beta(name, value):
    """Checks that a decay factor lies in (0, 1]."""
    return check_range(name, value, 0.0, 1.0, low_open=True)


def check_beta_values(name, value):
    """`check_beta` for a number, or for each value of an array or tensor.

    See `check_values`.
    """
    return check_values(name, value, check_beta)


def check_positive_values(name, value):
    """`check_positive_number` for a number, or for each value of an
    array or tensor. See `check_values`."""
    return check_values(name, value, check_positive_number)


def check_values(name, value, check):
    """Applies a number check to a number, or to every value of a tensor.

    Python and NumPy numbers go through `check` and come back as floats.
    Arrays and tensors are checked value by value where their values are
    known (`is_concrete`: NumPy arrays, eager tensors) and returned
    unchanged; symbolic tensors (inside `jit`, `tf.function` or shape
    inference) are returned unchecked, as the layers do for their data.

    Args:
        name: str. The argument's name, for the message.
        value: number, array or tensor.
        check: function `(name, number) -> float`, such as `check_beta`.

    Raises:
        TypeError: for a value that is neither a number nor numeric
            array-like, or a boolean array.
        ValueError: for the first value that `check` rejects, named with
            its index.
    """
    if isinstance(value, (list, tuple)):
        known = np.asarray(value)
    elif isinstance(value, (np.ndarray, keras.Variable)) or (
        keras.ops.is_tensor(value)
    ):
        known = concrete_values(value)
    else:
        # Numbers, and anything else, which `check` rejects by type.
        return check(name, value)
    if known is None:
        return value
    if known.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must be a number or a tensor of numbers. "
            f"{_received(name, value)} of dtype {known.dtype}"
        )
    # Each distinct value is checked once (a per-neuron parameter holds
    # few); the message names the first bad one in array order.
    bad = [v for v in np.unique(known) if not _passes(check, name, v.item())]
    if bad:
        mask = np.isin(known, bad) | (np.isnan(known) & np.isnan(bad).any())
        index = first_index(mask)
        try:
            check(name, known[index].item())
        except ValueError as error:
            where = f" at index {index}" if known.ndim else ""
            raise ValueError(f"{error}{where}") from None
    return value


def _passes(check, name, value):
    try:
        check(name, value)
    except ValueError:
        return False
    return True


def _in_range(value, low, high, low_open, high_open):
    above = value > low if low_open else value >= low
    below = value < high if high_open else value <= high
    return above and below


def _interval(low, high, low_open, high_open):
    left = "(" if low_open else "["
    right = ")" if high_open else "]"
    return f"{left}{low:g}, {high:g}{right}"


def check_positive_int(name, value):
    """Checks that `value` is an integer greater than zero (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a positive integer. {_received(name, value)} "
            f"of type {type(value).__name__}"
        )
    if value < 1:
        raise ValueError(
            f"{name} must be a positive integer. {_received(name, value)}"
        )
    return int(value)


def check_sizes(name, value):
    """Checks a non-empty list or tuple of positive integers."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(
            f"{name} must be a list of positive integers. "
            f"{_received(name, value)}"
        )
    if not value:
        raise ValueError(
            f"{name} must contain at least one size. {_received(name, value)}"
        )
    for index, size in enumerate(value):
        check_positive_int(f"{name}[{index}]", size)
    return [int(size) for size in value]


def check_index(name, value, size):
    """Checks that `value` is an integer index in `[0, size)`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be an integer index. {_received(name, value)} "
            f"of type {type(value).__name__}"
        )
    if not 0 <= value < size:
        raise ValueError(
            f"{name} must be an index in [0, {size}). {_received(name, value)}"
        )
    return int(value)


def check_optional_int(name, value):
    """Checks that `value` is None or an integer (not a bool)."""
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, numbers.Integral)
    ):
        raise TypeError(
            f"{name} must be an integer or None. {_received(name, value)}"
        )
    return None if value is None else int(value)


def check_names(name, value):
    """Checks a name or a list of names; returns a list of str.

    `value` is a str (one name) or a list or tuple of str.
    """
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, (list, tuple)) or not all(
        isinstance(item, str) for item in names
    ):
        raise TypeError(
            f"{name} must be a name or a list of names. "
            f"{_received(name, value)}"
        )
    return list(names)


def check_choice(name, value, choices):
    """Checks that `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"{name} must be one of {sorted(choices)}. {_received(name, value)}"
        )
    return value


def check_bool(name, value):
    """Checks that `value` is a bool."""
    if not isinstance(value, bool):
        raise TypeError(
            f"{name} must be True or False. {_received(name, value)}"
        )
    return value


def is_concrete(x):
    """Whether the values of tensor `x` are known now.

    Values are known for eager tensors (PyTorch, TensorFlow eager, JAX
    outside `jit`) and NumPy arrays. They are unknown for symbolic tensors:
    inside `tf.function` or `jax.jit` (Keras compiles `fit`, `evaluate`
    and `predict` so on TensorFlow and JAX by default), on PyTorch's
    `"meta"` device or under `torch.compile`, and while Keras infers output
    shapes. Data checks use this to raise errors where they can, and keep
    compiled graphs free of host round trips.

    Args:
        x: tensor or array.

    Returns:
        bool.
    """
    if keras.backend.is_keras_tensor(x) or _in_symbolic_scope():
        return False
    return _backend.is_concrete(x)


def concrete_values(x):
    """The values of `x` as a NumPy array if `is_concrete(x)`, else None."""
    if not is_concrete(x):
        return None
    return np.asarray(keras.ops.convert_to_numpy(x))


def first_index(mask):
    """The index of the first True entry of a boolean NumPy array."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _in_symbolic_scope():
    # Keras traces layers and losses on placeholder tensors (on PyTorch,
    # tensors of ones) to infer shapes; their values mean nothing. The
    # check is private Keras API, hence the fallback.
    try:
        from keras.src.backend.common.symbolic_scope import in_symbolic_scope
    except ImportError:  # pragma: no cover
        return False
    return in_symbolic_scope()
