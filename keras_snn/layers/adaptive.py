"""LIF neurons with an adaptive threshold: `AdaptiveLIFCell` and
`AdaptiveLIF`."""

from keras_snn import dynamics
from keras_snn._export import keras_snn_export
from keras_snn.layers.lif import LIFCell
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.validation import check_positive_number


@keras_snn_export
class AdaptiveLIFCell(LIFCell):
    """LIF neurons whose threshold rises after each spike, for one step.

    Per step, with input current `I` (see `NeuronCell`) and adaptation
    variable `a` (the ALIF neuron of Bellec et al., 2018):

    ```
    theta = threshold + adaptation_strength * a
    V = beta * V + I
    s = spike(V - theta)               # the output
    V = V - s * theta                  # reset="subtract" (default)
    a = rho * a + s
    ```

    `rho = exp(-dt / tau_adapt)` unless `rho` is given. The states are
    `[V, a]` (then the previous spikes when recurrent).

    Args:
        units: int or None. Number of neurons; None for no input weights.
        tau_adapt: float. Time constant of the threshold adaptation, in
            timesteps. Defaults to 20.
        rho: float in (0, 1] or None. Adaptation decay per step; when given
            it overrides `tau_adapt` and `dt`.
        adaptation_strength: float > 0. Threshold increase per unit of
            `a`. Defaults to 0.2.
        trainable_rho: bool. Learn one adaptation decay per neuron,
            `rho = sigmoid(rho_logit)`. Requires `rho < 1`. Defaults to
            False.
        **kwargs: The options of `LIFCell` (`tau`, `beta`, `dt`,
            `threshold`, `reset`, `surrogate`, `detach_reset`,
            `trainable_beta`, `trainable_threshold`), the weight options
            of `NeuronCell`, and base layer arguments.

    References:
        Bellec et al., "Long short-term memory and learning-to-learn in
        networks of spiking neurons", NeurIPS 2018.
    """

    def __init__(
        self,
        units=None,
        *,
        tau_adapt=20.0,
        rho=None,
        adaptation_strength=0.2,
        trainable_rho=False,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.adaptation_strength = check_positive_number(
            "adaptation_strength", adaptation_strength
        )
        self.add_decay_option(
            "rho", rho, "tau_adapt", tau_adapt, self.dt, trainable_rho
        )

    def make_dynamics(self):
        return dynamics.AdaptiveLIF(
            adaptation_strength=self.adaptation_strength,
            **self.fire_options(),
        )

    def get_rho(self):
        """The adaptation decay in use: a float, or a per-neuron tensor if
        trainable."""
        return self.get_decay("rho")

    def get_config(self):
        config = {"adaptation_strength": self.adaptation_strength}
        return {**super().get_config(), **config}


@keras_snn_export
class AdaptiveLIF(NeuronLayer):
    """Adaptive-threshold LIF neurons over a sequence: `AdaptiveLIFCell` in
    an RNN.

    Options, shapes and call arguments as for `LIF`, plus `tau_adapt`,
    `rho`, `adaptation_strength` and `trainable_rho`; with
    `return_state=True` the final states are `[V, a]` (then the spikes
    when recurrent).

    Example:

    ```python
    layer = keras_snn.AdaptiveLIF(32, tau_adapt=20.0, recurrent=True)
    spikes = layer(keras.ops.ones((4, 25, 16)))  # [4, 25, 32]
    ```
    """

    cell_class = AdaptiveLIFCell
    cell_name = "adaptive_lif_cell"
