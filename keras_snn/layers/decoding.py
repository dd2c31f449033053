"""Decoders: layers that turn spike trains into static outputs."""

import numbers

import keras
from keras import ops

from keras_snn._export import keras_snn_export


def rate_decode(spike_train):
    """Firing rates: the mean of a spike train over the time axis.

    Computed as `sum(spike_train, axis=1) * (1 / time)`, which can differ
    from a division by `time` in the last bit.

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
    if not keras.backend.is_float_dtype(spike_train.dtype):
        # Integer or boolean spikes: rates are fractions.
        spike_train = ops.cast(spike_train, "float32")
    if len(spike_train.shape) < 3:
        raise ValueError(
            "spike_train must have shape [batch, time, units]. Received: "
            f"spike_train.shape={tuple(spike_train.shape)}"
        )
    steps = spike_train.shape[1]
    if steps is None or ops.is_tensor(steps):
        # Unknown, or traced as a tensor (torch.jit.trace).
        steps = ops.cast(ops.shape(spike_train)[1], spike_train.dtype)
    # The spike count times 1 / steps, written out: graph optimizers and
    # LiteRT's kernels turn a mean or a division by a constant into this
    # product, and the streaming model (keras_snn.export) computes it too,
    # so every runtime gives the same bits.
    return ops.sum(spike_train, axis=1) * step_reciprocal(steps)


def step_reciprocal(steps):
    """`1 / steps`, rounded once to the dtype of `steps`, on every runtime.

    Args:
        steps: int, or float tensor of step counts (up to 4096 for the
            tensor to be rounded once).

    Returns:
        A Python float, or a tensor shaped like `steps`.
    """
    if isinstance(steps, numbers.Number):
        return 1.0 / steps
    # Not `1 / steps`: TensorFlow turns it into a Reciprocal op, which is
    # approximate on CPU. `steps * steps` is exact up to 4096 steps in
    # float32 (float16 would overflow from 256 steps), and the division is
    # rounded once, to the float closest to 1 / steps.
    dtype = steps.dtype if keras.backend.is_float_dtype(steps.dtype) else None
    wide = ops.cast(steps, "float32")
    return ops.cast(wide / (wide * wide), dtype or "float32")


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
