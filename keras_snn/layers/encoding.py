"""Encoders: layers that turn static inputs into sequences over time.

Every encoder maps `[batch, features...]` to
`[batch, num_timesteps, features...]`:

- `RepeatEncoding`: the analog input at every step (direct coding);
- `PoissonEncoding`: random spikes with probability `gain * x` per step
  (rate coding);
- `LatencyEncoding`: one spike per feature, earlier for larger values
  (time-to-first-spike coding).

Integer and boolean inputs are cast to the layer's compute dtype (float32
by default), so every encoder returns floats whatever the input dtype.

`PoissonEncoding` and `LatencyEncoding` read inputs as intensities in
[0, 1]. Where input values are known when the layer runs (PyTorch, and
TensorFlow or JAX run eagerly, for example `model(x)` or
`model.predict(x)` on PyTorch), values outside [0, 1] raise a
`ValueError` that names the value (uint8 pixels in 0..255 too: scale them
to [0, 1] first). Inside compiled functions (`fit`, `evaluate` and
`predict` on TensorFlow and JAX by default) the values are unknown when
the graph is built, and checking them would need a host round trip at
every step; there they are clipped to [0, 1]. Non-finite values
are not clipped into spikes: they give NaN outputs, as in the rest of
keras_snn.
"""

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_optional_int
from keras_snn.validation import check_positive_int
from keras_snn.validation import check_positive_number
from keras_snn.validation import check_range
from keras_snn.validation import concrete_values
from keras_snn.validation import first_index


class _Encoding(keras.layers.Layer):
    """Shared shape logic: `[batch, features...]` to
    `[batch, num_timesteps, features...]`."""

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

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_timesteps, *input_shape[1:])

    def float_inputs(self, inputs):
        """`inputs` as floats of the layer's compute dtype.

        Keras casts floating inputs to the compute dtype before `call`, but
        passes integer and boolean ones (uint8 pixels, say) through, and
        TensorFlow then refuses to mix them with float constants.
        """
        inputs = ops.convert_to_tensor(inputs)
        if keras.backend.is_float_dtype(inputs.dtype):
            return inputs
        return ops.cast(inputs, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "num_timesteps": self.num_timesteps}


def _intensities(layer, label, values):
    """Checks that `values` lie in [0, 1] where it can, and clips them."""
    known = concrete_values(values)
    if known is not None:
        bad = ~((known >= 0) & (known <= 1))
        if bad.any():
            raise ValueError(
                f"{type(layer).__name__} reads {label} as intensities, "
                f"which must lie in [0, 1]. Received: {label}="
                f"{known[bad].flat[0].item()!r} at index {first_index(bad)}"
            )
    return ops.clip(values, 0.0, 1.0)


def _keep_non_finite(spikes, values):
    # `values - values` is 0 for finite values and NaN for NaN or +-Inf:
    # bad inputs show up in the output instead of as silence.
    return spikes + ops.expand_dims(values - values, 1)


@keras_snn_export
class RepeatEncoding(_Encoding):
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

    def call(self, inputs):
        inputs = self.float_inputs(inputs)
        return ops.repeat(
            ops.expand_dims(inputs, 1), self.num_timesteps, axis=1
        )


@keras_snn_export
class PoissonEncoding(_Encoding):
    """Rate (Poisson) coding: random spikes with probability `gain * x`.

    Maps `[batch, features...]` to `[batch, num_timesteps, features...]`
    spikes. At every step each feature spikes independently, with
    probability `p = gain * x`:

    ```
    u ~ uniform[0, 1), drawn per batch entry, step and feature
    spike = 1.0 if u < gain * x else 0.0
    ```

    so the expected firing rate of each input equals `gain * x`. `u` comes
    from `keras.random.uniform` with the layer's `keras.random.SeedGenerator`
    (shape `[batch, num_timesteps, features...]`): a given `seed` gives the
    same spikes on each run, and every call draws new spikes. The layer
    samples at inference too, not only in training: the spikes are the
    model's input, not a regularizer like dropout.

    Probabilities outside [0, 1]: where input values are known when the
    layer runs (PyTorch; TensorFlow and JAX when run eagerly), a `gain * x`
    outside [0, 1] raises a `ValueError` that names the value. Inside
    compiled functions (`fit`, `evaluate` and `predict` on TensorFlow and
    JAX by default) values are not known when the graph is built, and
    checking them would stop the device at every step, so `gain * x` is
    clipped to [0, 1] there. Check the data once before training (as
    `examples/train_digits.py` scales the pixels to [0, 1]) to get the
    same behaviour everywhere. Non-finite inputs give NaN outputs.

    The spikes carry no gradient to the inputs.

    Args:
        num_timesteps: int. Number of timesteps, at least 1.
        gain: float > 0. Scale applied to the inputs to give spike
            probabilities. Defaults to 1.
        seed: int or None. Seed of the layer's random generator. Defaults
            to None: a seed drawn from Keras' global random state, which
            `keras.utils.set_random_seed` fixes.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, features...]`, with `gain * inputs`
            in [0, 1].

    Returns:
        Spikes (0.0 or 1.0) of shape `[batch, num_timesteps, features...]`.

    Example:

    ```python
    encoder = keras_snn.PoissonEncoding(100, seed=0)
    spikes = encoder(keras.ops.array([[0.0, 0.5, 1.0]]))  # [1, 100, 3]
    keras.ops.mean(spikes, axis=1)  # about [[0.0, 0.5, 1.0]]
    ```

    References:
        Eshraghian et al., "Training Spiking Neural Networks Using Lessons
        From Deep Learning", Proceedings of the IEEE 111(9), 2023
        (snnTorch's `spikegen.rate`).
    """

    def __init__(self, num_timesteps, *, gain=1.0, seed=None, **kwargs):
        super().__init__(num_timesteps, **kwargs)
        self.gain = check_positive_number("gain", gain)
        self.seed = check_optional_int("seed", seed)
        self.seed_generator = keras.random.SeedGenerator(self.seed)

    def call(self, inputs):
        scaled = self.gain * self.float_inputs(inputs)
        probabilities = _intensities(self, "gain * inputs", scaled)
        probabilities = ops.repeat(
            ops.expand_dims(probabilities, 1), self.num_timesteps, axis=1
        )
        noise = keras.random.uniform(
            ops.shape(probabilities),
            dtype=probabilities.dtype,
            seed=self.seed_generator,
        )
        spikes = ops.cast(ops.less(noise, probabilities), noise.dtype)
        return _keep_non_finite(spikes, scaled)

    def get_config(self):
        return {**super().get_config(), "gain": self.gain, "seed": self.seed}


@keras_snn_export
class LatencyEncoding(_Encoding):
    """Latency (time-to-first-spike) coding: one spike, earlier when larger.

    Maps `[batch, features...]` to `[batch, num_timesteps, features...]`
    spikes. Each feature with value `x` in [0, 1] spikes once, at step

    ```
    t = round((1 - x) * (num_timesteps - 1))
    ```

    (rounding half to even), so `x = 1` spikes at step 0 and values near 0
    at the last step; a feature with `x <= threshold` does not spike at
    all. With the default `threshold=0`, zero inputs (for example image
    background) stay silent. The code is deterministic.

    Inputs outside [0, 1] raise a `ValueError` where values are known and
    are clipped to [0, 1] inside compiled functions, as for
    `PoissonEncoding`. Non-finite inputs give NaN outputs. The spikes carry
    no gradient to the inputs.

    Args:
        num_timesteps: int. Number of timesteps, at least 1.
        threshold: float in [0, 1). Inputs at or below it do not spike.
            Defaults to 0.
        **kwargs: Base layer arguments.

    Call arguments:
        inputs: tensor of shape `[batch, features...]`, values in [0, 1].

    Returns:
        Spikes (0.0 or 1.0) of shape `[batch, num_timesteps, features...]`,
        at most one per feature.

    Example:

    ```python
    encoder = keras_snn.LatencyEncoding(5)
    spikes = encoder(keras.ops.array([[1.0, 0.5, 0.25, 0.0]]))
    # spike steps: 0, 2, 3 (round(0.75 * 4) = 3), and none for 0.0
    ```

    References:
        Eshraghian et al., "Training Spiking Neural Networks Using Lessons
        From Deep Learning", Proceedings of the IEEE 111(9), 2023
        (snnTorch's `spikegen.latency` with `linear=True`).
    """

    def __init__(self, num_timesteps, *, threshold=0.0, **kwargs):
        super().__init__(num_timesteps, **kwargs)
        self.threshold = check_range(
            "threshold", threshold, 0.0, 1.0, high_open=True
        )

    def call(self, inputs):
        inputs = self.float_inputs(inputs)
        values = _intensities(self, "inputs", inputs)
        times = ops.round((1.0 - values) * (self.num_timesteps - 1))
        steps = ops.reshape(
            ops.arange(self.num_timesteps, dtype=values.dtype),
            (1, self.num_timesteps) + (1,) * (len(values.shape) - 1),
        )
        fires = ops.logical_and(
            ops.equal(ops.expand_dims(times, 1), steps),
            ops.expand_dims(ops.greater(values, self.threshold), 1),
        )
        spikes = ops.cast(fires, values.dtype)
        return _keep_non_finite(spikes, inputs)

    def get_config(self):
        return {**super().get_config(), "threshold": self.threshold}
