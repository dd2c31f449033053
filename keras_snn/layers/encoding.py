"""Encoders: layers that turn static inputs into sequences over time."""

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_positive_int


@keras_snn_export
class RepeatEncoding(keras.layers.Layer):
    """Direct (repeat) coding: presents the same input at every timestep.

    Maps `[batch, features...]` to `[batch, num_timesteps, features...]`.
    The values are passed unchanged, so the first LIF layer receives the
    analog input as a constant current.

    Args:
        num_timesteps: int. Number of timesteps, at least 1.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, features...]`.

    Returns:
        Tensor of shape `[batch, num_timesteps, features...]`.

    Example:

    ```python
    x = keras.ops.ones((8, 64))
    keras_snn.RepeatEncoding(25)(x).shape  # (8, 25, 64)
    ```
    """

    def __init__(self, num_timesteps, **kwargs):
        super().__init__(**kwargs)
        self.num_timesteps = check_positive_int("num_timesteps", num_timesteps)

    def build(self, input_shape):
        if len(input_shape) < 2:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                f"[batch, features]. Received: input_shape={input_shape}"
            )
        self.input_spec = keras.layers.InputSpec(
            ndim=len(input_shape),
            axes={i: d for i, d in enumerate(input_shape) if i and d},
        )

    def call(self, inputs):
        return ops.repeat(
            ops.expand_dims(inputs, 1), self.num_timesteps, axis=1
        )

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_timesteps, *input_shape[1:])

    def get_config(self):
        return {**super().get_config(), "num_timesteps": self.num_timesteps}
