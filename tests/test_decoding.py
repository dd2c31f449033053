import numpy as np
import pytest

import keras_snn
from tests.helpers import assert_config_round_trip
from tests.helpers import to_numpy


def test_rate_decode_is_mean_over_time():
    spikes = np.random.default_rng(0).integers(0, 2, size=(3, 25, 4))
    spikes = spikes.astype(np.float32)
    rates = to_numpy(keras_snn.rate_decode(spikes))
    np.testing.assert_allclose(rates, spikes.mean(axis=1), rtol=1e-6)
    assert rates.shape == (3, 4)


def test_rate_decode_example_value():
    rates = keras_snn.rate_decode(np.array([[[1.0], [0.0], [1.0], [1.0]]]))
    np.testing.assert_allclose(to_numpy(rates), [[0.75]])


def test_rate_decoding_layer():
    spikes = np.zeros((2, 10, 3), np.float32)
    spikes[0, :5, 0] = 1.0
    spikes[1, :, 2] = 1.0
    layer = keras_snn.RateDecoding()
    np.testing.assert_allclose(
        to_numpy(layer(spikes)), [[0.5, 0, 0], [0, 0, 1.0]]
    )
    assert layer.compute_output_shape((None, 10, 3)) == (None, 3)
    assert_config_round_trip(layer)


def test_rate_decode_bad_rank():
    with pytest.raises(ValueError, match=r"spike_train.shape=\(2, 3\)"):
        keras_snn.rate_decode(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match=r"input_shape=\(2, 3\)"):
        keras_snn.RateDecoding()(np.ones((2, 3), np.float32))
