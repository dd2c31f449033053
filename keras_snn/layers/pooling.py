"""Sum pooling: the pooling of spiking CNNs on neuromorphic chips."""

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_int


@keras_snn_export
class SumPooling2D(keras.layers.Layer):
    """2-D sum pooling: the sum of each window, per channel.

    The pooling of Sinabs and of NIR's `SumPool2d` node. It is
    `AveragePooling2D` times the window size, computed as a depthwise
    convolution with a kernel of ones, so that sums of spike counts are
    exact (an average times the window size is not, for windows such as
    7 x 7). Channels-last; no weights.

    Args:
        pool_size: int or tuple of 2 ints. Window size `(height, width)`.
        strides: int, tuple of 2 ints or None. Step of the window.
            Defaults to `pool_size`.
        padding: str. `"valid"` (default) or `"same"` (zeros around the
            input, as Keras' convolutions).
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, height, width, channels]`; wrap the
            layer in `keras.layers.TimeDistributed` for sequences.

    Returns:
        Tensor of shape `[batch, out_height, out_width, channels]`.

    Example:

    ```python
    pooled = keras_snn.SumPooling2D(2)(keras.ops.ones((1, 4, 4, 1)))
    pooled[0, :, :, 0]  # [[4.0, 4.0], [4.0, 4.0]]
    ```
    """

    def __init__(self, pool_size, strides=None, padding="valid", **kwargs):
        super().__init__(**kwargs)
        self.pool_size = _pair("pool_size", pool_size)
        self.strides = (
            self.pool_size if strides is None else _pair("strides", strides)
        )
        self.padding = check_choice("padding", padding, ("valid", "same"))

    def build(self, input_shape):
        if len(input_shape) != 4 or input_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape [batch, "
                "height, width, channels] with known channels. Received: "
                f"input_shape={tuple(input_shape)}"
            )
        self._channels = input_shape[-1]

    def call(self, inputs):
        kernel = ops.ones(
            (*self.pool_size, self._channels, 1), dtype=inputs.dtype
        )
        return ops.depthwise_conv(
            inputs, kernel, strides=self.strides, padding=self.padding
        )

    def compute_output_shape(self, input_shape):
        return keras.layers.AveragePooling2D(
            self.pool_size, self.strides, self.padding
        ).compute_output_shape(input_shape)

    def get_config(self):
        config = {
            "pool_size": self.pool_size,
            "strides": self.strides,
            "padding": self.padding,
        }
        return {**super().get_config(), **config}


def _pair(name, value):
    # An int, or a list or tuple of 2 positive ints, as a tuple of 2 ints.
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise ValueError(
            f"{name} must be an int or a tuple of 2 ints. Received: "
            f"{name}={value!r}"
        )
    return tuple(
        check_positive_int(f"{name}[{index}]", size)
        for index, size in enumerate(value)
    )
