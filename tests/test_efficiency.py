import keras
import numpy as np
import pytest
import snntorch
import torch
from neurobench.metrics.static import ConnectionSparsity
from neurobench.metrics.static import Footprint
from neurobench.metrics.workload import ActivationSparsity
from neurobench.metrics.workload import MembraneUpdates
from neurobench.metrics.workload import SynapticOperations
from neurobench.models import SNNTorchModel

import keras_snn
from keras_snn import efficiency
from keras_snn.monitoring import spike_trains

BETA = 0.8
STEPS = 6
BATCH = 5
# snnTorch's Leaky holds five buffers that keras_snn's LIF has no weight
# for: threshold, beta, graded_spikes_factor (float32, 4 bytes each),
# reset_mechanism_val (int64, 8 bytes) and mem (empty before a run).
LEAKY_BUFFER_BYTES = 4 + 4 + 4 + 8


class TorchNet(torch.nn.Module):
    """Synaptic modules and snnTorch neurons in a chain, one step per
    call, as NeuroBench's SNNTorchModel runs them."""

    def __init__(self, modules):
        super().__init__()
        self.chain = torch.nn.ModuleList(modules)

    def forward(self, x):
        for module in self.chain:
            if isinstance(module, snntorch.SpikingNeuron):
                x, _ = module(x)
            else:
                x = module(x)
        return x, None

    def reset(self):
        for module in self.chain:
            if isinstance(module, snntorch.SpikingNeuron):
                module.reset_mem()


def leaky():
    # keras_snn's zero reset, applied within the step (reset_delay=False),
    # so that snnTorch's `mem` is keras_snn's membrane after reset.
    return snntorch.Leaky(beta=BETA, reset_mechanism="zero", reset_delay=False)


def pruned(rng, shape, scale):
    weights = rng.normal(0.0, scale, size=shape).astype(np.float32)
    weights[rng.uniform(size=shape) < 0.3] = 0.0
    return weights


def lif(units=None, **kwargs):
    return keras_snn.LIF(units, beta=BETA, reset="zero", **kwargs)


def dense_pair(form):
    """The same 7 -> 9 -> 4 network in snnTorch and keras_snn."""
    rng = np.random.default_rng(1)
    w1, b1 = pruned(rng, (9, 7), 0.6), rng.normal(0.2, 0.1, 9)
    w2, b2 = pruned(rng, (4, 9), 0.6), rng.normal(0.2, 0.1, 4)
    fc1, fc2 = torch.nn.Linear(7, 9), torch.nn.Linear(9, 4)
    for fc, w, b in ((fc1, w1, b1), (fc2, w2, b2)):
        fc.weight.data = torch.tensor(w)
        fc.bias.data = torch.tensor(b, dtype=torch.float32)
    net = TorchNet([fc1, leaky(), fc2, leaky()])
    if form == "static":
        layers = [keras.Input((7,)), lif(9, num_timesteps=STEPS), lif(4)]
    elif form == "neuron_kernels":
        layers = [keras.Input((STEPS, 7)), lif(9), lif(4)]
    else:
        layers = [
            keras.Input((STEPS, 7)),
            keras.layers.Dense(9),
            lif(),
            keras.layers.Dense(4),
            lif(),
        ]
    model = keras.Sequential(layers)
    kernels = [layer for layer in model.layers if layer.weights]
    for layer, w, b in zip(kernels, (w1, w2), (b1, b2), strict=True):
        layer.set_weights([w.T, b.astype(np.float32)])
    return net, model


def conv_pair():
    """Conv2d(1 -> 2, 3x3, padding 1) + Leaky + Linear + Leaky, on 5x4
    images."""
    rng = np.random.default_rng(2)
    height, width, channels = 5, 4, 2
    conv = torch.nn.Conv2d(1, channels, 3, padding=1)
    fc = torch.nn.Linear(channels * height * width, 3)
    wc, wf = pruned(rng, (channels, 1, 3, 3), 0.8), pruned(rng, (3, 40), 0.4)
    bc, bf = rng.normal(0.1, 0.1, channels), rng.normal(0.1, 0.1, 3)
    conv.weight.data, fc.weight.data = torch.tensor(wc), torch.tensor(wf)
    conv.bias.data = torch.tensor(bc, dtype=torch.float32)
    fc.bias.data = torch.tensor(bf, dtype=torch.float32)
    net = TorchNet([conv, leaky(), torch.nn.Flatten(), fc, leaky()])
    model = keras.Sequential(
        [
            keras.Input((STEPS, height, width, 1)),
            keras.layers.TimeDistributed(
                keras.layers.Conv2D(channels, 3, padding="same")
            ),
            lif(),
            keras.layers.TimeDistributed(keras.layers.Flatten()),
            lif(3),
        ]
    )
    model.layers[0].set_weights(
        [wc.transpose(2, 3, 1, 0), bc.astype(np.float32)]
    )
    # Keras flattens [H, W, C], PyTorch [C, H, W].
    wf_keras = wf.reshape(3, channels, height, width).transpose(0, 2, 3, 1)
    model.layers[-1].set_weights(
        [wf_keras.reshape(3, -1).T, bf.astype(np.float32)]
    )
    return net, model


def neurobench_figures(net, torch_input):
    model = SNNTorchModel(net)
    # Static metrics first, as NeuroBench's Benchmark runs them: mem is
    # still empty.
    static = {
        "connection_sparsity": ConnectionSparsity()(model),
        "footprint": Footprint()(model),
    }
    model.register_hooks()
    data = (torch.tensor(torch_input), torch.zeros(len(torch_input)))
    with torch.no_grad():
        predictions = model(data[0])
    synops = SynapticOperations()(model, predictions, data)
    figures = {
        **static,
        "synaptic_operations": {
            "effective_macs": synops["Effective_MACs"],
            "effective_acs": synops["Effective_ACs"],
            "dense": synops["Dense"],
        },
        "activation_sparsity": ActivationSparsity()(model, predictions, data),
        "membrane_updates": MembraneUpdates()(model, predictions, data),
    }
    model.cleanup_hooks()
    return figures


def inputs(kind, shape):
    rng = np.random.default_rng(3)
    if kind == "spikes":
        return (rng.uniform(size=shape) < 0.4).astype(np.float32)
    return rng.uniform(0.0, 2.0, size=shape).astype(np.float32)


def assert_equal_to_neurobench(net, model, keras_input, torch_input):
    ours = efficiency.profile(model, keras_input)
    theirs = neurobench_figures(net, torch_input)
    assert ours["synaptic_operations"] == theirs["synaptic_operations"]
    assert ours["synaptic_operations"]["dense"] > 0
    assert ours["activation_sparsity"] == theirs["activation_sparsity"]
    assert 0 < ours["activation_sparsity"] < 1
    assert ours["membrane_updates"] == theirs["membrane_updates"]
    # NeuroBench rounds connection sparsity to 4 decimals.
    assert (
        round(ours["connection_sparsity"], 4) == (theirs["connection_sparsity"])
    )
    assert ours["connection_sparsity"] > 0.1
    buffers = LEAKY_BUFFER_BYTES * 2
    assert ours["footprint"] + buffers == theirs["footprint"]
    return ours


@pytest.mark.parametrize(
    "form, kind",
    [
        ("neuron_kernels", "spikes"),
        ("neuron_kernels", "analog"),
        ("dense_layers", "analog"),
    ],
)
def test_dense_network_equals_neurobench(form, kind):
    net, model = dense_pair(form)
    x = inputs(kind, (BATCH, STEPS, 7))
    ours = assert_equal_to_neurobench(net, model, x, x)
    synops = ours["synaptic_operations"]
    # The first layer's input decides: spikes are ACs, analog values MACs.
    assert (synops["effective_macs"] > 0) == (kind == "analog")
    assert synops["dense"] == STEPS * (7 * 9 + 9 * 4)


def test_static_input_counts_at_every_step_as_neurobench():
    # build()'s first layer projects a static input once per sequence;
    # NeuroBench's network gets the input repeated at every step.
    net, model = dense_pair("static")
    x = inputs("analog", (BATCH, 7))
    repeated = np.repeat(x[:, None], STEPS, axis=1)
    ours = assert_equal_to_neurobench(net, model, x, repeated)
    first = ours["layers"][model.layers[0].name]["synaptic_operations"]
    assert first["dense"] == STEPS * 7 * 9
    kernel = keras.ops.convert_to_numpy(model.layers[0].cell.kernel.value)
    assert first["effective_macs"] == STEPS * np.count_nonzero(kernel)
    # The same network with the input repeated by a layer counts the same.
    encoded = keras.Sequential(
        [keras.Input((7,)), keras_snn.RepeatEncoding(STEPS), lif(9), lif(4)]
    )
    encoded.set_weights(model.get_weights())
    repeated = efficiency.profile(encoded, x)
    for key in ("synaptic_operations", "activation_sparsity", "footprint"):
        assert repeated[key] == ours[key]


@pytest.mark.parametrize("kind", ["spikes", "analog"])
def test_conv_network_equals_neurobench(kind):
    net, model = conv_pair()
    x = inputs(kind, (BATCH, STEPS, 5, 4, 1))
    ours = assert_equal_to_neurobench(net, model, x, x.transpose(0, 1, 4, 2, 3))
    # Zero padding: a 3x3 kernel on a 5x4 image has 20 * 9 taps, of which
    # (5 * 4 - 3 * 2) * 9 + ... fall inside; counted exactly, per channel.
    inside = sum(
        sum(0 <= i + di < 5 and 0 <= j + dj < 4 for di in (-1, 0, 1))
        for i in range(5)
        for j in range(4)
        for dj in (-1, 0, 1)
    )
    conv = ours["layers"][model.layers[0].name]["synaptic_operations"]
    assert conv["dense"] == STEPS * 2 * inside


def test_recurrent_kernel_counts_previous_spikes():
    units = 5
    model = keras.Sequential(
        [keras.Input((STEPS, 3)), lif(units, recurrent=True, name="rec")]
    )
    rng = np.random.default_rng(4)
    cell = model.layers[0].cell
    kernel, recurrent = pruned(rng, (3, units), 1.0), pruned(rng, (5, 5), 1.0)
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent)
    x = inputs("spikes", (BATCH, STEPS, 3))
    spikes = spike_trains(model, x)["rec"]
    previous = np.concatenate([np.zeros_like(spikes[:, :1]), spikes[:, :-1]], 1)
    expected = 0.0
    for b in range(BATCH):
        for t in range(STEPS):
            for i in range(units):
                if previous[b, t, i]:
                    expected += np.count_nonzero(recurrent[i])
            for i in range(3):
                if x[b, t, i]:
                    expected += np.count_nonzero(kernel[i])
    result = efficiency.profile(model, x)
    synops = result["synaptic_operations"]
    assert spikes.sum() > 0
    assert synops["effective_acs"] == pytest.approx(expected / BATCH)
    assert synops["effective_macs"] == 0
    assert synops["dense"] == STEPS * (3 * units + units * units)
    assert result["activation_sparsity"] == pytest.approx(1 - spikes.mean())
    zeros = np.sum(kernel == 0) + np.sum(recurrent == 0)
    assert result["connection_sparsity"] == pytest.approx(zeros / 40)


def test_build_model_layers_and_batch_size():
    model = keras_snn.build(
        input_size=6,
        hidden_sizes=[8],
        output_size=3,
        num_timesteps=4,
        readout="membrane",
    )
    x = inputs("analog", (7, 6)) / 2
    whole = efficiency.profile(model, x)
    chunked = efficiency.profile(model, x, batch_size=3)
    assert chunked["synaptic_operations"] == pytest.approx(
        whole["synaptic_operations"]
    )
    assert chunked["membrane_updates"] == pytest.approx(
        whole["membrane_updates"]
    )
    layers = whole["layers"]
    assert list(layers) == ["lif_0", "li_output", "logits"]
    assert layers["lif_0"]["synaptic_operations"]["dense"] == 4 * 6 * 8
    # The LI readout: its kernel counts, its membrane updates count, but
    # its analog outputs are no spikes.
    assert layers["li_output"]["activation_sparsity"] is None
    assert layers["li_output"]["synaptic_operations"]["dense"] == 4 * 8 * 3
    assert layers["li_output"]["membrane_updates"] > 0
    assert (
        whole["activation_sparsity"] == layers["lif_0"]["activation_sparsity"]
    )
    assert layers["logits"]["footprint"] == 0
    assert whole["footprint"] == 4 * (6 * 8 + 8 + 8 * 3 + 3)
    assert whole["num_samples"] == 7
    # One layer's energy, from its own figures.
    joules = efficiency.energy(layers["lif_0"])
    first = layers["lif_0"]
    assert joules["synaptic"] == pytest.approx(
        first["synaptic_operations"]["effective_macs"] * 4.6e-12
    )
    assert joules["neuron"] == pytest.approx(
        first["membrane_updates"] * 4.6e-12
    )


def test_energy_from_the_device_table():
    result = {
        "synaptic_operations": {
            "effective_macs": 10.0,
            "effective_acs": 100.0,
            "dense": 1000.0,
        },
        "membrane_updates": 50.0,
    }
    joules = efficiency.energy(result)
    assert joules["synaptic"] == pytest.approx(10 * 4.6e-12 + 100 * 0.9e-12)
    assert joules["neuron"] == pytest.approx(50 * 4.6e-12)
    assert joules["total"] == pytest.approx(
        joules["synaptic"] + joules["neuron"]
    )
    assert joules["ann"] == pytest.approx(1000 * 4.6e-12)
    spiking = {
        **result,
        "synaptic_operations": {
            "effective_macs": 0.0,
            "effective_acs": 100.0,
            "dense": 1000.0,
        },
    }
    loihi = efficiency.energy(spiking, device="loihi")
    assert loihi["total"] == pytest.approx(100 * 23.6e-12 + 50 * 81e-12)
    with pytest.raises(ValueError, match="effective_macs=10.0"):
        efficiency.energy(result, device="loihi")
    custom = {"mac": 2e-12, "ac": 1e-12, "neuron_update": 0.0}
    assert efficiency.energy(result, device=custom)["total"] == (
        pytest.approx(10 * 2e-12 + 100 * 1e-12)
    )
    efficiency.register_device(
        "test_chip", mac=None, ac=3e-12, neuron_update=1e-12
    )
    assert "test_chip" in efficiency.devices()
    chip = efficiency.energy(spiking, device="test_chip", ann_device=custom)
    assert chip["total"] == pytest.approx(300e-12 + 50e-12)
    assert chip["ann"] == pytest.approx(1000 * 2e-12)


def test_energy_bad_devices():
    result = {
        "synaptic_operations": {
            "effective_macs": 0.0,
            "effective_acs": 1.0,
            "dense": 1.0,
        },
        "membrane_updates": 1.0,
    }
    with pytest.raises(ValueError, match="device='tpu'"):
        efficiency.energy(result, device="tpu")
    with pytest.raises(ValueError, match="ac=-1"):
        efficiency.energy(
            result, device={"mac": 1.0, "ac": -1, "neuron_update": 0.0}
        )
    with pytest.raises(ValueError, match="keys"):
        efficiency.energy(result, device={"mac": 1.0})
    with pytest.raises(ValueError, match="ann_device='loihi'"):
        efficiency.energy(result, ann_device="loihi")
    with pytest.raises(ValueError, match="profile must be"):
        efficiency.energy({"footprint": 3})


def small_model():
    return keras.Sequential([keras.Input((STEPS, 7)), lif(9), lif(4)])


def test_bad_inputs_name_the_value():
    model = small_model()
    with pytest.raises(ValueError, match=r"shape \(5, 6, 8\)"):
        efficiency.profile(model, np.zeros((5, 6, 8), np.float32))
    with pytest.raises(ValueError, match=r"shape \(0, 6, 7\)"):
        efficiency.profile(model, np.zeros((0, STEPS, 7), np.float32))
    with pytest.raises(ValueError, match="batch_size=0"):
        efficiency.profile(model, np.zeros((2, STEPS, 7)), batch_size=0)
    with pytest.raises(TypeError, match="model must be a keras.Model"):
        efficiency.profile("model", np.zeros((2, STEPS, 7)))


def test_models_it_cannot_count():
    dense_only = keras.Sequential(
        [keras.Input((STEPS, 7)), keras.layers.Dense(3)], name="ann"
    )
    with pytest.raises(ValueError, match="'ann' with layers"):
        efficiency.profile(dense_only, np.zeros((2, STEPS, 7)))
    lstm = keras.Sequential(
        [
            keras.Input((STEPS, 7)),
            keras.layers.LSTM(4, return_sequences=True, name="memory"),
            lif(),
        ]
    )
    with pytest.raises(ValueError, match="'memory' \\(LSTM\\)"):
        efficiency.profile(lstm, np.zeros((2, STEPS, 7)))
    depthwise = keras.Sequential(
        [
            keras.Input((STEPS, 4, 4, 2)),
            keras.layers.TimeDistributed(
                keras.layers.DepthwiseConv2D(3), name="wrapped"
            ),
            lif(),
        ]
    )
    with pytest.raises(ValueError, match="'wrapped'.*DepthwiseConv2D"):
        efficiency.profile(depthwise, np.zeros((2, STEPS, 4, 4, 2)))
    relu = keras.Sequential(
        [
            keras.Input((STEPS, 7)),
            keras.layers.Dense(3, activation="relu"),
            lif(),
        ]
    )
    with pytest.raises(ValueError, match="activation='relu'"):
        efficiency.profile(relu, np.zeros((2, STEPS, 7)))


def test_monitor_logs_every_epoch():
    model = small_model()
    model.add(keras_snn.RateDecoding())
    model.compile(optimizer="adam", loss="mse")
    x = inputs("analog", (8, STEPS, 7))
    y = np.full((8, 4), 0.5, np.float32)
    monitor = efficiency.EfficiencyMonitor(x[:4])
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    for key in ("activation_sparsity", "effective_macs", "effective_acs"):
        assert len(history.history[key]) == 2
    last = efficiency.profile(model, x[:4])
    assert (
        history.history["effective_acs"][-1]
        == (last["synaptic_operations"]["effective_acs"])
    )
    assert (
        history.history["activation_sparsity"][-1]
        == (last["activation_sparsity"])
    )


def test_pooling_and_time_distributed_dense():
    inputs = keras.Input((STEPS, 6, 6, 1))
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(2, 3), name="conv")(
        inputs
    )
    x = lif(name="conv_lif")(x)
    x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(), name="pool")(
        x
    )
    x = keras.layers.TimeDistributed(keras.layers.Flatten(), name="flat")(x)
    x = keras.layers.TimeDistributed(keras.layers.Dense(3), name="dense")(x)
    model = keras.Model(inputs, lif(name="out")(x))
    kernel = pruned(np.random.default_rng(5), (8, 3), 1.0)
    model.get_layer("dense").layer.kernel.assign(kernel)
    x = inputs_of(model)
    spikes = spike_trains(model, x, "conv_lif")["conv_lif"]
    # 4x4x2 spikes, max-pooled 2x2 by NumPy, flattened as Keras does.
    pooled = spikes.reshape(BATCH, STEPS, 2, 2, 2, 2, 2).max(axis=(3, 5))
    flat = pooled.reshape(BATCH, STEPS, 8)
    expected = (flat != 0).sum(axis=(0, 1)) @ (kernel != 0).sum(axis=1)
    result = efficiency.profile(model, x)
    layers = result["layers"]
    assert list(layers) == ["conv", "conv_lif", "pool", "flat", "dense", "out"]
    assert flat.sum() > 0
    assert layers["dense"]["synaptic_operations"] == {
        "effective_macs": 0.0,
        "effective_acs": expected / BATCH,
        "dense": STEPS * 8 * 3,
    }
    assert layers["pool"]["synaptic_operations"]["dense"] == 0
    # A valid 3x3 convolution of a 6x6 image: 16 outputs of 9 taps each.
    conv = layers["conv"]["synaptic_operations"]
    assert conv["dense"] == STEPS * 16 * 9 * 2
    assert conv["effective_macs"] > 0
    assert layers["conv"]["connection_sparsity"] == 0


def inputs_of(model):
    return inputs("analog", (BATCH, *model.inputs[0].shape[1:]))
