"""`NeuronLayer`: a neuron cell inside `keras.layers.RNN`, with a flat
config, static inputs and a whole-sequence loop.

Each neuron layer (`LIF`, `IF`, `LI`, `SynapticLIF`, `AdaptiveLIF`) is a
subclass that names its cell class; the cell's options become the layer's
keyword arguments, read-only properties and config keys.
"""

import keras
from keras import ops

from keras_snn import sequence
from keras_snn.layers.cell import cell_options
from keras_snn.validation import check_positive_int

_BASE_LAYER_KEYS = ("name", "trainable", "dtype")


class NeuronLayer(keras.layers.RNN):
    """Base class of the neuron layers: a `NeuronCell` over a sequence.

    Takes `[batch, time, features...]` and returns the cell's outputs over
    time, `[batch, time, ...]` (or the last step's with
    `return_sequences=False`). Given `[batch, features]` inputs and
    `num_timesteps`, the layer presents the same input at every step
    (direct coding, as `RepeatEncoding` does) and computes its projection
    `x @ kernel + bias` once instead of once per step.

    The layer runs as one whole-sequence op: one input projection for all
    timesteps, then the sequence runner (`keras_snn.sequence.run`) over
    the cell's neuron model (`cell.dynamics`), plus the recurrent matrix
    product when recurrent, with a hand-written backward pass through
    time. `go_backwards` and `unroll` are options of the same runner.

    A mask (`[batch, time]`, or `[batch]` for a static input) skips steps:
    at a masked step every state stays as it was and the output is the
    cell's `masked_output` (no spikes; `LI` repeats its membrane), and with
    `return_sequences=False` the layer returns the output of the last
    unmasked step. (Keras' own JAX loop could not do this for keras_snn
    cells: it takes the first state, the membrane, for the previous
    output.)

    Subclasses set `cell_class` and `cell_name`.
    """

    cell_class = None
    cell_name = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in cell_options(cls.cell_class):
            setattr(cls, name, _cell_option(name))
        for name in getattr(cls.cell_class, "hidden_options", ()):
            setattr(cls, name, _hidden_option(name))

    def __init__(
        self,
        units=None,
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
        # Options a cell class hides still go to it, which rejects them
        # with an error that names them.
        options = cell_options(self.cell_class) + tuple(
            getattr(self.cell_class, "hidden_options", ())
        )
        cell_kwargs = {key: kwargs.pop(key) for key in options if key in kwargs}
        cell = self.cell_class(
            units,
            dtype=kwargs.get("dtype", None),
            trainable=kwargs.get("trainable", True),
            name=self.cell_name,
            **cell_kwargs,
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
        if rank < 2 or sequences_shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} expects inputs of shape "
                "[batch, time, features...] (or [batch, features] with "
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
        # A static input with several feature axes, say an image, would be
        # taken for a sequence: num_timesteps must then match the time axis.
        steps = sequences_shape[1]
        if rank > 3 and self.num_timesteps not in (None, steps) and steps:
            raise ValueError(
                f"{type(self).__name__} got num_timesteps="
                f"{self.num_timesteps}, which presents [batch, features] "
                f"inputs, and a sequence whose time axis (axis 1) has {steps} "
                "steps. For a static input with several feature axes, use "
                "RepeatEncoding (with TimeDistributed layers) before it. "
                f"Received: input_shape={sequences_shape}, "
                f"num_timesteps={self.num_timesteps}"
            )
        self._static_input = rank == 2
        step_shape = sequences_shape[:1] + (1,) + sequences_shape[1:]
        super().build(step_shape if rank == 2 else sequences_shape)
        # Every size after the batch (and time) axis is fixed by the build.
        first = 1 if rank == 2 else 2
        self.input_spec = keras.layers.InputSpec(
            ndim=rank,
            axes={i - rank: sequences_shape[i] for i in range(first, rank)},
        )

    def _create_state_variables(self, batch_size):
        super()._create_state_variables(batch_size)
        # Under a mixed dtype policy the layer runs in an autocast scope,
        # where PyTorch's `Variable.assign` copies the new state into the
        # float16 view that autocasting returns, not into the variable, so
        # a stateful layer never kept its state. The states are read and
        # assigned at their own dtype instead (Keras casts them to the
        # compute dtype when the call starts).
        for state in keras.tree.flatten(self.states):
            state._autocast = False

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        sequences_shape = tuple(sequences_shape)
        if len(sequences_shape) == 2:
            batch, features = sequences_shape
            sequences_shape = (batch, self.num_timesteps, features)
        batch, steps = sequences_shape[:2]
        state = (batch, *self.cell.output_shape_for(sequences_shape[2:]))
        output = (batch, steps, *state[1:]) if self.return_sequences else state
        if self.return_state:
            return output, *[state] * self.cell.num_states
        return output

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if initial_state is not None:
            self._check_initial_state(initial_state)
        if self._static_input:
            # A single step holds the constant input; inner_loop presents it
            # num_timesteps times.
            sequences = ops.expand_dims(sequences, 1)
        elif sequences.shape[1] == 0:
            raise ValueError(
                f"{type(self).__name__} needs sequences with at least one "
                "timestep. Received: "
                f"sequences.shape={tuple(sequences.shape)}"
            )
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def _check_initial_state(self, initial_state):
        states = (
            initial_state
            if isinstance(initial_state, (list, tuple))
            else [initial_state]
        )
        expected = tuple(self.cell.state_shape)
        shapes = [tuple(state.shape[1:]) for state in states]
        matches = len(states) == self.cell.num_states and all(
            len(shape) == len(expected)
            and all(
                a in (None, b) for a, b in zip(shape, expected, strict=True)
            )
            for shape in shapes
        )
        if not matches:
            raise ValueError(
                f"{type(self).__name__} needs initial_state as "
                f"{self.cell.num_states} tensor(s) of shape "
                f"[batch, {', '.join(map(str, expected))}]. Received: "
                f"initial_state shapes="
                f"{[tuple(state.shape) for state in states]}"
            )

    def compute_mask(self, sequences, mask):
        if mask is not None and self._static_input:
            mask = _time_mask(keras.tree.flatten(mask)[0], self.num_timesteps)
        return super().compute_mask(sequences, mask)

    def inner_loop(self, sequences, initial_state, mask, training=False):
        currents = self.cell.input_current(sequences)
        if self._static_input:
            # A broadcast, not a copy: PyTorch expands it as a view, and
            # its gradient is the sum over the time axis either way.
            shape = list(ops.shape(currents))
            shape[1] = self.num_timesteps
            currents = ops.broadcast_to(currents, shape)
        states = list(initial_state)
        if self.stateful:
            # The state variables are assigned after the call; copies keep
            # the values saved for the backward pass intact.
            states = [ops.copy(state) for state in states]
        if mask is not None:
            mask = _time_mask(
                keras.tree.flatten(mask)[0], ops.shape(currents)[1]
            )
        if self.go_backwards:
            # Keras' order: the outputs come in the order of processing.
            currents = ops.flip(currents, axis=1)
            mask = None if mask is None else ops.flip(mask, axis=1)
        outputs, states, last = self.run_sequence(
            currents, states, training, mask=mask
        )
        return last, outputs, states

    def run_sequence(self, currents, states, training=False, mask=None):
        """Runs the cell's neuron model over precomputed input currents.

        Through the sequence runner, `keras_snn.sequence.run`, with the
        cell's `dynamics`, its step parameters and, when recurrent, its
        recurrent kernel.

        Args:
            currents: tensor `[batch, time, ...]`, the input projection of
                every step.
            states: list of the initial states, as in the cell.
            training: bool. The layer's `training` call argument; an
                inference call that may be traced for export unrolls the
                loop (`keras_snn.loops.exportable`).
            mask: optional boolean tensor `[batch, time]`. At a step where
                it is False the states stay as they were and the output is
                the masked output (no spikes; the held membrane for `LI`).

        Returns:
            A tuple `(outputs, final_states, last_output)`: `outputs`
            `[batch, time, ...]`, the final states, and the output of the
            last unmasked step (zeros if none).
        """
        cell = self.cell
        return sequence.run(
            cell.dynamics,
            currents,
            states,
            cell.step_parameters(),
            recurrent_kernel=cell.recurrent_kernel,
            training=training,
            mask=mask,
            unroll=self.unroll,
        )

    def record(self, inputs):
        """Runs the layer on `inputs` and returns what its neurons compute
        at every step.

        A forward pass of the layer's neurons from their initial (zero)
        states, through
        `keras_snn.sequence.record`. Masks are not applied.

        Args:
            inputs: the layer's input, `[batch, time, features...]` (or
                `[batch, features]` with `num_timesteps`).

        Returns:
            A dict of tensors `[batch, time, ..., units]`: `"output"`,
            `"pre_reset"` and `"threshold"` (spiking models: the membrane
            before the reset, and the threshold it is compared with, which
            for `AdaptiveLIF` rises with the adaptation) and each state of the
            model under its name (`"membrane"`, `"adaptation"`,
            `"synaptic"`) after every step.
        """
        cell = self.cell
        inputs = ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        if self._static_input:
            inputs = ops.expand_dims(inputs, 1)
        # Outside the layer's call there is no autocast scope: under mixed
        # precision the projection runs at the variables' dtype, and the
        # rest at the compute dtype, like the call.
        currents = ops.cast(cell.input_current(inputs), self.compute_dtype)
        if self._static_input:
            currents = ops.repeat(currents, self.num_timesteps, axis=1)
        if self.go_backwards:
            currents = ops.flip(currents, axis=1)
        states = cell.get_initial_state(ops.shape(currents)[0])
        return sequence.record(
            cell.dynamics,
            currents,
            states,
            cell.step_parameters(),
            recurrent_kernel=cell.recurrent_kernel,
        )

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


def _hidden_option(name):
    # Hides an option that a base layer exposes and this one fixes (the
    # leak of IF).
    def hidden(self):
        raise AttributeError(
            f"{type(self).__name__} has no option {name!r}: its cell fixes it."
        )

    return property(hidden)


def _time_mask(mask, steps):
    # A boolean [batch, time] mask; a [batch] mask (from Masking on a
    # static [batch, features] input) holds at every step.
    mask = ops.cast(mask, "bool")
    if len(mask.shape) == 1:
        mask = ops.repeat(ops.expand_dims(mask, 1), steps, axis=1)
    return mask
