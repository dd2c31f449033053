"""The neuron equations, each written once.

`li_step` (leaky integration), `lif_step` (LIF: integrate, fire, reset),
`synaptic_step` (current-based LIF) and `adaptive_step` (LIF with an
adaptive threshold) are the only places where the neuron models' dynamics
are defined; every cell, layer and whole-sequence op calls them. IF is
`lif_step` with `beta = 1`.
"""

import math

from keras import ops

from keras_snn import surrogates
from keras_snn.validation import check_beta
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_number
from keras_snn.validation import check_values

RESETS = ("subtract", "zero", "none")


def beta_from_tau(tau, dt=1.0):
    """Returns the membrane decay `beta = exp(-dt / tau)`.

    Args:
        tau: float. Membrane time constant, in timesteps. Must be > 0.
        dt: float. Simulation step, in timesteps. Defaults to 1.

    Returns:
        A Python float in [0, 1): it underflows to 0 where `dt / tau`
        exceeds about 745.

    Raises:
        TypeError: if `tau` or `dt` is not a number.
        ValueError: if `tau` or `dt` is not finite and above 0.
    """
    tau = check_positive_number("tau", tau)
    dt = check_positive_number("dt", dt)
    return math.exp(-dt / tau)


def lif_neuron(
    membrane,
    input_current,
    beta,
    threshold=1.0,
    *,
    reset="subtract",
    surrogate="fast_sigmoid",
    detach_reset=True,
):
    """One timestep of a layer of LIF neurons.

    The neuron leaks and integrates, fires, then resets:

    ```
    V = beta * V + I
    s = spike(V - threshold)        # 1.0 where V > threshold, else 0.0
    V = V - s * threshold           # reset="subtract"
    V = V * (1 - s)                 # reset="zero"
    V = V                           # reset="none"
    ```

    `spike` is hard in the forward pass; its gradient is the `surrogate`'s
    derivative. With `detach_reset=True` (the default) the reset uses
    `stop_gradient(s)`, so no gradient flows through the reset path.

    Args:
        membrane: tensor. Membrane potential `V` from the previous step,
            shape `[batch, units]` (any shape broadcastable with
            `input_current`).
        input_current: tensor. Weighted input `I` of this step.
        beta: float or tensor in (0, 1]. Membrane decay per step, scalar or
            one per neuron.
        threshold: float or tensor > 0. Firing threshold, scalar or one per
            neuron. Defaults to 1.
        reset: str. `"subtract"` (default), `"zero"` or `"none"`.
        surrogate: str, dict or `Surrogate`. The spike function; defaults
            to `"fast_sigmoid"` (slope 25).
        detach_reset: bool. Stop the gradient through the reset term.
            Defaults to True.

    Returns:
        A tuple `(new_membrane, spikes)`, both shaped like `input_current`.

    Raises:
        TypeError: for options of the wrong type.
        ValueError: for a `beta` outside (0, 1] or a `threshold` that is
            not finite and above 0 (tensors: where their values are known,
            naming the index of the first bad value), or an unknown
            `reset` or `surrogate`.

    Example:

    >>> v, s = keras_snn.lif_neuron(keras.ops.zeros(3),
    ...                             keras.ops.array([0.5, 1.0, 1.5]),
    ...                             beta=0.9, threshold=1.0)
    >>> s  # [0., 0., 1.]
    >>> v  # [0.5, 1.0, 0.5]
    """
    check_choice("reset", reset, RESETS)
    check_bool("detach_reset", detach_reset)
    spike_fn = surrogates.get(surrogate)
    input_current = ops.convert_to_tensor(input_current)
    dtype = input_current.dtype
    membrane = ops.convert_to_tensor(membrane, dtype=dtype)
    beta = _parameter("beta", beta, check_beta, dtype)
    threshold = _parameter("threshold", threshold, check_positive_number, dtype)
    _, membrane, spikes = lif_step(
        membrane, input_current, beta, threshold, reset, spike_fn, detach_reset
    )
    return membrane, spikes


def lif_step(membrane, current, beta, threshold, reset, spike_fn, detach_reset):
    """The LIF update on tensors, without argument checks.

    Returns `(pre_reset_membrane, new_membrane, spikes)`. `lif_neuron` and
    the whole-sequence ops in `keras_snn.sequence` call this, so the
    equation exists once.
    """
    pre_reset = li_step(membrane, current, beta)
    spikes = spike_fn(pre_reset - threshold)
    reset_spikes = ops.stop_gradient(spikes) if detach_reset else spikes
    if reset == "subtract":
        membrane = pre_reset - reset_spikes * threshold
    elif reset == "zero":
        membrane = pre_reset * (1.0 - reset_spikes)
    else:
        membrane = pre_reset
    return pre_reset, membrane, spikes


def li_step(membrane, current, beta):
    """Leaky integration, `V = beta * V + I`, on tensors.

    The whole step of the non-spiking `LI` neuron, and the integration
    part of every spiking model.
    """
    # Python operators dispatch straight to the backend's tensors; on
    # eager backends they cost far less than the equivalent keras.ops calls.
    return beta * membrane + current


def synaptic_step(
    synaptic,
    membrane,
    current,
    alpha,
    beta,
    threshold,
    reset,
    spike_fn,
    detach_reset,
):
    """The current-based (synaptic) LIF update on tensors.

    The input feeds a synaptic current with its own decay `alpha`, which
    feeds an LIF membrane:

    ```
    J = alpha * J + I
    V = beta * V + J
    s = spike(V - threshold); reset as in `lif_step`
    ```

    Returns `(new_synaptic, pre_reset_membrane, new_membrane, spikes)`.
    """
    synaptic = li_step(synaptic, current, alpha)
    return (
        synaptic,
        *lif_step(
            membrane, synaptic, beta, threshold, reset, spike_fn, detach_reset
        ),
    )


def adaptive_step(
    membrane,
    adaptation,
    current,
    beta,
    rho,
    threshold,
    adaptation_strength,
    reset,
    spike_fn,
    detach_reset,
):
    """The adaptive-threshold LIF update on tensors.

    Each spike raises the threshold, which decays back with `rho`:

    ```
    theta = threshold + adaptation_strength * a
    V = beta * V + I
    s = spike(V - theta); reset as in `lif_step`, with theta
    a = rho * a + s
    ```

    Returns `(pre_reset_membrane, new_membrane, new_adaptation, spikes)`.
    """
    effective_threshold = threshold + adaptation_strength * adaptation
    pre_reset, membrane, spikes = lif_step(
        membrane,
        current,
        beta,
        effective_threshold,
        reset,
        spike_fn,
        detach_reset,
    )
    adaptation = li_step(adaptation, spikes, rho)
    return pre_reset, membrane, adaptation, spikes


def _parameter(name, value, check, dtype):
    # Python numbers stay Python numbers (weakly typed, so they follow the
    # membrane's dtype under mixed precision); arrays are cast to it, and
    # checked where their values are known.
    value = check_values(name, value, check)
    if isinstance(value, float):
        return value
    return ops.cast(value, dtype)
