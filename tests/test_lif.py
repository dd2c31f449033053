import keras
import numpy as np
import pytest

import keras_snn
from tests import reference
from tests.helpers import assert_config_round_trip
from tests.helpers import assert_saved_model_round_trip
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 1.0, size=(4, 20, 6)).astype(np.float32)
KERNEL = RNG.normal(0.3, 0.6, size=(6, 5)).astype(np.float32)
BIAS = RNG.normal(0.0, 0.2, size=(5,)).astype(np.float32)


def fixed_lif(**kwargs):
    layer = keras_snn.LIF(5, **kwargs)
    layer.build(X.shape)
    layer.cell.kernel.assign(KERNEL)
    layer.cell.bias.assign(BIAS)
    return layer


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("tau, beta", [(2.0, None), (5.0, None), (2.0, 0.95)])
def test_matches_reference(reset, tau, beta):
    layer = fixed_lif(tau=tau, beta=beta, threshold=1.3, reset=reset)
    expected = reference.lif_layer(
        X, KERNEL, BIAS, reference.decay(tau, beta=beta), 1.3, reset
    )
    spikes = to_numpy(layer(X))
    np.testing.assert_array_equal(spikes, expected)
    assert 0.05 < expected.mean() < 0.95


def test_dt_enters_the_decay():
    layer = fixed_lif(tau=4.0, dt=2.0)
    assert layer.cell.get_beta() == pytest.approx(np.exp(-0.5))
    expected = reference.lif_layer(X, KERNEL, BIAS, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(to_numpy(layer(X)), expected)


def test_without_bias():
    layer = keras_snn.LIF(5, use_bias=False)
    layer.build(X.shape)
    layer.cell.kernel.assign(KERNEL)
    assert layer.cell.bias is None and len(layer.weights) == 1
    expected = reference.lif_layer(X, KERNEL, None, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(to_numpy(layer(X)), expected)


def test_cell_in_keras_rnn_equals_lif():
    rnn = keras.layers.RNN(keras_snn.LIFCell(5), return_sequences=True)
    rnn.build(X.shape)
    rnn.cell.kernel.assign(KERNEL)
    rnn.cell.bias.assign(BIAS)
    np.testing.assert_array_equal(to_numpy(rnn(X)), to_numpy(fixed_lif()(X)))


def test_return_sequences_false_and_return_state():
    layer = fixed_lif(return_sequences=False, return_state=True)
    last_spikes, membrane = layer(X)
    ref_s, ref_v = reference.lif_currents(X @ KERNEL + BIAS, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(to_numpy(last_spikes), ref_s[:, -1])
    np.testing.assert_allclose(to_numpy(membrane), ref_v[:, -1], atol=1e-5)


def test_initial_state():
    v0 = RNG.normal(size=(4, 5)).astype(np.float32)
    layer = fixed_lif()
    spikes = layer(X, initial_state=[v0])
    ref_s, _ = reference.lif_currents(
        X @ KERNEL + BIAS, np.exp(-0.5), 1.0, v0=v0
    )
    np.testing.assert_array_equal(to_numpy(spikes), ref_s)


def test_stateful_carries_membrane_between_calls():
    layer = fixed_lif(stateful=True)
    first = to_numpy(layer(X[:, :8]))
    second = to_numpy(layer(X[:, 8:]))
    full = reference.lif_layer(X, KERNEL, BIAS, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(np.concatenate([first, second], 1), full)
    layer.reset_states()
    np.testing.assert_array_equal(to_numpy(layer(X[:, :8])), full[:, :8])


def test_trainable_beta_and_threshold_start_at_given_values():
    layer = fixed_lif(
        beta=0.7, threshold=0.8, trainable_beta=True, trainable_threshold=True
    )
    names = sorted(w.path.split("/")[-1] for w in layer.trainable_weights)
    assert names == ["beta_logit", "bias", "kernel", "threshold"]
    np.testing.assert_allclose(
        to_numpy(layer.cell.get_beta()), np.full(5, 0.7), rtol=1e-6
    )
    expected = reference.lif_layer(X, KERNEL, BIAS, 0.7, 0.8)
    np.testing.assert_array_equal(to_numpy(layer(X)), expected)


def test_per_neuron_beta_and_threshold_match_reference():
    layer = fixed_lif(beta=0.7, trainable_beta=True, trainable_threshold=True)
    beta = np.array([0.2, 0.5, 0.7, 0.9, 0.99])
    threshold = np.array([0.5, 0.8, 1.0, 1.5, 2.0], np.float32)
    layer.cell.beta_logit.assign(np.log(beta / (1 - beta)).astype(np.float32))
    layer.cell.threshold_weight.assign(threshold)
    expected = reference.lif_layer(X, KERNEL, BIAS, beta, threshold)
    np.testing.assert_array_equal(to_numpy(layer(X)), expected)


def test_training_moves_beta_and_threshold_within_bounds():
    model = keras.Sequential(
        [
            keras.Input((20, 6)),
            keras_snn.LIF(
                5, beta=0.9, trainable_beta=True, trainable_threshold=True
            ),
            keras_snn.RateDecoding(),
        ]
    )
    cell = model.layers[0].cell
    cell.threshold_weight.assign(np.full(5, 0.002, np.float32))
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(X, np.ones((4, 5), np.float32), epochs=3, verbose=0)
    beta = to_numpy(cell.get_beta())
    threshold = to_numpy(cell.threshold_weight)
    assert not np.allclose(beta, 0.9)
    assert ((beta > 0) & (beta < 1)).all()
    assert (threshold >= 1e-3 - 1e-9).all()


def test_options_are_read_only_properties_of_lif():
    layer = keras_snn.LIF(
        7, tau=3.0, threshold=0.5, reset="zero", surrogate="atan"
    )
    assert (layer.units, layer.tau, layer.threshold) == (7, 3.0, 0.5)
    assert layer.reset == "zero" and layer.surrogate.name == "atan"
    assert layer.detach_reset is True and layer.return_sequences is True
    with pytest.raises(AttributeError):
        layer.tau = 1.0


def test_config_round_trip_and_flat_config():
    layer = keras_snn.LIF(
        5,
        tau=3.0,
        reset="zero",
        surrogate=keras_snn.surrogates.Sigmoid(slope=4.0),
        detach_reset=False,
        kernel_regularizer="l2",
        kernel_constraint="non_neg",
        stateful=True,
    )
    config = layer.get_config()
    assert "cell" not in config
    assert config["tau"] == 3.0 and config["stateful"] is True
    restored = assert_config_round_trip(layer)
    assert restored.surrogate == keras_snn.surrogates.Sigmoid(slope=4.0)
    assert_config_round_trip(keras_snn.LIFCell(3, beta=0.5))


def test_saved_model_round_trip(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((20, 6)),
            keras_snn.LIF(8, trainable_beta=True, trainable_threshold=True),
            keras_snn.LIF(3, reset="zero", surrogate="triangular"),
            keras_snn.RateDecoding(),
        ]
    )
    loaded = assert_saved_model_round_trip(model, X * 3, tmp_path)
    assert loaded.layers[1].reset == "zero"
    assert loaded.layers[0].trainable_threshold


def test_functional_and_subclassed_models_agree():
    layer = fixed_lif()
    inputs = keras.Input((None, 6))
    functional = keras.Model(inputs, layer(inputs))

    class Net(keras.Model):
        def __init__(self, lif):
            super().__init__()
            self.lif = lif

        def call(self, x):
            return self.lif(x)

    expected = reference.lif_layer(X, KERNEL, BIAS, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(to_numpy(functional(X)), expected)
    np.testing.assert_array_equal(to_numpy(Net(layer)(X)), expected)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"units": 0}, ValueError, "units=0"),
        ({"units": -3}, ValueError, "units=-3"),
        ({"units": 2.5}, TypeError, "units=2.5"),
        ({"units": True}, TypeError, "units=True"),
        ({"tau": 0.0}, ValueError, "tau=0.0"),
        ({"tau": -1}, ValueError, "tau=-1"),
        ({"tau": float("inf")}, ValueError, "tau=inf"),
        ({"tau": "2"}, TypeError, "tau='2'"),
        ({"threshold": 0}, ValueError, "threshold=0"),
        ({"dt": -0.5}, ValueError, "dt=-0.5"),
        ({"beta": 1.01}, ValueError, "beta=1.01"),
        ({"beta": 0}, ValueError, "beta=0"),
        ({"reset": "hard"}, ValueError, "reset='hard'"),
        ({"surrogate": "spiky"}, ValueError, "surrogate='spiky'"),
        ({"use_bias": 1}, TypeError, "use_bias=1"),
        ({"beta": 1.0, "trainable_beta": True}, ValueError, "beta=1.0"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    kwargs = {"units": 4, **kwargs}
    with pytest.raises(error, match=match):
        keras_snn.LIF(**kwargs)
    with pytest.raises(error, match=match):
        keras_snn.LIFCell(**kwargs)


def test_bad_input_shapes():
    with pytest.raises(ValueError, match=r"input_shape=\(6,\)"):
        keras_snn.LIF(3)(np.ones((6,), np.float32))
    with pytest.raises(ValueError, match="features"):
        keras_snn.LIF(3).build((2, 5, None))
    layer = fixed_lif()
    with pytest.raises(ValueError, match="expected axis -1 of input shape"):
        layer(np.ones((2, 5, 7), np.float32))


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains(policy):
    keras.config.set_dtype_policy(policy)
    model = keras_snn.build(
        input_size=6, hidden_sizes=[16], output_size=3, num_timesteps=10
    )
    lif = model.get_layer("lif_0")
    assert lif.compute_dtype == policy.split("_")[1]
    assert lif.cell.kernel.dtype == "float32"
    x = RNG.uniform(0, 2, size=(16, 6)).astype(np.float32)
    before = to_numpy(lif.cell.kernel).copy()
    rates = to_numpy(model(x))
    assert rates.dtype == np.float32
    assert ((rates >= 0) & (rates <= 1)).all()
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    history = model.fit(x, np.eye(3)[np.arange(16) % 3], epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert not np.allclose(to_numpy(lif.cell.kernel), before)


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_stateful_under_mixed_precision_keeps_its_state(policy, recurrent):
    # PyTorch assigned the new state to the autocast copy of the state
    # variable, so that every call started again from zero.
    keras.config.set_dtype_policy(policy)
    layer = keras_snn.LIF(
        1,
        beta=0.5,
        use_bias=False,
        kernel_initializer="ones",
        recurrent_initializer="zeros",
        recurrent=recurrent,
        stateful=True,
        return_state=True,
    )
    x = np.array([[[0.25], [0.25]]], np.float32)
    finals = [float(to_numpy(layer(x)[1])[0, 0]) for _ in range(3)]
    assert finals == [0.375, 0.46875, 0.4921875]
    assert layer.states[0].dtype == "float32"
    np.testing.assert_array_equal(to_numpy(layer.states[0]), [[0.4921875]])
    layer.reset_states()
    assert float(to_numpy(layer(x)[1])[0, 0]) == 0.375


PADDED = np.zeros((1, 8, 1), np.float32)
PADDED[0, :5] = 0.6  # 5 steps of 0.6, then 3 of padding


@pytest.mark.parametrize("return_sequences", [True, False])
def test_masked_steps_output_no_spikes(return_sequences):
    # JAX's RNN loop took the membrane (the cell's first state) for the
    # previous output and emitted 0.828 at the padded steps.
    layer = keras_snn.LIF(
        1,
        beta=0.9,
        use_bias=False,
        kernel_initializer="ones",
        return_sequences=return_sequences,
        return_state=True,
    )
    model = keras.Sequential(
        [keras.Input((8, 1)), keras.layers.Masking(0.0), layer]
    )
    spikes, membrane = (to_numpy(y) for y in model(PADDED))
    wanted, final = reference.lif_currents(PADDED[:, :5], 0.9, 1.0)
    np.testing.assert_array_equal(wanted[0, :, 0], [0, 1, 0, 1, 0])
    if return_sequences:
        np.testing.assert_array_equal(spikes[0, :, 0], [0, 1, 0, 1, 0, 0, 0, 0])
    else:
        np.testing.assert_array_equal(spikes, [[0.0]])
    np.testing.assert_allclose(membrane, final[:, -1], rtol=1e-6)


def test_masked_model_in_compiled_functions():
    # Masking, two LIF layers and RateDecoding, which averages the
    # unmasked steps only: predict and fit (compiled on TensorFlow and JAX)
    # as the eager call.
    x = X[:, :10].copy()
    x[0, 6:] = 0.0
    x[1, :3] = 0.0
    model = keras.Sequential(
        [
            keras.Input((10, 6)),
            keras.layers.Masking(0.0),
            keras_snn.LIF(5),
            keras_snn.LIF(3, recurrent=True),
            keras_snn.RateDecoding(),
        ]
    )
    mask = (x != 0).any(-1)
    rates = to_numpy(model(x))
    np.testing.assert_allclose(model.predict(x, verbose=0), rates, atol=1e-6)
    spikes = keras.Model(model.inputs[0], model.layers[-2].output)(x)
    spikes = to_numpy(spikes)
    assert not spikes[~mask].any() and spikes[mask].any()
    expected = spikes.sum(1) / mask.sum(1)[:, None]
    np.testing.assert_allclose(rates, expected, rtol=1e-6)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    before = model.get_weights()
    loss = model.fit(x, np.zeros((4, 3)), verbose=0).history["loss"][0]
    assert np.isfinite(loss)
    after = model.get_weights()
    assert all(np.isfinite(w).all() for w in after)
    assert not np.array_equal(before[0], after[0])


def test_masked_static_input():
    # Masking on a [batch, features] input marks whole samples: a masked
    # sample keeps its state and fires nowhere, at every step.
    x2d = X[:, 0].copy()
    x2d[1] = 0.0
    layer = keras_snn.LIF(5, num_timesteps=4, return_state=True)
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Masking(0.0), layer]
    )
    layer.cell.kernel.assign(KERNEL)
    layer.cell.bias.assign(BIAS)
    spikes, membrane = (to_numpy(y) for y in model(x2d))
    repeated = np.repeat(x2d[:, None], 4, axis=1)
    wanted, final = reference.lif_currents(
        repeated @ KERNEL + BIAS, np.exp(-0.5), 1.0
    )
    keep = np.array([True, False, True, True])
    np.testing.assert_array_equal(spikes[keep], wanted[keep])
    assert not spikes[1].any() and not membrane[1].any()
    np.testing.assert_allclose(membrane[keep], final[keep, -1], atol=1e-5)
    # The mask of the spike train holds at each of the steps.
    masks = layer.compute_mask(x2d, keras.ops.convert_to_tensor(keep))
    np.testing.assert_array_equal(
        to_numpy(masks[0]), np.repeat(keep[:, None], 4, 1)
    )


def test_static_input_equals_repeated_sequence():
    x2d = X[:, 0]
    layer = fixed_lif(num_timesteps=9)
    static = keras_snn.LIF(5, num_timesteps=9)
    static.build(x2d.shape)
    static.cell.kernel.assign(KERNEL)
    static.cell.bias.assign(BIAS)
    repeated = np.repeat(x2d[:, None], 9, axis=1)
    expected = reference.lif_layer(repeated, KERNEL, BIAS, np.exp(-0.5), 1.0)
    np.testing.assert_array_equal(to_numpy(static(x2d)), expected)
    np.testing.assert_array_equal(to_numpy(layer(repeated)), expected)
    assert static.compute_output_shape((None, 6)) == (None, 9, 5)
    reversed_static = keras_snn.LIF(5, num_timesteps=9, go_backwards=True)
    reversed_static.build(x2d.shape)
    reversed_static.set_weights(static.get_weights())
    np.testing.assert_array_equal(to_numpy(reversed_static(x2d)), expected)


def test_static_input_in_a_saved_model(tmp_path):
    model = keras.Sequential(
        [keras.Input((6,)), keras_snn.LIF(4, num_timesteps=7)]
    )
    assert model.output_shape == (None, 7, 4)
    loaded = assert_saved_model_round_trip(model, X[:, 0] * 3, tmp_path)
    assert loaded.layers[0].num_timesteps == 7


def test_static_input_errors():
    with pytest.raises(ValueError, match="num_timesteps=None"):
        keras_snn.LIF(3)(np.ones((2, 6), np.float32))
    with pytest.raises(ValueError, match="num_timesteps=0"):
        keras_snn.LIF(3, num_timesteps=0)
    with pytest.raises(ValueError, match=r"input_shape=\(2,\)"):
        keras_snn.LIF(3, num_timesteps=4).build((2,))
