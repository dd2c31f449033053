"""Weight constraints used by the neuron layers."""

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_finite_number


@keras_snn_export
class MinValue(keras.constraints.Constraint):
    """Clips every weight to at least `min_value` after each update.

    Keeps trainable thresholds strictly positive.

    Args:
        min_value: float. The smallest value a weight may take.

    Raises:
        TypeError: if `min_value` is not a number.
        ValueError: if `min_value` is not finite.
    """

    def __init__(self, min_value=1e-3):
        self.min_value = check_finite_number("min_value", min_value)

    def __call__(self, w):
        return ops.maximum(w, ops.cast(self.min_value, w.dtype))

    def get_config(self):
        return {"min_value": self.min_value}


@keras_snn_export
class Between(keras.constraints.Constraint):
    """Clips every weight to `[min_value, max_value]` after each update.

    Keeps learnable delays inside `[0, max_delay]`.

    Args:
        min_value: float. The smallest value a weight may take.
        max_value: float. The largest value a weight may take.

    Raises:
        TypeError: if a bound is not a number.
        ValueError: if a bound is not finite, or `max_value` is below
            `min_value`.
    """

    def __init__(self, min_value, max_value):
        self.min_value = check_finite_number("min_value", min_value)
        self.max_value = check_finite_number("max_value", max_value)
        if self.max_value < self.min_value:
            raise ValueError(
                "max_value must be at least min_value. Received: "
                f"min_value={min_value!r}, max_value={max_value!r}"
            )

    def __call__(self, w):
        return ops.clip(
            w,
            ops.cast(self.min_value, w.dtype),
            ops.cast(self.max_value, w.dtype),
        )

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value}
