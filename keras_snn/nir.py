"""NIR import and export: `to_nir` and `from_nir`.

The Neuromorphic Intermediate Representation (NIR,
https://neuroir.org) describes spiking networks as graphs of
continuous-time nodes. A keras_snn sequence model `[batch, T, features] ->
[batch, T, units]` maps to a chain of NIR nodes:

| keras_snn layer              | NIR nodes                           |
|------------------------------|-------------------------------------|
| `keras.layers.Dense`         | `Affine` (or `Linear` without bias) |
| `LIF`, `beta < 1`            | `Affine` (or `Linear`) then `LIF`   |
| `IF`, or `LIF` with beta = 1 | `Affine` (or `Linear`) then `IF`    |
| `LI`, `beta < 1` (`= 1`)     | `Affine` (or `Linear`) then `LI`    |
|                              | (`I`)                               |
| `SynapticLIF`                | `Affine` (or `Linear`) then         |
|                              | `CubaLIF`                           |
| `Delay`, `LearnableDelay`    | `Delay` (`delay = steps * dt`)      |
| `Threshold`                  | `Threshold` (stateless spikes)      |

A neuron layer with `units=None` has no weights and is its neuron node
alone. Convolutional networks (`TimeDistributed` `Conv1D`, `Conv2D`,
`SumPooling2D`, `AveragePooling2D`, `Flatten`; `Rescaling`) map to NIR's
`Conv1d`, `Conv2d`, `SumPool2d`, `AvgPool2d`, `Flatten` and `Scale`
nodes, with channels-last Keras layouts (see `keras_snn._nir_conv` and
docs/nir.md). A recurrent layer adds a `Linear` node on a cycle with its neuron
node. `AdaptiveLIF` has no NIR equivalent and raises.

A NIR LIF node is the ODE `tau dv/dt = (v_leak - v) + r I`, with a spike
where `v > v_threshold` and a reset to `v_reset`. keras_snn runs the
discrete step `V = beta V + I`; the discretization of the ODE with step
`dt` is explicit, selectable (`method="exact"` or `"euler"`) and stored in
the metadata of every neuron node (`{"dt": dt, "discretization":
method}`). See `discretize` for the formulas. snnTorch's convention, forward
Euler with `dt = 1e-4`, is the preset `SNNTORCH`:
`to_nir(model, **keras_snn.nir.SNNTORCH)`.

Needs the `nir` package, the `nir` extra: `pip install -e ".[nir]"` from
a checkout of keras_snn (or `pip install nir`).
"""

import collections
import types

import keras
import numpy as np

from keras_snn import _nir_conv
from keras_snn.layers.adaptive import AdaptiveLIF
from keras_snn.layers.delay import Delay
from keras_snn.layers.delay import LearnableDelay
from keras_snn.layers.li import LI
from keras_snn.layers.lif import IF
from keras_snn.layers.lif import LIF
from keras_snn.layers.synaptic import SynapticLIF
from keras_snn.layers.threshold import Threshold
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_finite_number
from keras_snn.validation import check_positive_number
from keras_snn.validation import check_positive_values
from keras_snn.validation import check_range
from keras_snn.validation import check_values

METHODS = ("exact", "euler")

SNNTORCH = types.MappingProxyType({"dt": 1e-4, "method": "euler"})
"""snnTorch's discretization: forward Euler with `dt = 1e-4`.

snnTorch exports and imports NIR with `beta = 1 - dt / tau` and
`dt = 1e-4`, whatever the network's own time scale. Pass the preset to
either direction: `to_nir(model, **SNNTORCH)`, `from_nir(graph,
**SNNTORCH)`.
"""


def _nir():
    try:
        import nir
    except ImportError as error:
        raise ImportError(
            "keras_snn.nir needs the nir package. Install it with "
            '`pip install -e ".[nir]"` from the keras_snn checkout (or '
            "`pip install nir`)."
        ) from error
    return nir


def discretize(tau, r, *, dt, method):
    """Returns the discrete step of NIR's leaky neuron ODE.

    NIR's membrane equation `tau dv/dt = -v + r I` (input `I` held constant
    over a step) becomes keras_snn's `V = beta V + gain I`:

    ```
    method="exact":  beta = exp(-dt / tau)    gain = r (1 - beta)
    method="euler":  beta = 1 - dt / tau      gain = r (1 - beta) = r dt / tau
    ```

    A `CubaLIF` node is two such ODEs, discretized one after the other:
    the current `tau_syn dJ/dt = -J + w_in I` gives `(alpha, w_in (1 -
    alpha))`, then the membrane `tau_mem dv/dt = (v_leak - v) + r J`, with
    the new `J` held over the step, gives `(beta, r (1 - beta))`.

    Args:
        tau: float or array > 0. Membrane time constant, in the unit of
            `dt`.
        r: float or array. Membrane resistance.
        dt: float > 0. The simulation step.
        method: str. `"exact"` (exponential integration) or `"euler"`
            (forward Euler).

    Returns:
        A tuple `(beta, gain)` of float64 arrays.

    Example:

    >>> keras_snn.nir.discretize(1e-3, 10.0, **keras_snn.nir.SNNTORCH)
    (0.9, 1.0)  # as float64 arrays
    """
    dt = check_positive_number("dt", dt)
    check_choice("method", method, METHODS)
    tau = np.asarray(check_positive_values("tau", tau), np.float64)
    r = np.asarray(check_values("r", r, check_finite_number), np.float64)
    if method == "exact":
        # exp, not 1 - (1 - beta): a tiny beta (a tau far below dt) keeps
        # its value instead of rounding to 0.
        return np.exp(-dt / tau), r * -np.expm1(-dt / tau)
    one_minus_beta = dt / tau
    return 1.0 - one_minus_beta, r * one_minus_beta


def to_continuous(beta, *, dt, method):
    """Returns NIR's `(tau, r)` for a decay `beta`, with unit input gain.

    The inverse of `discretize` for `gain = 1`, so that the weights of the
    layer carry over unchanged:

    ```
    method="exact":  tau = -dt / log(beta)    r = 1 / (1 - beta)
    method="euler":  tau = dt / (1 - beta)    r = 1 / (1 - beta) = tau / dt
    ```

    Args:
        beta: float or array in (0, 1). Membrane decay per step.
        dt: float > 0. The simulation step.
        method: str. `"exact"` or `"euler"`.

    Returns:
        A tuple `(tau, r)` of float64 arrays.

    Raises:
        ValueError: if a `beta` is not in (0, 1): 0 has no time constant
            (exact integration would need `tau = 0`; forward Euler gives
            `tau = dt`, which `discretize` maps back to 0, outside
            keras_snn's decays), and 1 none that is finite.
    """
    dt = check_positive_number("dt", dt)
    check_choice("method", method, METHODS)
    beta = np.asarray(check_values("beta", beta, _check_open_unit), np.float64)
    if method == "exact":
        tau = -dt / np.log(beta)
    else:
        tau = dt / (1.0 - beta)
    return tau, 1.0 / (1.0 - beta)


def _check_open_unit(name, value):
    return check_range(name, value, 0.0, 1.0, low_open=True, high_open=True)


# Export: keras layers to NIR nodes.


def _numpy(x):
    # A variable through its tensor: NumPy's conversion of a JAX variable
    # itself is deprecated.
    return np.array(keras.ops.convert_to_numpy(getattr(x, "value", x)))


def _values(x, units):
    # A float, or a [units] tensor of a trainable parameter, as a float64
    # [units] array.
    return np.broadcast_to(np.asarray(_numpy(x), np.float64), (units,)).copy()


def _weights_node(kernel, bias):
    nir = _nir()
    weight = _numpy(kernel).T.copy()
    if bias is None:
        return "linear", nir.Linear(weight=weight)
    return "affine", nir.Affine(weight=weight, bias=_numpy(bias))


def _export_dense(layer, dt, method, approximate_subtract_reset):
    if layer.activation is not keras.activations.linear:
        raise ValueError(
            "to_nir exports Dense layers without activation only; NIR's "
            f"Affine node is linear. Received: layer '{layer.name}' with "
            f"activation={layer.activation.__name__!r}"
        )
    _, node = _weights_node(layer.kernel, layer.bias)
    return [(layer.name, node)]


def _check_neuron_layer(layer, approximate_subtract_reset):
    if not layer.return_sequences or layer.return_state or layer.go_backwards:
        raise ValueError(
            f"to_nir exports {type(layer).__name__} layers that return their "
            "whole output sequence in forward time. Received: layer "
            f"'{layer.name}' with return_sequences={layer.return_sequences}, "
            f"return_state={layer.return_state}, "
            f"go_backwards={layer.go_backwards}"
        )
    reset = getattr(layer.cell, "reset", "zero")
    if reset == "none" or (
        reset == "subtract" and not approximate_subtract_reset
    ):
        raise ValueError(
            "NIR neurons reset to v_reset after a spike, which is keras_snn's "
            "reset='zero'. reset='subtract' can be exported as reset to zero "
            "with approximate_subtract_reset=True (the spike trains then "
            "differ); reset='none' cannot be exported. Received: layer "
            f"'{layer.name}' with reset={reset!r}"
        )


def _export_neurons(layer, dt, method, approximate_subtract_reset):
    _check_neuron_layer(layer, approximate_subtract_reset)
    cell = layer.cell
    dt = cell.dt if dt is None else dt
    units = cell.output_size
    decays = {}
    for name, tau_name in cell._decays:
        decays[name] = _values(cell.get_decay(name), units)
        _check_decay(layer, name, tau_name, decays[name], method)
    threshold = None
    if hasattr(cell, "get_threshold"):
        threshold = _values(cell.get_threshold(), units)
    node_fn = _NODE_EXPORTERS[type(layer)]
    metadata = {"dt": dt, "discretization": method}
    neuron = node_fn(layer.name, decays, threshold, dt, method, metadata)
    _check_node(layer, neuron, dt, method)
    if cell.kernel is None:
        # units=None: no weights, the input is the current.
        return [(layer.name, neuron)]
    suffix, weights = _weights_node(cell.kernel, cell.bias)
    nodes = [(f"{layer.name}.{suffix}", weights), (layer.name, neuron)]
    if cell.recurrent:
        # The feedback: a cycle through a Linear node, as snnTorch's RLeaky.
        _, feedback = _weights_node(cell.recurrent_kernel, None)
        nodes.append(_Feedback(f"{layer.name}.w_rec", feedback, layer.name))
    return nodes


def _check_decay(layer, name, tau_name, values, method):
    # A decay of 0 (a time constant far below dt, whose exp(-dt / tau)
    # underflows, or a trainable decay whose sigmoid does) or NaN has no
    # NIR time constant that from_nir reads back.
    bad = ~(values > 0.0)
    if not bad.any():
        return
    cell = layer.cell
    origin = ""
    if getattr(cell, name) is None and not getattr(cell, f"trainable_{name}"):
        origin = (
            f" (from {tau_name}={getattr(cell, tau_name)!r} with "
            f"dt={cell.dt!r}: exp(-dt / {tau_name}) underflows to 0)"
        )
    value = values[bad].flat[0].item()
    consequence = ""
    if value == 0.0:
        consequence = {
            "exact": "; exact integration (method='exact') would need a "
            "NIR tau of 0",
            "euler": "; forward Euler (method='euler') gives a NIR tau "
            f"equal to dt, which from_nir reads back as {name} = 0",
        }[method]
    raise ValueError(
        f"to_nir cannot export layer '{layer.name}': NIR time constants "
        f"need every {name} in (0, 1]{consequence}. Use a larger "
        f"{tau_name} or {name}. Received: {name}={value!r}{origin}"
    )


def _check_node(layer, node, dt, method):
    # Every parameter of an exported neuron node is finite, and its time
    # constants are positive, as from_nir requires (dt near the ends of the
    # float range could break that).
    for field, value in sorted(vars(node).items()):
        if not isinstance(value, np.ndarray) or value.dtype.kind != "f":
            continue
        bad = ~np.isfinite(value)
        if field.startswith("tau"):
            bad |= ~(value > 0.0)
        if bad.any():
            raise ValueError(
                f"to_nir computed an invalid NIR {field} for layer "
                f"'{layer.name}' (time constants must be finite and above "
                f"0, other parameters finite). Received: dt={dt!r}, "
                f"method={method!r}, giving {field}="
                f"{value[bad].flat[0].item()!r}"
            )


# A node on a cycle `target -> name -> target` instead of on the chain.
_Feedback = collections.namedtuple("_Feedback", ("name", "node", "target"))


def _leak_kind(name, beta, leaky, leak_free):
    # "leaky" where every beta < 1, "leak_free" where every beta = 1.
    if np.all(beta == 1.0):
        return leak_free
    if np.all(beta < 1.0):
        return leaky
    raise ValueError(
        f"to_nir cannot export a layer whose neurons mix beta = 1 (NIR "
        f"{leak_free}) and beta < 1 (NIR {leaky}). Received: layer "
        f"'{name}' with beta={beta.tolist()}"
    )


def _lif_node(name, decays, threshold, dt, method, metadata):
    nir = _nir()
    beta = decays.get("beta", np.ones_like(threshold))
    if _leak_kind(name, beta, "LIF", "IF") == "IF":
        # No leak: NIR's IF node, dv/dt = r I; r = 1 / dt makes the input
        # gain r dt equal to 1 with either method.
        fields = _spiking(threshold)
        del fields["v_leak"]
        r = np.full_like(threshold, 1.0 / dt)
        return nir.IF(r=r, metadata=metadata, **fields)
    tau, r = to_continuous(beta, dt=dt, method=method)
    return nir.LIF(tau=tau, r=r, metadata=metadata, **_spiking(threshold))


def _spiking(threshold):
    # The leak, threshold and reset of an exported spiking neuron node.
    zeros = np.zeros_like(threshold)
    return {"v_leak": zeros, "v_threshold": threshold, "v_reset": zeros.copy()}


def _li_node(name, decays, threshold, dt, method, metadata):
    nir = _nir()
    beta = decays["beta"]
    if _leak_kind(name, beta, "LI", "I") == "I":
        # NIR's integrator, dv/dt = r I, with gain r dt = 1.
        return nir.I(r=np.full_like(beta, 1.0 / dt), metadata=metadata)
    tau, r = to_continuous(beta, dt=dt, method=method)
    return nir.LI(tau=tau, r=r, v_leak=np.zeros_like(beta), metadata=metadata)


def _synaptic_node(name, decays, threshold, dt, method, metadata):
    nir = _nir()
    alpha, beta = decays["alpha"], decays["beta"]
    if np.any(alpha >= 1.0) or np.any(beta >= 1.0):
        raise ValueError(
            "to_nir exports SynapticLIF layers with alpha < 1 and beta < 1 "
            "(finite tau_syn and tau_mem of NIR's CubaLIF). Received: layer "
            f"'{name}' with alpha={alpha.tolist()}, beta={beta.tolist()}"
        )
    tau_syn, w_in = to_continuous(alpha, dt=dt, method=method)
    tau_mem, r = to_continuous(beta, dt=dt, method=method)
    return nir.CubaLIF(
        tau_syn=tau_syn,
        tau_mem=tau_mem,
        r=r,
        w_in=w_in,
        metadata=metadata,
        **_spiking(threshold),
    )


def _export_adaptive(layer, dt, method, approximate_subtract_reset):
    raise ValueError(
        "NIR has no neuron whose threshold adapts to its spikes, so to_nir "
        "cannot express AdaptiveLIF (adaptation_strength, tau_adapt, rho). "
        f"Received: layer '{layer.name}' of type AdaptiveLIF"
    )


def _export_delay(layer, dt, method, approximate_subtract_reset):
    # NIR's Delay node, y(t) = x(t - delay), in the graph's time unit: the
    # delay in steps times dt. LearnableDelay exports the integer delays it
    # applies at inference.
    nir = _nir()
    dt = 1.0 if dt is None else dt
    features = layer.input_spec.axes[-1]
    if isinstance(layer, LearnableDelay):
        steps = layer.integer_delays()
    else:
        steps = np.broadcast_to(layer.delays, (features,))
    delay = np.asarray(steps, np.float64) * dt
    return [(layer.name, nir.Delay(delay=delay, metadata={"dt": dt}))]


def _export_threshold(layer, dt, method, approximate_subtract_reset):
    # One threshold per feature of the last axis; Layout.adapt spreads
    # them over a feature map's positions in NIR's layout.
    features = layer.input.shape[-1]
    threshold = np.asarray(layer.threshold, np.float64)
    threshold = np.broadcast_to(threshold, (features,)).copy()
    return [(layer.name, _nir().Threshold(threshold=threshold))]


# keras_snn neuron layer type -> function returning its NIR neuron node,
# from the per-neuron decays and thresholds. A new neuron layer is one
# entry here.
_NODE_EXPORTERS = {
    LIF: _lif_node,
    IF: _lif_node,
    LI: _li_node,
    SynapticLIF: _synaptic_node,
}

# keras layer type -> converter returning [(node name, NIR node), ...] in
# order.
_EXPORTERS = (
    *((layer_type, _export_neurons) for layer_type in _NODE_EXPORTERS),
    (AdaptiveLIF, _export_adaptive),
    (keras.layers.Dense, _export_dense),
    (Delay, _export_delay),
    (LearnableDelay, _export_delay),
    (Threshold, _export_threshold),
)


def _chain_layers(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"to_nir expects a keras.Model. Received: model={model!r} of "
            f"type {type(model).__name__}"
        )
    if not model.built or len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            "to_nir expects a built model with one input and one output, "
            "such as keras.Sequential([keras.Input((T, features)), ...]). "
            f"Received: model '{model.name}'"
        )
    input_shape = tuple(model.inputs[0].shape)
    if len(input_shape) < 3 or None in input_shape[2:]:
        raise ValueError(
            "to_nir expects a sequence model with inputs "
            "[batch, T, features] (or [batch, T, L, C], [batch, T, H, W, "
            "C]). A keras_snn.build() model takes static "
            "[batch, features] inputs (its first layer repeats them with "
            "num_timesteps) and decodes rates at the end; neither is a NIR "
            "node. See docs/nir.md for how to export its layers. Received: "
            f"input shape {input_shape}"
        )
    layers = [
        layer
        for layer in model.layers
        if not isinstance(layer, keras.layers.InputLayer)
    ]
    if isinstance(model, keras.Sequential):
        return input_shape[2:], layers
    # A functional model: check that its graph is the chain of its layers.
    previous = model.inputs[0]
    for layer in layers:
        if layer.input is not previous:
            raise ValueError(
                "to_nir supports models whose layers form a chain, each "
                "layer feeding the next. Received: layer "
                f"'{layer.name}' not fed by the layer before it"
            )
        previous = layer.output
    if previous is not model.outputs[0]:
        raise ValueError(
            "to_nir supports models whose last layer is the output. "
            f"Received: model '{model.name}'"
        )
    return input_shape[2:], layers


def to_nir(model, *, dt=None, method="exact", approximate_subtract_reset=False):
    """Exports a keras_snn sequence model to a NIR graph.

    The model must be a chain of layers (`keras.Sequential` or a functional
    model) from `[batch, T, features]` to `[batch, T, units]`: `LIF`, `IF`,
    `LI` and `SynapticLIF` layers and `keras.layers.Dense` layers without
    activation. Each neuron layer becomes an `Affine` node (a `Linear` node
    without bias) holding its weights, followed by its neuron node: `LIF`
    (`IF` where `beta = 1`), `LI` (`I` where `beta = 1`) or `CubaLIF`, with
    `v_leak = 0`, `v_reset = 0`, and time constants and gains from
    `to_continuous` (input gain 1, so the weights carry over unchanged). A
    layer with `units=None` has no weights and exports its neuron node only.
    Each `Dense` layer becomes an `Affine` (or `Linear`) node. A
    convolutional model, `[batch, T, H, W, C]` (or `[batch, T, L, C]`),
    exports its `TimeDistributed` `Conv2D` / `Conv1D` (with a
    `ZeroPadding` layer before it as its padding), `SumPooling2D`,
    `AveragePooling2D` and `Flatten` layers, and `Rescaling` layers, as
    channels-first `Conv2d` / `Conv1d`, `SumPool2d`, `AvgPool2d`, `Flatten`
    and `Scale` nodes; the columns of the weights after a flatten are
    permuted to NIR's `(c, h, w)` order (docs/nir.md, "Layout rules").
    Neuron nodes carry `{"dt": dt, "discretization": method}` in their
    metadata.
    `Delay` and `LearnableDelay` layers become NIR `Delay` nodes,
    `y(t) = x(t - delay)`, with `delay = steps * dt` in the graph's time
    unit (`dt = 1` by default) and `{"dt": dt}` in their metadata;
    `LearnableDelay` exports its integer delays `round(d_i)`, the ones it
    applies at inference. A `Threshold` layer becomes a NIR `Threshold`
    node, its threshold written at every feature (every position of a
    channel after a convolution).
    A layer with `recurrent=True` adds a `Linear` node `"<name>.w_rec"`
    holding its recurrent kernel, on a cycle `<name> -> <name>.w_rec ->
    <name>` (snnTorch's `RLeaky` form); the cycle feeds each step's output
    back into the next step's input. `AdaptiveLIF` (no NIR node has an
    adaptive threshold) raises a `ValueError`.

    NIR neurons reset to `v_reset`, which is `reset="zero"`. Layers with
    `reset="subtract"` raise a `ValueError` unless
    `approximate_subtract_reset=True`, which exports them with a reset to
    zero (an approximation: the exported network's spike trains differ).
    `reset="none"` always raises. Surrogate gradients are not part of NIR.

    Args:
        model: keras.Model. The sequence model to export.
        dt: float or None. The step that the model's timesteps stand for,
            in the time unit of the graph. Defaults to each layer's own
            `dt` (1 unless set), so that `tau` is in timesteps.
        method: str. How the graph's ODE is discretized into the model's
            steps: `"exact"` (default; `beta = exp(-dt / tau)`, as
            keras_snn's own `tau`) or `"euler"` (`beta = 1 - dt / tau`).
        approximate_subtract_reset: bool. Export `reset="subtract"` layers
            as reset to zero instead of raising. Defaults to False.

    Returns:
        A `nir.NIRGraph` with nodes `"input"`, one to three nodes per layer
        (named after the layer, weights as `"<name>.affine"` or
        `"<name>.linear"`), and `"output"`, connected in a chain (plus the
        feedback cycles).

    Example:

    ```python
    graph = keras_snn.nir.to_nir(model)  # tau in timesteps
    graph = keras_snn.nir.to_nir(model, **keras_snn.nir.SNNTORCH)
    nir.write("model.nir", graph)
    ```
    """
    nir = _nir()
    if dt is not None:
        dt = check_positive_number("dt", dt)
    check_choice("method", method, METHODS)
    check_bool("approximate_subtract_reset", approximate_subtract_reset)
    features, layers = _chain_layers(model)
    features = _nir_conv.nir_shape(features)
    nodes = {"input": nir.Input(input_type=np.array(features))}
    chain, cycles = ["input"], []
    layout = _nir_conv.Layout()
    for layer in layers:
        entries = layout.export(layer)
        if entries is None:
            exporter = _exporter(layer)
            entries = layout.adapt(
                layer,
                exporter(layer, dt, method, approximate_subtract_reset),
            )
        for entry in entries:
            name, node = entry[:2]
            if isinstance(entry, _Feedback):
                cycles += [(entry.target, name), (name, entry.target)]
            else:
                chain.append(name)
            if name in nodes or name == "output":
                raise ValueError(
                    f"to_nir names NIR nodes after the layers, and the node "
                    f"name '{name}' is taken twice. Rename layer "
                    f"'{layer.name}'."
                )
            nodes[name] = node
    layout.finish()
    units = _nir_conv.nir_shape(model.outputs[0].shape[2:])
    nodes["output"] = nir.Output(output_type=np.array(units))
    chain.append("output")
    edges = list(zip(chain[:-1], chain[1:], strict=True)) + cycles
    return nir.NIRGraph(nodes=nodes, edges=edges)


def _exporter(layer):
    # Exact types first: an LIF subclass may add state NIR cannot express.
    for layer_type, exporter in _EXPORTERS:
        if type(layer) is layer_type:
            return exporter
    supported = ", ".join(
        f"{layer_type.__module__}.{layer_type.__name__}"
        for layer_type in (
            *_NODE_EXPORTERS,
            keras.layers.Dense,
            Delay,
            LearnableDelay,
            Threshold,
        )
    )
    raise ValueError(
        f"to_nir cannot export layer '{layer.name}' of type "
        f"{type(layer).__name__}. Supported layer types: {supported}."
    )


# Import: NIR nodes to keras layers.


def _array(node, field):
    return np.asarray(getattr(node, field), np.float64).reshape(-1)


def _decode(value):
    # nir.read returns strings in metadata as bytes and numbers as NumPy
    # scalars.
    if isinstance(value, bytes):
        return value.decode("utf8")
    if isinstance(value, np.ndarray) and value.shape == ():
        return value.item()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _discretization(name, node, dt, method):
    metadata = node.metadata or {}
    if dt is None:
        dt = _decode(metadata.get("dt"))
    if method is None:
        method = _decode(metadata.get("discretization"))
    if dt is None or method is None:
        raise ValueError(
            f"NIR node '{name}' ({type(node).__name__}) has no dt or "
            "discretization in its metadata. Pass them to from_nir, e.g. "
            "from_nir(graph, dt=1.0, method='exact'), or "
            "from_nir(graph, **keras_snn.nir.SNNTORCH) for graphs exported "
            f"by snnTorch. Received: metadata={dict(metadata)!r}"
        )
    return (
        check_positive_number("dt", dt),
        check_choice("method", method, METHODS),
    )


def _check_zero_reset(name, node):
    v_reset = _array(node, "v_reset")
    if np.any(v_reset != 0.0):
        raise ValueError(
            f"from_nir supports neurons that reset to 0 (keras_snn's "
            f"reset='zero'). Received: node '{name}' with "
            f"v_reset={v_reset.tolist()}"
        )


def _leaky_step(name, node, tau_field, r_field, dt, method):
    # One leaky ODE `tau dx/dt = -x + r I` as `x = decay x + gain I`.
    tau = _array(node, tau_field)
    r = _array(node, r_field)
    if not np.all(np.isfinite(tau) & (tau > 0.0)):
        raise ValueError(
            f"from_nir needs every {tau_field} finite and above 0. "
            f"Received: node '{name}' with {tau_field}={tau.tolist()}"
        )
    if not np.all(np.isfinite(r) & (r != 0.0)):
        raise ValueError(
            f"from_nir needs a finite, non-zero {r_field}: with "
            f"{r_field} = 0 no input reaches the neuron (and v_leak / "
            f"{r_field} is undefined). Received: node '{name}' with "
            f"{r_field}={r.tolist()}"
        )
    decay, gain = discretize(tau, r, dt=dt, method=method)
    if np.any(decay <= 0.0):
        if method == "euler":
            reason = (
                f"Forward Euler (method='euler') needs dt < {tau_field} "
                f"(decay = 1 - dt / {tau_field} > 0)"
            )
        else:
            reason = (
                f"Exact integration (method='exact') gives a decay "
                f"exp(-dt / {tau_field}) that underflows to 0 (dt / "
                f"{tau_field} above about 745), and keras_snn's decays "
                "must be above 0"
            )
        raise ValueError(
            f"{reason}. Received: node '{name}' with "
            f"{tau_field}={tau.tolist()}, dt={dt}"
        )
    return decay, gain


# What a NIR neuron node becomes: a keras_snn layer class, its per-neuron
# decays (name -> array), thresholds (None for LI) and the input gain and
# offset: the layer's current is gain * (I + offset), I the node's input.
_Neurons = collections.namedtuple(
    "_Neurons", ("layer_class", "decays", "threshold", "gain", "offset")
)


def _import_lif(name, node, dt, method):
    _check_zero_reset(name, node)
    beta, gain = _leaky_step(name, node, "tau", "r", dt, method)
    # tau dv/dt = (v_leak - v) + r I  equals  -v + r (I + v_leak / r): the
    # leak potential is a constant input current, which the bias carries.
    offset = _array(node, "v_leak") / _array(node, "r")
    threshold = _array(node, "v_threshold")
    return _Neurons(LIF, {"beta": beta}, threshold, gain, offset)


def _import_if(name, node, dt, method):
    # dv/dt = r I: beta = 1 and gain r dt with either method.
    _check_zero_reset(name, node)
    gain = _array(node, "r") * dt
    return _Neurons(IF, {}, _array(node, "v_threshold"), gain, 0.0)


def _import_li(name, node, dt, method):
    beta, gain = _leaky_step(name, node, "tau", "r", dt, method)
    offset = _array(node, "v_leak") / _array(node, "r")
    return _Neurons(LI, {"beta": beta}, None, gain, offset)


def _import_i(name, node, dt, method):
    gain = _array(node, "r") * dt
    return _Neurons(LI, {"beta": np.ones_like(gain)}, None, gain, 0.0)


def _import_cuba_lif(name, node, dt, method):
    # The current J = alpha J + w_in (1 - alpha) I and the membrane
    # V = beta V + r (1 - beta) J (see `discretize`) are keras_snn's
    # J' = alpha J' + gain I, V = beta V + J' with J' = r (1 - beta) J.
    _check_zero_reset(name, node)
    v_leak = _array(node, "v_leak")
    if np.any(v_leak != 0.0):
        # The leak would be a constant current into J' after the first
        # step, and a different one at the first step (J starts at 0).
        raise ValueError(
            "from_nir supports CubaLIF nodes with v_leak = 0 only. "
            f"Received: node '{name}' with v_leak={v_leak.tolist()}"
        )
    alpha, synaptic_gain = _leaky_step(
        name, node, "tau_syn", "w_in", dt, method
    )
    beta, membrane_gain = _leaky_step(name, node, "tau_mem", "r", dt, method)
    return _Neurons(
        SynapticLIF,
        {"alpha": alpha, "beta": beta},
        _array(node, "v_threshold"),
        synaptic_gain * membrane_gain,
        0.0,
    )


def _import_cuba_li(name, node, dt, method):
    # The current stage of a CubaLI: an LI layer J' = alpha J' + gain I
    # with J' = r (1 - beta) J, the membrane V = beta V + J' following as a
    # weightless LI layer (`_cuba_li_membrane`).
    v_leak = _array(node, "v_leak")
    if np.any(v_leak != 0.0):
        raise ValueError(
            "from_nir supports CubaLI nodes with v_leak = 0 only. Received: "
            f"node '{name}' with v_leak={v_leak.tolist()}"
        )
    alpha, synaptic_gain = _leaky_step(
        name, node, "tau_syn", "w_in", dt, method
    )
    _, membrane_gain = _leaky_step(name, node, "tau_mem", "r", dt, method)
    return _Neurons(
        LI, {"beta": alpha}, None, synaptic_gain * membrane_gain, 0.0
    )


def _cuba_li_membrane(name, node, dt, method, shape, order):
    # The membrane stage of a CubaLI node, after its current stage.
    beta, _ = _leaky_step(name, node, "tau_mem", "r", dt, method)
    neurons = _Neurons(LI, {"beta": beta}, None, np.ones_like(beta), 0.0)
    neurons, size, spatial = _nir_conv.neurons_in_layout(
        name, neurons, shape, order
    )
    return _neuron_layer(f"{name}.membrane", neurons, size, spatial=spatial)


# NIR neuron node type -> converter returning `_Neurons`. A neuron node
# follows an Affine or Linear node, and the two become one layer with kernel
# weight.T * gain and bias (bias + offset) * gain; or it follows another
# neuron node (or the input) and becomes a layer with units=None. A new
# neuron type is one entry here.
_NEURON_IMPORTERS = {
    "CubaLI": _import_cuba_li,
    "CubaLIF": _import_cuba_lif,
    "I": _import_i,
    "IF": _import_if,
    "LI": _import_li,
    "LIF": _import_lif,
}
_WEIGHT_TYPES = ("Affine", "Linear")
_SUPPORTED_NODES = sorted(
    (
        *_NEURON_IMPORTERS,
        *_WEIGHT_TYPES,
        *_nir_conv.IMPORTERS,
        "Delay",
        "Input",
        "Output",
    )
)


def _uniform(values):
    return bool(np.all(values == values[0]))


def _decay_options(name, decay_name, values):
    if _uniform(values):
        return {decay_name: float(values[0])}
    if np.all(values < 1.0):
        # One decay per neuron: the trainable decay holds them.
        return {
            decay_name: float(np.max(values)),
            f"trainable_{decay_name}": True,
        }
    raise ValueError(
        f"from_nir cannot import neurons that mix {decay_name} = 1 and "
        f"{decay_name} < 1 in one node. Received: node '{name}' with "
        f"{decay_name}={values.tolist()}"
    )


def _neuron_layer(
    name, neurons, size, weight=None, bias=None, recurrent=None, spatial=()
):
    # A keras_snn layer for the neuron node `name` of `size` neurons, with
    # the weights of the Affine or Linear node before it, if any, and the
    # (weight, bias) of its feedback node, if any. `spatial`: the input's
    # axes before the last (after a convolution), `size` its channels.
    threshold, gain = neurons.threshold, neurons.gain
    for values in (*neurons.decays.values(), gain, threshold):
        if values is not None and values.shape != (size,):
            raise ValueError(
                f"NIR node '{name}' has parameters for {values.shape[0]} "
                f"neurons but follows a node with {size} outputs. Received: "
                f"parameter shape {values.shape}"
            )
    offset = np.broadcast_to(neurons.offset, size)
    options = {}
    if recurrent is not None:
        if weight is None:
            raise ValueError(
                "from_nir needs an Affine or Linear node before a neuron "
                "node with recurrent feedback (keras_snn's recurrent layers "
                f"have input weights). Received: node '{name}'"
            )
        if recurrent[0].shape != (size, size):
            raise ValueError(
                f"from_nir expects the feedback weights of node '{name}' to "
                f"be [{size}, {size}]. Received: weight shape "
                f"{recurrent[0].shape}"
            )
        options["recurrent"] = True
        if recurrent[1] is not None:
            # The feedback's bias is a constant current, as the input's.
            offset = offset + recurrent[1]
    if weight is None:
        if np.any(offset != 0.0):
            raise ValueError(
                "from_nir needs an Affine node before a neuron node with a "
                "non-zero v_leak, whose bias carries it. Received: node "
                f"'{name}' with v_leak / r = {offset.tolist()}"
            )
        if threshold is None:
            if not np.allclose(gain, 1.0, rtol=1e-9, atol=0.0):
                raise ValueError(
                    "from_nir needs an Affine or Linear node before a leaky "
                    "integrator whose input gain (see discretize) is not 1, "
                    f"to hold it. Received: node '{name}' with gain "
                    f"{gain.tolist()}"
                )
        else:
            if np.any(gain == 0.0):
                raise ValueError(
                    "from_nir needs a non-zero input gain r (1 - beta) for a "
                    "neuron node without weights before it. Received: node "
                    f"'{name}' with gain {np.asarray(gain).tolist()}"
                )
            # Without weights to hold the gain, the membrane is scaled by
            # 1 / gain instead: the spikes are the same.
            threshold = threshold / gain
    if threshold is not None:
        if np.any(threshold <= 0.0):
            raise ValueError(
                "keras_snn neurons need a threshold above 0 (their reset "
                f"potential). Received: node '{name}' with "
                f"v_threshold={neurons.threshold.tolist()}"
            )
        options["reset"] = "zero"
        if _uniform(threshold):
            options["threshold"] = float(threshold[0])
        else:
            options["trainable_threshold"] = True
    for decay_name, values in neurons.decays.items():
        options.update(_decay_options(name, decay_name, values))
    units = None
    if weight is not None:
        units = weight.shape[0]
        options["use_bias"] = bias is not None or bool(np.any(offset != 0.0))
    layer = neurons.layer_class(units, name=_layer_name(name), **options)
    layer.build(
        (None, None, *spatial, size if weight is None else weight.shape[1])
    )
    cell = layer.cell
    if weight is not None:
        cell.kernel.assign(weight.T * gain[None, :])
        if recurrent is not None:
            cell.recurrent_kernel.assign(recurrent[0].T * gain[None, :])
        if cell.bias is not None:
            bias = np.zeros(units) if bias is None else bias
            cell.bias.assign((bias + offset) * gain)
    for decay_name, values in neurons.decays.items():
        logit = getattr(cell, f"{decay_name}_logit")
        if logit is not None:
            logit.assign(np.log(values / (1.0 - values)))
    if threshold is not None and cell.threshold_weight is not None:
        cell.threshold_weight.assign(threshold)
    return layer


def _layer_name(node_name):
    # PyTorch rejects "." in parameter names, and Keras "/" in layer names.
    return node_name.replace(".", "_").replace("/", "_")


def _weights(name, node):
    weight = np.asarray(node.weight, np.float64)
    if weight.ndim != 2:
        raise ValueError(
            "from_nir expects 2-D weights [outputs, inputs]. Received: "
            f"node '{name}' with weight shape {weight.shape}"
        )
    if type(node).__name__ == "Affine":
        return weight, np.asarray(node.bias, np.float64)
    return weight, None


def _dense_layer(name, weight, bias):
    layer = keras.layers.Dense(
        weight.shape[0], use_bias=bias is not None, name=_layer_name(name)
    )
    layer.build((None, None, weight.shape[1]))
    layer.kernel.assign(weight.T)
    if bias is not None:
        layer.bias.assign(bias)
    return layer


def _delay_layer(name, node, shape, dt):
    # A NIR Delay node as keras_snn.Delay: the delays in steps of dt.
    if len(shape) != 1:
        raise ValueError(
            f"from_nir supports Delay nodes on vectors [features] only. "
            f"Received: node '{name}' after a node with outputs of shape "
            f"{list(shape)}"
        )
    size = shape[0]
    if dt is None:
        dt = _decode((node.metadata or {}).get("dt"))
    if dt is None:
        raise ValueError(
            f"NIR Delay node '{name}' has no dt in its metadata to convert "
            "its delays to timesteps. Pass it to from_nir, e.g. "
            f"from_nir(graph, dt=1.0). Received: metadata="
            f"{dict(node.metadata or {})!r}"
        )
    dt = check_positive_number("dt", dt)
    delay = np.asarray(node.delay, np.float64).reshape(-1)
    steps = delay / dt
    if steps.shape != (size,):
        raise ValueError(
            f"NIR Delay node '{name}' has {steps.shape[0]} delays but follows "
            f"a node with {size} outputs. Received: delay={delay.tolist()}"
        )
    rounded = np.round(steps)
    if np.any(rounded < 0) or not np.allclose(steps, rounded, atol=1e-6):
        raise ValueError(
            f"from_nir needs delays that are whole non-negative numbers of "
            f"steps dt={dt}. Received: node '{name}' with "
            f"delay={delay.tolist()} ({steps.tolist()} steps)"
        )
    delays = [int(d) for d in rounded]
    if len(set(delays)) == 1:
        delays = delays[0]
    return Delay(delays, name=_layer_name(name))


def _chain_nodes(graph):
    nodes = graph.nodes
    for name, node in nodes.items():
        if type(node).__name__ not in _SUPPORTED_NODES:
            raise ValueError(
                f"from_nir does not support NIR node '{name}' of type "
                f"{type(node).__name__}. Supported node types: "
                f"{', '.join(_SUPPORTED_NODES)}. Nested NIRGraph nodes are not "
                "supported."
            )
    successors = {name: [] for name in nodes}
    predecessors = {name: [] for name in nodes}
    for source, target in graph.edges:
        if source not in nodes or target not in nodes:
            raise ValueError(
                "from_nir expects edges between nodes of the graph. "
                f"Received: edge {(source, target)!r}"
            )
        successors[source].append(target)
        predecessors[target].append(source)
    # A weights node whose only edges are a cycle with a neuron node is
    # that neuron's recurrent feedback; it leaves the chain.
    feedback = {}
    for name, node in nodes.items():
        if (
            type(node).__name__ in _WEIGHT_TYPES
            and len(successors[name]) == 1
            and predecessors[name] == successors[name]
            and type(nodes[successors[name][0]]).__name__ in _NEURON_IMPORTERS
        ):
            target = successors[name][0]
            feedback[target] = name
            successors[target].remove(name)
            predecessors[target].remove(name)
    inputs = [n for n, node in nodes.items() if type(node).__name__ == "Input"]
    if len(inputs) != 1:
        raise ValueError(
            "from_nir expects a graph with one Input node. Received: Input "
            f"nodes {inputs}"
        )
    chain = inputs
    while type(nodes[chain[-1]]).__name__ != "Output":
        following = successors[chain[-1]]
        if len(following) != 1 or len(predecessors[following[0]]) != 1:
            raise ValueError(
                "from_nir supports graphs that are a chain input -> ... -> "
                f"output. Received: node '{chain[-1]}' with successors "
                f"{following}"
                + (
                    f", and node '{following[0]}' with predecessors "
                    f"{predecessors[following[0]]}"
                    if len(following) == 1
                    else ""
                )
            )
        chain.append(following[0])
    if len(chain) + len(feedback) != len(nodes):
        unused = sorted(set(nodes) - set(chain) - set(feedback.values()))
        raise ValueError(
            "from_nir supports graphs that are a chain input -> ... -> "
            f"output. Received: nodes {unused} off the chain"
        )
    return chain, feedback


def from_nir(graph, *, dt=None, method=None):
    """Imports a NIR graph as a keras_snn sequence model.

    The graph must be a chain `Input -> ... -> Output` of `Affine`,
    `Linear`, `LIF`, `IF`, `LI`, `I`, `CubaLIF`, `CubaLI`, `Delay` and
    `Threshold` nodes, and the convolutional nodes below. A neuron node
    after an `Affine` (or `Linear`) node becomes, with it, one layer:
    `LIF` -> `keras_snn.LIF`, `IF` -> `keras_snn.IF`, `LI` and `I` ->
    `keras_snn.LI`, `CubaLIF` -> `keras_snn.SynapticLIF`, spiking layers
    with `reset="zero"`; `CubaLI` -> two `keras_snn.LI` layers, the
    current (`beta` from `tau_syn`) and the membrane (`units=None`, named
    `"<name>_membrane"`). The decays and the input gain come from
    `discretize`; the gain is folded into the kernel and bias, and a
    non-zero `v_leak` of `LIF` and `LI` into the bias (`I + v_leak / r`).
    A neuron node after the input or after another neuron node becomes a
    layer with `units=None`; it has no weights to hold the gain, so
    spiking neurons get the threshold `v_threshold / gain` instead (the
    same spikes), and leaky integrators must have gain 1 and `v_leak = 0`.
    A weights node on a cycle with a neuron node (`neuron -> w -> neuron`,
    as snnTorch exports `RLeaky` and `RSynaptic`) is that layer's recurrent
    kernel, `recurrent=True`; its bias, if any, joins the input bias.
    An `Affine` (or `Linear`) node not followed by a neuron becomes a
    `keras.layers.Dense` layer. `Conv1d` and `Conv2d` nodes become
    `TimeDistributed` `Conv1D` and `Conv2D` layers (after a
    `TimeDistributed(ZeroPadding)` layer for integer padding),
    `SumPool2d` `TimeDistributed(keras_snn.SumPooling2D)`, `AvgPool2d`
    `TimeDistributed(AveragePooling2D)`, `Flatten`
    `TimeDistributed(Flatten)` and `Scale` `keras.layers.Rescaling`. The
    model is channels-last: a graph with input `[C, H, W]` takes
    `[batch, T, H, W, C]`; weights are transposed, the columns of the
    weights after a `Flatten` are permuted to Keras' `(h, w, c)` order,
    and neuron parameters after a convolution are per channel (docs/nir.md,
    "Layout rules"). A `Delay` node becomes a `keras_snn.Delay` layer
    with `delay / dt` steps (`dt` from the argument or the node's
    metadata); delays that are not whole non-negative numbers of steps
    raise a `ValueError`. A `Threshold` node becomes a
    `keras_snn.Threshold` layer (a scalar threshold where all are equal,
    else one per feature, or per channel after a convolution). Layers are
    named after the neuron nodes
    (weights alone: their own node), with `"."` and `"/"` replaced by
    `"_"`.

    Neurons with one `tau` (and one `v_threshold`) per node get a scalar
    `beta` (`threshold`); different values per neuron are held by
    `trainable_beta=True` (`trainable_threshold=True`), with `beta` exact
    up to the float rounding of `sigmoid(logit(beta))`; likewise `alpha`
    for `tau_syn`. Non-zero `v_reset`, and non-zero `v_leak` in `CubaLIF`,
    cannot be expressed and raise a `ValueError`, as does a node type
    outside the supported list. The layers use keras_snn's default
    surrogate gradient, since NIR stores none.

    Args:
        graph: nir.NIRGraph. The graph, e.g. from `nir.read(path)`.
        dt: float or None. The simulation step, in the time unit of the
            graph. Defaults to the `"dt"` of each neuron node's metadata.
        method: str or None. `"exact"` or `"euler"`. Defaults to the
            `"discretization"` of each neuron node's metadata. Graphs
            without this metadata (such as snnTorch's) need both
            arguments: `from_nir(graph, **keras_snn.nir.SNNTORCH)`.

    Returns:
        A `keras.Sequential` model from `[batch, T, features]` (or
        `[batch, T, H, W, C]`, `[batch, T, L, C]`) to `[batch, T, units]`.

    Example:

    ```python
    model = keras_snn.nir.from_nir(nir.read("model.nir"))
    spikes = model(x)  # x: [batch, T, features]
    ```
    """
    nir = _nir()
    if not isinstance(graph, nir.NIRGraph):
        raise TypeError(
            f"from_nir expects a nir.NIRGraph. Received: graph={graph!r} of "
            f"type {type(graph).__name__}"
        )
    if dt is not None:
        dt = check_positive_number("dt", dt)
    if method is not None:
        check_choice("method", method, METHODS)
    chain, feedback = _chain_nodes(graph)
    nodes = graph.nodes
    # The NIR (channels-first) shape of the data between nodes, and the
    # flatten order waiting for the weights after a Flatten node.
    shape = nodes[chain[0]].input_type["input"]
    shape = tuple(int(n) for n in np.asarray(shape).reshape(-1))
    layers = [keras.Input((None, *_nir_conv.keras_shape(shape)))]
    order = None
    position = 1
    while position < len(chain) - 1:
        name = chain[position]
        node = nodes[name]
        kind = type(node).__name__
        if kind in _nir_conv.IMPORTERS:
            new_layers, new_shape = _nir_conv.IMPORTERS[kind](
                name, node, shape, order
            )
            if kind == "Flatten":
                order = _nir_conv.flatten_order(shape)
            layers += new_layers
            shape = new_shape
            position += 1
            continue
        weight = bias = None
        if kind == "Delay":
            layers.append(_delay_layer(name, node, shape, dt))
            position += 1
            continue
        if kind in _WEIGHT_TYPES:
            weight, bias = _weights(name, node)
            weight = _nir_conv.weights_in_order(name, weight, shape, order)
            order = None
            shape = (weight.shape[0],)
            position += 1
            neuron_name = chain[position]
            if type(nodes[neuron_name]).__name__ not in _NEURON_IMPORTERS:
                layers.append(_dense_layer(name, weight, bias))
                continue
            name, node = neuron_name, nodes[neuron_name]
        # A neuron node, after weights or alone (a layer with units=None).
        step, scheme = _discretization(name, node, dt, method)
        neurons = _NEURON_IMPORTERS[type(node).__name__](
            name, node, step, scheme
        )
        neurons, size, spatial = _nir_conv.neurons_in_layout(
            name, neurons, shape, order
        )
        recurrent = None
        if name in feedback:
            recurrent = _weights(feedback[name], nodes[feedback[name]])
        layers.append(
            _neuron_layer(name, neurons, size, weight, bias, recurrent, spatial)
        )
        if type(node).__name__ == "CubaLI":
            layers.append(
                _cuba_li_membrane(name, node, step, scheme, shape, order)
            )
        position += 1
    return keras.Sequential(layers, name="from_nir")
