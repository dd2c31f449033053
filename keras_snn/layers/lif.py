"""LIF neurons as a Keras RNN cell (`LIFCell`) and sequence layer (`LIF`)."""

import inspect
import math

import keras
from keras import ops

from keras_snn import surrogates
from keras_snn._export import keras_snn_export
from keras_snn.constraints import MinValue
from keras_snn.neurons import RESETS
from keras_snn.neurons import beta_from_tau
from keras_snn.neurons import lif_neuron
from keras_snn.sequence import lif_sequence
from keras_snn.validation import check_beta
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_int
from keras_snn.validation import check_positive_number


@keras_snn_export
class LIFCell(keras.layers.Layer):
    """A layer of leaky integrate-and-fire neurons, for one timestep.

    Like `keras.layers.SimpleRNNCell`, the cell holds the weights and
    computes one step; `keras.layers.RNN` (or the `LIF` layer) runs it over
    time. Per step, with input `x` and membrane potential `V`:

    ```
    I = x @ kernel + bias
    V = beta * V + I
    s = spike(V - threshold)           # the output: 1.0 or 0.0
    V = V - s * threshold              # reset="subtract" (default)
    ```

    `beta = exp(-dt / tau)` unless `beta` is given. See
    `keras_snn.lif_neuron` for the reset options.

    Args:
        units: int. Number of neurons.
        tau: float. Membrane time constant, in timesteps. Defaults to 2.
        beta: float in (0, 1] or None. Membrane decay per step; when given
            it overrides `tau` and `dt`.
        dt: float. Simulation step, in timesteps. Defaults to 1.
        threshold: float > 0. Firing threshold. Defaults to 1.
        reset: str. `"subtract"` (default), `"zero"` or `"none"`.
        surrogate: str, dict or `keras_snn.surrogates.Surrogate`. Spike
            function and its surrogate gradient. Defaults to
            `"fast_sigmoid"` (slope 25).
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
        use_bias: bool. Whether the input current has a bias. Defaults to
            True.
        kernel_initializer: Initializer of the input kernel. Defaults to
            `"glorot_uniform"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernel. Defaults to None.
        bias_regularizer: Regularizer of the bias. Defaults to None.
        kernel_constraint: Constraint of the kernel. Defaults to None.
        bias_constraint: Constraint of the bias. Defaults to None.
        **kwargs: Base layer arguments, such as `name` and `dtype`.

    Call arguments:
        inputs: tensor of shape `[batch, features]`, the input of one step.
        states: list with one tensor of shape `[batch, units]`, the
            membrane potential.
        training: bool. Unused; accepted for the RNN API.

    Returns:
        A tuple `(spikes, [membrane])`, each of shape `[batch, units]`.

    Example:

    ```python
    layer = keras.layers.RNN(keras_snn.LIFCell(32), return_sequences=True)
    spikes = layer(keras.ops.ones((4, 25, 16)))  # [4, 25, 32]
    ```
    """

    def __init__(
        self,
        units,
        *,
        tau=2.0,
        beta=None,
        dt=1.0,
        threshold=1.0,
        reset="subtract",
        surrogate="fast_sigmoid",
        detach_reset=True,
        trainable_beta=False,
        trainable_threshold=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = check_positive_int("units", units)
        self.tau = check_positive_number("tau", tau)
        self.beta = None if beta is None else check_beta("beta", beta)
        self.dt = check_positive_number("dt", dt)
        self.threshold = check_positive_number("threshold", threshold)
        self.reset = check_choice("reset", reset, RESETS)
        self.surrogate = surrogates.get(surrogate)
        self.detach_reset = check_bool("detach_reset", detach_reset)
        self.trainable_beta = check_bool("trainable_beta", trainable_beta)
        self.trainable_threshold = check_bool(
            "trainable_threshold", trainable_threshold
        )
        self.use_bias = check_bool("use_bias", use_bias)
        if self.trainable_beta and self.initial_beta >= 1.0:
            raise ValueError(
                "trainable_beta=True needs a decay below 1, since "
                "beta = sigmoid(beta_logit) never reaches 1. Received: "
                f"beta={self.initial_beta!r}"
            )
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        self.state_size = self.units
        self.output_size = self.units

    @property
    def initial_beta(self):
        """The decay at construction: `beta`, or `exp(-dt / tau)`."""
        if self.beta is not None:
            return self.beta
        return beta_from_tau(self.tau, self.dt)

    def build(self, input_shape):
        features = input_shape[-1]
        if features is None:
            raise ValueError(
                f"{type(self).__name__} needs a known number of input "
                f"features (last axis). Received: input_shape={input_shape}"
            )
        self.kernel = self.add_weight(
            shape=(features, self.units),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(self.units,),
                name="bias",
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        self.beta_logit = None
        if self.trainable_beta:
            beta = self.initial_beta
            self.beta_logit = self.add_weight(
                shape=(self.units,),
                name="beta_logit",
                initializer=keras.initializers.Constant(
                    math.log(beta / (1.0 - beta))
                ),
            )
        self.threshold_weight = None
        if self.trainable_threshold:
            self.threshold_weight = self.add_weight(
                shape=(self.units,),
                name="threshold",
                initializer=keras.initializers.Constant(self.threshold),
                constraint=MinValue(1e-3),
            )

    def get_beta(self):
        """The decay in use: a float, or a `[units]` tensor if trainable."""
        if self.beta_logit is not None:
            return ops.sigmoid(self.beta_logit)
        return self.initial_beta

    def get_threshold(self):
        """The threshold in use: a float, or a `[units]` tensor if
        trainable."""
        if self.threshold_weight is not None:
            return self.threshold_weight
        return self.threshold

    def neuron_options(self):
        """The keyword arguments of `lif_neuron` and `lif_sequence` that
        this cell uses: `beta`, `threshold`, `reset`, `surrogate` and
        `detach_reset`."""
        return {
            "beta": self.get_beta(),
            "threshold": self.get_threshold(),
            "reset": self.reset,
            "surrogate": self.surrogate,
            "detach_reset": self.detach_reset,
        }

    def input_current(self, inputs):
        """The weighted input `I = inputs @ kernel + bias`, any leading
        shape."""
        current = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            current = current + self.bias
        return current

    def call(self, inputs, states, training=False):
        membrane = states[0] if isinstance(states, (list, tuple)) else states
        current = self.input_current(inputs)
        membrane, spikes = lif_neuron(
            membrane, current, **self.neuron_options()
        )
        if isinstance(states, (list, tuple)):
            return spikes, [membrane]
        return spikes, membrane

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, self.state_size), dtype=self.compute_dtype)
        ]

    def get_config(self):
        config = {
            "units": self.units,
            "tau": self.tau,
            "beta": self.beta,
            "dt": self.dt,
            "threshold": self.threshold,
            "reset": self.reset,
            "surrogate": surrogates.serialize(self.surrogate),
            "detach_reset": self.detach_reset,
            "trainable_beta": self.trainable_beta,
            "trainable_threshold": self.trainable_threshold,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer
            ),
            "bias_regularizer": keras.regularizers.serialize(
                self.bias_regularizer
            ),
            "kernel_constraint": keras.constraints.serialize(
                self.kernel_constraint
            ),
            "bias_constraint": keras.constraints.serialize(
                self.bias_constraint
            ),
        }
        return {**super().get_config(), **config}


# The options of LIFCell that LIF accepts and exposes as read-only properties.
CELL_OPTIONS = tuple(
    name
    for name, param in inspect.signature(LIFCell.__init__).parameters.items()
    if param.kind is inspect.Parameter.KEYWORD_ONLY
)
_BASE_LAYER_KEYS = ("name", "trainable", "dtype")


@keras_snn_export
class LIF(keras.layers.RNN):
    """A layer of LIF neurons over a sequence: `LIFCell` inside an RNN.

    Takes `[batch, time, features]` and returns the spike train
    `[batch, time, units]` (or the last step's spikes with
    `return_sequences=False`). The neuron equations and every neuron option
    are those of `LIFCell`; they are passed as keyword arguments and exposed
    as read-only properties (`layer.tau`, `layer.reset`, ...).

    Given `[batch, features]` inputs and `num_timesteps`, the layer presents
    the same input at every step (direct coding, as `RepeatEncoding` does)
    and computes its projection `x @ kernel + bias` once instead of once
    per step. `keras_snn.build()` uses this for its first layer.

    Args:
        units: int. Number of neurons.
        num_timesteps: int or None. Required for `[batch, features]`
            inputs: the number of steps to present them for. Ignored for
            sequence inputs. Defaults to None.
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
            `trainable_beta`, `trainable_threshold`, `use_bias`, and the
            kernel and bias initializers, regularizers and constraints), and
            base layer arguments such as `name` and `dtype`.

    Call arguments:
        sequences: tensor of shape `[batch, time, features]`, or
            `[batch, features]` with `num_timesteps` set.
        initial_state: optional list with the initial membrane potential,
            `[batch, units]`. Defaults to zeros.
        mask: optional boolean tensor `[batch, time]`.
        training: bool. Passed to the cell.

    Returns:
        Spikes of shape `[batch, time, units]` (or `[batch, units]`), plus
        the final membrane potential when `return_state=True`.

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

    def __init__(
        self,
        units,
        *,
        num_timesteps=None,
        return_sequences=True,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        **kwargs,
    ):
        if num_timesteps is not None:
            num_timesteps = check_positive_int("num_timesteps", num_timesteps)
        self.num_timesteps = num_timesteps
        self._static_input = False
        cell_options = {
            key: kwargs.pop(key) for key in CELL_OPTIONS if key in kwargs
        }
        cell = LIFCell(
            units,
            dtype=kwargs.get("dtype", None),
            trainable=kwargs.get("trainable", True),
            name="lif_cell",
            **cell_options,
        )
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            **kwargs,
        )

    @property
    def units(self):
        return self.cell.units

    def build(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        rank = len(sequences_shape)
        if rank not in (2, 3) or sequences_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                "[batch, time, features] (or [batch, features] with "
                "num_timesteps) with a known number of features. "
                f"Received: input_shape={sequences_shape}"
            )
        if rank == 2 and self.num_timesteps is None:
            raise ValueError(
                f"{type(self).__name__} received [batch, features] inputs; "
                "set num_timesteps to present them at every step, or pass "
                "[batch, time, features]. Received: "
                f"input_shape={sequences_shape}, num_timesteps=None"
            )
        self._static_input = rank == 2
        step_shape = sequences_shape[:1] + (1,) + sequences_shape[1:]
        super().build(step_shape if rank == 2 else sequences_shape)
        self.input_spec = keras.layers.InputSpec(
            ndim=rank, axes={-1: sequences_shape[-1]}
        )

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) == 2:
            batch, features = sequences_shape
            sequences_shape = (batch, self.num_timesteps, features)
        return super().compute_output_shape(sequences_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if self._static_input:
            # A single step holds the constant input; inner_loop presents it
            # num_timesteps times.
            sequences = ops.expand_dims(sequences, 1)
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        # Masks, reversed and unrolled sequences take Keras' generic loop
        # over `LIFCell.call`; everything else runs as one whole-sequence op
        # with a single input projection. Both compute `lif_neuron`.
        cell = self.cell
        if mask is not None or self.go_backwards or self.unroll:
            if self._static_input:
                sequences = ops.repeat(sequences, self.num_timesteps, axis=1)
            return super().inner_loop(sequences, initial_state, mask, training)
        currents = cell.input_current(sequences)
        if self._static_input:
            currents = ops.repeat(currents, self.num_timesteps, axis=1)
        membrane = initial_state[0]
        if self.stateful:
            # The state variables are assigned after the call; a copy keeps
            # the values saved for the backward pass intact.
            membrane = ops.copy(membrane)
        spikes, membrane = lif_sequence(
            currents, membrane, training=training, **cell.neuron_options()
        )
        return spikes[:, -1], spikes, [membrane]

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        config["num_timesteps"] = self.num_timesteps
        cell_config = self.cell.get_config()
        for key in _BASE_LAYER_KEYS:
            cell_config.pop(key, None)
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def _cell_option(name):
    return property(
        lambda self: getattr(self.cell, name),
        doc=f"The cell's `{name}` (read-only).",
    )


for _name in CELL_OPTIONS:
    setattr(LIF, _name, _cell_option(_name))
