"""Decoders: layers that turn spike trains into static outputs."""

import numbers

import keras
from keras import ops

from keras_snn._export import keras_snn_export


def rate_decode(spike_train, mask=None):
    """Firing rates: the mean of a spike train over the time axis.

    Computed as `sum(spike_train, axis=1) * (1 / time)`, which can differ
    from a division by `time` in the last bit. With a `mask`, the mean is
    over the unmasked steps of each sequence only, `sum(spike_train * mask,
    axis=1) * (1 / sum(mask, axis=1))`, so that padding does not dilute
    the rates; a sequence with no unmasked step has rates 0.

    Args:
        spike_train: tensor of shape `[batch, time, units...]`.
        mask: optional boolean tensor `[batch, time]`, True at the valid
            steps (the Keras mask of padded sequences).

    Returns:
        Tensor of shape `[batch, units...]`; for 0/1 spikes, rates in
        [0, 1].

    Raises:
        ValueError: if `spike_train` has fewer than 3 axes, or `mask` is
            not `[batch, time]`.

    Example:

    >>> keras_snn.rate_decode(keras.ops.array([[[1.0], [0.0], [1.0], [1.0]]]))
    [[0.75]]
    >>> keras_snn.rate_decode(
    ...     keras.ops.array([[[1.0], [0.0], [1.0], [1.0]]]),
    ...     mask=keras.ops.array([[True, True, False, False]]),
    ... )
    [[0.5]]
    """
    spike_train = ops.convert_to_tensor(spike_train)
    if not keras.backend.is_float_dtype(spike_train.dtype):
        # Integer or boolean spikes: rates are fractions.
        spike_train = ops.cast(spike_train, "float32")
    rank = len(spike_train.shape)
    if rank < 3:
        raise ValueError(
            "spike_train must have shape [batch, time, units]. Received: "
            f"spike_train.shape={tuple(spike_train.shape)}"
        )
    if mask is not None:
        return _masked_rates(spike_train, mask)
    steps = spike_train.shape[1]
    if steps is None or ops.is_tensor(steps):
        # Unknown, or traced as a tensor (torch.jit.trace).
        steps = ops.cast(ops.shape(spike_train)[1], spike_train.dtype)
    # The spike count times 1 / steps, written out: graph optimizers and
    # LiteRT's kernels turn a mean or a division by a constant into this
    # product, and the streaming model (keras_snn.export) computes it too,
    # so every runtime gives the same bits.
    return ops.sum(spike_train, axis=1) * step_reciprocal(steps)


def _masked_rates(spike_train, mask):
    mask = ops.convert_to_tensor(mask)
    if len(mask.shape) != 2:
        raise ValueError(
            "mask must have shape [batch, time], like the first two axes of "
            f"spike_train. Received: mask.shape={tuple(mask.shape)}, "
            f"spike_train.shape={tuple(spike_train.shape)}"
        )
    weights = ops.cast(mask, spike_train.dtype)
    # [batch, time, 1, ...], to broadcast over the units.
    for _ in range(len(spike_train.shape) - 2):
        weights = ops.expand_dims(weights, -1)
    counts = ops.maximum(ops.sum(weights, axis=1), 1.0)
    return ops.sum(spike_train * weights, axis=1) * step_reciprocal(counts)


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

    Masks are supported: the spike train of padded sequences (after
    `keras.layers.Masking`, or an `Embedding` with `mask_zero=True`) is
    averaged over each sequence's unmasked steps only; the rates carry no
    mask.

    Args:
        **kwargs: Base layer arguments. `build()` gives this layer
            `dtype="float32"` so that rates and losses stay in float32 under
            mixed precision.

    Call arguments:
        inputs: spike train of shape `[batch, time, units...]`.
        mask: optional boolean tensor `[batch, time]`, passed by Keras.

    Returns:
        Firing rates of shape `[batch, units...]`.
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def build(self, input_shape):
        if len(input_shape) < 3:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                f"[batch, time, units]. Received: input_shape={input_shape}"
            )

    def call(self, inputs, mask=None):
        return rate_decode(inputs, mask=mask)

    def compute_mask(self, inputs, mask=None):
        # The time axis, which the mask is over, is averaged away.
        return None

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *input_shape[2:])
