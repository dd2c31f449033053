import keras
import numpy as np
import pytest

import keras_snn
from keras_snn import surrogates
from tests import reference
from tests.helpers import assert_config_round_trip
from tests.helpers import assert_saved_model_round_trip
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)


def test_exported_from_the_package_and_layers():
    assert keras_snn.Threshold is keras_snn.layers.Threshold


@pytest.mark.parametrize(
    "shape, threshold",
    [
        ((3, 4, 5), 0.3),
        ((3, 4, 5), [0.1, -0.2, 0.5, 1.0, 0.0]),
        ((2, 3, 4, 4, 2), [0.2, 0.7]),
        ((7,), -0.5),
    ],
)
def test_forward_is_the_step_of_x_minus_threshold(shape, threshold):
    x = RNG.normal(0.3, 0.6, size=shape).astype(np.float32)
    # Values exactly at the threshold do not spike.
    x.reshape(-1)[:2] = np.broadcast_to(threshold, shape[-1:])[:2]
    spikes = to_numpy(keras_snn.Threshold(threshold)(x))
    expected = reference.spike(x - np.asarray(threshold, np.float32))
    np.testing.assert_array_equal(spikes, expected)
    assert spikes.dtype == np.float32
    assert 0.0 < spikes.mean() < 1.0


def test_non_finite_inputs_give_nan():
    spikes = to_numpy(keras_snn.Threshold(0.5)(np.array([np.nan, 1.0, 0.0])))
    np.testing.assert_array_equal(spikes, [np.nan, 1.0, 0.0])


@pytest.mark.parametrize(
    "surrogate, name, options",
    [
        ("fast_sigmoid", "fast_sigmoid", {}),
        (surrogates.ATan(alpha=3.0), "atan", {"alpha": 3.0}),
    ],
)
def test_gradient_is_the_surrogate_derivative(surrogate, name, options):
    threshold = np.array([0.2, -0.1, 0.6])
    layer = keras_snn.Threshold(threshold, surrogate=surrogate)
    x = RNG.normal(0.2, 0.5, size=(4, 2, 3)).astype(np.float32)
    (grad,) = gradients(layer, x)
    expected = reference.surrogate_derivative(name, x - threshold, **options)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_keras_file(tmp_path):
    layer = keras_snn.Threshold(
        np.array([0.5, 1.5, -0.25]), surrogate="atan", name="th"
    )
    restored = assert_config_round_trip(layer)
    assert restored.threshold == (0.5, 1.5, -0.25)
    assert restored.surrogate == surrogates.ATan()
    assert keras_snn.Threshold(2).get_config()["threshold"] == 2.0
    model = keras.Sequential(
        [
            keras.Input((None, 2)),
            keras.layers.Dense(3),
            layer,
        ]
    )
    x = RNG.normal(size=(2, 5, 2)).astype(np.float32)
    loaded = assert_saved_model_round_trip(model, x, tmp_path)
    assert loaded.layers[-1].threshold == layer.threshold


@pytest.mark.parametrize(
    "threshold, error, message",
    [
        (float("inf"), ValueError, "Received: threshold=inf"),
        ([0.5, float("nan")], ValueError, "threshold=nan at index \\(1,\\)"),
        ([[0.5, 1.0]], ValueError, "of shape \\(1, 2\\)"),
        ([], ValueError, "of shape \\(0,\\)"),
        ("1.0", TypeError, "Received: threshold='1.0'"),
        ([True, False], TypeError, "of dtype bool"),
    ],
)
def test_bad_thresholds_raise(threshold, error, message):
    with pytest.raises(error, match=message):
        keras_snn.Threshold(threshold)


def test_threshold_count_must_match_the_last_axis():
    with pytest.raises(ValueError, match="has 2 thresholds .* size 3"):
        keras_snn.Threshold([0.5, 1.0])(np.zeros((1, 3), np.float32))


def test_bad_surrogate_raises():
    with pytest.raises(TypeError, match="surrogate"):
        keras_snn.Threshold(surrogate=lambda x: x)
