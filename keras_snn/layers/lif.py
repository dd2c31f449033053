"""LIF neurons as a Keras RNN cell (`LIFCell`) and sequence layer (`LIF`),
and their leak-free special case, `IFCell` and `IF`."""

import keras

from keras_snn import dynamics
from keras_snn import surrogates
from keras_snn._export import keras_snn_export
from keras_snn.constraints import MinValue
from keras_snn.layers.li import LICell
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.neurons import RESETS
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_number


@keras_snn_export
class LIFCell(LICell):
    """A layer of leaky integrate-and-fire neurons, for one timestep.

    Like `keras.layers.SimpleRNNCell`, the cell holds the weights and
    computes one step; `keras.layers.RNN` (or the `LIF` layer) runs it over
    time. Per step, with input `x` and membrane potential `V`:

    ```
    I = x @ kernel + bias              # I = x with units=None
    I = I + s_prev @ recurrent_kernel  # recurrent=True
    V = beta * V + I
    s = spike(V - threshold)           # the output: 1.0 or 0.0
    V = V - s * threshold              # reset="subtract" (default)
    ```

    `beta = exp(-dt / tau)` unless `beta` is given. See
    `keras_snn.lif_neuron` for the reset options.

    The kernel applies on the last axis of the input, so any trailing
    shape works (`[batch, H, W, C]` steps give `[batch, H, W, units]`);
    with `units=None` the cell has no weights and the input is the current
    (`keras.layers.RNN` itself handles `[batch, time, features]` only; use
    `LIF` for more axes). Per-neuron parameters have one value per entry of
    the last axis.

    Args:
        units: int or None. Number of neurons; None for no input weights
            (the input is the current, the states take its shape).
            Defaults to None.
        tau: float. Membrane time constant, in timesteps. Defaults to 2.
        beta: float in (0, 1] or None. Membrane decay per step; when given
            it overrides `tau` and `dt`.
        dt: float. Simulation step, in timesteps. Defaults to 1.
        threshold: float > 0. Firing threshold. Defaults to 1.
        reset: str. `"subtract"` (default), `"zero"` or `"none"`.
        surrogate: str, dict, `keras_snn.surrogates.Surrogate` or None.
            Spike function and its surrogate gradient. None (the default)
            takes `keras_snn.surrogates.default(recurrent)`: the fast
            sigmoid of slope 25 (peak 25) without recurrence, and one
            whose derivative peaks at 1 with `recurrent=True`, since
            through a recurrent kernel the gradient is multiplied by
            about the peak at every step (see the concepts page). The
            config stores the surrogate in use.
        detach_reset: bool. Stop the gradient through the reset term.
            Defaults to True. With `False` the gradient also flows through
            the reset, where each step multiplies it by about
            `1 - threshold * surrogate'(V - threshold)`; with the default
            surrogate (peak 25) that grows without bound over time, so
            keep the default unless the surrogate is much flatter.
        trainable_beta: bool. Learn one decay per neuron, parameterized as
            `beta = sigmoid(beta_logit)` so that it stays in (0, 1).
            Requires `beta < 1`. Defaults to False.
        trainable_threshold: bool. Learn one threshold per neuron, kept
            at or above `1e-3` by a constraint. Defaults to False.
        **kwargs: The weight options of `NeuronCell`: `recurrent` (feed
            the previous step's spikes back through a `[units, units]`
            recurrent kernel; the spikes become the second state; requires
            `units`; defaults to False), `use_bias`, and the kernel,
            recurrent kernel and bias initializers, regularizers and
            constraints; and base layer arguments, such as `name` and
            `dtype`.

    Call arguments:
        inputs: tensor of shape `[batch, features...]`, the input of one
            step.
        states: list with the membrane potential `[batch, ..., units]`
            (and the previous spikes when recurrent).
        training: bool. Unused; accepted for the RNN API.

    Returns:
        A tuple `(spikes, new_states)`, spikes of shape
        `[batch, ..., units]`.

    Example:

    ```python
    layer = keras.layers.RNN(keras_snn.LIFCell(32), return_sequences=True)
    spikes = layer(keras.ops.ones((4, 25, 16)))  # [4, 25, 32]
    ```
    """

    def __init__(
        self,
        units=None,
        *,
        tau=2.0,
        beta=None,
        dt=1.0,
        threshold=1.0,
        reset="subtract",
        surrogate=None,
        detach_reset=True,
        trainable_beta=False,
        trainable_threshold=False,
        **kwargs,
    ):
        super().__init__(
            units,
            tau=tau,
            beta=beta,
            dt=dt,
            trainable_beta=trainable_beta,
            **kwargs,
        )
        self.threshold = check_positive_number("threshold", threshold)
        self.reset = check_choice("reset", reset, RESETS)
        if surrogate is None:
            surrogate = surrogates.default(self.recurrent)
        self.surrogate = surrogates.get(surrogate)
        self.detach_reset = check_bool("detach_reset", detach_reset)
        self.trainable_threshold = check_bool(
            "trainable_threshold", trainable_threshold
        )

    def make_dynamics(self):
        return dynamics.LIF(**self.fire_options())

    def fire_options(self):
        """The options of the fire-and-reset part of the step, shared by
        the LIF models' dynamics: `reset`, `surrogate` and
        `detach_reset`."""
        return {
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def build(self, input_shape):
        super().build(input_shape)
        self.threshold_weight = None
        if self.trainable_threshold:
            self.threshold_weight = self.add_weight(
                shape=(self.state_shape[-1],),
                name="threshold",
                initializer=keras.initializers.Constant(self.threshold),
                constraint=MinValue(1e-3),
            )

    def get_threshold(self):
        """The threshold in use: a float, or a per-neuron tensor if
        trainable."""
        if self.threshold_weight is not None:
            return self.threshold_weight
        return self.threshold

    def step_parameters(self):
        return {**super().step_parameters(), "threshold": self.get_threshold()}

    def get_config(self):
        config = {
            "threshold": self.threshold,
            "reset": self.reset,
            "surrogate": surrogates.serialize(self.surrogate),
            "detach_reset": self.detach_reset,
            "trainable_threshold": self.trainable_threshold,
        }
        return {**super().get_config(), **config}


@keras_snn_export
class LIF(NeuronLayer):
    """A layer of LIF neurons over a sequence: `LIFCell` inside an RNN.

    Takes `[batch, time, features...]` and returns the spike train
    `[batch, time, ..., units]` (or the last step's spikes with
    `return_sequences=False`). With `units=None` the layer has no weights
    and the input is the current: `TimeDistributed(Conv2D(...))` followed
    by `LIF()` is a convolutional spiking layer. The neuron equations and
    every neuron option are those of `LIFCell`; they are passed as keyword
    arguments and exposed as read-only properties (`layer.tau`,
    `layer.reset`, ...).

    Given `[batch, features]` inputs and `num_timesteps`, the layer presents
    the same input at every step (direct coding, as `RepeatEncoding` does)
    and computes its projection `x @ kernel + bias` once instead of once
    per step. `keras_snn.build()` uses this for its first layer. Like
    every neuron layer it runs through the sequence runner
    (`keras_snn.sequence.run`), with a hand-written backpropagation
    through time.

    Args:
        units: int or None. Number of neurons, or None for no weights.
        num_timesteps: int or None. Required for `[batch, features]`
            inputs: the number of steps to present them for. Ignored for
            `[batch, time, features]` sequences; with several feature axes
            it must be None or the length of the time axis. Defaults to
            None.
        return_sequences: bool. Return the whole spike train (default) or
            only the last step.
        return_state: bool. Also return the final membrane potential.
            Defaults to False.
        go_backwards: bool. Process the sequence in reverse. Defaults to
            False.
        stateful: bool. Carry the membrane potential from one batch to the
            next; `reset_states()` zeroes it. Defaults to False.
        unroll: bool. Unroll the time loop. Defaults to False.
        **kwargs: the options of `LIFCell` (`tau`, `beta`, `dt`,
            `threshold`, `reset`, `surrogate`, `detach_reset`,
            `trainable_beta`, `trainable_threshold`, `recurrent`,
            `use_bias`, and the kernel, recurrent kernel and bias
            initializers, regularizers and constraints), and base layer
            arguments such as `name` and `dtype`.

    Call arguments:
        sequences: tensor of shape `[batch, time, features...]`, or
            `[batch, features]` with `num_timesteps` set.
        initial_state: optional list with the initial states (the
            membrane potential, `[batch, ..., units]`, and the previous
            spikes when recurrent). Defaults to zeros.
        mask: optional boolean tensor `[batch, time]` (`[batch]` for a
            static input). A masked step keeps the states and outputs no
            spikes; see `NeuronLayer`.
        training: bool. Passed to the cell.

    Returns:
        Spikes of shape `[batch, time, ..., units]` (or without the time
        axis), plus the final states when `return_state=True`.

    Example:

    ```python
    model = keras.Sequential([
        keras.Input((25, 64)),
        keras_snn.LIF(128, tau=2.0),
        keras_snn.LIF(10, reset="zero"),
        keras_snn.RateDecoding(),
    ])
    ```
    """

    cell_class = LIFCell
    cell_name = "lif_cell"


_LEAK_OPTIONS = ("tau", "beta", "dt", "trainable_beta")


@keras_snn_export
class IFCell(LIFCell):
    """A layer of integrate-and-fire neurons, for one timestep: no leak.

    The LIF step with `beta = 1`:

    ```
    V = V + I
    s = spike(V - threshold)
    V = V - s * threshold              # reset="subtract" (default)
    ```

    Args:
        units: int or None. Number of neurons; None for no input weights.
        **kwargs: The options of `LIFCell` except the leak (`tau`, `beta`,
            `dt`, `trainable_beta`): `threshold`, `reset`, `surrogate`,
            `detach_reset`, `trainable_threshold`, the weight options of
            `NeuronCell`, and base layer arguments.
    """

    hidden_options = _LEAK_OPTIONS

    def __init__(self, units=None, **kwargs):
        for key in _LEAK_OPTIONS:
            if key in kwargs:
                raise TypeError(
                    f"{type(self).__name__} has no leak (beta = 1) and takes "
                    f"no {key}. Received: {key}={kwargs[key]!r}"
                )
        super().__init__(units, beta=1.0, **kwargs)

    def get_config(self):
        config = super().get_config()
        for key in _LEAK_OPTIONS:
            del config[key]
        return config


@keras_snn_export
class IF(LIF):
    """A layer of integrate-and-fire neurons over a sequence: `IFCell` in
    an RNN.

    `LIF` without leak (`beta = 1`), with the same options otherwise, and
    the same fast path unless recurrent.

    Example:

    ```python
    spikes = keras_snn.IF(32, threshold=2.0)(keras.ops.ones((4, 25, 16)))
    ```
    """

    cell_class = IFCell
    cell_name = "if_cell"
