"""What a spiking network costs: synaptic operations, sparsity, footprint
and energy, with NeuroBench's definitions.

`profile(model, x)` runs a model on one batch and counts, as NeuroBench
2.3 (`neurobench.metrics`) does for a PyTorch network:

- synaptic operations per sample: `"effective_macs"` and
  `"effective_acs"`, the operations of each synaptic layer with its
  non-zero weights and its non-zero inputs set to 1 and no bias, summed
  over timesteps, as multiply-accumulates (MACs) when the layer's input at
  that step has a value outside {-1, 0, 1} and as accumulates (ACs)
  otherwise; `"dense"`, the same with every weight and every input set to
  1;
- activation sparsity: the fraction of zero outputs of the spiking
  layers, over all timesteps and samples;
- connection sparsity: the fraction of zero synaptic weights;
- footprint: the bytes of all the model's weights;
- membrane updates per sample: NeuroBench's `MembraneUpdates`, the
  number of (neuron, step) pairs whose membrane potential changed, every
  neuron counting at the first step.

`energy(profile, device=...)` turns the counts into joules with a small
table of per-operation energies, next to the energy of the same network
run as a non-spiking ANN. `EfficiencyMonitor` logs the counts at each
epoch of training; `keras_snn.plot.efficiency` plots them per layer.
"""

import copy
import math
import numbers

import keras
import numpy as np
from keras import ops

from keras_snn.layers.decoding import RateDecoding
from keras_snn.layers.encoding import _Encoding
from keras_snn.layers.neuron_layer import NeuronLayer

# Layers with weights whose operations NeuroBench counts: nn.Linear and
# nn.Conv1d / 2d / 3d. Exact types: a subclass may compute anything.
_DENSE = (keras.layers.Dense,)
_CONV = (keras.layers.Conv1D, keras.layers.Conv2D, keras.layers.Conv3D)

# Layers without synaptic operations, which NeuroBench ignores as well.
_NO_OPS = (
    keras.layers.InputLayer,
    keras.layers.Flatten,
    keras.layers.Reshape,
    keras.layers.Permute,
    keras.layers.Dropout,
    keras.layers.SpatialDropout1D,
    keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    keras.layers.ActivityRegularization,
    keras.layers.MaxPooling1D,
    keras.layers.MaxPooling2D,
    keras.layers.MaxPooling3D,
    keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D,
    keras.layers.AveragePooling3D,
    keras.layers.GlobalMaxPooling1D,
    keras.layers.GlobalMaxPooling2D,
    keras.layers.GlobalMaxPooling3D,
    keras.layers.GlobalAveragePooling1D,
    keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D,
    _Encoding,
    RateDecoding,
)


def _layer_kind(layer):
    """`"dense"`, `"conv"`, `"neuron"` or `"none"`; raises for a layer
    that cannot be counted."""
    inner = layer
    if isinstance(layer, keras.layers.TimeDistributed):
        inner = layer.layer
    if type(inner) in _DENSE + _CONV:
        if inner.activation is not keras.activations.linear:
            # NeuroBench would count an activation module's outputs in
            # the activation sparsity; a number without them would differ.
            raise ValueError(
                "profile counts synaptic layers without an activation "
                "function; NeuroBench counts a ReLU or sigmoid as a layer "
                f"of its own. Received: layer {layer.name!r} with "
                f"activation={keras.activations.serialize(inner.activation)!r}"
            )
        return "dense" if type(inner) in _DENSE else "conv"
    if isinstance(inner, NeuronLayer) and inner is layer:
        if layer.stateful or layer.go_backwards:
            raise ValueError(
                "profile runs every sequence forward from zero states, as "
                "NeuroBench resets the network before each batch; it does "
                "not count stateful or go_backwards neuron layers. "
                f"Received: layer {layer.name!r} with "
                f"stateful={layer.stateful}, "
                f"go_backwards={layer.go_backwards}"
            )
        return "neuron"
    if isinstance(inner, _NO_OPS) and not inner.weights:
        return "none"
    raise ValueError(
        "keras_snn.efficiency cannot count the operations of layer "
        f"{layer.name!r} ({type(layer).__name__}"
        + (f" of {type(inner).__name__}" if inner is not layer else "")
        + "). It counts Dense, Conv1D, Conv2D, Conv3D (also inside "
        "TimeDistributed), keras_snn's neuron layers, encoders and "
        "decoders, pooling, Flatten, Reshape and dropout layers."
    )


def _is_spiking(layer):
    return isinstance(layer, NeuronLayer) and layer.cell.dynamics.spiking


def _plan(model):
    """The model's layers (less its inputs) with their kinds, checked."""
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model. Received: model={model!r}"
        )
    sequential = isinstance(model, keras.Sequential)
    if not sequential and not _is_functional(model):
        raise ValueError(
            "profile needs a functional or Sequential model, whose layers "
            "it can run one by one. Received: a subclassed model, "
            f"model={model.name!r} ({type(model).__name__})"
        )
    plan = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.Model):
            raise ValueError(
                "profile counts the layers of one model; it does not "
                f"enter nested models. Received: layer {layer.name!r} "
                f"({type(layer).__name__}) inside model {model.name!r}"
            )
        if not sequential and len(layer._inbound_nodes) > 1:
            raise ValueError(
                "profile counts each layer once; layer "
                f"{layer.name!r} is called {len(layer._inbound_nodes)} "
                f"times in model {model.name!r}"
            )
        plan.append((layer, _layer_kind(layer)))
    if not any(_is_spiking(layer) for layer, _ in plan):
        raise ValueError(
            "profile measures spiking networks: the model needs at least "
            "one spiking neuron layer (LIF, IF, SynapticLIF, AdaptiveLIF). "
            f"Received: model={model.name!r} with layers "
            f"{[layer.name for layer, _ in plan]}"
        )
    return plan


def _is_functional(model):
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return False
    return bool(inputs) and hasattr(model, "_operations")


def _check_x(model, x):
    if isinstance(x, (list, tuple, dict)):
        raise TypeError(
            "x must be one array, the batch of the model's single input. "
            f"Received: x of type {type(x).__name__}"
        )
    x = np.asarray(keras.ops.convert_to_numpy(x))
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(
            "x must hold at least one sample: it is one batch of inputs, "
            f"[batch, ...]. Received: x with shape {x.shape}"
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if inputs:
        if len(inputs) != 1:
            raise ValueError(
                "profile supports models with one input. Received: "
                f"model={model.name!r} with {len(inputs)} inputs"
            )
        expected = tuple(inputs[0].shape)
        matches = len(expected) == x.ndim and all(
            want is None or want == got
            for want, got in zip(expected[1:], x.shape[1:], strict=True)
        )
        if not matches:
            raise ValueError(
                f"x does not fit the input of model {model.name!r}, of "
                f"shape {expected}. Received: x with shape {x.shape}"
            )
    return x


def _layer_inputs(model, plan, x):
    """Runs the model once, eagerly; returns `{layer name: input}` for
    the layers with operations, as NumPy arrays."""
    needed = [layer for layer, kind in plan if kind != "none"]
    if isinstance(model, keras.Sequential):
        found = {}
        value = ops.convert_to_tensor(x)
        for layer, _ in plan:
            if layer in needed:
                found[layer.name] = np.asarray(ops.convert_to_numpy(value))
            value = layer(value, training=False)
            if isinstance(value, (list, tuple)):
                value = value[0]
        return found
    tensors = []
    for layer in needed:
        tensor = layer.input
        if isinstance(tensor, (list, tuple)):
            tensor = tensor[0]
        tensors.append(tensor)
    reader = keras.Model(model.inputs, tensors)
    values = reader(ops.convert_to_tensor(x), training=False)
    if not isinstance(values, (list, tuple)):
        values = [values]
    return {
        layer.name: np.asarray(ops.convert_to_numpy(value))
        for layer, value in zip(needed, values, strict=True)
    }


def _binary(values):
    return (values != 0).astype(np.float64)


def _spiking_calls(calls):
    """Per call (first axis): whether every input lies in {-1, 0, 1},
    NeuroBench's test for accumulates rather than multiply-accumulates."""
    flat = calls.reshape(calls.shape[0], -1)
    return np.all((flat == 0) | (flat == 1) | (flat == -1), axis=1)


def _calls(inputs, per_step):
    """The inputs of each call of a layer: one per step of axis 1, or the
    whole input as one call."""
    return np.moveaxis(inputs, 1, 0) if per_step else inputs[None]


def _totals(effective, dense, spiking, repeats=1):
    """`[macs, acs, dense]` from per-call counts."""
    return repeats * np.array(
        [
            effective[~spiking].sum(),
            effective[spiking].sum(),
            dense.sum(),
        ],
        np.float64,
    )


def _matmul_ops(inputs, kernel, per_step, repeats=1):
    """Operations of `inputs @ kernel` (any leading shape): each non-zero
    input feature costs one operation per non-zero weight of its row."""
    calls = _calls(inputs, per_step)
    features = kernel.shape[0]
    fan_out = _binary(kernel).sum(axis=1)
    nonzero = _binary(calls).reshape(calls.shape[0], -1, features)
    effective = nonzero.sum(axis=1) @ fan_out
    vectors = nonzero.shape[1]
    dense = np.full(calls.shape[0], float(vectors * kernel.size))
    return _totals(effective, dense, _spiking_calls(calls), repeats)


def _binary_conv(layer, kernel):
    """A float32 copy of a convolution with `kernel` and no bias."""
    config = copy.deepcopy(layer.get_config())
    config.update(
        name=f"{layer.name}_binary",
        use_bias=False,
        activation=None,
        dtype="float32",
    )
    clone = type(layer).from_config(config)
    return clone, kernel.astype(np.float32)


def _conv_ops(layer, inputs, per_step):
    """Operations of a convolution, from a copy of it with binary weights
    and no bias applied to binary inputs, as NeuroBench counts them."""
    calls = _calls(inputs, per_step)
    per_call = calls.shape[1:]
    kernel = np.asarray(ops.convert_to_numpy(layer.kernel.value))
    clone, binary_kernel = _binary_conv(layer, _binary(kernel))
    clone.build(per_call)
    clone.kernel.assign(binary_kernel)
    merged = _binary(calls).reshape((-1, *per_call[1:])).astype(np.float32)
    outputs = np.asarray(ops.convert_to_numpy(clone(merged)), np.float64)
    effective = outputs.reshape(calls.shape[0], -1).sum(axis=1)
    # Every weight and every input 1: padding still counts as zeros.
    clone.kernel.assign(np.ones_like(binary_kernel))
    ones = np.ones((1, *per_call[1:]), np.float32)
    one_sample = np.asarray(ops.convert_to_numpy(clone(ones)), np.float64)
    dense = np.full(calls.shape[0], one_sample.sum() * per_call[0])
    return _totals(effective, dense, _spiking_calls(calls))


def _run_neurons(layer, inputs):
    """Runs a neuron layer's cell step by step from zero states.

    Returns:
        `(outputs, membranes)`, NumPy arrays `[time, batch, ...]`.
    """
    cell = layer.cell
    static = inputs.ndim == 2 and layer.num_timesteps is not None
    steps = layer.num_timesteps if static else inputs.shape[1]
    values = ops.convert_to_tensor(inputs, dtype=cell.compute_dtype)
    states = cell.get_initial_state(inputs.shape[0])
    membrane = cell.state_names.index("membrane")
    outputs, membranes = [], []
    for step in range(steps):
        step_input = values if static else values[:, step]
        output, states = cell.call(step_input, states)
        outputs.append(np.asarray(ops.convert_to_numpy(output)))
        membranes.append(np.asarray(ops.convert_to_numpy(states[membrane])))
    return np.stack(outputs), np.stack(membranes)


def _neuron_counts(layer, inputs):
    cell = layer.cell
    counts = {}
    outputs, membranes = _run_neurons(layer, inputs)
    ops_total = np.zeros(3)
    if cell.kernel is not None:
        kernel = np.asarray(ops.convert_to_numpy(cell.kernel.value))
        if inputs.ndim == 2 and layer.num_timesteps is not None:
            # A static input: keras_snn projects it once per sequence;
            # NeuroBench's network would present it at every step.
            ops_total += _matmul_ops(
                inputs, kernel, False, repeats=layer.num_timesteps
            )
        else:
            ops_total += _matmul_ops(inputs, kernel, True)
    if cell.recurrent:
        recurrent = np.asarray(
            ops.convert_to_numpy(cell.recurrent_kernel.value)
        )
        # The previous step's outputs, zeros at the first step.
        previous = np.concatenate(
            [np.zeros_like(outputs[:1]), outputs[:-1]], axis=0
        )
        ops_total += _matmul_ops(np.moveaxis(previous, 0, 1), recurrent, True)
    counts["ops"] = ops_total
    if _is_spiking(layer):
        counts["zeros"] = float(outputs.size - np.count_nonzero(outputs))
        counts["activations"] = float(outputs.size)
    changes = np.count_nonzero(membranes[1:] - membranes[:-1])
    counts["membrane_updates"] = float(membranes[0].size + changes)
    return counts


def _synaptic_kernels(layer, kind):
    if kind in ("dense", "conv"):
        inner = getattr(layer, "layer", layer)
        return [inner.kernel]
    if kind == "neuron":
        return [
            kernel
            for kernel in (layer.cell.kernel, layer.cell.recurrent_kernel)
            if kernel is not None
        ]
    return []


def _bytes(variables):
    return int(
        sum(np.asarray(ops.convert_to_numpy(v.value)).nbytes for v in variables)
    )


def _check_batch_size(batch_size):
    if batch_size is None:
        return None
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, numbers.Integral)
        or batch_size < 1
    ):
        raise ValueError(
            "batch_size must be a positive integer or None. Received: "
            f"batch_size={batch_size!r}"
        )
    return int(batch_size)


def profile(model, x, batch_size=None):
    """Counts the synaptic operations, sparsity, footprint and membrane
    updates of a spiking model on one batch, as NeuroBench 2.3 does.

    The model runs once on `x`, eagerly and in inference mode (in chunks
    of `batch_size` samples if given); the counting is done in NumPy on
    the inputs of every layer. Every definition follows NeuroBench's
    `neurobench.metrics` (`SynapticOperations`, `ActivationSparsity`,
    `ConnectionSparsity`, `Footprint`, `MembraneUpdates`) for the
    equivalent PyTorch network, run one timestep at a time:

    - **Synaptic operations**, per sample. For each call of a synaptic
      layer (`Dense`, `Conv1D/2D/3D`, alone or in `TimeDistributed`, and
      the input and recurrent kernels of keras_snn's neuron layers) the
      effective operations are the sum of the outputs of a copy of the
      layer whose non-zero weights are 1, with no bias, applied to the
      input with its non-zero values set to 1: one operation per
      (non-zero input, non-zero weight) pair. They are ACs if every input
      value of the call lies in {-1, 0, 1} (spikes), MACs otherwise. The
      dense count sets every weight and every input to 1 (zero padding
      still counts as 0). Calls: one per timestep (axis 1) for layers in
      `TimeDistributed`, `Dense` on `[batch, time, ...]` inputs and neuron
      layers; one for `Dense` on `[batch, features]` and bare
      convolutions. A recurrent kernel takes the layer's previous output
      at each step, zeros at the first one.
    - **Static input** (a neuron layer given `[batch, features]` with
      `num_timesteps`, as `keras_snn.build()` makes its first layer):
      keras_snn computes `x @ kernel + bias` once per sequence and reuses
      it at every step, but the counts are those of NeuroBench's network,
      which presents the input (`RepeatEncoding`) at each of the
      `num_timesteps` steps: the projection counts `num_timesteps` times.
    - **Activation sparsity**: zero outputs / all outputs of the spiking
      neuron layers (every keras_snn neuron layer except the non-spiking
      `LI`), over all timesteps, samples and layers.
    - **Connection sparsity**: zero weights / all weights of the synaptic
      kernels above (biases, decays and thresholds excluded). NeuroBench
      rounds it to 4 decimals; this is the exact fraction. 0 for a model
      without synaptic weights.
    - **Footprint**: the bytes of all the model's weights (`model.weights`:
      kernels, biases, trainable decays and thresholds, normalization
      statistics).
    - **Membrane updates**, per sample: for each neuron layer (`LI`
      included), every neuron at the first step, then each (neuron, step)
      whose membrane potential (after reset) differs from the previous
      step's.

    Args:
        model: a functional or Sequential `keras.Model` with one input and
            at least one spiking neuron layer.
        x: one batch of the model's inputs: `[batch, time, ...]` for a
            sequence model, `[batch, features]` for a `build()` model.
        batch_size: int or None. Run the model on chunks of this many
            samples (the counts add up over chunks; the AC or MAC test is
            per chunk and step, as per batch in NeuroBench). Defaults to
            None: the whole of `x` at once.

    Returns:
        A dict with `"synaptic_operations"` (a dict of `"effective_macs"`,
        `"effective_acs"` and `"dense"`, per sample), `"activation_sparsity"`
        and `"connection_sparsity"` (fractions in [0, 1]), `"footprint"`
        (int, bytes), `"membrane_updates"` (per sample), `"num_samples"`
        and `"layers"`: a dict `{layer name: figures}` in model order with
        the same keys for each layer (`"activation_sparsity"` None for a
        layer without spiking outputs, `"connection_sparsity"` None for one
        without synaptic weights) and its `"class_name"`.

    Raises:
        TypeError: `model` is not a `keras.Model`, or `x` is a list or
            dict.
        ValueError: `x` is empty or does not fit the model's input; the
            model is subclassed, has several inputs or no spiking layer;
            a layer cannot be counted (named in the message); bad
            `batch_size`.

    Example:

    ```python
    model = keras_snn.build(input_size=64, hidden_sizes=[128],
                            output_size=10)
    result = keras_snn.efficiency.profile(model, x_test[:256])
    result["synaptic_operations"]  # {"effective_macs": ..., ...}
    result["layers"]["lif_0"]["activation_sparsity"]
    ```

    References:
        Yik et al., "The neurobench framework for benchmarking neuromorphic
        computing algorithms and systems", Nature Communications 16, 1545
        (2025); the `neurobench` package, version 2.3.0,
        `neurobench/metrics`.
    """
    plan = _plan(model)
    x = _check_x(model, x)
    batch_size = _check_batch_size(batch_size)
    samples = x.shape[0]
    size = samples if batch_size is None else batch_size
    totals = {
        layer.name: {
            "ops": np.zeros(3),
            "zeros": 0.0,
            "activations": 0.0,
            "membrane_updates": 0.0,
        }
        for layer, _ in plan
    }
    for start in range(0, samples, size):
        inputs = _layer_inputs(model, plan, x[start : start + size])
        for layer, kind in plan:
            total = totals[layer.name]
            if kind == "none":
                continue
            layer_input = inputs[layer.name]
            if kind == "neuron":
                for key, value in _neuron_counts(layer, layer_input).items():
                    total[key] = total[key] + value
            elif kind == "dense":
                inner = getattr(layer, "layer", layer)
                kernel = np.asarray(ops.convert_to_numpy(inner.kernel.value))
                per_step = inner is not layer or layer_input.ndim > 2
                total["ops"] += _matmul_ops(layer_input, kernel, per_step)
            else:
                inner = getattr(layer, "layer", layer)
                total["ops"] += _conv_ops(
                    inner, layer_input, inner is not layer
                )
    return _summary(model, plan, totals, samples)


def _operations(counts, samples):
    macs, acs, dense = counts / samples
    return {
        "effective_macs": float(macs),
        "effective_acs": float(acs),
        "dense": float(dense),
    }


def _sparsity(zeros, total):
    return float(zeros / total) if total else 0.0


def _summary(model, plan, totals, samples):
    layers = {}
    all_ops = np.zeros(3)
    zeros = activations = updates = 0.0
    weight_zeros = weight_count = 0
    for layer, kind in plan:
        total = totals[layer.name]
        kernels = [
            np.asarray(ops.convert_to_numpy(kernel.value))
            for kernel in _synaptic_kernels(layer, kind)
        ]
        layer_zeros = sum(int(np.sum(k == 0)) for k in kernels)
        layer_weights = sum(k.size for k in kernels)
        weight_zeros += layer_zeros
        weight_count += layer_weights
        spiking = _is_spiking(layer)
        all_ops += total["ops"]
        zeros += total["zeros"]
        activations += total["activations"]
        updates += total["membrane_updates"]
        layers[layer.name] = {
            "class_name": type(layer).__name__,
            "synaptic_operations": _operations(total["ops"], samples),
            "activation_sparsity": (
                _sparsity(total["zeros"], total["activations"])
                if spiking
                else None
            ),
            "connection_sparsity": (
                _sparsity(layer_zeros, layer_weights) if kernels else None
            ),
            "footprint": _bytes(layer.weights),
            "membrane_updates": total["membrane_updates"] / samples,
        }
    return {
        "synaptic_operations": _operations(all_ops, samples),
        "activation_sparsity": _sparsity(zeros, activations),
        "connection_sparsity": _sparsity(weight_zeros, weight_count),
        "footprint": _bytes(model.weights),
        "membrane_updates": updates / samples,
        "num_samples": int(samples),
        "layers": layers,
    }


# Energy per operation, in joules. See `energy` for the sources.
_DEVICES = {
    "fp32_45nm": {"mac": 4.6e-12, "ac": 0.9e-12, "neuron_update": 4.6e-12},
    "loihi": {"mac": None, "ac": 23.6e-12, "neuron_update": 81e-12},
}

_DEVICE_KEYS = ("mac", "ac", "neuron_update")


def _check_device(name, device):
    if not isinstance(device, dict) or set(device) != set(_DEVICE_KEYS):
        raise ValueError(
            f"A device is a dict with exactly the keys {list(_DEVICE_KEYS)} "
            "(energies per operation, in joules; `mac` may be None). "
            f"Received: device={device!r}"
        )
    checked = {}
    for key in _DEVICE_KEYS:
        value = device[key]
        if value is None and key == "mac":
            checked[key] = None
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, numbers.Real)
            or not math.isfinite(value)
            or value < 0
        ):
            raise ValueError(
                f"The energy {key!r} of device {name!r} must be a finite "
                f"number of joules >= 0. Received: {key}={value!r}"
            )
        checked[key] = float(value)
    return checked


def register_device(name, *, mac, ac, neuron_update):
    """Adds a device to the table that `energy` reads by name.

    Args:
        name: str. The device's name; an existing name is replaced.
        mac: float or None. Joules per multiply-accumulate; None for a
            device that does not multiply (then `energy` refuses profiles
            with effective MACs).
        ac: float. Joules per accumulate (a synaptic operation on a spike).
        neuron_update: float. Joules per membrane update.

    Example:

    ```python
    keras_snn.efficiency.register_device(
        "my_chip", mac=2e-12, ac=0.5e-12, neuron_update=1e-12
    )
    keras_snn.efficiency.energy(result, device="my_chip")
    ```
    """
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"name must be a non-empty string. Received: name={name!r}"
        )
    _DEVICES[name] = _check_device(
        name, {"mac": mac, "ac": ac, "neuron_update": neuron_update}
    )


def devices():
    """The device table: `{name: {"mac", "ac", "neuron_update"}}`, joules
    per operation (a copy)."""
    return copy.deepcopy(_DEVICES)


def _get_device(device, argument):
    if isinstance(device, dict):
        return "custom", _check_device("custom", device)
    if not isinstance(device, str) or device not in _DEVICES:
        raise ValueError(
            f"Unknown device. Available devices: {sorted(_DEVICES)}, or a "
            f"dict with the keys {list(_DEVICE_KEYS)}. Received: "
            f"{argument}={device!r}"
        )
    return device, _DEVICES[device]


def energy(profile, device="fp32_45nm", ann_device="fp32_45nm"):
    """Estimates the energy per sample of a profiled network on a device.

    ```
    synaptic = effective_macs * E_mac + effective_acs * E_ac
    neuron = membrane_updates * E_neuron_update
    total = synaptic + neuron
    ann = dense * E_mac(ann_device)
    ```

    `ann` is the same network run as a non-spiking ANN: every synaptic
    operation of the dense count is a MAC (the activation functions are
    not counted). Only arithmetic is counted: not the memory traffic
    (reading weights and states, often the larger cost), not the routing
    of spikes between cores, not the chip's static (leakage and idle)
    power, not the encoding of inputs or the readout.

    The table (`devices()`; add your own with `register_device`, or pass
    a dict):

    - `"fp32_45nm"`: 32-bit floating point at 45 nm, 0.9 V, from Horowitz,
      "Computing's energy problem (and what we can do about it)", ISSCC
      2014, pp. 10-14, the table of energy per operation (Fig. 1.1.9):
      FP multiply 3.7 pJ and FP add 0.9 pJ, so a MAC costs
      3.7 + 0.9 = 4.6 pJ and an AC 0.9 pJ. A membrane update
      `V = beta * V + I` is one multiply-add, 4.6 pJ (the comparison
      with the threshold and the reset are not counted).
    - `"loihi"`: Intel Loihi, 14 nm, from Davies et al., "Loihi: a
      neuromorphic manycore processor with on-chip learning", IEEE Micro
      38(1), 82-99, 2018, Table 2 (pre-silicon figures at 0.75 V): energy
      per synaptic spike operation (min) 23.6 pJ, the AC; neuron update
      81 pJ (the "active" figure; the table gives 52 pJ for an inactive
      neuron). Loihi has no MAC: a profile with effective MACs (an analog
      input, as with `build()`'s default direct coding) raises; encode the
      input as spikes (`encoding="poisson"` or `"latency"`) or count the
      first layer on another device.

    Args:
        profile: dict, as returned by `profile`, or one layer's figures,
            `profile(...)["layers"][name]`.
        device: str or dict. A device name from the table, or a dict with
            the keys `"mac"`, `"ac"` and `"neuron_update"` (joules per
            operation). Defaults to `"fp32_45nm"`.
        ann_device: str or dict. The device of the ANN comparison, which
            must have a MAC energy. Defaults to `"fp32_45nm"`.

    Returns:
        A dict of joules per sample: `"synaptic"`, `"neuron"`, `"total"`
        and `"ann"`, with `"device"` and `"ann_device"` (the names, or
        `"custom"` for a dict).

    Raises:
        ValueError: an unknown device name or a bad device dict; effective
            MACs on a device without a MAC energy; an ANN device without
            one; `profile` is not a profile.

    Example:

    ```python
    result = keras_snn.efficiency.profile(model, x_test[:256])
    joules = keras_snn.efficiency.energy(result, device="loihi")
    joules["total"], joules["ann"]
    ```
    """
    try:
        synops = profile["synaptic_operations"]
        macs = float(synops["effective_macs"])
        acs = float(synops["effective_acs"])
        dense = float(synops["dense"])
        updates = float(profile["membrane_updates"])
    except (TypeError, KeyError, ValueError) as error:
        raise ValueError(
            "profile must be the dict that keras_snn.efficiency.profile "
            f"returns. Received: profile={profile!r}"
        ) from error
    name, table = _get_device(device, "device")
    ann_name, ann_table = _get_device(ann_device, "ann_device")
    if table["mac"] is None and macs > 0:
        raise ValueError(
            f"Device {name!r} has no MAC energy, and the profile has "
            f"effective_macs={macs!r} per sample (a layer with non-spiking "
            "inputs). Encode the inputs as spikes, or choose a device "
            "with a MAC energy."
        )
    if ann_table["mac"] is None:
        raise ValueError(
            "The ANN comparison needs a device with a MAC energy. "
            f"Received: ann_device={ann_device!r}"
        )
    synaptic = acs * table["ac"] + (macs * table["mac"] if macs else 0.0)
    neuron = updates * table["neuron_update"]
    return {
        "device": name,
        "synaptic": synaptic,
        "neuron": neuron,
        "total": synaptic + neuron,
        "ann_device": ann_name,
        "ann": dense * ann_table["mac"],
    }


class EfficiencyMonitor(keras.callbacks.Callback):
    """Logs activation sparsity and synaptic operations at each epoch.

    At each epoch end, runs `profile(model, x)` and adds to the epoch's
    `logs`: `"activation_sparsity"`, `"effective_macs"` and
    `"effective_acs"` (per sample). They appear in the `History` that
    `fit` returns, and in the `TensorBoard` callback's epoch scalars if the
    monitor comes before `TensorBoard` in the callbacks list (callbacks see
    `logs` in list order). Each epoch pays one eager run of the model on
    `x`: keep `x` small.

    Args:
        x: one batch of model inputs, fixed for the whole training.
        batch_size: int or None. Passed to `profile`.

    Example:

    ```python
    monitor = keras_snn.efficiency.EfficiencyMonitor(x_val[:128])
    history = model.fit(x, y, epochs=5, callbacks=[monitor])
    history.history["effective_acs"]  # one value per epoch
    ```
    """

    def __init__(self, x, batch_size=None):
        super().__init__()
        self.x = x
        self.batch_size = _check_batch_size(batch_size)

    def set_model(self, model):
        super().set_model(model)
        # Unsupported layers fail when training starts, not after an epoch.
        _plan(model)
        _check_x(model, self.x)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        result = profile(self.model, self.x, self.batch_size)
        synops = result["synaptic_operations"]
        logs["activation_sparsity"] = result["activation_sparsity"]
        logs["effective_macs"] = synops["effective_macs"]
        logs["effective_acs"] = synops["effective_acs"]
