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
    if name == "fast_sigmoid":
        k = options.get("slope", 25.0)
        return k / (1.0 + k * np.abs(x)) ** 2
    if name == "sigmoid":
        k = options.get("slope", 25.0)
        sig = 1.0 / (1.0 + np.exp(-k * x))
        return k * sig * (1.0 - sig)
    if name == "atan":
        a = options.get("alpha", 2.0)
        return a / 2.0 / (1.0 + (math.pi / 2.0 * a * x) ** 2)
    if name == "triangular":
        w = options.get("width", 1.0)
        return np.maximum(0.0, 1.0 - np.abs(x) / w) / w
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

    Steps NIR's ODEs directly: `tau dv/dt = (v_leak - v) + r I` for LIF
    nodes, `dv/dt = r I` for IF nodes, with the input held over each step
    of length `dt`: exactly (`method="exact"`) or by forward Euler. A
    neuron fires where `v > v_threshold` and then sets `v = v_reset`.
    Returns the output `[batch, T, out]`.
    """
    following = dict(graph.edges)
    name = next(n for n, node in graph.nodes.items() if _kind(node) == "Input")
    signal = np.asarray(x_seq, np.float64)
    while _kind(graph.nodes[name]) != "Output":
        name = following[name]
        node = graph.nodes[name]
        kind = _kind(node)
        if kind in ("Affine", "Linear"):
            signal = signal @ np.asarray(node.weight, np.float64).T
            if kind == "Affine":
                signal = signal + np.asarray(node.bias, np.float64)
        elif kind in ("LIF", "IF"):
            signal = _nir_neurons(node, kind, signal, dt, method)
    return signal


def _kind(node):
    return type(node).__name__


def _nir_neurons(node, kind, currents, dt, method):
    params = {
        key: np.asarray(getattr(node, key), np.float64)
        for key in ("tau", "r", "v_leak", "v_threshold", "v_reset")
        if hasattr(node, key)
    }
    v = np.zeros(currents.shape[::2])
    spikes = np.zeros_like(currents)
    for t in range(currents.shape[1]):
        drive = params["r"] * currents[:, t]
        if kind == "IF":
            v = v + dt * drive
        elif method == "exact":
            target = params["v_leak"] + drive
            v = target + (v - target) * np.exp(-dt / params["tau"])
        else:
            v = v + dt / params["tau"] * (params["v_leak"] - v + drive)
        s = spike(v - params["v_threshold"])
        v = np.where(s > 0, params["v_reset"], v)
        spikes[:, t] = s
    return spikes
