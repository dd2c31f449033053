"""A stateless spiking threshold: NIR's `Threshold` node as a layer."""

import keras
import numpy as np
from keras import ops

from keras_snn import surrogates
from keras_snn._export import keras_snn_export
from keras_snn.validation import check_finite_number
from keras_snn.validation import check_values


@keras_snn_export
class Threshold(keras.layers.Layer):
    """Stateless spikes: `s = spike(x - threshold)`, element by element.

    A Heaviside step with a surrogate gradient and no membrane: the output
    is exactly `1.0` where `x - threshold > 0` and `0.0` elsewhere (NaN
    where `x` is not finite), and its gradient is `surrogate'(x -
    threshold)`, through the same spike function as the neuron layers.
    It is NIR's `Threshold` node. Elementwise, it works on any shape
    (`[batch, T, features]`, `[batch, T, H, W, C]`, ...) without a loop
    over time; a per-feature threshold applies along the last axis (the
    channels of a channels-last feature map).

    Args:
        threshold: float or 1-D array-like of floats. The threshold, one
            for all features or one per feature of the last axis. Must be
            finite. Defaults to 1.0.
        surrogate: str, dict or `keras_snn.surrogates.Surrogate`. The spike
            function and its surrogate gradient. Defaults to
            `"fast_sigmoid"` (`FastSigmoid(slope=25)`).
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of any shape `[..., features]`.

    Returns:
        Spikes of the same shape and dtype as `inputs`.

    Raises:
        TypeError: if `threshold` is not a number or an array of numbers,
            or `surrogate` is not a surrogate.
        ValueError: if `threshold` is not finite or not 1-D, or (when the
            layer is built) has a length other than the inputs' last axis.

    Example:

    ```python
    layer = keras_snn.Threshold([0.5, 1.0])
    layer(keras.ops.array([[0.7, 0.7]]))  # [[1.0, 0.0]]
    ```
    """

    def __init__(self, threshold=1.0, *, surrogate="fast_sigmoid", **kwargs):
        super().__init__(**kwargs)
        self.threshold = _check_threshold(threshold)
        self.surrogate = surrogates.get(surrogate)

    def build(self, input_shape):
        features = input_shape[-1] if input_shape else None
        if isinstance(self.threshold, tuple) and (
            features != len(self.threshold)
        ):
            raise ValueError(
                f"Layer '{self.name}' has {len(self.threshold)} thresholds "
                "for the last axis of its inputs, which has size "
                f"{features}. Received: threshold={list(self.threshold)} "
                f"and input_shape={tuple(input_shape)}"
            )

    def call(self, inputs):
        threshold = ops.convert_to_tensor(self.threshold, inputs.dtype)
        return self.surrogate(inputs - threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        threshold = self.threshold
        if isinstance(threshold, tuple):
            threshold = list(threshold)
        config = {
            "threshold": threshold,
            "surrogate": surrogates.serialize(self.surrogate),
        }
        return {**super().get_config(), **config}


def _check_threshold(threshold):
    # A float, or a tuple of floats for an array-like threshold.
    if not isinstance(threshold, (list, tuple, np.ndarray)):
        return check_finite_number("threshold", threshold)
    values = np.asarray(threshold)
    if values.ndim == 0:
        return check_finite_number("threshold", values.item())
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            "threshold must be a number or a non-empty 1-D array, one value "
            f"per feature. Received: threshold={threshold!r} of shape "
            f"{values.shape}"
        )
    check_values("threshold", values, check_finite_number)
    return tuple(float(value) for value in values)
