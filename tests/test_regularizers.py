import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.monitoring import spike_trains
from keras_snn.regularizers import FiringRate
from tests import reference
from tests.helpers import assert_config_round_trip
from tests.helpers import to_numpy

# One input feature of value 1 at each of 4 steps; with beta = 1, threshold
# 1 and these weights, neuron 0 never fires (current 0), neuron 1 fires at
# steps 1 and 3 (current 0.6: V = 0.6, 1.2, 0.8, 1.4) and neuron 2 at every
# step (current 2): rates 0, 0.5 and 1.
ONES = np.ones((2, 4, 1), np.float32)
KERNEL = np.array([[0.0, 0.6, 2.0]], np.float32)
RATES = np.array([0.0, 0.5, 1.0])


def known_rates_lif(regularizer, **kwargs):
    layer = keras_snn.LIF(
        3, beta=1.0, activity_regularizer=regularizer, **kwargs
    )
    layer.build(ONES.shape)
    layer.cell.kernel.assign(KERNEL)
    return layer


def numpy_penalty(spikes, target, strength):
    spikes = np.asarray(spikes, np.float64)
    axes = (0, 1) if spikes.ndim > 2 else (0,)
    rates = spikes.mean(axis=axes)
    return strength * np.mean((rates - target) ** 2)


def test_defaults():
    regularizer = FiringRate()
    assert regularizer.target == 0.1
    assert regularizer.strength == 10.0


@pytest.mark.parametrize("target, strength", [(0.1, 10.0), (0.3, 2.5)])
def test_penalty_matches_numpy(target, strength):
    spikes = (np.random.default_rng(0).uniform(size=(4, 7, 5)) < 0.35).astype(
        np.float32
    )
    regularizer = FiringRate(target=target, strength=strength)
    expected = numpy_penalty(spikes, target, strength)
    assert expected > 0.01
    np.testing.assert_allclose(
        to_numpy(regularizer.penalty(spikes)), expected, rtol=1e-6
    )
    # Keras divides an activity regularizer's value by the batch size.
    np.testing.assert_allclose(
        to_numpy(regularizer(spikes)), 4 * expected, rtol=1e-6
    )


def test_penalty_of_a_single_step():
    spikes = np.array([[1.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
    # Rates over the batch: 1, 0, 0.5.
    expected = 2.0 * np.mean([0.8**2, 0.2**2, 0.3**2])
    np.testing.assert_allclose(
        to_numpy(FiringRate(0.2, 2.0).penalty(spikes)), expected, rtol=1e-6
    )


def test_layer_loss_has_the_documented_value():
    layer = known_rates_lif(FiringRate(target=0.1, strength=10.0))
    spikes = to_numpy(layer(ONES))
    np.testing.assert_array_equal(spikes.mean(axis=(0, 1)), RATES)
    assert len(layer.losses) == 1
    # 10 * mean(0.1**2, 0.4**2, 0.9**2) = 10 * 0.98 / 3
    np.testing.assert_allclose(to_numpy(layer.losses[0]), 98 / 30, rtol=1e-6)


def test_layer_loss_does_not_depend_on_batch_size():
    layer = known_rates_lif(FiringRate(target=0.25, strength=3.0))
    layer(ONES[:1])
    single = to_numpy(layer.losses[0])
    layer(np.ones((5, 4, 1), np.float32))
    np.testing.assert_allclose(to_numpy(layer.losses[0]), single, rtol=1e-6)
    np.testing.assert_allclose(
        single, 3.0 * np.mean((RATES - 0.25) ** 2), rtol=1e-6
    )


def test_last_step_output():
    layer = known_rates_lif(
        FiringRate(target=0.1, strength=10.0), return_sequences=False
    )
    np.testing.assert_array_equal(to_numpy(layer(ONES)), [[0, 1, 1]] * 2)
    np.testing.assert_allclose(
        to_numpy(layer.losses[0]), 10 * (0.01 + 0.81 + 0.81) / 3, rtol=1e-6
    )


def test_in_model_losses_and_training_loss():
    model = keras.Sequential(
        [
            keras.Input((4, 1)),
            known_rates_lif(FiringRate(target=0.1, strength=10.0)),
            keras_snn.RateDecoding(),
        ]
    )
    rates = to_numpy(model(ONES))
    assert len(model.losses) == 1
    np.testing.assert_allclose(to_numpy(model.losses[0]), 98 / 30, rtol=1e-6)
    # The outputs equal the targets, so the MSE is 0 and the whole loss is
    # the penalty; evaluate runs compiled on TensorFlow and JAX.
    model.compile(loss="mse")
    loss = model.evaluate(ONES, rates, verbose=0)
    np.testing.assert_allclose(loss, 98 / 30, rtol=1e-6)


def test_with_build_model():
    x = np.random.default_rng(1).uniform(size=(6, 8)).astype(np.float32)
    model = keras_snn.build(
        input_size=8, hidden_sizes=[12], output_size=3, num_timesteps=10
    )
    model.get_layer("lif_0").activity_regularizer = FiringRate(0.2, 4.0)
    trains = spike_trains(model, x, layers="lif_0")
    expected = numpy_penalty(trains["lif_0"], 0.2, 4.0)
    assert expected > 0.01
    model(x)
    assert len(model.losses) == 1
    np.testing.assert_allclose(to_numpy(model.losses[0]), expected, rtol=1e-5)


def test_training_moves_rates_to_the_target():
    x = np.random.default_rng(2).uniform(size=(16, 10, 4)).astype(np.float32)

    def train(strength):
        keras.utils.set_random_seed(0)
        lif = keras_snn.LIF(
            8,
            kernel_initializer=keras.initializers.Constant(0.5),
            activity_regularizer=FiringRate(target=0.1, strength=strength),
        )
        model = keras.Sequential([keras.Input((10, 4)), lif])
        before = to_numpy(model(x)).mean()
        model.compile(optimizer=keras.optimizers.SGD(0.03))
        model.fit(x, epochs=20, batch_size=16, verbose=0)
        return before, to_numpy(model(x)).mean()

    before, after = train(strength=10.0)
    assert before > 0.7
    assert abs(after - 0.1) < 0.03
    # Without the penalty there is no loss, and nothing changes.
    assert train(strength=0.0) == (before, before)


def test_mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    layer = known_rates_lif(FiringRate(target=0.1, strength=10.0))
    layer(ONES)
    assert keras.backend.standardize_dtype(layer.losses[0].dtype) == "float32"
    np.testing.assert_allclose(to_numpy(layer.losses[0]), 98 / 30, rtol=1e-6)


def test_config_round_trip():
    regularizer = FiringRate(target=0.05, strength=2.0)
    restored = assert_config_round_trip(regularizer)
    assert restored.get_config() == {"target": 0.05, "strength": 2.0}


def test_saved_model_keeps_the_regularizer(tmp_path):
    model = keras.Sequential(
        [keras.Input((4, 1)), known_rates_lif(FiringRate(0.3, 2.0))]
    )
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    regularizer = loaded.layers[0].activity_regularizer
    assert isinstance(regularizer, FiringRate)
    assert regularizer.get_config() == {"target": 0.3, "strength": 2.0}
    loaded(ONES)
    np.testing.assert_allclose(
        to_numpy(loaded.losses[0]),
        2.0 * np.mean((RATES - 0.3) ** 2),
        rtol=1e-6,
    )


def test_matches_reference_spikes():
    # The penalty is computed on the layer's own spikes, which match the
    # NumPy reference.
    x = np.random.default_rng(3).uniform(size=(3, 9, 2)).astype(np.float32)
    kernel = np.array([[0.9, -0.2, 0.4], [0.3, 0.8, 0.1]], np.float32)
    layer = keras_snn.LIF(3, activity_regularizer=FiringRate(0.2, 5.0))
    layer.build(x.shape)
    layer.cell.kernel.assign(kernel)
    layer(x)
    spikes = reference.lif_layer(x, kernel, np.zeros(3), np.exp(-0.5), 1.0)
    np.testing.assert_allclose(
        to_numpy(layer.losses[0]), numpy_penalty(spikes, 0.2, 5.0), rtol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"target": -0.1}, ValueError, "target=-0.1"),
        ({"target": 1.5}, ValueError, "target=1.5"),
        ({"target": "high"}, TypeError, "target='high'"),
        ({"target": True}, TypeError, "target=True"),
        ({"strength": -1.0}, ValueError, "strength=-1.0"),
        ({"strength": float("inf")}, ValueError, "strength=inf"),
        ({"strength": None}, TypeError, "strength=None"),
    ],
)
def test_invalid_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        FiringRate(**kwargs)


def test_rejects_scalars():
    with pytest.raises(ValueError, match=r"spikes.shape=\(3,\)"):
        FiringRate().penalty(np.zeros(3, np.float32))
