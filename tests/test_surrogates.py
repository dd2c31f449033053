import math

import keras
import numpy as np
import pytest

import keras_snn
from keras_snn import surrogates
from tests import reference
from tests.helpers import gradients
from tests.helpers import to_numpy

# Each surrogate with non-default options, so that options are really used.
CASES = [
    ("fast_sigmoid", {"slope": 10.0}),
    ("sigmoid", {"slope": 4.0}),
    ("atan", {"alpha": 3.0}),
    ("triangular", {"width": 0.5}),
    ("straight_through", {}),
    ("fast_sigmoid", {"slope": 10.0, "peak": 1.0}),
    ("sigmoid", {"slope": 4.0, "peak": 0.5}),
    ("atan", {"alpha": 3.0, "peak": 2.0}),
    ("triangular", {"width": 0.5, "peak": 0.25}),
]
X = np.array([-2.0, -0.7, -0.3, -0.05, 0.0, 0.02, 0.3, 0.45, 1.5], np.float32)


@pytest.mark.parametrize("name, options", CASES)
def test_forward_is_hard_step(name, options):
    spike_fn = surrogates.get(name).from_config(options)
    np.testing.assert_array_equal(to_numpy(spike_fn(X)), reference.spike(X))


@pytest.mark.parametrize("name, options", CASES)
def test_gradient_matches_documented_formula(name, options):
    spike_fn = type(surrogates.get(name))(**options)
    upstream = np.linspace(0.5, 2.0, X.size).astype(np.float32)
    (grad,) = gradients(lambda x: keras.ops.multiply(spike_fn(x), upstream), X)
    expected = upstream * reference.surrogate_derivative(name, X, **options)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


def test_default_surrogate_is_fast_sigmoid_with_slope_25():
    (grad,) = gradients(keras_snn.surrogate_gradient, X)
    np.testing.assert_allclose(
        grad, 25.0 / (1.0 + 25.0 * np.abs(X)) ** 2, rtol=1e-5
    )
    assert surrogates.get(None) == surrogates.FastSigmoid(25.0)
    # The peak of the default backward pass is the slope itself.
    (peak,) = gradients(keras_snn.surrogate_gradient, np.zeros(1))
    assert peak[0] == pytest.approx(25.0)


def test_surrogate_gradient_slope_and_forward():
    spikes = keras_snn.surrogate_gradient(X, slope=3.0)
    np.testing.assert_array_equal(to_numpy(spikes), reference.spike(X))
    (grad,) = gradients(lambda x: keras_snn.surrogate_gradient(x, 3.0), X)
    np.testing.assert_allclose(
        grad,
        reference.surrogate_derivative("fast_sigmoid", X, slope=3.0),
        rtol=1e-5,
    )


def test_gradient_on_a_2d_batch():
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    (grad,) = gradients(surrogates.ATan(), x)
    np.testing.assert_allclose(
        grad, reference.surrogate_derivative("atan", x), rtol=1e-5
    )


def test_non_finite_inputs_give_nan_not_spikes():
    x = np.array([np.nan, np.inf, -np.inf, 1.0, -1.0], np.float32)
    out = to_numpy(keras_snn.surrogate_gradient(x))
    assert np.isnan(out[:3]).all()
    np.testing.assert_array_equal(out[3:], [1.0, 0.0])


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_dtype_is_preserved(dtype):
    x = keras.ops.cast(keras.ops.convert_to_tensor(X), dtype)
    out = surrogates.Sigmoid()(x)
    assert keras.backend.standardize_dtype(out.dtype) == dtype
    np.testing.assert_array_equal(
        to_numpy(keras.ops.cast(out, "float32")), reference.spike(X)
    )


@pytest.mark.parametrize("name, options", CASES)
def test_get_and_serialize_round_trip(name, options):
    surrogate = type(surrogates.get(name))(**options)
    assert surrogate.name == name
    config = surrogates.serialize(surrogate)
    restored = surrogates.get(config)
    assert restored == surrogate
    assert restored.get_config() == surrogate.get_config()
    assert surrogates.get(surrogate) is surrogate


def test_get_by_name_gives_defaults():
    assert surrogates.get("atan").alpha == 2.0
    assert surrogates.get("sigmoid").slope == 25.0
    assert surrogates.get("triangular").width == 1.0
    assert (
        repr(surrogates.get("fast_sigmoid"))
        == "FastSigmoid(slope=25.0, peak=None)"
    )


def test_unknown_name_lists_known_surrogates():
    with pytest.raises(ValueError, match=r"surrogate='heavy'.*") as info:
        surrogates.get("heavy")
    assert "fast_sigmoid" in str(info.value)


def test_closures_are_rejected():
    with pytest.raises(TypeError, match="surrogate=<function"):
        surrogates.get(lambda x: x)


@pytest.mark.parametrize(
    "cls, key, value",
    [
        (surrogates.FastSigmoid, "slope", 0.0),
        (surrogates.Sigmoid, "slope", -1.0),
        (surrogates.ATan, "alpha", float("nan")),
        (surrogates.Triangular, "width", 0),
        (surrogates.FastSigmoid, "peak", 0.0),
        (surrogates.Sigmoid, "peak", -1.0),
        (surrogates.ATan, "peak", float("inf")),
        (surrogates.Triangular, "peak", -2),
    ],
)
def test_bad_options(cls, key, value):
    with pytest.raises(ValueError, match=f"{key}={value!r}"):
        cls(**{key: value})


@pytest.mark.parametrize(
    "cls, width",
    [
        (surrogates.FastSigmoid, {"slope": 7.0}),
        (surrogates.Sigmoid, {"slope": 6.0}),
        (surrogates.ATan, {"alpha": 3.0}),
        (surrogates.Triangular, {"width": 0.4}),
    ],
)
def test_peak_sets_the_scale_and_keeps_the_shape(cls, width):
    (peak,) = gradients(cls(**width, peak=1.5), np.zeros(1, np.float32))
    assert peak[0] == pytest.approx(1.5)
    (scaled,) = gradients(cls(**width, peak=1.5), X)
    (natural,) = gradients(cls(**width), X)
    (natural_peak,) = gradients(cls(**width), np.zeros(1, np.float32))
    np.testing.assert_allclose(
        scaled, natural * 1.5 / natural_peak[0], rtol=1e-5, atol=1e-7
    )


def test_peak_none_keeps_the_formula_and_old_configs_load():
    # Configs saved before `peak` existed hold the width option only.
    for cls, config in [
        (surrogates.FastSigmoid, {"slope": 25.0}),
        (surrogates.Sigmoid, {"slope": 25.0}),
        (surrogates.ATan, {"alpha": 2.0}),
        (surrogates.Triangular, {"width": 1.0}),
    ]:
        surrogate = cls.from_config(config)
        assert surrogate.peak is None
        assert surrogate == cls()
    (grad,) = gradients(surrogates.FastSigmoid(), np.zeros(1, np.float32))
    assert grad[0] == pytest.approx(25.0)


def test_default_depends_on_recurrence():
    assert surrogates.default() == surrogates.FastSigmoid(25.0)
    assert surrogates.default(False) == surrogates.get(None)
    recurrent = surrogates.default(True)
    assert recurrent == surrogates.RECURRENT_DEFAULT
    assert recurrent is not surrogates.RECURRENT_DEFAULT
    (peak,) = gradients(recurrent, np.zeros(1, np.float32))
    assert peak[0] == pytest.approx(1.0)
    with pytest.raises(TypeError, match="recurrent=1"):
        surrogates.default(1)


def test_bad_option_type():
    with pytest.raises(TypeError, match="slope='steep'"):
        surrogates.FastSigmoid("steep")


def test_deserialize_rejects_other_objects():
    config = keras.saving.serialize_keras_object(keras.layers.Dense(2))
    with pytest.raises(ValueError, match="does not describe a Surrogate"):
        surrogates.deserialize(config)


class Gaussian(surrogates.Surrogate):
    def __init__(self, sigma=0.5):
        self.sigma = sigma

    def derivative(self, x):
        return keras.ops.exp(-0.5 * (x / self.sigma) ** 2) / (
            self.sigma * math.sqrt(2 * math.pi)
        )

    def get_config(self):
        return {"sigma": self.sigma}


surrogates.register_surrogate("test_gaussian")(Gaussian)


def test_registered_custom_surrogate(tmp_path):
    assert isinstance(surrogates.get("test_gaussian"), Gaussian)
    (grad,) = gradients(Gaussian(0.3), X)
    expected = np.exp(-0.5 * (X / 0.3) ** 2) / (0.3 * math.sqrt(2 * math.pi))
    np.testing.assert_allclose(grad, expected, rtol=1e-5)
    layer = keras_snn.LIF(3, surrogate=Gaussian(0.3))
    model = keras.Sequential([keras.Input((4, 2)), layer])
    path = str(tmp_path / "gaussian.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.layers[0].surrogate == Gaussian(0.3)


def test_register_errors():
    with pytest.raises(ValueError, match="already registered"):
        surrogates.register_surrogate("atan")(Gaussian)
    with pytest.raises(TypeError, match="subclasses of Surrogate"):
        surrogates.register_surrogate("not_a_surrogate")(dict)
    with pytest.raises(ValueError, match="name=''"):
        surrogates.register_surrogate("")


def test_base_class_requires_derivative():
    with pytest.raises(NotImplementedError, match="derivative"):
        gradients(surrogates.Surrogate(), X)


def test_fast_sigmoid_derivative_leaves_its_input_alone():
    # PyTorch computes it in place on a fresh tensor, never on `x`. A copy:
    # the tensor may share memory with its NumPy source, which would then
    # change along with it and hide the change.
    x = keras.ops.convert_to_tensor(X.copy())
    derivative = surrogates.FastSigmoid(slope=4.0).derivative(x)
    np.testing.assert_array_equal(to_numpy(x), X)
    np.testing.assert_allclose(
        to_numpy(derivative),
        reference.surrogate_derivative("fast_sigmoid", X, slope=4.0),
        rtol=1e-6,
    )


def test_fast_sigmoid_derivative_of_a_numpy_array():
    derivative = surrogates.FastSigmoid(slope=4.0).derivative(X)
    np.testing.assert_allclose(
        np.asarray(derivative),
        reference.surrogate_derivative("fast_sigmoid", X, slope=4.0),
        rtol=1e-6,
    )


def test_fast_sigmoid_derivative_is_itself_differentiable():
    # Where autodiff records it (PyTorch with a tensor that requires
    # grad), the derivative is computed out of place.
    slope = 4.0
    x = X[X != 0]  # |x| has no derivative at 0
    (grad,) = gradients(surrogates.FastSigmoid(slope=slope).derivative, x)
    expected = -2 * slope**2 * np.sign(x) / (1 + slope * np.abs(x)) ** 3
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)
