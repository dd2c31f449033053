"""Leaky integrators: the non-spiking `LICell` and its layer `LI`."""

from keras_snn import dynamics
from keras_snn._export import keras_snn_export
from keras_snn.layers.cell import NeuronCell
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.validation import check_positive_number


@keras_snn_export
class LICell(NeuronCell):
    """A layer of leaky integrators, for one timestep: no spikes.

    Per step, with input current `I` (see `NeuronCell`):

    ```
    V = beta * V + I                   # the output
    ```

    `beta = exp(-dt / tau)` unless `beta` is given. The usual readout of a
    spiking network: its membrane potential serves as logits.

    Args:
        units: int or None. Number of neurons; None for no input weights
            (the input is the current). Defaults to None.
        tau: float. Membrane time constant, in timesteps. Defaults to 2.
        beta: float in (0, 1] or None. Membrane decay per step; when given
            it overrides `tau` and `dt`.
        dt: float. Simulation step, in timesteps. Defaults to 1.
        trainable_beta: bool. Learn one decay per neuron, parameterized as
            `beta = sigmoid(beta_logit)` so that it stays in (0, 1).
            Requires `beta < 1`. Defaults to False.
        **kwargs: The weight options of `NeuronCell` (`recurrent`,
            `use_bias`, and the kernel, recurrent kernel and bias
            initializers, regularizers and constraints) and base layer
            arguments.

    Call arguments:
        inputs: tensor `[batch, features...]`, the input of one step.
        states: list with the membrane potential.
        training: bool. Unused; accepted for the RNN API.

    Returns:
        A tuple `(membrane, [membrane])`.
    """

    def __init__(
        self,
        units=None,
        *,
        tau=2.0,
        beta=None,
        dt=1.0,
        trainable_beta=False,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.dt = check_positive_number("dt", dt)
        self.add_decay_option("beta", beta, "tau", tau, self.dt, trainable_beta)

    def make_dynamics(self):
        return dynamics.LI()

    def get_beta(self):
        """The decay in use: a float, or a per-neuron tensor if
        trainable."""
        return self.get_decay("beta")

    def get_config(self):
        return {**super().get_config(), "dt": self.dt}


@keras_snn_export
class LI(NeuronLayer):
    """A layer of leaky integrators over a sequence: `LICell` in an RNN.

    Returns the membrane potential `V` at every step, `[batch, time,
    units]`: a non-spiking readout. `keras_snn.build(...,
    readout="membrane")` ends in an `LI` layer whose membrane, averaged
    over time, gives the logits.

    Args:
        units: int or None. Number of neurons; None for no input weights.
        num_timesteps: int or None. Required for `[batch, features]`
            inputs: the number of steps to present them for.
        return_sequences: bool. Return every step (default) or the last.
        return_state: bool. Also return the final membrane potential.
        go_backwards: bool. Process the sequence in reverse.
        stateful: bool. Carry the state from one batch to the next.
        unroll: bool. Unroll the time loop.
        **kwargs: the options of `LICell` and base layer arguments.

    Example:

    ```python
    readout = keras_snn.LI(10, tau=5.0)
    logits = keras.ops.mean(readout(spikes), axis=1)
    ```
    """

    cell_class = LICell
    cell_name = "li_cell"
