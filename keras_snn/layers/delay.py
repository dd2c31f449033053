"""Delays: layers that shift sequences in time, fixed or learned.

All delay layers map `[batch, T, features]` to `[batch, T, units]`, with
delays in timesteps, and see zeros before the first step:

- `Delay`: fixed integer delays, one per feature or one for all,
  `y[:, t, i] = x[:, t - d_i, i]`;
- `LearnableDelay`: one trainable delay per feature (axonal delays), a
  linear interpolation between neighbouring integer shifts in training and
  the exact shift by `round(d_i)` at inference;
- `DelayedDense`: a dense projection in which every weight has its own
  trainable delay (synaptic delays, the DCLS method of Hammouamri et al.,
  2024), a causal temporal convolution whose kernel holds each weight at
  its delay, spread by a Gaussian of width `sigma`;
- `DelayAnnealing`: the callback that narrows `sigma` during training and
  rounds the delays to integers at the end.

A delay longer than the sequence gives zeros: `x[:, t - d]` with `t < d`
is before the first step, for every `t`. This is the formula, not an
error, so that a model trained on long sequences runs on short ones.

Every layer computes its output from the sequence padded with `max_delay`
zeros in front; the streaming model of `keras_snn.export` runs the same
computation on a buffer holding the last `max_delay` inputs.
"""

import numbers

import keras
import numpy as np
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.constraints import Between
from keras_snn.validation import check_number
from keras_snn.validation import check_positive_int


def _check_delay(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a non-negative integer number of timesteps. "
            f"Received: {name}={value!r} of type {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(
            f"{name} must be a non-negative integer number of timesteps. "
            f"Received: {name}={value!r}"
        )
    return int(value)


def check_delays(delays):
    """Checks fixed delays: one non-negative int, or a list of them.

    Args:
        delays: int, or list, tuple or 1-D integer array of ints.

    Returns:
        An int, or a list of ints.
    """
    if isinstance(delays, np.ndarray):
        if delays.ndim != 1 or not np.issubdtype(delays.dtype, np.integer):
            raise TypeError(
                "delays must be an integer or a 1-D array of integers. "
                f"Received: delays={delays!r}"
            )
        delays = delays.tolist()
    if isinstance(delays, (list, tuple)):
        if not delays:
            raise ValueError(
                "delays must hold one delay per feature. Received: "
                f"delays={delays!r}"
            )
        return [_check_delay(f"delays[{i}]", d) for i, d in enumerate(delays)]
    return _check_delay("delays", delays)


def _pad(inputs, max_delay):
    # `max_delay` zeros before the first step.
    return ops.pad(inputs, [[0, 0], [max_delay, 0], [0, 0]])


def _tap(padded, delay, max_delay):
    # From a sequence padded with `max_delay` zeros in front: the original
    # sequence delayed by `delay` steps, x[:, t - delay].
    return padded[:, max_delay - delay : -delay or None]


def _check_sequence(layer, input_shape):
    if len(input_shape) != 3 or input_shape[-1] is None:
        raise ValueError(
            f"{type(layer).__name__} expects inputs of shape "
            "[batch, time, features] with a known number of features. "
            f"Received: input_shape={tuple(input_shape)}"
        )
    return input_shape[-1]


def shift(inputs, delays):
    """Delays each feature by its own integer number of timesteps.

    `y[:, t, i] = x[:, t - d_i, i]`, and 0 where `t < d_i`.

    Args:
        inputs: tensor of shape `[batch, T, features]`.
        delays: int, or list of `features` ints >= 0.

    Returns:
        Tensor of the shape and dtype of `inputs`.

    Example:

    >>> keras_snn.layers.delay.shift(keras.ops.ones((1, 3, 2)), [0, 2])
    [[[1, 0], [1, 0], [1, 1]]]
    """
    delays = check_delays(delays)
    max_delay = max(delays) if isinstance(delays, list) else delays
    return _select(_pad(inputs, max_delay), delays, max_delay)


def _select(padded, delays, max_delay):
    if isinstance(delays, int):
        return _tap(padded, delays, max_delay)
    result = None
    for delay in sorted(set(delays)):
        tap = _tap(padded, delay, max_delay)
        if result is None:
            result = tap
        else:
            # A selection, not a product with a mask: a NaN or Inf in one
            # tap does not leak into the others.
            mask = np.array([d == delay for d in delays])
            result = ops.where(mask, tap, result)
    return result


def interpolate(inputs, delays, max_delay):
    """The relaxed shift: linear interpolation between integer shifts.

    With `w_k(d) = max(0, 1 - |k - d|)`, the hat function:

    ```
    y[:, t, i] = sum_{k=0}^{max_delay} w_k(d_i) x[:, t - k, i]
               = (1 - f) x[:, t - floor(d_i)] + f x[:, t - floor(d_i) - 1]
    ```

    with `f = d_i - floor(d_i)`, and `x = 0` before the first step. At an
    integer `d_i` it is the exact shift. It is differentiable in `d_i`
    between integers (piecewise linear), which is what training uses.

    Args:
        inputs: tensor of shape `[batch, T, features]`.
        delays: tensor of shape `[features]`, values in `[0, max_delay]`.
        max_delay: int >= 0. The largest delay.

    Returns:
        Tensor of the shape of `inputs`.
    """
    max_delay = _check_delay("max_delay", max_delay)
    return _relaxed(_pad(inputs, max_delay), delays, max_delay)


def _rounded_select(padded, delays, max_delay):
    # The exact shift by round(d_i), for delays held in a tensor.
    rounded = ops.round(ops.cast(delays, "float32"))
    result = _tap(padded, 0, max_delay)
    for delay in range(1, max_delay + 1):
        mask = ops.equal(rounded, float(delay))
        result = ops.where(mask, _tap(padded, delay, max_delay), result)
    return result


def dcls_kernel(kernel, positions, sigma, max_delay):
    """The temporal kernel of a dense projection with per-weight delays.

    Each weight `W[i, j]` is spread over the taps `k = 0..max_delay` by a
    Gaussian centred on its delay `P[i, j]`, normalized over the taps:

    ```
    g_k = exp(-(k - P[i, j])^2 / (2 sigma^2))
    K[k, i, j] = W[i, j] g_k / (sum_k' g_k' + 1e-7)
    ```

    With `sigma = 0`, `K[k, i, j] = W[i, j]` where `k = round(P[i, j])`
    and 0 elsewhere: the exact integer delays.

    Args:
        kernel: tensor `W` of shape `[inputs, units]`.
        positions: tensor `P` of shape `[inputs, units]`, the delays in
            timesteps, in `[0, max_delay]`.
        sigma: float or scalar tensor >= 0. The Gaussian's width, in
            timesteps.
        max_delay: int >= 0. The largest delay.

    Returns:
        Tensor `K` of shape `[max_delay + 1, inputs, units]`, `K[k]` the
        weights of the input `k` steps ago.

    References:
        Hammouamri, Khalfaoui-Hassani, Masquelier, "Learning Delays in
        Spiking Neural Networks using Dilated Convolutions with Learnable
        Spacings", ICLR 2024.
    """
    max_delay = _check_delay("max_delay", max_delay)
    positions = ops.convert_to_tensor(positions)
    # float32 at least: the Gaussian's normalization in float16 would lose
    # the small taps.
    dtype = keras.backend.standardize_dtype(positions.dtype)
    dtype = "float64" if dtype == "float64" else "float32"
    positions = ops.cast(positions, dtype)
    # A constant, not ops.arange: JAX's ONNX exporter cannot trace it.
    taps = ops.convert_to_tensor(
        np.arange(max_delay + 1).reshape(-1, 1, 1), dtype
    )
    sigma = ops.cast(sigma, dtype)
    # The Gaussian branch with a width of 1 where sigma = 0: it is not
    # used there, and its gradient must stay finite.
    width = ops.where(sigma > 0, sigma, ops.ones_like(sigma))
    gauss = ops.exp(-0.5 * ops.square((taps - positions[None]) / width))
    gauss = gauss / (ops.sum(gauss, axis=0, keepdims=True) + 1e-7)
    exact = ops.cast(ops.equal(taps, ops.round(positions)[None]), dtype)
    spread = ops.where(sigma > 0, gauss, exact)
    return spread * ops.cast(kernel, dtype)[None]


class _DelayLayer(keras.layers.Layer):
    """Shared by the delay layers: `call` runs `_apply` on the sequence
    padded with `max_delay` zeros; `stream_step` on a buffer of the last
    `max_delay` inputs."""

    def call(self, inputs, training=False):
        return self._apply(_pad(inputs, self.max_delay), training)

    def stream_step(self, inputs, buffer):
        """One timestep at inference, for streaming models.

        Args:
            inputs: tensor of shape `[batch, features]`, the input `x_t`.
            buffer: tensor of shape `[batch, max_delay, features]`, the
                inputs `x_{t - max_delay}, ..., x_{t - 1}` (zeros before
                the first step), or None when `max_delay = 0`.

        Returns:
            A tuple `(y_t, new_buffer)`: the output of this step,
            `[batch, units]`, and the buffer for the next step (None when
            `max_delay = 0`).
        """
        window = ops.expand_dims(inputs, 1)
        if buffer is None:
            return self._apply(window, False)[:, 0], None
        window = ops.concatenate([ops.cast(buffer, inputs.dtype), window], 1)
        return self._apply(window, False)[:, 0], window[:, 1:]

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)


@keras_snn_export
class Delay(_DelayLayer):
    """Fixed delays: shifts each feature by its own number of timesteps.

    ```
    y[:, t, i] = x[:, t - d_i, i]   for t >= d_i,
    y[:, t, i] = 0                  for t <  d_i.
    ```

    The output has the input's shape and dtype. A delay at least as long
    as the sequence gives an all-zero feature (the formula, not an error).
    The layer has no weights; it passes gradients through the shift.

    Args:
        delays: int, or list of ints, one per feature. Delays in timesteps,
            >= 0.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, T, features]`.

    Returns:
        Tensor of shape `[batch, T, features]`.

    Raises:
        TypeError: if a delay is not an integer.
        ValueError: if a delay is negative, or if `delays` is a list whose
            length is not the number of features.

    Example:

    ```python
    x = keras.ops.ones((1, 4, 2))
    keras_snn.Delay([0, 2])(x)  # [[[1, 0], [1, 0], [1, 1], [1, 1]]]
    ```
    """

    def __init__(self, delays, **kwargs):
        super().__init__(**kwargs)
        self.delays = check_delays(delays)
        self.max_delay = (
            max(self.delays) if isinstance(self.delays, list) else self.delays
        )

    def build(self, input_shape):
        features = _check_sequence(self, input_shape)
        if isinstance(self.delays, list) and len(self.delays) != features:
            raise ValueError(
                f"delays must hold one delay per feature: {features} for "
                f"inputs of shape {tuple(input_shape)}. Received: "
                f"delays={self.delays!r} ({len(self.delays)} delays)"
            )
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: features})

    def _apply(self, padded, training):
        return _select(padded, self.delays, self.max_delay)

    def get_config(self):
        return {**super().get_config(), "delays": self.delays}


def _check_max_delay(max_delay):
    return _check_delay("max_delay", max_delay)


@keras_snn_export
class LearnableDelay(_DelayLayer):
    """Learnable delays, one per feature (axonal delays).

    Each feature `i` has a trainable delay `d_i` in `[0, max_delay]`
    timesteps. In training (`training=True`, as in `fit`) the layer
    computes the relaxed shift of `interpolate`, a linear interpolation
    between the two integer shifts around `d_i`, which is differentiable
    in `d_i`:

    ```
    y[:, t, i] = (1 - f) x[:, t - floor(d_i), i] + f x[:, t - floor(d_i) - 1, i]
    f = d_i - floor(d_i)
    ```

    At inference (`predict`, `evaluate`, a call without `training=True`)
    it applies the exact integer shift by `round(d_i)` (half to even), as
    `Delay`. The delays are clipped to `[0, max_delay]` after every update.
    Delays move by gradient descent on their own: a learning rate larger
    than for the weights helps them move by whole steps.

    Args:
        max_delay: int >= 0. The largest delay, in timesteps.
        delay_initializer: initializer of the delays, or None (default)
            for uniform values in `[0, max_delay]`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, T, features]`.
        training: bool. The relaxed shift if True, the integer shift
            otherwise.

    Returns:
        Tensor of shape `[batch, T, features]`.

    Example:

    ```python
    delays = keras_snn.LearnableDelay(max_delay=8)
    y = delays(spikes)  # [batch, T, features], shifted by round(d_i)
    ```

    References:
        Sun et al., "Axonal delay as a short-term memory for feed forward
        deep spiking neural networks", ICASSP 2022 (learnable axonal
        delays).
    """

    def __init__(self, max_delay, *, delay_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.max_delay = _check_max_delay(max_delay)
        self.delay_initializer = (
            None
            if delay_initializer is None
            else keras.initializers.get(delay_initializer)
        )

    def build(self, input_shape):
        features = _check_sequence(self, input_shape)
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: features})
        self.delay = self.add_weight(
            name="delay",
            shape=(features,),
            initializer=self.delay_initializer
            or keras.initializers.RandomUniform(0.0, float(self.max_delay)),
            constraint=Between(0.0, float(self.max_delay)),
        )

    def _apply(self, padded, training):
        if training:
            return _relaxed(padded, self.delay, self.max_delay)
        return _rounded_select(padded, self.delay, self.max_delay)

    def integer_delays(self):
        """The delays applied at inference, `round(d_i)`, as a NumPy array.

        Returns:
            int64 array of shape `[features]`.
        """
        delays = keras.ops.convert_to_numpy(self.delay.value)
        return np.round(delays).astype(np.int64)

    def get_config(self):
        initializer = self.delay_initializer
        return {
            **super().get_config(),
            "max_delay": self.max_delay,
            "delay_initializer": None
            if initializer is None
            else keras.initializers.serialize(initializer),
        }


def _relaxed(padded, delays, max_delay):
    delays = ops.cast(delays, padded.dtype)
    result = 0.0
    for delay in range(max_delay + 1):
        weight = ops.relu(1.0 - ops.abs(delay - delays))
        result = result + weight * _tap(padded, delay, max_delay)
    return result


@keras_snn_export
class DelayedDense(_DelayLayer):
    """A dense projection with one learnable delay per weight (DCLS).

    Every weight `W[i, j]` from input `i` to unit `j` has a delay
    `P[i, j]` in `[0, max_delay]` timesteps. The projection is a causal
    temporal convolution with the kernel `K` of `dcls_kernel`, which holds
    each weight at its delay spread by a Gaussian of width `sigma`:

    ```
    y[:, t, j] = b[j] + sum_{k=0}^{max_delay} sum_i K[k, i, j] x[:, t - k, i]
    K[k, i, j] = W[i, j] g_k(P[i, j]) / (sum_k' g_k'(P[i, j]) + 1e-7)
    g_k(p) = exp(-(k - p)^2 / (2 sigma^2))
    ```

    with `x = 0` before the first step. The Gaussian makes the output
    differentiable in the delays; training narrows it (`DelayAnnealing`
    lowers `sigma` epoch by epoch) and at the end rounds the delays to
    integers and sets `sigma = 0`, where `K[k, i, j] = W[i, j]` at
    `k = round(P[i, j])` only: every weight acts with an exact integer
    delay. Inference uses the current `sigma`, as training does, so the
    validation numbers during training are those of the relaxed model.

    `sigma` is a non-trainable weight (saved with the model); the
    `sigma` argument is its initial value. The delays are clipped to
    `[0, max_delay]` after every update. The paper trains the delays with
    a learning rate 100 times that of the weights.

    Args:
        units: int. Number of output units.
        max_delay: int >= 0. The largest delay, in timesteps.
        sigma: float >= 0 or None. Initial width of the Gaussian, in
            timesteps. Defaults to `max_delay / 2` (the paper's choice).
        use_bias: bool. Whether to add a bias. Defaults to True.
        kernel_initializer: initializer of `W`. Defaults to
            `"glorot_uniform"`.
        bias_initializer: initializer of `b`. Defaults to `"zeros"`.
        position_initializer: initializer of `P`, or None (default) for
            uniform values in `[0, max_delay]`.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, T, features]`.

    Returns:
        Tensor of shape `[batch, T, units]`.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((T, 40)),
        keras_snn.DelayedDense(64, max_delay=10),
        keras_snn.LIF(),
        ...
    ])
    model.fit(x, y, epochs=20, callbacks=[keras_snn.DelayAnnealing(20)])
    ```

    References:
        Hammouamri, Khalfaoui-Hassani, Masquelier, "Learning Delays in
        Spiking Neural Networks using Dilated Convolutions with Learnable
        Spacings", ICLR 2024.
    """

    def __init__(
        self,
        units,
        max_delay,
        *,
        sigma=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        position_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.max_delay = _check_max_delay(max_delay)
        if sigma is None:
            sigma = self.max_delay / 2.0
        sigma_float = check_number("sigma", sigma)
        if not (np.isfinite(sigma_float) and sigma_float >= 0.0):
            raise ValueError(
                f"sigma must be a finite number >= 0. Received: sigma={sigma!r}"
            )
        self.sigma = sigma_float
        if not isinstance(use_bias, bool):
            raise TypeError(
                f"use_bias must be True or False. Received: use_bias="
                f"{use_bias!r}"
            )
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.position_initializer = (
            None
            if position_initializer is None
            else keras.initializers.get(position_initializer)
        )

    def build(self, input_shape):
        features = _check_sequence(self, input_shape)
        self.input_spec = keras.layers.InputSpec(ndim=3, axes={-1: features})
        shape = (features, self.units)
        self.kernel = self.add_weight(
            name="kernel", shape=shape, initializer=self.kernel_initializer
        )
        self.positions = self.add_weight(
            name="positions",
            shape=shape,
            initializer=self.position_initializer
            or keras.initializers.RandomUniform(0.0, float(self.max_delay)),
            constraint=Between(0.0, float(self.max_delay)),
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.units,),
                initializer=self.bias_initializer,
            )
        self.sigma_weight = self.add_weight(
            name="sigma",
            shape=(),
            initializer=keras.initializers.Constant(self.sigma),
            trainable=False,
        )

    def temporal_kernel(self):
        """The kernel `K` of `dcls_kernel` for the current weights.

        Returns:
            Tensor of shape `[max_delay + 1, features, units]`.
        """
        return dcls_kernel(
            self.kernel, self.positions, self.sigma_weight, self.max_delay
        )

    def _apply(self, padded, training):
        kernel = ops.cast(self.temporal_kernel(), padded.dtype)
        # conv computes a correlation, y[t] = sum_j padded[t + j] K'[j],
        # and padded[t + j] is x[t + j - max_delay]: K'[j] = K[max - j].
        outputs = ops.conv(padded, ops.flip(kernel, axis=0), padding="valid")
        if self.bias is not None:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return outputs

    def round_delays(self):
        """Rounds the delays to integers and sets `sigma` to 0.

        After it, every weight acts at one integer delay, `K[k, i, j] =
        W[i, j]` at `k = P[i, j]`.
        """
        positions = keras.ops.convert_to_numpy(self.positions.value)
        self.positions.assign(np.round(positions))
        self.sigma_weight.assign(0.0)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        position = self.position_initializer
        return {
            **super().get_config(),
            "units": self.units,
            "max_delay": self.max_delay,
            "sigma": self.sigma,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "position_initializer": None
            if position is None
            else keras.initializers.serialize(position),
        }


class DelayAnnealing(keras.callbacks.Callback):
    """Narrows the Gaussians of `DelayedDense` layers during training.

    At the start of epoch `e` (counted from 0 in each `fit` call), every
    `DelayedDense` layer of the model gets

    ```
    sigma_e = sigma_0 (final_sigma / sigma_0) ** (min(e, epochs) / epochs)
    ```

    an exponential decay from the layer's initial `sigma_0` (its `sigma`
    argument) to `final_sigma` at epoch `epochs`, as in Hammouamri et al.
    (2024), who decay it to 0.23 timesteps. With `round_at_end=True`
    (default), the end of training rounds the delays to integers and sets
    `sigma = 0` (`DelayedDense.round_delays`).

    Args:
        epochs: int > 0. The epoch at which `sigma` reaches `final_sigma`.
        final_sigma: float > 0. The last width, in timesteps. Defaults to
            0.23.
        round_at_end: bool. Round the delays when training ends. Defaults
            to True.

    Example:

    ```python
    model.fit(x, y, epochs=30, callbacks=[keras_snn.DelayAnnealing(30)])
    ```

    References:
        Hammouamri, Khalfaoui-Hassani, Masquelier, "Learning Delays in
        Spiking Neural Networks using Dilated Convolutions with Learnable
        Spacings", ICLR 2024.
    """

    def __init__(self, epochs, *, final_sigma=0.23, round_at_end=True):
        super().__init__()
        self.epochs = check_positive_int("epochs", epochs)
        final = check_number("final_sigma", final_sigma)
        if not (np.isfinite(final) and final > 0):
            raise ValueError(
                "final_sigma must be a finite number greater than 0. "
                f"Received: final_sigma={final_sigma!r}"
            )
        self.final_sigma = final
        if not isinstance(round_at_end, bool):
            raise TypeError(
                "round_at_end must be True or False. Received: "
                f"round_at_end={round_at_end!r}"
            )
        self.round_at_end = round_at_end

    def sigma(self, initial, epoch):
        """The width at the start of `epoch`, from the initial width.

        Args:
            initial: float > 0. The layer's initial `sigma`.
            epoch: int >= 0.

        Returns:
            float.
        """
        if initial <= 0:
            return initial
        progress = min(epoch, self.epochs) / self.epochs
        return initial * (self.final_sigma / initial) ** progress

    def _layers(self):
        return [
            layer
            for layer in self.model._flatten_layers()
            if isinstance(layer, DelayedDense)
        ]

    def on_epoch_begin(self, epoch, logs=None):
        for layer in self._layers():
            layer.sigma_weight.assign(self.sigma(layer.sigma, epoch))

    def on_train_end(self, logs=None):
        if self.round_at_end:
            for layer in self._layers():
                layer.round_delays()
