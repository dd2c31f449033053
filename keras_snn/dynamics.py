"""Each neuron model as the sequence runner sees it: its states, its step
and the hand-written backward pass of that step.

A `Dynamics` object holds a model's fixed options (reset, surrogate, ...)
and gives `keras_snn.sequence.run` what it needs to run the model over a
sequence:

- `step`: one timestep, by calling the model's equation in
  `keras_snn.neurons` (the only place the equations are written).
- `saved`: what the backward pass needs of a step, beyond its output.
- `backward`: the gradients of one step, derived from that equation by
  hand, so that a training step keeps per timestep only the tensors listed
  by `saved` instead of everything autodiff would record.

Notation of the backward passes: `g_x` is dL/dx. At a step, `p` is the
membrane before the reset and `u` after it, `s` the spikes, `d` the
surrogate derivative `spike'(p - theta)`; `*_prev` is a state before the
step. A parameter that is learned (a tensor; Python floats are constants)
gets one gradient term per step, which the runner sums over time.
"""

from keras import ops

from keras_snn import surrogates
from keras_snn.neurons import RESETS
from keras_snn.neurons import adaptive_step
from keras_snn.neurons import li_step
from keras_snn.neurons import lif_step
from keras_snn.neurons import synaptic_step
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice


class Dynamics:
    """Base class: a neuron model's states, step and backward step.

    Subclasses set `state_names` and `parameter_names` and implement
    `step`, `saved` and `backward`.
    """

    #: The names of the states, in the order of `states`.
    state_names = ("membrane",)
    #: The names of the step parameters (floats, or per-neuron tensors).
    parameter_names = ()
    #: Whether the output is spikes (False for the leaky integrator).
    spiking = True

    def key(self):
        """A hashable description of the model and its options, for caches
        of compiled ops. A subclass with options of its own must add them.
        """
        return (type(self),)

    def step(self, states, current, parameters, differentiable=True):
        """One timestep.

        Args:
            states: list of tensors `[batch, ..., units]`, one per name in
                `state_names`.
            current: tensor `[batch, ..., units]`, the input current of
                the step, recurrent part included.
            parameters: dict of the step parameters, floats or tensors
                broadcastable to the states.
            differentiable: bool. Whether autodiff will differentiate
                the step (the default): then the spike is the surrogate,
                and the reset detached if so configured. With False (the
                forward loop of the hand-written backward pass), the plain
                `keras_snn.surrogates.heaviside`, with nothing detached:
                the same values, with fewer ops.

        Returns:
            A tuple `(output, new_states, pre_reset)`: `pre_reset` is the
            membrane before the reset (the value compared with the
            threshold), or None for a model without spikes.
        """
        raise NotImplementedError

    def saved(self, states, pre_reset, learned):
        """The tensors of a step that `backward` needs besides the output.

        Args:
            states: the states before the step.
            pre_reset: the membrane before the reset, from `step`.
            learned: the names of the parameters that need gradients.

        Returns:
            A tuple of tensors, with None for what is not needed.
        """
        raise NotImplementedError

    def backward(
        self, grad_output, grad_states, output, saved, parameters, learned
    ):
        """The gradients of one step.

        Args:
            grad_output: dL/d(output) of this step, recurrence included.
            grad_states: list, dL/d(state) for each new state of the step.
            output: the step's output.
            saved: the tuple from `saved`.
            parameters: dict of the step parameters.
            learned: the names of the parameters that need gradients.

        Returns:
            A tuple `(grad_current, grad_previous_states, terms)`: dL/dI
            of the step, dL/d(state) for each state before it, and a dict
            with this step's gradient of each learned parameter, shaped
            like the states.
        """
        raise NotImplementedError

    def masked_output(self, states):
        """The output at a masked step, where the states are kept: no
        spikes (zeros of the output's shape)."""
        return ops.zeros_like(states[0])

    def threshold(self, states, parameters):
        """The threshold that a step from `states` compares the membrane
        with (spiking models only): the `threshold` parameter, or for
        `AdaptiveLIF` that plus `adaptation_strength` times the
        adaptation before the step."""
        return parameters["threshold"]


class LI(Dynamics):
    """The leaky integrator, `V = beta * V + I`; its output is `V`."""

    parameter_names = ("beta",)
    spiking = False

    def step(self, states, current, parameters, differentiable=True):
        membrane = li_step(states[0], current, parameters["beta"])
        return membrane, [membrane], None

    def saved(self, states, pre_reset, learned):
        return (states[0] if "beta" in learned else None,)

    def backward(
        self, grad_output, grad_states, output, saved, parameters, learned
    ):
        # V = beta * V_prev + I, output V:
        #   g_V = g_output + g_V(after);  g_I = g_V;  g_V_prev = beta * g_V
        grad = grad_output + grad_states[0]
        terms = {"beta": grad * saved[0]} if "beta" in learned else {}
        return grad, [parameters["beta"] * grad], terms

    def masked_output(self, states):
        # The output is the membrane, held.
        return states[0]


class LIF(Dynamics):
    """The LIF neuron of `keras_snn.neurons.lif_step`; IF is `beta = 1`."""

    parameter_names = ("beta", "threshold")

    def __init__(
        self, *, reset="subtract", surrogate="fast_sigmoid", detach_reset=True
    ):
        self.reset = check_choice("reset", reset, RESETS)
        self.surrogate = surrogates.get(surrogate)
        self.detach_reset = check_bool("detach_reset", detach_reset)

    def _fire(self, differentiable):
        # The spike function and detach_reset of a step.
        if differentiable:
            return self.surrogate, self.detach_reset
        return surrogates.heaviside, False

    def key(self):
        return (
            type(self),
            self.reset,
            self.surrogate,
            self.detach_reset,
        )

    def step(self, states, current, parameters, differentiable=True):
        pre, membrane, spikes = lif_step(
            states[0],
            current,
            parameters["beta"],
            parameters["threshold"],
            self.reset,
            *self._fire(differentiable),
        )
        return spikes, [membrane], pre

    def saved(self, states, pre_reset, learned):
        return (pre_reset, states[0] if "beta" in learned else None)

    def backward(
        self, grad_output, grad_states, output, saved, parameters, learned
    ):
        grad_pre, grad_threshold = self.fire_backward(
            grad_output,
            grad_states[0],
            saved[0],
            output,
            parameters["threshold"],
            "threshold" in learned,
        )
        terms = {"threshold": grad_threshold}
        if "beta" in learned:
            terms["beta"] = grad_pre * saved[1]
        # p = beta * u_prev + I:  g_I = g_p,  g_u_prev = beta * g_p
        return grad_pre, [parameters["beta"] * grad_pre], terms

    def fire_backward(
        self, grad_spikes, grad_after, pre, spikes, threshold, threshold_grad
    ):
        """The backward pass of fire-and-reset, shared by the LIF models.

        With `s = spike(p - theta)` and `u` the reset of `p`:

        ```
        g_s' = g_s - g_u * du/ds       # the reset path, unless detached
        g_p = g_s' * d + g_u * du/dp   # du/dp: 1, or 1 - s for "zero"
        g_theta = -g_s' * d - g_u * s  # the last term for "subtract"
        ```

        with `du/ds` `-theta` ("subtract") or `-p` ("zero").

        Returns:
            `(g_p, g_theta)`; `g_theta` is None unless `threshold_grad`.
        """
        derivative = self.surrogate.derivative(pre - threshold)
        if not self.detach_reset and self.reset != "none":
            via_reset = threshold if self.reset == "subtract" else pre
            grad_spikes = grad_spikes - grad_after * via_reset
        grad_spikes = grad_spikes * derivative
        keep = grad_after if self.reset != "zero" else grad_after * (1 - spikes)
        grad_threshold = None
        if threshold_grad:
            grad_threshold = -grad_spikes
            if self.reset == "subtract":
                grad_threshold = grad_threshold - grad_after * spikes
        return grad_spikes + keep, grad_threshold


class SynapticLIF(LIF):
    """The current-based LIF of `keras_snn.neurons.synaptic_step`."""

    state_names = ("synaptic", "membrane")
    parameter_names = ("alpha", "beta", "threshold")

    def step(self, states, current, parameters, differentiable=True):
        synaptic, pre, membrane, spikes = synaptic_step(
            states[0],
            states[1],
            current,
            parameters["alpha"],
            parameters["beta"],
            parameters["threshold"],
            self.reset,
            *self._fire(differentiable),
        )
        return spikes, [synaptic, membrane], pre

    def saved(self, states, pre_reset, learned):
        return (
            pre_reset,
            states[0] if "alpha" in learned else None,
            states[1] if "beta" in learned else None,
        )

    def backward(
        self, grad_output, grad_states, output, saved, parameters, learned
    ):
        pre, synaptic, membrane = saved
        grad_pre, grad_threshold = self.fire_backward(
            grad_output,
            grad_states[1],
            pre,
            output,
            parameters["threshold"],
            "threshold" in learned,
        )
        # J = alpha * J_prev + I feeds p = beta * u_prev + J:
        #   g_J = g_p + g_J(after);  g_I = g_J;  g_J_prev = alpha * g_J
        grad_synaptic = grad_pre + grad_states[0]
        terms = {"threshold": grad_threshold}
        if "alpha" in learned:
            terms["alpha"] = grad_synaptic * synaptic
        if "beta" in learned:
            terms["beta"] = grad_pre * membrane
        return (
            grad_synaptic,
            [
                parameters["alpha"] * grad_synaptic,
                parameters["beta"] * grad_pre,
            ],
            terms,
        )


class AdaptiveLIF(LIF):
    """The adaptive-threshold LIF of `keras_snn.neurons.adaptive_step`."""

    state_names = ("membrane", "adaptation")
    parameter_names = ("beta", "rho", "threshold")

    def __init__(self, *, adaptation_strength=0.2, **kwargs):
        super().__init__(**kwargs)
        self.adaptation_strength = adaptation_strength

    def key(self):
        return (*super().key(), self.adaptation_strength)

    def step(self, states, current, parameters, differentiable=True):
        pre, membrane, adaptation, spikes = adaptive_step(
            states[0],
            states[1],
            current,
            parameters["beta"],
            parameters["rho"],
            parameters["threshold"],
            self.adaptation_strength,
            self.reset,
            *self._fire(differentiable),
        )
        return spikes, [membrane, adaptation], pre

    def threshold(self, states, parameters):
        return parameters["threshold"] + self.adaptation_strength * states[1]

    def saved(self, states, pre_reset, learned):
        # The adaptation before the step gives the threshold of the step.
        return (
            pre_reset,
            states[1],
            states[0] if "beta" in learned else None,
        )

    def backward(
        self, grad_output, grad_states, output, saved, parameters, learned
    ):
        pre, adaptation, membrane = saved
        grad_membrane, grad_adaptation = grad_states
        threshold = self.threshold([None, adaptation], parameters)
        # a = rho * a_prev + s: the spikes also feed the adaptation.
        grad_pre, grad_threshold = self.fire_backward(
            grad_output + grad_adaptation,
            grad_membrane,
            pre,
            output,
            threshold,
            True,
        )
        # theta = threshold + b * a_prev:
        #   g_a_prev = rho * g_a + b * g_theta;  g_threshold = g_theta
        terms = {"threshold": grad_threshold}
        if "rho" in learned:
            terms["rho"] = grad_adaptation * adaptation
        if "beta" in learned:
            terms["beta"] = grad_pre * membrane
        return (
            grad_pre,
            [
                parameters["beta"] * grad_pre,
                parameters["rho"] * grad_adaptation
                + self.adaptation_strength * grad_threshold,
            ],
            terms,
        )
