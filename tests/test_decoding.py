import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.layers.decoding import rate_decode
from keras_snn.layers.decoding import step_reciprocal
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


def test_rates_are_counts_times_rounded_reciprocal():
    # count * float32(1 / steps), bit for bit: what graph optimizers and
    # LiteRT compute for a mean, and what the streaming model computes.
    spikes = np.random.default_rng(1).integers(0, 2, size=(4, 25, 6))
    spikes = spikes.astype(np.float32)
    expected = spikes.sum(axis=1) * np.float32(1 / 25)
    model = keras.Sequential([keras.Input((25, 6)), keras_snn.RateDecoding()])
    np.testing.assert_array_equal(to_numpy(rate_decode(spikes)), expected)
    np.testing.assert_array_equal(model.predict(spikes, verbose=0), expected)


def test_step_reciprocal_is_rounded_once_in_graphs():
    steps = np.arange(1, 4097, dtype=np.float32)
    expected = np.float32(1) / steps
    assert step_reciprocal(25) == 1 / 25
    np.testing.assert_array_equal(to_numpy(step_reciprocal(steps)), expected)
    # Inside a compiled function too (TensorFlow would make 1 / x an
    # approximate reciprocal there).
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Lambda(step_reciprocal)]
    )
    out = model.predict(steps[:, None], verbose=0, batch_size=4096)
    np.testing.assert_array_equal(out[:, 0], expected)


def test_step_reciprocal_in_float16_and_int():
    # float16 would overflow in steps * steps from 256 steps on.
    steps = np.array([25.0, 300.0, 1000.0], np.float16)
    out = step_reciprocal(keras.ops.convert_to_tensor(steps))
    assert keras.backend.standardize_dtype(out.dtype) == "float16"
    np.testing.assert_allclose(
        to_numpy(out).astype(np.float64), 1 / steps.astype(np.float64), 1e-3
    )
    # Integer counts give float reciprocals, not a truncation to 0.
    ints = keras.ops.convert_to_tensor(np.array([8, 300], np.int32))
    np.testing.assert_allclose(
        to_numpy(step_reciprocal(ints)), [1 / 8, 1 / 300]
    )


@pytest.mark.parametrize("dtype", ["int32", "bool", "float16"])
def test_rate_decode_other_dtypes(dtype):
    spikes = np.random.default_rng(2).integers(0, 2, size=(3, 300, 4))
    expected = spikes.mean(axis=1)
    rates = to_numpy(rate_decode(spikes.astype(dtype)))
    assert rates.dtype == (np.float16 if dtype == "float16" else np.float32)
    np.testing.assert_allclose(rates.astype(np.float64), expected, atol=1e-3)


SPIKES = np.random.default_rng(2).integers(0, 2, size=(4, 9, 3))
SPIKES = SPIKES.astype(np.float32)
MASK = np.ones((4, 9), bool)
MASK[0, 6:] = False  # padded at the end
MASK[1, :2] = False  # padded at the start
MASK[2, :] = False  # all padding


def masked_rates(spikes, mask):
    counts = mask.sum(axis=1)[:, None]
    sums = (spikes * mask[:, :, None]).sum(axis=1)
    return np.where(counts > 0, sums / np.maximum(counts, 1), 0.0)


def test_rate_decode_averages_unmasked_steps():
    rates = to_numpy(rate_decode(SPIKES, mask=MASK))
    np.testing.assert_allclose(rates, masked_rates(SPIKES, MASK), rtol=1e-6)
    np.testing.assert_allclose(rates[3], SPIKES[3].mean(axis=0), rtol=1e-6)
    example = rate_decode(
        np.array([[[1.0], [0.0], [1.0], [1.0]]]),
        mask=np.array([[True, True, False, False]]),
    )
    np.testing.assert_allclose(to_numpy(example), [[0.5]])


def test_rate_decoding_takes_the_keras_mask():
    # Masking marks the steps of -1 as padding; the rates ignore them
    # instead of averaging them in (Keras warned that the mask was dropped).
    x = np.where(MASK[:, :, None], SPIKES, -1.0).astype(np.float32)
    model = keras.Sequential(
        [
            keras.Input((9, 3)),
            keras.layers.Masking(-1.0),
            keras_snn.RateDecoding(),
        ]
    )
    expected = masked_rates(SPIKES, MASK)
    np.testing.assert_allclose(to_numpy(model(x)), expected, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-6)
    layer = keras_snn.RateDecoding()
    assert layer.supports_masking
    assert layer.compute_mask(SPIKES, MASK) is None


def test_rate_decode_bad_mask():
    with pytest.raises(ValueError, match=r"mask.shape=\(4,\)"):
        rate_decode(SPIKES, mask=MASK[:, 0])
