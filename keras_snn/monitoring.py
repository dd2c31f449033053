"""Spike trains, membrane potentials and neuron states of a model's neuron
layers, and a callback that logs the firing rates of its spiking layers.

A spiking layer is a neuron layer whose output is spikes: `LIF`, `IF`,
`SynapticLIF` and `AdaptiveLIF`, recurrent or not (every `NeuronLayer`
whose neuron model, `layer.cell.dynamics`, is `spiking`); the leaky
integrator `LI` outputs its membrane and is not one. Membranes and states
come from the sequence runner itself (`NeuronLayer.record`, through
`keras_snn.sequence.record`): the forward step that training and
inference run, not a copy of it.
"""

import keras
import numpy as np

from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.validation import check_names


def _is_spiking(layer):
    return isinstance(layer, NeuronLayer) and layer.cell.dynamics.spiking


def _spiking_layers(model):
    """The spiking layers of a model that output spike trains over time.

    Args:
        model: a functional or Sequential `keras.Model`.

    Returns:
        A list of the model's top-level spiking layers with
        `return_sequences=True`, in model order.
    """
    return [
        layer
        for layer in model.layers
        if _is_spiking(layer) and layer.return_sequences
    ]


def _select_spiking_layers(model, layers=None):
    """The spiking layers named by `layers`, checked against the model.

    Args:
        model: a functional or Sequential `keras.Model`.
        layers: None (every spiking layer), a layer name or a list of
            names.

    Returns:
        A list of spiking layers.
    """
    available = _spiking_layers(model)
    if layers is None:
        if not available:
            raise ValueError(
                "The model has no spiking layer with return_sequences=True "
                f"to monitor. Received: model={model.name!r} with layers "
                f"{[layer.name for layer in model.layers]}"
            )
        return available
    names = check_names("layers", layers)
    if not names:
        raise ValueError(
            "layers must name at least one spiking layer. Received: "
            f"layers={[]}"
        )
    by_name = {layer.name: layer for layer in available}
    selected = []
    for name in names:
        if name not in by_name:
            raise ValueError(
                f"{name!r} is not a spiking layer of the model that returns "
                "spike trains (return_sequences=True). Available spiking "
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
    """A functional model that maps the inputs to spike trains."""

    def __init__(self, model, layers=None):
        inputs = _check_graph_model(model)
        self.layers = _select_spiking_layers(model, layers)
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
    """The spike trains of a model's spiking layers on one batch of inputs.

    Builds a `keras.Model` from the model's inputs to the outputs of the
    chosen spiking layers (`LIF`, `IF`, `SynapticLIF`, `AdaptiveLIF`,
    recurrent or not) and runs it on `x` (with `predict_on_batch`, so in
    inference mode). A layer with `go_backwards=True` gives its outputs
    in the order it processes them, last input step first, as Keras
    returns them.

    Args:
        model: a functional or Sequential `keras.Model`, e.g. from
            `keras_snn.build()`.
        x: one batch of model inputs, as `model.predict_on_batch` takes
            them.
        layers: None (the default: every top-level spiking layer with
            `return_sequences=True`), a layer name or a list of names.

    Returns:
        A dict `{layer name: spike train}`, NumPy arrays of shape
        `[batch, time, units]` (`[batch, time, ..., units]` for a layer
        with several feature axes) holding 0.0 and 1.0, in model order
        (or in the order of `layers`).

    Raises:
        ValueError: if `layers` names a layer that is not a spiking layer
            with `return_sequences=True`, or the model has none.

    Example:

    ```python
    model = keras_snn.build(input_size=64, output_size=10)
    trains = keras_snn.monitoring.spike_trains(model, x[:32])
    trains["lif_0"].shape  # (32, 25, 256)
    ```
    """
    return _SpikeReader(model, layers)(x)


def _get_neuron_layer(model, layer, spiking):
    kind = "spiking" if spiking else "neuron"
    available = [
        candidate.name
        for candidate in model.layers
        if isinstance(candidate, NeuronLayer)
        and (candidate.cell.dynamics.spiking or not spiking)
    ]
    if layer not in available:
        raise ValueError(
            f"{layer!r} is not a {kind} layer of the model. Available "
            f"{kind} layers: {available}. Received: layer={layer!r}"
        )
    return model.get_layer(layer)


def _record(model, x, layer, spiking):
    # The layer's input on x, then the runner's record of its neurons.
    inputs = _check_graph_model(model)
    neurons = _get_neuron_layer(model, layer, spiking)
    if neurons.stateful:
        raise ValueError(
            "Recording a layer runs it from zero states; it cannot follow "
            "the states a stateful layer carries from one call to the "
            f"next. Received: layer={layer!r} with stateful=True"
        )
    if isinstance(neurons.input, (list, tuple)):
        raise ValueError(
            "Recording a layer runs it from zero states; it does not take "
            "the initial_state the model passes it. Received: "
            f"layer={layer!r}, called with {len(neurons.input)} inputs"
        )
    layer_input = keras.Model(inputs, neurons.input).predict_on_batch(x)
    recorded = {
        name: np.asarray(keras.ops.convert_to_numpy(value), np.float32)
        for name, value in neurons.record(layer_input).items()
    }
    return recorded


def neuron_states(model, x, layer):
    """What the neurons of a layer compute at every step, on one batch.

    Reads the layer's input on `x` (with `predict_on_batch`) and runs the
    layer's neurons on it from zero states through the sequence runner
    (`NeuronLayer.record`), which returns what its forward step computes
    at every step: the same numbers as the layer's own call, computed in
    the layer's compute dtype. Masks are not applied. A layer with
    `go_backwards=True` gives every step in the order it processes them,
    last input step first, as its outputs come.

    Args:
        model: a functional or Sequential `keras.Model`.
        x: one batch of model inputs.
        layer: str. The name of a top-level neuron layer of the model
            (`LIF`, `IF`, `SynapticLIF`, `AdaptiveLIF` or `LI`, recurrent
            or not, with `stateful=False`).

    Returns:
        A dict of NumPy float32 arrays `[batch, time, ..., units]`.
            `"output"`: the layer's output at every step (spikes, or the
            membrane of `LI`), whatever its `return_sequences`. Each
            state of the neuron model after the step, under its name:
            `"membrane"` (after the reset) for every model, `"synaptic"`
            for `SynapticLIF`, `"adaptation"` for `AdaptiveLIF`. For
            spiking layers, `"pre_reset"`, the membrane before the reset,
            and `"threshold"`, the threshold it is compared with: a
            neuron fires at step `t` exactly where `pre_reset[t] >
            threshold[t]`. The threshold is the layer's, plus, for
            `AdaptiveLIF`, `adaptation_strength` times the adaptation
            before the step (`theta` in `AdaptiveLIFCell`).

    Raises:
        ValueError: if `layer` is not a neuron layer of the model, is
            stateful, or is called with an `initial_state`.

    Example:

    ```python
    states = keras_snn.monitoring.neuron_states(model, x[:8], "alif")
    states["adaptation"].shape  # (8, 100, 256)
    ```
    """
    return _record(model, x, layer, spiking=False)


def membrane_potentials(model, x, layer):
    """The membrane potential of a spiking layer at every step, before
    reset.

    Reads the layer's input on `x` (with `predict_on_batch`) and runs the
    layer's neurons on it from zero states through the sequence runner,
    as `neuron_states` does, recording at each step `t`

    ```
    V_pre[t] = beta * V[t - 1] + I[t]      # the membrane before reset
    s[t] = spike(V_pre[t] - theta[t])      # the layer's output spikes
    V[t] = reset(V_pre[t], s[t])           # the membrane after reset
    ```

    for `LIF` (`beta = 1` for `IF`); `SynapticLIF` puts its synaptic
    current `J[t]` in place of `I[t]`, and the threshold `theta[t]` of
    `AdaptiveLIF` rises with its adaptation (`neuron_states` returns it).
    A recurrent layer's `I[t]` includes the previous spikes times the
    recurrent kernel. `V_pre` is the value compared with the threshold: a
    neuron fires at step `t` exactly where `V_pre[t] > theta[t]`. Masks
    are not applied; a layer with `go_backwards=True` gives the steps in
    the order it processes them, last input step first.

    Args:
        model: a functional or Sequential `keras.Model`.
        x: one batch of model inputs.
        layer: str. The name of a top-level spiking layer of the model
            (`LIF`, `IF`, `SynapticLIF` or `AdaptiveLIF`, recurrent or
            not, with `stateful=False`).

    Returns:
        A tuple `(membrane, spikes)` of NumPy float32 arrays of shape
        `[batch, time, ..., units]`: `V_pre` and `s`.

    Raises:
        ValueError: if `layer` is not a spiking layer of the model, is
            stateful, or is called with an `initial_state`.
    """
    recorded = _record(model, x, layer, spiking=True)
    return recorded["pre_reset"], recorded["output"]


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
    """Logs the firing statistics of spiking layers at each epoch's end.

    At each epoch end, runs the model on the batch `x` and adds, for each
    chosen spiking layer (`LIF`, `IF`, `SynapticLIF`, `AdaptiveLIF`,
    recurrent or not), three entries to the epoch's `logs`:

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
        layers: None (the default: every top-level spiking layer with
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
