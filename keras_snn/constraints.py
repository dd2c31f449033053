"""Weight constraints used by the neuron layers."""

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_number


@keras_snn_export
class MinValue(keras.constraints.Constraint):
    """Clips every weight to at least `min_value` after each update.

    Keeps trainable thresholds strictly positive.

    Args:
        min_value: float. The smallest value a weight may take.
    """

    def __init__(self, min_value=1e-3):
        self.min_value = check_number("min_value", min_value)

    def __call__(self, w):
        return ops.maximum(w, ops.cast(self.min_value, w.dtype))

    def get_config(self):
        return {"min_value": self.min_value}
