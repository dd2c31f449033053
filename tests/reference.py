"""An independent NumPy implementation of the keras_snn equations.

Written from the equations in docs/concepts.md, not from the layer code, in
float64. The tests compare every layer and function with it.
"""

import math

import numpy as np


def spike(v_minus_threshold):
    return (np.asarray(v_minus_threshold) > 0).astype(np.float64)


def decay(tau=2.0, dt=1.0, beta=None):
    return beta if beta is not None else math.exp(-dt / tau)


def lif_currents(currents, beta, threshold, reset="subtract", v0=None):
    """Runs LIF neurons on input currents `[batch, T, n]`.

    Returns `(spikes [batch, T, n], membranes after reset [batch, T, n])`.
    """
    currents = np.asarray(currents, np.float64)
    batch, steps, units = currents.shape
    v = np.zeros((batch, units)) if v0 is None else np.array(v0, np.float64)
    spikes = np.zeros_like(currents)
    membranes = np.zeros_like(currents)
    for t in range(steps):
        v = beta * v + currents[:, t]
        s = spike(v - threshold)
        if reset == "subtract":
            v = v - s * threshold
        elif reset == "zero":
            v = np.where(s > 0, 0.0, v)
        spikes[:, t] = s
        membranes[:, t] = v
    return spikes, membranes


def lif_layer(x_seq, kernel, bias, beta, threshold, reset="subtract"):
    """A dense LIF layer on `[batch, T, in]`; returns its spike train."""
    x_seq = np.asarray(x_seq, np.float64)
    currents = x_seq @ np.asarray(kernel, np.float64)
    if bias is not None:
        currents = currents + np.asarray(bias, np.float64)
    return lif_currents(currents, beta, threshold, reset)[0]


def network_rates(x, layers, num_timesteps, beta, threshold, reset="subtract"):
    """Repeat-encodes `x [batch, in]`, runs LIF layers, returns mean rates.

    `layers` is a list of `(kernel, bias)`.
    """
    x = np.asarray(x, np.float64)
    seq = np.repeat(x[:, None, :], num_timesteps, axis=1)
    for kernel, bias in layers:
        seq = lif_layer(seq, kernel, bias, beta, threshold, reset)
    return seq.mean(axis=1)


def surrogate_derivative(name, x, **options):
    """The backward formula of each surrogate, as documented."""
    x = np.asarray(x, np.float64)
    peak = options.get("peak")
    if name == "fast_sigmoid":
        k = options.get("slope", 25.0)
        return (k if peak is None else peak) / (1.0 + k * np.abs(x)) ** 2
    if name == "sigmoid":
        k = options.get("slope", 25.0)
        sig = 1.0 / (1.0 + np.exp(-k * x))
        return (k if peak is None else 4.0 * peak) * sig * (1.0 - sig)
    if name == "atan":
        a = options.get("alpha", 2.0)
        scale = a / 2.0 if peak is None else peak
        return scale / (1.0 + (math.pi / 2.0 * a * x) ** 2)
    if name == "triangular":
        w = options.get("width", 1.0)
        scale = 1.0 / w if peak is None else peak
        return scale * np.maximum(0.0, 1.0 - np.abs(x) / w)
    if name == "straight_through":
        return np.ones_like(x)
    raise ValueError(name)


def lif_bptt(
    currents,
    upstream,
    beta,
    threshold,
    reset="subtract",
    detach_reset=True,
    surrogate="fast_sigmoid",
    **options,
):
    """Hand-written backprop through time for `lif_currents`.

    Loss `L = sum(spikes * upstream)`; returns `dL/dcurrents`.
    """
    currents = np.asarray(currents, np.float64)
    batch, steps, units = currents.shape
    v = np.zeros((batch, units))
    pre_reset, spikes = [], []
    for t in range(steps):
        v = beta * v + currents[:, t]
        s = spike(v - threshold)
        pre_reset.append(v)
        spikes.append(s)
        if reset == "subtract":
            v = v - s * threshold
        elif reset == "zero":
            v = v * (1.0 - s)
    grad_currents = np.zeros_like(currents)
    grad_u = np.zeros((batch, units))
    for t in reversed(range(steps)):
        v, s = pre_reset[t], spikes[t]
        grad_s = np.array(upstream[:, t], np.float64)
        if reset == "subtract":
            du_dv, du_ds = 1.0, -threshold
        elif reset == "zero":
            du_dv, du_ds = 1.0 - s, -v
        else:
            du_dv, du_ds = 1.0, 0.0
        if not detach_reset:
            grad_s = grad_s + grad_u * du_ds
        grad_v = grad_u * du_dv + grad_s * surrogate_derivative(
            surrogate, v - threshold, **options
        )
        grad_currents[:, t] = grad_v
        grad_u = grad_v * beta
    return grad_currents


def nir_chain(graph, x_seq, dt, method):
    """Simulates a NIR graph that is a chain, on `x_seq [batch, T, in]`.

    Steps NIR's ODEs directly: `tau dv/dt = (v_leak - v) + r I` for LIF and
    LI nodes, `dv/dt = r I` for IF and I nodes, with the input held over
    each step of length `dt`: exactly (`method="exact"`) or by forward
    Euler. CubaLIF nodes first step their current, `tau_syn dJ/dt = -J +
    w_in I`, then the membrane with `tau_mem dv/dt = (v_leak - v) + r J`
    and the new `J` held over the step. Threshold nodes are stateless:
    `spike(x - threshold)`. A spiking neuron fires where
    `v > v_threshold` and then sets `v = v_reset`. A cycle through a
    weights node adds the neuron's previous output, through those weights,
    to its input (zero at the first step). Returns the output
    `[batch, T, out]`: spikes, or the membrane of LI and I nodes.
    """
    edges = set(graph.edges)
    # A cycle `neuron -> w -> neuron` feeds the neuron's output of the
    # previous step back through the weights node w.
    feedback = {a: b for a, b in edges if (b, a) in edges}
    following = {a: b for a, b in edges if (b, a) not in edges}
    name = next(n for n, node in graph.nodes.items() if _kind(node) == "Input")
    signal = np.asarray(x_seq, np.float64)
    while _kind(graph.nodes[name]) != "Output":
        name = following[name]
        node = graph.nodes[name]
        kind = _kind(node)
        if kind in ("Affine", "Linear"):
            signal = _weights(node, signal)
        elif kind in ("LIF", "IF", "LI", "I", "CubaLIF"):
            loop = graph.nodes[feedback[name]] if name in feedback else None
            signal = _nir_neurons(node, kind, signal, dt, method, loop)
        elif kind == "Delay":
            steps = np.round(np.asarray(node.delay, np.float64) / dt)
            signal = delayed(signal, steps.astype(int))
        elif kind == "Threshold":
            signal = spike(signal - np.asarray(node.threshold, np.float64))
    return signal


def _weights(node, signal):
    signal = signal @ np.asarray(node.weight, np.float64).T
    if _kind(node) == "Affine":
        signal = signal + np.asarray(node.bias, np.float64)
    return signal


def _kind(node):
    return type(node).__name__


def _leaky_ode(x, tau, target, dt, method):
    # One step of `tau dx/dt = target - x`, target held over the step.
    if method == "exact":
        return target + (x - target) * np.exp(-dt / tau)
    return x + dt / tau * (target - x)


def _nir_neurons(node, kind, currents, dt, method, recurrent=None):
    params = {
        key: np.asarray(getattr(node, key), np.float64)
        for key in ("tau", "tau_syn", "tau_mem", "r", "w_in", "v_leak")
        + ("v_threshold", "v_reset")
        if hasattr(node, key)
    }
    v = np.zeros(currents.shape[::2])
    j = np.zeros_like(v)
    # outputs[:, t + 1] is step t's output; outputs[:, 0] = 0 is fed back
    # at the first step.
    batch, steps, units = currents.shape
    outputs = np.zeros((batch, steps + 1, units))
    for t in range(steps):
        current = currents[:, t]
        if recurrent is not None:
            current = current + _weights(recurrent, outputs[:, t])
        if kind in ("IF", "I"):
            v = v + dt * params["r"] * current
        elif kind == "CubaLIF":
            drive = params["w_in"] * current
            j = _leaky_ode(j, params["tau_syn"], drive, dt, method)
            target = params["v_leak"] + params["r"] * j
            v = _leaky_ode(v, params["tau_mem"], target, dt, method)
        else:
            target = params["v_leak"] + params["r"] * current
            v = _leaky_ode(v, params["tau"], target, dt, method)
        if kind in ("LI", "I"):
            outputs[:, t + 1] = v
            continue
        s = spike(v - params["v_threshold"])
        v = np.where(s > 0, params["v_reset"], v)
        outputs[:, t + 1] = s
    return outputs[:, 1:]


# The other neuron models, from the equations in docs/neurons.md. Every
# model's update reads a state dict and one step's current `i`; the same
# code runs on floats and on `Dual` numbers (forward-mode derivatives).

MODEL_STATES = {
    "li": ("v",),
    "lif": ("v",),
    "if": ("v",),
    "synaptic": ("j", "v"),
    "adaptive": ("v", "a"),
}


def _reset(v, s, threshold, reset):
    # The reset does not carry gradient through s (detach_reset=True).
    s = stop(s)
    if reset == "subtract":
        return v - s * threshold
    if reset == "zero":
        return v * (1.0 - s)
    return v


def model_update(model, state, i, p):
    """One step of `model`; returns `(new_state, output)`."""
    reset = p.get("reset", "subtract")
    threshold = p.get("threshold", 1.0)
    if model == "li":
        v = p["beta"] * state["v"] + i
        return {"v": v}, v
    if model in ("lif", "if"):
        beta = 1.0 if model == "if" else p["beta"]
        v = beta * state["v"] + i
        s = spike_fn(v - threshold)
        return {"v": _reset(v, s, threshold, reset)}, s
    if model == "synaptic":
        j = p["alpha"] * state["j"] + i
        v = p["beta"] * state["v"] + j
        s = spike_fn(v - threshold)
        return {"j": j, "v": _reset(v, s, threshold, reset)}, s
    if model == "adaptive":
        theta = threshold + p["adaptation_strength"] * state["a"]
        v = p["beta"] * state["v"] + i
        s = spike_fn(v - theta)
        a = p["rho"] * state["a"] + s
        return {"v": _reset(v, s, theta, reset), "a": a}, s
    raise ValueError(model)


def neuron_layer(
    model,
    x_seq,
    kernel=None,
    bias=None,
    recurrent_kernel=None,
    mask=None,
    **params,
):
    """Runs a layer of `model` neurons on `x_seq [batch, T, ...]`.

    `kernel` (applied on the last axis) and `bias` make the input current;
    without a kernel the input is the current. `recurrent_kernel` adds the
    previous step's output `@ recurrent_kernel`. Where the boolean `mask
    [batch, T]` is False, the step is skipped: the state and the previous
    output stay, and the output is 0 (the membrane `v` for `"li"`).
    Returns `(outputs [batch, T, ...], final state dict)`.
    """
    x_seq = np.asarray(x_seq, np.float64)
    currents = x_seq
    if kernel is not None:
        currents = x_seq @ np.asarray(kernel, np.float64)
        if bias is not None:
            currents = currents + np.asarray(bias, np.float64)
    shape = currents.shape[:1] + currents.shape[2:]
    state = {name: np.zeros(shape) for name in MODEL_STATES[model]}
    previous = np.zeros(shape)
    outputs = []
    for t in range(currents.shape[1]):
        i = currents[:, t]
        if recurrent_kernel is not None:
            i = i + previous @ np.asarray(recurrent_kernel, np.float64)
        new_state, output = model_update(model, state, i, params)
        if mask is None:
            state, previous = new_state, output
            outputs.append(output)
            continue
        keep = np.reshape(mask[:, t], (-1,) + (1,) * (output.ndim - 1))
        held = state["v"] if model == "li" else np.zeros(shape)
        outputs.append(np.where(keep, output, held))
        state = {k: np.where(keep, new_state[k], state[k]) for k in state}
        previous = np.where(keep, output, previous)
    return np.stack(outputs, axis=1), state


class Dual:
    """A value with its derivative along one direction (forward mode)."""

    # NumPy arrays defer to Dual's operators instead of making object
    # arrays of it.
    __array_ufunc__ = None

    def __init__(self, value, tangent=0.0):
        self.value = np.asarray(value, np.float64)
        self.tangent = np.asarray(tangent, np.float64) + 0.0 * self.value

    def __add__(self, other):
        other = _dual(other)
        return Dual(self.value + other.value, self.tangent + other.tangent)

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __sub__(self, other):
        return self + (-_dual(other))

    def __rsub__(self, other):
        return _dual(other) - self

    def __mul__(self, other):
        other = _dual(other)
        return Dual(
            self.value * other.value,
            self.tangent * other.value + self.value * other.tangent,
        )

    __rmul__ = __mul__

    def __matmul__(self, other):
        other = _dual(other)
        return Dual(
            self.value @ other.value,
            self.tangent @ other.value + self.value @ other.tangent,
        )

    def __rmatmul__(self, other):
        return _dual(other) @ self

    def __getitem__(self, index):
        return Dual(self.value[index], self.tangent[index])


def _dual(x):
    return x if isinstance(x, Dual) else Dual(x)


def spike_fn(x):
    """Heaviside forward; on `Dual` numbers the fast-sigmoid surrogate
    (slope 25) as derivative."""
    if isinstance(x, Dual):
        return Dual(
            spike(x.value),
            surrogate_derivative("fast_sigmoid", x.value) * x.tangent,
        )
    return spike(x)


def stop(x):
    return Dual(x.value) if isinstance(x, Dual) else x


def decay_gradient(model, currents, upstream, name, **params):
    """`dL/d(params[name])` per neuron (last axis) for a per-neuron decay,
    with `L = sum(outputs * upstream)`, by forward-mode differentiation
    of `model_update` on `currents [batch, T, ...]`.

    Each neuron's decay drives only that neuron, so moving every decay at
    once and summing the tangents over the other axes gives each neuron's
    derivative.
    """
    currents = np.asarray(currents, np.float64)
    shape = currents.shape[:1] + currents.shape[2:]
    state = {key: Dual(np.zeros(shape)) for key in MODEL_STATES[model]}
    params = {**params, name: Dual(params[name], 1.0)}
    total = np.zeros(shape)
    for t in range(currents.shape[1]):
        state, output = model_update(model, state, currents[:, t], params)
        total = total + output.tangent * np.asarray(upstream)[:, t]
    return total.reshape(-1, shape[-1]).sum(axis=0)


def layer_directional_derivative(model, x_seq, values, tangents, upstream):
    """The derivative of `L = sum(outputs * upstream)` of a neuron layer
    along `tangents`, by forward-mode differentiation of `model_update`.

    `values` holds `kernel`, `bias`, optionally `recurrent_kernel`, and
    the model's parameters (as `neuron_layer` takes them); `tangents`
    maps some of those names to a direction of the same shape. The layer
    runs as in `neuron_layer`, without a mask. Returns a float:
    `sum over names of dL/d(values[name]) * tangents[name]`.
    """
    duals = {
        name: Dual(value, tangents[name]) if name in tangents else value
        for name, value in values.items()
    }
    x_seq = np.asarray(x_seq, np.float64)
    currents = x_seq @ _dual(duals["kernel"]) + duals["bias"]
    shape = x_seq.shape[:1] + (np.shape(values["bias"])[-1],)
    state = {name: Dual(np.zeros(shape)) for name in MODEL_STATES[model]}
    previous = Dual(np.zeros(shape))
    recurrent = duals.get("recurrent_kernel")
    params = {
        k: v
        for k, v in duals.items()
        if k not in ("kernel", "bias", "recurrent_kernel")
    }
    total = 0.0
    for t in range(x_seq.shape[1]):
        i = currents[:, t]
        if recurrent is not None:
            i = i + previous @ _dual(recurrent)
        state, previous = model_update(model, state, i, params)
        previous = _dual(previous)
        total = total + np.sum(previous.tangent * np.asarray(upstream)[:, t])
    return float(total)


def delayed(x, delays):
    """`y[:, t, i] = x[:, t - d_i, i]`, 0 before: a loop over steps."""
    x = np.asarray(x, np.float64)
    delays = np.broadcast_to(np.asarray(delays), x.shape[-1:])
    y = np.zeros_like(x)
    for t in range(x.shape[1]):
        for i, d in enumerate(delays):
            if t - d >= 0:
                y[:, t, i] = x[:, t - d, i]
    return y


def delayed_interpolated(x, delays):
    """Linear interpolation between the shifts by floor(d) and floor(d) + 1."""
    x = np.asarray(x, np.float64)
    y = np.zeros_like(x)
    for i, d in enumerate(np.asarray(delays, np.float64)):
        low = int(math.floor(d))
        frac = d - low
        y[:, :, i] = (1 - frac) * delayed(x[:, :, i : i + 1], low)[:, :, 0]
        if frac:
            y[:, :, i] += frac * delayed(x[:, :, i : i + 1], low + 1)[:, :, 0]
    return y


def delayed_dense(x, kernel, bias, positions, sigma, max_delay):
    """DCLS: each weight at its delay, spread by a normalized Gaussian
    (or at round(delay) for sigma = 0), as a sum over inputs and taps."""
    x = np.asarray(x, np.float64)
    batch, steps, _ = x.shape
    taps = np.arange(max_delay + 1, dtype=np.float64)
    y = np.zeros((batch, steps, kernel.shape[1])) + bias
    for i in range(kernel.shape[0]):
        for j in range(kernel.shape[1]):
            if sigma > 0:
                g = np.exp(-((taps - positions[i, j]) ** 2) / (2 * sigma**2))
                g = g / (g.sum() + 1e-7)
            else:
                g = (taps == np.round(positions[i, j])).astype(np.float64)
            for k in range(max_delay + 1):
                y[:, :, j] += (
                    kernel[i, j] * g[k] * delayed(x[:, :, i : i + 1], k)[..., 0]
                )
    return y
