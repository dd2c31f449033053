import keras
import numpy as np
import pytest

import keras_snn
from tests.helpers import assert_config_round_trip
from tests.helpers import to_numpy


def test_repeat_encoding_repeats_input():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = to_numpy(keras_snn.RepeatEncoding(4)(x))
    assert out.shape == (2, 4, 3)
    for t in range(4):
        np.testing.assert_array_equal(out[:, t], x)


def test_repeat_encoding_keeps_trailing_shape():
    x = np.ones((2, 5, 5, 1), np.float32)
    layer = keras_snn.RepeatEncoding(3)
    assert to_numpy(layer(x)).shape == (2, 3, 5, 5, 1)
    assert layer.compute_output_shape((None, 5, 5, 1)) == (None, 3, 5, 5, 1)


def test_repeat_encoding_config():
    restored = assert_config_round_trip(keras_snn.RepeatEncoding(7))
    assert restored.num_timesteps == 7


@pytest.mark.parametrize(
    "value, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError)]
)
def test_repeat_encoding_bad_num_timesteps(value, error):
    with pytest.raises(error, match=f"num_timesteps={value!r}"):
        keras_snn.RepeatEncoding(value)


def test_repeat_encoding_bad_inputs():
    with pytest.raises(ValueError, match=r"input_shape=\(4,\)"):
        keras_snn.RepeatEncoding(2).build((4,))
    layer = keras_snn.RepeatEncoding(2)
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="expected axis 1 of input shape"):
        layer(np.ones((2, 4), np.float32))


def test_repeat_encoding_in_sequential():
    model = keras.Sequential([keras.Input((3,)), keras_snn.RepeatEncoding(2)])
    assert model.output_shape == (None, 2, 3)


def latency_reference(x, num_timesteps, threshold=0.0):
    """Time-to-first-spike code: one spike at round((1 - x) * (T - 1)).

    Computed in float32 like the layer, so that values near a rounding
    boundary round the same way.
    """
    x = np.asarray(x, np.float32)
    steps = np.round(
        (np.float32(1.0) - x) * np.float32(num_timesteps - 1)
    ).astype(int)
    spikes = np.zeros((x.shape[0], num_timesteps) + x.shape[1:])
    for index in np.ndindex(*x.shape):
        if x[index] > threshold:
            spikes[(index[0], steps[index]) + index[1:]] = 1.0
    return spikes


def test_latency_encoding_example_values():
    x = np.array([[1.0, 0.5, 0.25, 0.0]], np.float32)
    spikes = to_numpy(keras_snn.LatencyEncoding(5)(x))
    # One spike per feature at steps 0, 2, 3; none for the zero input.
    expected = np.zeros((1, 5, 4))
    expected[0, 0, 0] = expected[0, 2, 1] = expected[0, 3, 2] = 1.0
    np.testing.assert_array_equal(spikes, expected)


@pytest.mark.parametrize(
    "num_timesteps, threshold", [(25, 0.0), (10, 0.3), (1, 0.0)]
)
def test_latency_encoding_matches_numpy(num_timesteps, threshold):
    x = np.random.default_rng(0).uniform(size=(16, 12)).astype(np.float32)
    x[:, :3] = 0.0
    x[:, 3] = 1.0
    layer = keras_snn.LatencyEncoding(num_timesteps, threshold=threshold)
    spikes = to_numpy(layer(x))
    expected = latency_reference(x, num_timesteps, threshold)
    np.testing.assert_array_equal(spikes, expected)
    assert spikes.sum(axis=1).max() == 1.0
    assert spikes.sum() == (x > threshold).sum()


def test_latency_encoding_keeps_trailing_shape():
    x = np.random.default_rng(1).uniform(size=(2, 4, 3)).astype(np.float32)
    layer = keras_snn.LatencyEncoding(6)
    np.testing.assert_array_equal(
        to_numpy(layer(x)), latency_reference(x, 6).reshape(2, 6, 4, 3)
    )
    assert layer.compute_output_shape((None, 4, 3)) == (None, 6, 4, 3)


def test_latency_encoding_config():
    restored = assert_config_round_trip(
        keras_snn.LatencyEncoding(9, threshold=0.25)
    )
    assert restored.num_timesteps == 9 and restored.threshold == 0.25


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_timesteps": 0}, ValueError, "num_timesteps=0"),
        ({"threshold": 1.0}, ValueError, "threshold=1.0"),
        ({"threshold": -0.1}, ValueError, "threshold=-0.1"),
        ({"threshold": "0"}, TypeError, "threshold='0'"),
    ],
)
def test_latency_encoding_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        keras_snn.LatencyEncoding(**{"num_timesteps": 5, **kwargs})


def test_poisson_encoding_is_uniform_noise_below_probability():
    # The documented rule: spike where u < gain * x, with u drawn by
    # keras.random.uniform from a SeedGenerator of the layer's seed.
    x = np.random.default_rng(2).uniform(size=(8, 5)).astype(np.float32)
    spikes = to_numpy(keras_snn.PoissonEncoding(30, gain=0.5, seed=7)(x))
    noise = to_numpy(
        keras.random.uniform((8, 30, 5), seed=keras.random.SeedGenerator(7))
    )
    expected = (noise < 0.5 * x[:, None, :]).astype(np.float32)
    np.testing.assert_array_equal(spikes, expected)
    assert 0 < spikes.mean() < 0.5


def test_poisson_encoding_rates_match_probabilities():
    x = np.array([[0.0, 0.1, 0.5, 0.9, 1.0]], np.float32)
    spikes = to_numpy(keras_snn.PoissonEncoding(4000, seed=3)(x))
    assert set(np.unique(spikes)) <= {0.0, 1.0}
    rates = spikes.mean(axis=1)[0]
    assert rates[0] == 0.0 and rates[-1] == 1.0
    # Binomial standard deviation sqrt(p (1 - p) / T) is at most 0.008.
    np.testing.assert_allclose(rates, x[0], atol=0.03)


def test_poisson_encoding_gain():
    x = np.full((1, 2), 0.25, np.float32)
    spikes = to_numpy(keras_snn.PoissonEncoding(4000, gain=4.0, seed=0)(x))
    np.testing.assert_array_equal(spikes, np.ones((1, 4000, 2)))


def test_poisson_encoding_seeds():
    x = np.full((4, 6), 0.5, np.float32)
    first = to_numpy(keras_snn.PoissonEncoding(20, seed=11)(x))
    again = to_numpy(keras_snn.PoissonEncoding(20, seed=11)(x))
    other = to_numpy(keras_snn.PoissonEncoding(20, seed=12)(x))
    np.testing.assert_array_equal(first, again)
    assert (first != other).any()
    layer = keras_snn.PoissonEncoding(20, seed=11)
    calls = [to_numpy(layer(x)) for _ in range(2)]
    np.testing.assert_array_equal(calls[0], first)
    assert (calls[0] != calls[1]).any()  # each call draws new spikes


def test_poisson_encoding_samples_at_inference():
    model = keras.Sequential(
        [keras.Input((3,)), keras_snn.PoissonEncoding(50, seed=1)]
    )
    x = np.full((2, 3), 0.5, np.float32)
    predicted = model.predict(x, verbose=0)
    assert 0.3 < predicted.mean() < 0.7
    assert set(np.unique(predicted)) == {0.0, 1.0}


def test_poisson_encoding_config():
    layer = keras_snn.PoissonEncoding(12, gain=0.5, seed=4)
    restored = assert_config_round_trip(layer)
    assert (restored.num_timesteps, restored.gain, restored.seed) == (
        12,
        0.5,
        4,
    )
    x = np.full((2, 3), 0.5, np.float32)
    np.testing.assert_array_equal(to_numpy(restored(x)), to_numpy(layer(x)))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"num_timesteps": -1}, ValueError, "num_timesteps=-1"),
        ({"gain": 0.0}, ValueError, "gain=0.0"),
        ({"gain": float("inf")}, ValueError, "gain=inf"),
        ({"seed": 1.5}, TypeError, "seed=1.5"),
        ({"seed": True}, TypeError, "seed=True"),
    ],
)
def test_poisson_encoding_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        keras_snn.PoissonEncoding(**{"num_timesteps": 5, **kwargs})


@pytest.mark.parametrize(
    "layer, x, match",
    [
        (
            keras_snn.PoissonEncoding(5),
            [[0.5, 1.5]],
            r"gain \* inputs=1.5 at index \(0, 1\)",
        ),
        (
            keras_snn.PoissonEncoding(5, gain=4.0),
            [[0.5, 0.25]],
            r"gain \* inputs=2.0 at index \(0, 0\)",
        ),
        (
            keras_snn.LatencyEncoding(5),
            [[0.5], [-0.25]],
            r"inputs=-0.25 at index \(1, 0\)",
        ),
    ],
)
def test_out_of_range_inputs_raise_when_values_are_known(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer(np.asarray(x, np.float32))


@pytest.mark.parametrize(
    "layer",
    [keras_snn.PoissonEncoding(4, seed=0), keras_snn.LatencyEncoding(4)],
)
def test_out_of_range_inputs_clip_in_compiled_functions(layer):
    model = keras.Sequential([keras.Input((2,)), layer])
    x = np.array([[2.0, -1.0]], np.float32)
    if keras.backend.backend() == "torch":
        # PyTorch runs eagerly: the values are known and checked.
        with pytest.raises(ValueError, match="inputs=2.0"):
            model.predict(x, verbose=0)
        return
    spikes = model.predict(x, verbose=0)
    # Clipped to [1, 0]: the first feature always fires (Poisson) or fires
    # at step 0 (latency); the second never fires.
    assert spikes[0, 0, 0] == 1.0
    assert spikes[0, :, 1].sum() == 0.0


@pytest.mark.parametrize(
    "make_layer",
    [
        lambda: keras_snn.PoissonEncoding(3, seed=0),
        lambda: keras_snn.LatencyEncoding(3),
    ],
)
def test_non_finite_inputs(make_layer):
    x = np.array([[np.nan, np.inf, 0.5]], np.float32)
    with pytest.raises(ValueError, match="inputs=nan at index \\(0, 0\\)"):
        make_layer()(x)
    if keras.backend.backend() == "torch":
        return  # always eager: always checked
    model = keras.Sequential([keras.Input((3,)), make_layer()])
    spikes = model.predict(x, verbose=0)
    # Not clipped into spikes or silence: NaN, as elsewhere in keras_snn.
    assert np.isnan(spikes[0, :, :2]).all()
    assert np.isfinite(spikes[0, :, 2]).all()


ENCODERS = {
    "repeat": lambda: keras_snn.RepeatEncoding(3),
    "poisson": lambda: keras_snn.PoissonEncoding(3, seed=0),
    "latency": lambda: keras_snn.LatencyEncoding(3),
}
INTEGER_DTYPES = ["uint8", "int8", "int16", "int32", "int64", "bool"]


@pytest.mark.parametrize("dtype", INTEGER_DTYPES)
@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_integer_inputs_give_the_float_result(encoder, dtype):
    # Integer and boolean inputs are cast to the compute dtype, not passed
    # through (TensorFlow raised TypeError for PoissonEncoding on uint8).
    x = np.array([[0, 1], [1, 1]])
    expected = to_numpy(ENCODERS[encoder]()(x.astype("float32")))
    out = ENCODERS[encoder]()(x.astype(dtype))
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    np.testing.assert_array_equal(to_numpy(out), expected)


@pytest.mark.parametrize("encoder", sorted(ENCODERS))
def test_integer_inputs_in_compiled_functions(encoder):
    x = np.array([[0, 1]], "uint8")
    model = keras.Sequential(
        [keras.Input((2,), dtype="uint8"), ENCODERS[encoder]()]
    )
    spikes = model.predict(x, verbose=0)
    assert spikes.dtype == np.float32
    # The input 1 fires at every step (repeat, Poisson) or at step 0
    # (latency); the input 0 never fires.
    np.testing.assert_array_equal(spikes[0, :, 0], [0.0, 0.0, 0.0])
    assert spikes[0, 0, 1] == 1.0


@pytest.mark.parametrize("encoder", ["poisson", "latency"])
def test_uint8_pixels_give_the_range_error(encoder):
    with pytest.raises(ValueError, match=r"inputs=255.0 at index \(0, 1\)"):
        ENCODERS[encoder]()(np.array([[0, 255]], "uint8"))


def test_build_accepts_integer_inputs():
    model = keras_snn.build(
        input_size=2, hidden_sizes=[3], output_size=2, num_timesteps=4
    )
    x = np.array([[0, 1], [1, 1]])
    expected = to_numpy(model(x.astype("float32")))
    for dtype in ("uint8", "int32", "bool"):
        np.testing.assert_array_equal(
            to_numpy(model(x.astype(dtype))), expected
        )
