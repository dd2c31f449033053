"""Delay layers against the NumPy reference of the shift, the relaxed
interpolation and the DCLS projection."""

import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.layers import delay as delay_module
from tests import reference
from tests.helpers import assert_config_round_trip
from tests.helpers import assert_saved_model_round_trip
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
X = RNG.normal(size=(2, 6, 4)).astype("float32")


@pytest.mark.parametrize("delays", [0, 2, [0, 1, 3, 1], (5, 0, 2, 6)])
def test_fixed_delay_matches_reference(delays):
    layer = keras_snn.Delay(delays)
    y = to_numpy(layer(X))
    assert y.shape == X.shape
    np.testing.assert_array_equal(y, reference.delayed(X, delays))


def test_fixed_delay_example_values():
    y = to_numpy(keras_snn.Delay([0, 2])(np.ones((1, 4, 2), "float32")))
    np.testing.assert_array_equal(y[0], [[1, 0], [1, 0], [1, 1], [1, 1]])


def test_delay_longer_than_sequence_gives_zeros():
    # Documented: x[t - d] with t < d is before the first step.
    y = to_numpy(keras_snn.Delay([6, 9, 1, 0])(X))
    np.testing.assert_array_equal(y[:, :, :2], 0.0)
    np.testing.assert_array_equal(y[:, 1:, 2], X[:, :-1, 2])
    np.testing.assert_array_equal(y[:, :, 3], X[:, :, 3])
    np.testing.assert_array_equal(to_numpy(keras_snn.Delay(7)(X)), 0.0)


def test_shift_function_and_nan_stays_in_its_feature():
    x = X.copy()
    x[0, 0, 0] = np.nan
    y = to_numpy(delay_module.shift(x, [1, 0, 2, 3]))
    assert np.isnan(y[0, 1, 0])
    assert np.isfinite(np.delete(y[0].reshape(-1), 1 * 4 + 0)).all()


def test_fixed_delay_dynamic_length_and_gradient():
    model = keras.Sequential(
        [keras.Input((None, 4)), keras_snn.Delay([1, 0, 2, 3])]
    )
    for steps in (3, 6):
        np.testing.assert_array_equal(
            to_numpy(model(X[:, :steps])),
            reference.delayed(X[:, :steps], [1, 0, 2, 3]),
        )
    layer = keras_snn.Delay([1, 0, 2, 3])
    (grad,) = gradients(layer, X)
    # Each input reaches the output unless shifted past the end.
    expected = reference.delayed(np.ones_like(X)[:, ::-1], [1, 0, 2, 3])
    np.testing.assert_array_equal(grad, expected[:, ::-1])


BAD_DELAYS = [
    (-1, ValueError, r"delays=-1"),
    (1.5, TypeError, r"delays=1.5"),
    (True, TypeError, r"delays=True"),
    ("2", TypeError, r"delays='2'"),
    ([1, -2], ValueError, r"delays\[1\]=-2"),
    ([1, 2.0], TypeError, r"delays\[1\]=2.0"),
    ([], ValueError, r"delays=\[\]"),
    (np.array([0.5]), TypeError, "delays=array"),
]


def test_bad_fixed_delays():
    # One test, not one per case: each test costs a Keras session reset.
    for delays, error, message in BAD_DELAYS:
        with pytest.raises(error, match=message):
            keras_snn.Delay(delays)


def test_delays_list_length_must_match_features():
    with pytest.raises(ValueError, match=r"delays=\[1, 2, 3\] \(3 delays\)"):
        keras_snn.Delay([1, 2, 3])(X)
    with pytest.raises(ValueError, match="input_shape"):
        keras_snn.Delay(1)(X[0])


def test_bad_max_delay():
    for make in (
        lambda d: keras_snn.LearnableDelay(d),
        lambda d: keras_snn.DelayedDense(3, d),
        lambda d: delay_module.interpolate(X, np.zeros(4), d),
        lambda d: delay_module.dcls_kernel(np.ones((1, 1)), [[0.0]], 1.0, d),
    ):
        with pytest.raises(ValueError, match="max_delay=-1"):
            make(-1)
        with pytest.raises(TypeError, match="max_delay=2.5"):
            make(2.5)


def test_other_bad_arguments():
    with pytest.raises(ValueError, match="sigma=-1.0"):
        keras_snn.DelayedDense(3, 4, sigma=-1.0)
    with pytest.raises(ValueError, match="units=0"):
        keras_snn.DelayedDense(0, 4)
    with pytest.raises(ValueError, match="final_sigma=0"):
        keras_snn.DelayAnnealing(5, final_sigma=0)
    with pytest.raises(ValueError, match="epochs=0"):
        keras_snn.DelayAnnealing(0)


def learnable(delays, max_delay=4):
    layer = keras_snn.LearnableDelay(max_delay)
    layer.build(X.shape)
    layer.delay.assign(np.asarray(delays, "float32"))
    return layer


def test_learnable_delay_relaxed_in_training_integer_at_inference():
    delays = [0.0, 1.25, 2.5, 3.9]
    layer = learnable(delays)
    np.testing.assert_allclose(
        to_numpy(layer(X, training=True)),
        reference.delayed_interpolated(X, delays),
        rtol=1e-6,
        atol=1e-6,
    )
    # round half to even: 2.5 -> 2.
    np.testing.assert_array_equal(
        to_numpy(layer(X)), reference.delayed(X, [0, 1, 2, 4])
    )
    np.testing.assert_array_equal(layer.integer_delays(), [0, 1, 2, 4])


def test_interpolation_at_integers_is_the_shift():
    y = delay_module.interpolate(X, np.array([0.0, 1.0, 3.0, 2.0]), 3)
    np.testing.assert_array_equal(
        to_numpy(y), reference.delayed(X, [0, 1, 3, 2])
    )


def test_delay_gradient_matches_finite_differences():
    delays = np.array([0.3, 1.6, 2.2, 3.45])
    upstream = RNG.normal(size=X.shape)

    def relaxed(d):
        return keras.ops.multiply(
            delay_module.interpolate(X, d, 4), upstream.astype("float32")
        )

    (grad,) = gradients(relaxed, delays)
    eps = 1e-3
    numeric = []
    for i in range(4):
        step = np.eye(4)[i] * eps
        plus = reference.delayed_interpolated(X, delays + step)
        minus = reference.delayed_interpolated(X, delays - step)
        numeric.append(np.sum(upstream * (plus - minus)) / (2 * eps))
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-4)
    assert np.all(np.abs(numeric) > 1e-2)


def dcls(units=3, max_delay=4, sigma=1.5, seed=1):
    rng = np.random.default_rng(seed)
    layer = keras_snn.DelayedDense(units, max_delay, sigma=sigma)
    layer.build(X.shape)
    layer.kernel.assign(rng.normal(size=(4, units)))
    layer.bias.assign(rng.normal(size=(units,)))
    layer.positions.assign(rng.uniform(0, max_delay, (4, units)))
    return layer


@pytest.mark.parametrize("sigma", [1.5, 0.4, 0.0])
def test_delayed_dense_matches_reference(sigma):
    layer = dcls(sigma=sigma)
    expected = reference.delayed_dense(
        X,
        to_numpy(layer.kernel.value),
        to_numpy(layer.bias.value),
        to_numpy(layer.positions.value),
        sigma,
        4,
    )
    np.testing.assert_allclose(to_numpy(layer(X)), expected, atol=1e-5)


def test_delayed_dense_rounded_is_dense_with_integer_delays():
    layer = dcls()
    layer.round_delays()
    positions = to_numpy(layer.positions.value)
    np.testing.assert_array_equal(positions, np.round(positions))
    assert float(to_numpy(layer.sigma_weight.value)) == 0.0
    kernel, bias = to_numpy(layer.kernel.value), to_numpy(layer.bias.value)
    expected = bias + sum(
        reference.delayed(X[:, :, i : i + 1], int(positions[i, j]))
        * kernel[i, j]
        * np.eye(3)[j]
        for i in range(4)
        for j in range(3)
    )
    np.testing.assert_allclose(to_numpy(layer(X)), expected, atol=1e-5)


def test_dcls_position_gradient_matches_finite_differences():
    rng = np.random.default_rng(2)
    kernel = rng.normal(size=(3, 2))
    positions = rng.uniform(0.2, 3.8, (3, 2))
    upstream = rng.normal(size=(5, 3, 2)).astype("float32")

    def weighted(p):
        kernel_k = delay_module.dcls_kernel(kernel.astype("float32"), p, 0.8, 4)
        return keras.ops.multiply(kernel_k, upstream)

    (grad,) = gradients(weighted, positions)

    def reference_kernel(p):
        taps = np.arange(5.0)[:, None, None]
        g = np.exp(-((taps - p) ** 2) / (2 * 0.8**2))
        return kernel * g / (g.sum(0) + 1e-7)

    eps = 1e-4
    numeric = np.zeros_like(positions)
    for index in np.ndindex(*positions.shape):
        step = np.zeros_like(positions)
        step[index] = eps
        difference = reference_kernel(positions + step) - reference_kernel(
            positions - step
        )
        numeric[index] = np.sum(upstream * difference) / (2 * eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-4)


def test_annealing_schedule_and_rounding():
    model = keras.Sequential(
        [keras.Input((6, 4)), keras_snn.DelayedDense(2, 4, sigma=2.0)]
    )
    callback = keras_snn.DelayAnnealing(2, final_sigma=0.5)
    assert callback.sigma(2.0, 0) == 2.0
    assert callback.sigma(2.0, 1) == pytest.approx(1.0)
    assert callback.sigma(2.0, 5) == pytest.approx(0.5)
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(float(to_numpy(model.layers[0].sigma_weight.value)))

    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(
        X, X[..., :2], epochs=3, verbose=0, callbacks=[callback, Record()]
    )
    np.testing.assert_allclose(seen, [2.0, 1.0, 0.5], rtol=1e-6)
    layer = model.layers[0]
    assert float(to_numpy(layer.sigma_weight.value)) == 0.0
    positions = to_numpy(layer.positions.value)
    np.testing.assert_array_equal(positions, np.round(positions))


def test_training_moves_delays_within_bounds():
    model = keras.Sequential(
        [
            keras.Input((6, 4)),
            keras_snn.LearnableDelay(3),
            keras_snn.DelayedDense(2, 3),
        ]
    )
    before = [to_numpy(v.value).copy() for v in model.trainable_variables]
    model.compile(keras.optimizers.SGD(1.0), "mse")
    model.fit(X, X[..., :2] * 3.0, epochs=3, verbose=0)
    delays = to_numpy(model.layers[0].delay.value)
    positions = to_numpy(model.layers[1].positions.value)
    assert not np.allclose(delays, before[0])
    assert not np.allclose(positions, before[3])
    for values in (delays, positions):
        assert values.min() >= 0.0 and values.max() <= 3.0


def delay_model():
    return keras.Sequential(
        [
            keras.Input((6, 4)),
            keras_snn.Delay([0, 1, 2, 3]),
            keras_snn.LearnableDelay(3),
            keras_snn.DelayedDense(3, 2, sigma=0.7),
        ]
    )


def test_serialization(tmp_path):
    for layer in (
        keras_snn.Delay([0, 2, 1]),
        keras_snn.Delay(3),
        keras_snn.LearnableDelay(5, delay_initializer="zeros"),
        keras_snn.DelayedDense(
            4, 3, sigma=0.5, use_bias=False, position_initializer="ones"
        ),
    ):
        assert_config_round_trip(layer)
    model = delay_model()
    layer = model.layers[2]
    layer.sigma_weight.assign(0.3)
    loaded = assert_saved_model_round_trip(model, X, tmp_path)
    assert float(
        to_numpy(loaded.layers[2].sigma_weight.value)
    ) == pytest.approx(0.3)


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision(policy):
    keras.config.set_dtype_policy(policy)
    model = delay_model()
    compute = policy.split("_")[1]
    y = model(X)
    assert keras.backend.standardize_dtype(y.dtype) == compute
    shifted = to_numpy(model.layers[0](X))
    assert shifted.dtype == np.dtype(compute) or compute == "bfloat16"
    np.testing.assert_array_equal(
        shifted.astype("float32"),
        reference.delayed(X.astype(compute), [0, 1, 2, 3]),
    )
    assert model.layers[1].delay.dtype == "float32"
    model.compile(keras.optimizers.Adam(1e-2), "mse")
    history = model.fit(X, np.ones((2, 6, 3)), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_between_constraint():
    constraint = keras_snn.constraints.Between(0.0, 3.0)
    np.testing.assert_array_equal(
        to_numpy(constraint(keras.ops.array([-1.0, 1.5, 4.0]))), [0, 1.5, 3]
    )
    assert constraint.get_config() == {"min_value": 0.0, "max_value": 3.0}
    with pytest.raises(ValueError, match="min_value=2, max_value=1"):
        keras_snn.constraints.Between(2, 1)
