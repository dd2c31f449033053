"""Spike trains of a model's LIF layers, and a callback that logs their
firing rates during training."""

import keras
import numpy as np
from keras import ops

from keras_snn.layers.lif import LIF
from keras_snn.neurons import lif_step
from keras_snn.validation import check_names


def _lif_layers(model):
    """The `LIF` layers of a model that output spike trains over time.

    Args:
        model: a functional or Sequential `keras.Model`.

    Returns:
        A list of the model's top-level `LIF` layers with
        `return_sequences=True`, in model order.
    """
    return [
        layer
        for layer in model.layers
        if isinstance(layer, LIF) and layer.return_sequences
    ]


def _select_lif_layers(model, layers=None):
    """The LIF layers named by `layers`, checked against the model.

    Args:
        model: a functional or Sequential `keras.Model`.
        layers: None (every LIF layer), a layer name or a list of names.

    Returns:
        A list of `LIF` layers.
    """
    available = _lif_layers(model)
    if layers is None:
        if not available:
            raise ValueError(
                "The model has no LIF layer with return_sequences=True to "
                f"monitor. Received: model={model.name!r} with layers "
                f"{[layer.name for layer in model.layers]}"
            )
        return available
    names = check_names("layers", layers)
    if not names:
        raise ValueError(
            f"layers must name at least one LIF layer. Received: layers={[]}"
        )
    by_name = {layer.name: layer for layer in available}
    selected = []
    for name in names:
        if name not in by_name:
            raise ValueError(
                f"{name!r} is not an LIF layer of the model that returns "
                "spike trains (return_sequences=True). Available LIF "
                f"layers: {sorted(by_name)}. Received: layers={layers!r}"
            )
        selected.append(by_name[name])
    return selected


def _spike_output(layer):
    # With return_state=True the layer outputs [spikes, membrane].
    output = layer.output
    if isinstance(output, (list, tuple)):
        output = output[0]
    return output


def _check_graph_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model. Received: model={model!r}"
        )
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            "Reading spike trains needs a functional or Sequential model "
            "with known inputs (a Sequential model that starts with "
            "keras.Input). Received: a model without symbolic inputs, "
            f"model={model.name!r}"
        )
    # A single input stays a tensor, not a list of one, so that `x` is
    # taken as the model takes it; `model.input` keeps the structure (list
    # or dict) of several inputs, but a Sequential model has it only once
    # called.
    if len(inputs) == 1:
        return inputs[0]
    try:
        return model.input
    except (AttributeError, ValueError):
        return inputs


class _SpikeReader:
    """A functional model that maps the inputs to LIF spike trains."""

    def __init__(self, model, layers=None):
        inputs = _check_graph_model(model)
        self.layers = _select_lif_layers(model, layers)
        self.names = [layer.name for layer in self.layers]
        self.model = keras.Model(
            inputs, [_spike_output(layer) for layer in self.layers]
        )

    def __call__(self, x):
        outputs = self.model.predict_on_batch(x)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return {
            name: np.asarray(keras.ops.convert_to_numpy(output))
            for name, output in zip(self.names, outputs, strict=True)
        }


def spike_trains(model, x, layers=None):
    """The spike trains of a model's LIF layers on one batch of inputs.

    Builds a `keras.Model` from the model's inputs to the outputs of the
    chosen `LIF` layers and runs it on `x` (with `predict_on_batch`, so
    in inference mode).

    Args:
        model: a functional or Sequential `keras.Model`, e.g. from
            `keras_snn.build()`.
        x: one batch of model inputs, as `model.predict_on_batch` takes
            them.
        layers: None (the default: every top-level `LIF` layer with
            `return_sequences=True`), a layer name or a list of names.

    Returns:
        A dict `{layer name: spike train}`, NumPy arrays of shape
        `[batch, time, units]` holding 0.0 and 1.0, in model order (or in
        the order of `layers`).

    Example:

    ```python
    model = keras_snn.build(input_size=64, output_size=10)
    trains = keras_snn.monitoring.spike_trains(model, x[:32])
    trains["lif_0"].shape  # (32, 25, 256)
    ```
    """
    return _SpikeReader(model, layers)(x)


def _get_lif_layer(model, layer):
    available = [
        candidate.name
        for candidate in model.layers
        if isinstance(candidate, LIF)
    ]
    if layer not in available:
        raise ValueError(
            f"{layer!r} is not an LIF layer of the model. Available LIF "
            f"layers: {available}. Received: layer={layer!r}"
        )
    return model.get_layer(layer)


def membrane_potentials(model, x, layer):
    """The membrane potential of an LIF layer at every step, before reset.

    Reads the layer's input on `x` (with `predict_on_batch`), computes
    its input current `I = input @ kernel + bias` and runs the layer's
    neurons from a zero membrane, recording at each step `t`

    ```
    V_pre[t] = beta * V[t - 1] + I[t]      # the membrane before reset
    s[t] = spike(V_pre[t] - threshold)     # the layer's output spikes
    V[t] = reset(V_pre[t], s[t])           # the membrane after reset
    ```

    `V_pre` is the value compared with the threshold: a neuron fires at
    step `t` exactly where `V_pre[t] > threshold`. The computation is in
    float32, ignores masks, and needs a layer with `go_backwards=False`
    and `stateful=False`.

    Args:
        model: a functional or Sequential `keras.Model`.
        x: one batch of model inputs.
        layer: str. The name of a top-level `LIF` layer of the model.

    Returns:
        A tuple `(membrane, spikes)` of NumPy float32 arrays of shape
        `[batch, time, units]`: `V_pre` and `s`.
    """
    inputs = _check_graph_model(model)
    lif = _get_lif_layer(model, layer)
    if lif.go_backwards or lif.stateful or lif.recurrent:
        raise ValueError(
            "membrane_potentials supports LIF layers with "
            "go_backwards=False, stateful=False and recurrent=False. "
            f"Received: layer={layer!r} with "
            f"go_backwards={lif.go_backwards}, stateful={lif.stateful}, "
            f"recurrent={lif.recurrent}"
        )
    layer_input = keras.Model(inputs, lif.input).predict_on_batch(x)
    cell = lif.cell
    currents = cell.input_current(
        ops.cast(ops.convert_to_tensor(layer_input), "float32")
    )
    if len(currents.shape) == 2:
        # [batch, features] inputs, presented at every step.
        currents = ops.repeat(
            ops.expand_dims(currents, 1), lif.num_timesteps, axis=1
        )
    beta = ops.cast(cell.get_beta(), "float32")
    threshold = ops.cast(cell.get_threshold(), "float32")
    membrane = ops.zeros_like(currents[:, 0])
    pre_resets, spikes = [], []
    for step in range(currents.shape[1]):
        pre_reset, membrane, spike = lif_step(
            membrane,
            currents[:, step],
            beta,
            threshold,
            cell.reset,
            cell.surrogate,
            cell.detach_reset,
        )
        pre_resets.append(ops.convert_to_numpy(pre_reset))
        spikes.append(ops.convert_to_numpy(spike))
    return (
        np.stack(pre_resets, axis=1).astype(np.float32),
        np.stack(spikes, axis=1).astype(np.float32),
    )


def firing_statistics(spike_train):
    """Mean rate and fractions of silent and saturated neurons.

    The rate of a neuron is its mean over the batch and time. A neuron is
    silent if it never fires on the batch (rate 0), saturated if it fires
    at every step for every sample (rate 1).

    Args:
        spike_train: array of shape `[batch, time, units...]`.

    Returns:
        A dict with `"rate"` (the mean rate of the layer), `"silent"` and
        `"saturated"` (fractions of the neurons), as Python floats.
    """
    spike_train = np.asarray(spike_train)
    if spike_train.ndim < 3:
        raise ValueError(
            "spike_train must have shape [batch, time, units]. Received: "
            f"spike_train.shape={spike_train.shape}"
        )
    axes = (0, 1)
    return {
        "rate": float(np.mean(spike_train, dtype=np.float64)),
        "silent": float(np.mean(np.all(spike_train == 0, axis=axes))),
        "saturated": float(np.mean(np.all(spike_train == 1, axis=axes))),
    }


class FiringRateMonitor(keras.callbacks.Callback):
    """Logs the firing statistics of LIF layers at the end of each epoch.

    At each epoch end, runs the model on the batch `x` and adds, for each
    chosen `LIF` layer, three entries to the epoch's `logs`:

    - `"<layer>/rate"`: the layer's mean firing rate, in spikes per step
      (the mean of its spike train over the batch, time and neurons);
    - `"<layer>/silent"`: the fraction of its neurons that never fire on
      `x` (rate 0);
    - `"<layer>/saturated"`: the fraction that fire at every step for
      every sample of `x` (rate 1).

    They appear in the `History` that `fit` returns, and in the
    `TensorBoard` callback's epoch scalars if the monitor comes before
    `TensorBoard` in the callbacks list (callbacks see `logs` in list
    order).

    Args:
        x: one batch of model inputs, fixed for the whole training, e.g.
            the first 256 validation samples.
        layers: None (the default: every top-level `LIF` layer with
            `return_sequences=True`), a layer name or a list of names.

    Example:

    ```python
    monitor = keras_snn.monitoring.FiringRateMonitor(x_val[:256])
    history = model.fit(x, y, epochs=5, callbacks=[monitor])
    history.history["lif_0/silent"]  # one value per epoch
    ```
    """

    def __init__(self, x, layers=None):
        super().__init__()
        if layers is not None and not isinstance(layers, str):
            layers = check_names("layers", layers)
        self.x = x
        self.layers = layers
        self._reader = None

    def set_model(self, model):
        super().set_model(model)
        # Check the layer names when training starts, not after an epoch.
        self._reader = _SpikeReader(model, self.layers)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        for name, train in self._reader(self.x).items():
            for key, value in firing_statistics(train).items():
                logs[f"{name}/{key}"] = value
