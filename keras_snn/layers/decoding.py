"""Decoders: layers that turn spike trains into static outputs."""

import keras
from keras import ops

from keras_snn._export import keras_snn_export


def rate_decode(spike_train):
    """Firing rates: the mean of a spike train over the time axis.

    Args:
        spike_train: tensor of shape `[batch, time, units...]`.

    Returns:
        Tensor of shape `[batch, units...]`; for 0/1 spikes, rates in
        [0, 1].

    Example:

    >>> keras_snn.rate_decode(keras.ops.array([[[1.0], [0.0], [1.0], [1.0]]]))
    [[0.75]]
    """
    spike_train = ops.convert_to_tensor(spike_train)
    if len(spike_train.shape) < 3:
        raise ValueError(
            "spike_train must have shape [batch, time, units]. Received: "
            f"spike_train.shape={tuple(spike_train.shape)}"
        )
    return ops.mean(spike_train, axis=1)


@keras_snn_export
class RateDecoding(keras.layers.Layer):
    """Rate decoding: the mean firing rate of each neuron over time.

    Maps `[batch, time, units]` to `[batch, units]` with `rate_decode`.

    Args:
        **kwargs: Base layer arguments. `build()` gives this layer
            `dtype="float32"` so that rates and losses stay in float32 under
            mixed precision.

    Call arguments:
        inputs: spike train of shape `[batch, time, units...]`.

    Returns:
        Firing rates of shape `[batch, units...]`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                f"[batch, time, units]. Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        return rate_decode(inputs)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])
