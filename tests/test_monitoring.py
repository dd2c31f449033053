import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.monitoring import FiringRateMonitor
from keras_snn.monitoring import firing_statistics
from keras_snn.monitoring import membrane_potentials
from keras_snn.monitoring import neuron_states
from keras_snn.monitoring import spike_trains
from tests import reference
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 1.0, size=(3, 12, 4)).astype(np.float32)
KERNEL_0 = RNG.normal(0.3, 0.6, size=(4, 6)).astype(np.float32)
KERNEL_1 = RNG.normal(0.3, 0.6, size=(6, 5)).astype(np.float32)
BETA = float(np.exp(-0.5))

# With beta = 1, threshold 1 and a constant input of 1, neuron 0 never fires
# (current 0), neuron 1 fires at steps 1 and 3 (current 0.6:
# V = 0.6, 1.2, 0.8, 1.4) and neuron 2 at every step (current 2).
ONES = np.ones((2, 4, 1), np.float32)
KNOWN_KERNEL = np.array([[0.0, 0.6, 2.0]], np.float32)


def two_layer_model(**kwargs):
    model = keras.Sequential(
        [
            keras.Input((12, 4)),
            keras_snn.LIF(6, use_bias=False, name="hidden", **kwargs),
            keras_snn.LIF(5, use_bias=False, name="out"),
            keras_snn.RateDecoding(name="rates"),
        ]
    )
    model.get_layer("hidden").cell.kernel.assign(KERNEL_0)
    model.get_layer("out").cell.kernel.assign(KERNEL_1)
    return model


def known_rates_model():
    lif = keras_snn.LIF(3, beta=1.0, use_bias=False, name="known")
    model = keras.Sequential(
        [keras.Input((4, 1)), lif, keras_snn.RateDecoding(name="rates")]
    )
    lif.cell.kernel.assign(KNOWN_KERNEL)
    return model


def test_spike_trains_match_reference():
    trains = spike_trains(two_layer_model(), X)
    assert list(trains) == ["hidden", "out"]
    hidden = reference.lif_layer(X, KERNEL_0, None, BETA, 1.0)
    out = reference.lif_layer(hidden, KERNEL_1, None, BETA, 1.0)
    assert trains["hidden"].shape == (3, 12, 6)
    np.testing.assert_array_equal(trains["hidden"], hidden)
    np.testing.assert_array_equal(trains["out"], out)
    assert 0.05 < hidden.mean() < 0.95 and 0.05 < out.mean() < 0.95


def test_spike_trains_of_chosen_layers():
    model = two_layer_model()
    assert list(spike_trains(model, X, layers="out")) == ["out"]
    trains = spike_trains(model, X, layers=["out", "hidden"])
    assert list(trains) == ["out", "hidden"]


def test_spike_trains_of_build_model():
    x = RNG.uniform(size=(5, 8)).astype(np.float32)
    model = keras_snn.build(
        input_size=8, hidden_sizes=[7, 6], output_size=3, num_timesteps=9
    )
    trains = spike_trains(model, x)
    assert list(trains) == ["lif_0", "lif_1", "lif_output"]
    assert [t.shape for t in trains.values()] == [
        (5, 9, 7),
        (5, 9, 6),
        (5, 9, 3),
    ]
    np.testing.assert_allclose(
        trains["lif_output"].mean(axis=1), to_numpy(model(x)), rtol=1e-6
    )
    weights = [
        (
            to_numpy(model.get_layer(name).cell.kernel),
            to_numpy(model.get_layer(name).cell.bias),
        )
        for name in ("lif_0", "lif_1")
    ]
    seq = np.repeat(x[:, None], 9, axis=1)
    for (kernel, bias), name in zip(weights, ("lif_0", "lif_1"), strict=True):
        seq = reference.lif_layer(seq, kernel, bias, BETA, 1.0)
        np.testing.assert_array_equal(trains[name], seq)


def test_spike_trains_of_a_layer_that_returns_its_state():
    inputs = keras.Input((4, 1))
    spikes, membrane = keras_snn.LIF(
        3, beta=1.0, use_bias=False, return_state=True, name="stateful_out"
    )(inputs)
    functional = keras.Model(inputs, [spikes, membrane])
    functional.get_layer("stateful_out").cell.kernel.assign(KNOWN_KERNEL)
    trains = spike_trains(functional, ONES)
    expected = np.zeros((2, 4, 3), np.float32)
    expected[:, 1::2, 1] = 1.0
    expected[:, :, 2] = 1.0
    np.testing.assert_array_equal(trains["stateful_out"], expected)


def test_unknown_layer_is_named():
    with pytest.raises(ValueError, match=r"'lif_9'.*\['hidden', 'out'\]"):
        spike_trains(two_layer_model(), X, layers=["hidden", "lif_9"])


def test_non_spiking_layer_is_rejected():
    with pytest.raises(ValueError, match=r"'rates'.*\['hidden', 'out'\]"):
        spike_trains(two_layer_model(), X, layers="rates")


def test_model_without_spiking_layers():
    model = keras.Sequential(
        [keras.Input((3,)), keras_snn.LI(2, num_timesteps=2)]
    )
    with pytest.raises(ValueError, match="no spiking layer"):
        spike_trains(model, np.ones((1, 3), np.float32))


def test_subclassed_model_is_rejected():
    class Net(keras.Model):
        def __init__(self):
            super().__init__()
            self.lif = keras_snn.LIF(3)

        def call(self, x):
            return self.lif(x)

    model = Net()
    model(X)
    with pytest.raises(ValueError, match="functional or Sequential"):
        spike_trains(model, X)


def test_firing_statistics():
    train = np.zeros((2, 4, 5), np.float32)
    train[:, :, 1] = 1.0  # saturated
    train[0, 0, 2] = 1.0  # fires once on the batch
    train[:, :, 3] = 1.0
    train[1, 2, 3] = 0.0  # misses one step: not saturated
    stats = firing_statistics(train)
    assert stats == {
        "rate": pytest.approx((8 + 1 + 7) / 40),
        "silent": pytest.approx(2 / 5),
        "saturated": pytest.approx(1 / 5),
    }
    with pytest.raises(ValueError, match=r"spike_train.shape=\(2, 4\)"):
        firing_statistics(np.zeros((2, 4)))


def test_monitor_logs_known_rates():
    model = known_rates_model()
    # A zero learning rate keeps the weights, and so the statistics, fixed.
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    monitor = FiringRateMonitor(ONES)
    history = model.fit(
        ONES, np.zeros((2, 3)), epochs=3, verbose=0, callbacks=[monitor]
    )
    assert history.history["known/rate"] == [0.5, 0.5, 0.5]
    assert history.history["known/silent"] == pytest.approx([1 / 3] * 3)
    assert history.history["known/saturated"] == pytest.approx([1 / 3] * 3)


def test_monitor_follows_training():
    model = two_layer_model()
    model.compile(optimizer=keras.optimizers.SGD(0.02), loss="mse")
    monitor = FiringRateMonitor(X, layers=["out"])
    history = model.fit(
        X, np.zeros((3, 5)), epochs=4, verbose=0, callbacks=[monitor]
    )
    keys = {key for key in history.history if "/" in key}
    assert keys == {"out/rate", "out/silent", "out/saturated"}
    # Each epoch's values are those of the weights at the end of the epoch.
    stats = firing_statistics(spike_trains(model, X, layers="out")["out"])
    assert history.history["out/rate"][-1] == pytest.approx(stats["rate"])
    assert history.history["out/silent"][-1] == pytest.approx(stats["silent"])
    # Training towards zero rates lowers them at every epoch.
    rates = history.history["out/rate"]
    assert rates[0] > 0.1 and np.all(np.diff(rates) < 0)


def test_monitor_values_reach_later_callbacks():
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(logs["known/saturated"])

    model = known_rates_model()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.fit(
        ONES,
        np.zeros((2, 3)),
        epochs=2,
        verbose=0,
        callbacks=[FiringRateMonitor(ONES), Record()],
    )
    assert seen == pytest.approx([1 / 3, 1 / 3])


def test_monitor_checks_layers_when_training_starts():
    model = known_rates_model()
    model.compile(optimizer="sgd", loss="mse")
    monitor = FiringRateMonitor(ONES, layers="lif_7")
    with pytest.raises(ValueError, match=r"'lif_7'.*\['known'\]"):
        model.fit(ONES, np.zeros((2, 3)), verbose=0, callbacks=[monitor])


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_membrane_potentials_match_reference(reset):
    model = two_layer_model(reset=reset, threshold=0.8)
    membrane, spikes = membrane_potentials(model, X, "hidden")
    expected_spikes, after_reset = reference.lif_currents(
        X @ KERNEL_0, BETA, 0.8, reset
    )
    # The membrane before reset: beta * (membrane after the last reset)
    # plus the input current.
    previous = np.concatenate(
        [np.zeros_like(after_reset[:, :1]), after_reset[:, :-1]], axis=1
    )
    expected = BETA * previous + X @ KERNEL_0
    np.testing.assert_allclose(membrane, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(spikes, expected_spikes)
    np.testing.assert_array_equal(
        spikes, spike_trains(model, X, layers="hidden")["hidden"]
    )


def test_membrane_potentials_known_values():
    membrane, spikes = membrane_potentials(known_rates_model(), ONES, "known")
    # Neuron 2 gains 2 per step and loses 1 per spike: 2, 3, 4, 5.
    np.testing.assert_allclose(
        membrane[0],
        [[0.0, 0.6, 2.0], [0.0, 1.2, 3.0], [0.0, 0.8, 4.0], [0.0, 1.4, 5.0]],
        rtol=1e-6,
    )
    np.testing.assert_array_equal(
        spikes[1], [[0, 0, 1], [0, 1, 1], [0, 0, 1], [0, 1, 1]]
    )


def test_membrane_potentials_of_static_input_layer():
    x = RNG.uniform(size=(2, 8)).astype(np.float32)
    model = keras_snn.build(
        input_size=8, hidden_sizes=[7], output_size=3, num_timesteps=6
    )
    membrane, spikes = membrane_potentials(model, x, "lif_0")
    assert membrane.shape == (2, 6, 7)
    layer = model.get_layer("lif_0")
    current = x @ to_numpy(layer.cell.kernel) + to_numpy(layer.cell.bias)
    np.testing.assert_allclose(membrane[:, 0], current, rtol=1e-5)
    np.testing.assert_array_equal(
        spikes, spike_trains(model, x, layers="lif_0")["lif_0"]
    )


def test_membrane_potentials_errors():
    with pytest.raises(ValueError, match=r"'nope'.*\['hidden', 'out'\]"):
        membrane_potentials(two_layer_model(), X, "nope")
    with pytest.raises(ValueError, match=r"'rates'.*\['hidden', 'out'\]"):
        membrane_potentials(two_layer_model(), X, "rates")
    inputs = keras.Input((12, 4), batch_size=3)
    stateful = keras_snn.LIF(3, stateful=True, name="stateful")
    model = keras.Model(inputs, stateful(inputs))
    with pytest.raises(ValueError, match="layer='stateful' with stateful"):
        membrane_potentials(model, X, "stateful")
    initial = keras.Input((3,))
    started = keras_snn.LIF(3, name="started")
    model = keras.Model(
        [inputs, initial], started(inputs, initial_state=[initial])
    )
    with pytest.raises(ValueError, match="initial_state"):
        membrane_potentials(model, [X, np.zeros((3, 3))], "started")


def test_membrane_potentials_of_go_backwards_layer():
    model = two_layer_model(go_backwards=True)
    membrane, spikes = membrane_potentials(model, X, "hidden")
    # The steps in the order the layer processes them: last input first.
    currents = X[:, ::-1] @ KERNEL_0
    expected_spikes, after_reset = reference.lif_currents(currents, BETA, 1.0)
    np.testing.assert_array_equal(spikes, expected_spikes)
    np.testing.assert_allclose(
        membrane, after_reset + expected_spikes, rtol=1e-5, atol=1e-6
    )
    np.testing.assert_array_equal(
        spikes, spike_trains(model, X, layers="hidden")["hidden"]
    )


# A model with every kind of spiking layer, one of them recurrent, and an LI
# readout, which is not a spiking layer.
MIXED_RNG = np.random.default_rng(1)
MIXED_KERNELS = {
    "synaptic": MIXED_RNG.normal(0.3, 0.6, size=(4, 6)),
    "adaptive": MIXED_RNG.normal(0.3, 0.6, size=(6, 5)),
    "lif": MIXED_RNG.normal(0.3, 0.6, size=(5, 4)),
    "readout": MIXED_RNG.normal(0.0, 0.5, size=(4, 3)),
}
ADAPTIVE_RECURRENT = MIXED_RNG.normal(0.0, 0.4, size=(5, 5))
# Layer options and the reference's parameters they stand for.
MIXED_OPTIONS = {
    "synaptic": (
        {"tau": 4.0, "tau_syn": 2.0, "threshold": 1.5},
        {"beta": np.exp(-1 / 4), "alpha": np.exp(-1 / 2), "threshold": 1.5},
    ),
    "adaptive": (
        {"tau": 3.0, "rho": 0.8, "adaptation_strength": 0.5},
        {"beta": np.exp(-1 / 3), "rho": 0.8, "adaptation_strength": 0.5},
    ),
    "lif": ({}, {"beta": BETA}),
    "readout": ({"tau": 3.0}, {"beta": np.exp(-1 / 3)}),
}
MIXED_LAYERS = {
    "synaptic": keras_snn.SynapticLIF,
    "adaptive": keras_snn.AdaptiveLIF,
    "lif": keras_snn.LIF,
    "readout": keras_snn.LI,
}
REFERENCE_MODELS = {
    "synaptic": "synaptic",
    "adaptive": "adaptive",
    "lif": "lif",
    "readout": "li",
}


@pytest.fixture(scope="module")
def mixed_model():
    layers = [
        MIXED_LAYERS[name](
            MIXED_KERNELS[name].shape[1],
            use_bias=False,
            recurrent=name == "adaptive",
            name=name,
            **MIXED_OPTIONS[name][0],
        )
        for name in MIXED_LAYERS
    ]
    model = keras.Sequential([keras.Input((12, 4)), *layers])
    for layer in layers:
        layer.cell.kernel.assign(MIXED_KERNELS[layer.name])
    model.get_layer("adaptive").cell.recurrent_kernel.assign(ADAPTIVE_RECURRENT)
    return model


def mixed_reference(name, x):
    """The reference's `(outputs, {state: [batch, T, units]})` of a layer
    of the mixed model on its input `x`: the states after every step, read
    from the reference's final states on each prefix of `x`."""
    model = REFERENCE_MODELS[name]
    recurrent = ADAPTIVE_RECURRENT if name == "adaptive" else None
    params = MIXED_OPTIONS[name][1]
    kernel = MIXED_KERNELS[name]
    outputs, _ = reference.neuron_layer(
        model, x, kernel, None, recurrent, **params
    )
    finals = [
        reference.neuron_layer(
            model, x[:, : t + 1], kernel, None, recurrent, **params
        )[1]
        for t in range(x.shape[1])
    ]
    states = {key: np.stack([f[key] for f in finals], 1) for key in finals[0]}
    return outputs, states


@pytest.fixture(scope="module")
def mixed_expected():
    """Each layer's reference outputs and states, fed layer to layer."""
    expected, x = {}, X
    for name in MIXED_LAYERS:
        expected[name] = mixed_reference(name, x)
        x = expected[name][0]
    return expected


def pre_reset(name, outputs, states):
    # "subtract" takes the threshold off the membrane where it fires.
    threshold = MIXED_OPTIONS[name][1].get("threshold", 1.0)
    if name == "adaptive":
        before = np.concatenate(
            [np.zeros_like(states["a"][:, :1]), states["a"][:, :-1]], axis=1
        )
        threshold = threshold + 0.5 * before
    return states["v"] + outputs * threshold, threshold


def test_spike_trains_of_every_spiking_layer(mixed_model, mixed_expected):
    trains = spike_trains(mixed_model, X)
    assert list(trains) == ["synaptic", "adaptive", "lif"]
    for name, train in trains.items():
        expected = mixed_expected[name][0]
        np.testing.assert_array_equal(train, expected)
        assert 0.05 < expected.mean() < 0.95


@pytest.mark.parametrize("name", ["synaptic", "adaptive"])
def test_membrane_potentials_of_every_spiking_layer(
    mixed_model, mixed_expected, name
):
    membrane, spikes = membrane_potentials(mixed_model, X, name)
    outputs, states = mixed_expected[name]
    expected, threshold = pre_reset(name, outputs, states)
    np.testing.assert_array_equal(spikes, outputs)
    np.testing.assert_allclose(membrane, expected, rtol=1e-5, atol=1e-5)
    # No step is a near tie, where float32 and float64 could disagree.
    assert np.min(np.abs(expected - threshold)) > 1e-3


def test_neuron_states(mixed_model, mixed_expected):
    outputs, states = mixed_expected["adaptive"]
    recorded = neuron_states(mixed_model, X, "adaptive")
    assert set(recorded) == {
        "output",
        "pre_reset",
        "threshold",
        "membrane",
        "adaptation",
    }
    assert all(v.dtype == np.float32 for v in recorded.values())
    np.testing.assert_array_equal(recorded["output"], outputs)
    tolerance = {"rtol": 1e-5, "atol": 1e-5}
    np.testing.assert_allclose(recorded["membrane"], states["v"], **tolerance)
    np.testing.assert_allclose(recorded["adaptation"], states["a"], **tolerance)
    expected, threshold = pre_reset("adaptive", outputs, states)
    np.testing.assert_allclose(recorded["threshold"], threshold, **tolerance)
    # The threshold of a step is the one its spikes were compared with.
    np.testing.assert_array_equal(
        recorded["output"], recorded["pre_reset"] > recorded["threshold"]
    )
    synaptic = neuron_states(mixed_model, X, "synaptic")
    np.testing.assert_allclose(
        synaptic["synaptic"], mixed_expected["synaptic"][1]["j"], **tolerance
    )
    np.testing.assert_array_equal(
        synaptic["threshold"], np.full_like(synaptic["output"], 1.5)
    )
    # An LI layer has no spikes: its output is its membrane.
    readout = neuron_states(mixed_model, X, "readout")
    assert set(readout) == {"output", "membrane"}
    np.testing.assert_allclose(
        readout["output"], mixed_expected["readout"][0], **tolerance
    )
    np.testing.assert_array_equal(readout["output"], readout["membrane"])
    with pytest.raises(ValueError, match=r"'readout'.*\['synaptic', "):
        membrane_potentials(mixed_model, X, "readout")
    with pytest.raises(ValueError, match=r"'nope'.*'lif', 'readout'\]"):
        neuron_states(mixed_model, X, "nope")


def test_monitor_logs_every_spiking_layer(mixed_model, mixed_expected):
    # The callback as fit calls it (the fit tests above), without training.
    monitor = FiringRateMonitor(X)
    monitor.set_model(mixed_model)
    logs = {}
    monitor.on_epoch_end(0, logs)
    assert list(logs) == [
        f"{name}/{key}"
        for name in ("synaptic", "adaptive", "lif")
        for key in ("rate", "silent", "saturated")
    ]
    for name in ("synaptic", "adaptive", "lif"):
        stats = firing_statistics(mixed_expected[name][0])
        for key, value in stats.items():
            assert logs[f"{name}/{key}"] == pytest.approx(value)
