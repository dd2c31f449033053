"""Current-based LIF neurons: `SynapticLIFCell` and `SynapticLIF`."""

from keras_snn import dynamics
from keras_snn._export import keras_snn_export
from keras_snn.layers.lif import LIFCell
from keras_snn.layers.neuron_layer import NeuronLayer


@keras_snn_export
class SynapticLIFCell(LIFCell):
    """Current-based LIF neurons, for one timestep.

    The input current `I` (see `NeuronCell`) feeds a synaptic current `J`
    with its own decay `alpha`, which feeds the LIF membrane:

    ```
    J = alpha * J + I
    V = beta * V + J
    s = spike(V - threshold)           # the output
    V = V - s * threshold              # reset="subtract" (default)
    ```

    `alpha = exp(-dt / tau_syn)` unless `alpha` is given. The states are
    `[J, V]` (then the previous spikes when recurrent).

    Args:
        units: int or None. Number of neurons; None for no input weights.
        tau_syn: float. Synaptic time constant, in timesteps. Defaults
            to 5.
        alpha: float in (0, 1] or None. Synaptic decay per step; when given
            it overrides `tau_syn` and `dt`.
        trainable_alpha: bool. Learn one synaptic decay per neuron,
            `alpha = sigmoid(alpha_logit)`. Requires `alpha < 1`. Defaults
            to False.
        **kwargs: The options of `LIFCell` (`tau`, `beta`, `dt`,
            `threshold`, `reset`, `surrogate`, `detach_reset`,
            `trainable_beta`, `trainable_threshold`), the weight options
            of `NeuronCell`, and base layer arguments.
    """

    def __init__(
        self,
        units=None,
        *,
        tau_syn=5.0,
        alpha=None,
        trainable_alpha=False,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.add_decay_option(
            "alpha", alpha, "tau_syn", tau_syn, self.dt, trainable_alpha
        )

    def make_dynamics(self):
        return dynamics.SynapticLIF(**self.fire_options())

    def get_alpha(self):
        """The synaptic decay in use: a float, or a per-neuron tensor if
        trainable."""
        return self.get_decay("alpha")


@keras_snn_export
class SynapticLIF(NeuronLayer):
    """Current-based LIF neurons over a sequence: `SynapticLIFCell` in an
    RNN.

    Options, shapes and call arguments as for `LIF`, plus `tau_syn`,
    `alpha` and `trainable_alpha`; with `return_state=True` the final
    states are `[J, V]` (then the spikes when recurrent).

    Example:

    ```python
    layer = keras_snn.SynapticLIF(32, tau_syn=5.0, tau=10.0)
    spikes = layer(keras.ops.ones((4, 25, 16)))  # [4, 25, 32]
    ```
    """

    cell_class = SynapticLIFCell
    cell_name = "synaptic_lif_cell"
