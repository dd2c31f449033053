import contextlib
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import keras_snn
from tests import reference
from tests.helpers import assert_saved_model_round_trip
from tests.helpers import next_backend
from tests.helpers import to_numpy

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def small_model(**kwargs):
    options = {
        "input_size": 8,
        "hidden_sizes": [12, 6],
        "output_size": 4,
        "num_timesteps": 15,
        **kwargs,
    }
    return keras_snn.build(**options)


def test_defaults_and_structure():
    model = keras_snn.build(input_size=256, output_size=10)
    assert isinstance(model, keras.Model)
    assert model.input_shape == (None, 256)
    assert model.output_shape == (None, 10)
    lifs = [layer for layer in model.layers if isinstance(layer, keras_snn.LIF)]
    assert [layer.units for layer in lifs] == [256, 128, 10]
    assert all(layer.tau == 2.0 and layer.threshold == 1.0 for layer in lifs)
    assert all(layer.reset == "subtract" for layer in lifs)
    assert model.get_layer("lif_0").num_timesteps == 25
    assert not any(
        isinstance(layer, keras.layers.Lambda) for layer in model.layers
    )


def test_seed_example_shapes():
    model = keras_snn.build(
        input_size=256,
        hidden_sizes=[128, 64],
        output_size=10,
        num_timesteps=25,
        tau=2.0,
        threshold=1.0,
    )
    rates = to_numpy(model(np.random.default_rng(0).uniform(size=(3, 256))))
    assert rates.shape == (3, 10)
    assert ((rates >= 0) & (rates <= 1)).all()


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_matches_numpy_reference(reset):
    model = small_model(tau=3.0, threshold=0.8, reset=reset)
    rng = np.random.default_rng(1)
    layers = []
    for name in ("lif_0", "lif_1", "lif_output"):
        cell = model.get_layer(name).cell
        kernel = rng.normal(0.3, 0.7, size=cell.kernel.shape).astype("float32")
        bias = rng.normal(0.0, 0.1, size=cell.bias.shape).astype("float32")
        cell.kernel.assign(kernel)
        cell.bias.assign(bias)
        layers.append((kernel, bias))
    x = rng.uniform(0, 1, size=(6, 8)).astype(np.float32)
    expected = reference.network_rates(
        x, layers, 15, np.exp(-1 / 3.0), 0.8, reset
    )
    np.testing.assert_allclose(to_numpy(model(x)), expected, atol=1e-6)
    assert 0.0 < expected.mean() < 1.0


def test_options_reach_every_layer():
    model = small_model(
        beta=0.5, surrogate="atan", detach_reset=False, use_bias=False
    )
    for name in ("lif_0", "lif_1", "lif_output"):
        layer = model.get_layer(name)
        assert layer.cell.get_beta() == 0.5
        assert layer.surrogate.name == "atan"
        assert layer.detach_reset is False and layer.cell.bias is None


@pytest.mark.xla_default
def test_training_lowers_the_loss():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x[:512] / 16.0).astype("float32")
    y = y[:512]
    model = keras_snn.build(
        input_size=64, hidden_sizes=[64], output_size=10, num_timesteps=10
    )

    def loss(y_true, rates):
        return keras.losses.sparse_categorical_crossentropy(
            y_true, 10.0 * rates, from_logits=True
        )

    model.compile(keras.optimizers.Adam(3e-3), loss, metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=64, verbose=0).history
    assert history["loss"][-1] < 0.75 * history["loss"][0]
    assert history["accuracy"][-1] > 0.3  # chance is 0.1


def test_non_finite_inputs_give_nan_rates():
    model = small_model()
    x = np.full((3, 8), 0.5, np.float32)
    x[0, 2] = np.nan
    x[1, 5] = np.inf
    rates = to_numpy(model(x))
    assert np.isnan(rates[0]).all() and np.isnan(rates[1]).all()
    assert np.isfinite(rates[2]).all()


def test_saved_model_round_trip(tmp_path):
    model = small_model(surrogate="sigmoid", reset="zero")
    x = np.random.default_rng(2).uniform(0, 3, size=(5, 8)).astype("float32")
    loaded = assert_saved_model_round_trip(model, x, tmp_path)
    assert loaded.get_layer("lif_0").surrogate.name == "sigmoid"


SAVE_SCRIPT = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras
    import keras_snn

    keras.utils.set_random_seed(0)
    model = keras_snn.build(input_size=8, hidden_sizes=[12], output_size=4,
                            num_timesteps=10, reset="zero", surrogate="atan")
    x = np.random.default_rng(3).uniform(0, 3, size=(6, 8)).astype("float32")
    model.save(sys.argv[1] + "/model.keras")
    np.savez(sys.argv[1] + "/data.npz", x=x,
             y=keras.ops.convert_to_numpy(model(x)))
    """
)


def test_load_model_saved_under_another_backend(tmp_path):
    # Saved under the next backend, loaded here; tests/test_export.py's
    # cross-backend test goes the other way round (tests/helpers.py).
    env = {**os.environ, "KERAS_BACKEND": next_backend(), "PYTHONPATH": REPO}
    subprocess.run(
        [sys.executable, "-c", SAVE_SCRIPT, str(tmp_path)],
        env=env,
        check=True,
        capture_output=True,
    )
    data = np.load(tmp_path / "data.npz")
    model = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True)
    assert 0.0 < data["y"].mean() < 1.0
    np.testing.assert_array_equal(to_numpy(model(data["x"])), data["y"])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_size": 0}, ValueError, "input_size=0"),
        ({"input_size": 8.0}, TypeError, "input_size=8.0"),
        ({"output_size": -1}, ValueError, "output_size=-1"),
        ({"output_size": "10"}, TypeError, "output_size='10'"),
        ({"hidden_sizes": []}, ValueError, r"hidden_sizes=\[\]"),
        ({"hidden_sizes": [8, -2]}, ValueError, r"hidden_sizes\[1\]=-2"),
        ({"hidden_sizes": [8, 0]}, ValueError, r"hidden_sizes\[1\]=0"),
        ({"hidden_sizes": [8, 2.5]}, TypeError, r"hidden_sizes\[1\]=2.5"),
        ({"hidden_sizes": 8}, TypeError, "hidden_sizes=8"),
        ({"num_timesteps": 0}, ValueError, "num_timesteps=0"),
        ({"tau": -2.0}, ValueError, "tau=-2.0"),
        ({"threshold": 0.0}, ValueError, "threshold=0.0"),
        ({"beta": 1.5}, ValueError, "beta=1.5"),
        ({"reset": "soft"}, ValueError, "reset='soft'"),
        ({"surrogate": "magic"}, ValueError, "surrogate='magic'"),
        ({"readout": "spikes"}, ValueError, "readout='spikes'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        small_model(**kwargs)


def test_required_arguments():
    with pytest.raises(TypeError, match="output_size"):
        keras_snn.build(input_size=4)
    with pytest.raises(TypeError, match="input_size"):
        keras_snn.build(output_size=4)


def test_wrong_input_feature_size():
    model = small_model()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 8\)"):
        model(np.ones((2, 9), np.float32))


def test_default_encoding_is_direct():
    model = small_model()
    assert model.get_layer("lif_0").num_timesteps == 15
    assert not any(
        isinstance(layer, keras_snn.PoissonEncoding | keras_snn.LatencyEncoding)
        for layer in model.layers
    )


@pytest.mark.parametrize(
    "encoding, layer_class",
    [
        ("poisson", keras_snn.PoissonEncoding),
        ("latency", keras_snn.LatencyEncoding),
    ],
)
def test_named_encodings(encoding, layer_class):
    model = small_model(encoding=encoding)
    encoder = model.get_layer("encoding")
    assert isinstance(encoder, layer_class) and encoder.num_timesteps == 15
    assert model.get_layer("lif_0").num_timesteps is None
    rates = to_numpy(model(np.full((3, 8), 0.5, np.float32)))
    assert rates.shape == (3, 4)


def test_latency_encoding_model_matches_numpy_reference():
    model = small_model(encoding="latency")
    rng = np.random.default_rng(4)
    layers = []
    for name in ("lif_0", "lif_1", "lif_output"):
        cell = model.get_layer(name).cell
        kernel = rng.normal(0.5, 1.0, size=cell.kernel.shape).astype("float32")
        bias = rng.normal(0.2, 0.1, size=cell.bias.shape).astype("float32")
        cell.kernel.assign(kernel)
        cell.bias.assign(bias)
        layers.append((kernel, bias))
    x = rng.uniform(0, 1, size=(6, 8)).astype(np.float32)
    # Time-to-first-spike code, computed in float32 like the layer.
    steps = np.round((np.float32(1) - x) * np.float32(14)).astype(int)
    seq = np.zeros((6, 15, 8))
    for b, f in np.ndindex(6, 8):
        seq[b, steps[b, f], f] = 1.0
    for kernel, bias in layers:
        seq = reference.lif_layer(seq, kernel, bias, np.exp(-0.5), 1.0)
    expected = seq.mean(axis=1)
    np.testing.assert_allclose(to_numpy(model(x)), expected, atol=1e-6)
    assert 0.0 < expected.mean() < 1.0


def test_encoder_layer_instance():
    encoder = keras_snn.PoissonEncoding(15, gain=0.5, seed=3)
    model = small_model(encoding=encoder)
    assert model.get_layer(encoder.name) is encoder


def test_poisson_model_save_and_load(tmp_path):
    model = small_model(encoding=keras_snn.PoissonEncoding(15, seed=5))
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    encoder = [
        layer
        for layer in loaded.layers
        if isinstance(layer, keras_snn.PoissonEncoding)
    ]
    assert len(encoder) == 1 and encoder[0].seed == 5
    x = np.full((4, 8), 0.5, np.float32)
    assert to_numpy(loaded(x)).shape == (4, 4)


@pytest.mark.parametrize(
    "encoding, error, match",
    [
        ("rate", ValueError, r"\['latency', 'poisson', 'repeat'\]"),
        ("rate", ValueError, "encoding='rate'"),
        (None, TypeError, "encoding=None"),
        (
            keras_snn.LatencyEncoding(10),
            ValueError,
            "encoding.num_timesteps=10, num_timesteps=15",
        ),
    ],
)
def test_bad_encoding(encoding, error, match):
    with pytest.raises(error, match=match):
        small_model(encoding=encoding)


def test_membrane_readout_matches_numpy_reference(tmp_path):
    model = small_model(tau=3.0, readout="membrane")
    assert model.output_shape == (None, 4)
    assert isinstance(model.get_layer("li_output"), keras_snn.LI)
    assert model.get_layer("li_output").tau == 3.0
    rng = np.random.default_rng(3)
    weights = []
    for name in ("lif_0", "lif_1", "li_output"):
        cell = model.get_layer(name).cell
        kernel = rng.normal(0.05, 0.7, size=cell.kernel.shape).astype("float32")
        bias = rng.normal(0.0, 0.1, size=cell.bias.shape).astype("float32")
        cell.kernel.assign(kernel)
        cell.bias.assign(bias)
        weights.append((kernel, bias))
    x = rng.uniform(0, 1, size=(6, 8)).astype(np.float32)
    beta = np.exp(-1 / 3.0)
    spikes = np.repeat(x[:, None], 15, axis=1)
    for kernel, bias in weights[:2]:
        spikes = reference.lif_layer(spikes, kernel, bias, beta, 1.0)
    membrane, _ = reference.neuron_layer("li", spikes, *weights[2], beta=beta)
    np.testing.assert_allclose(
        to_numpy(model(x)), membrane.mean(axis=1), rtol=1e-5, atol=1e-5
    )
    assert 0.05 < spikes.mean() < 0.95
    assert_saved_model_round_trip(model, x, tmp_path)


@pytest.mark.xla_default
def test_membrane_readout_trains_with_plain_cross_entropy():
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x[:256] / 16.0).astype("float32")
    model = keras_snn.build(
        input_size=64,
        hidden_sizes=[32],
        output_size=10,
        num_timesteps=8,
        readout="membrane",
    )
    model.compile(
        keras.optimizers.Adam(3e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y[:256], epochs=5, batch_size=32, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    assert history.history["accuracy"][-1] > 0.3  # chance is 0.1


@pytest.mark.xla_default
def test_build_returns_a_spiking_model_that_compiles_with_xla(tmp_path):
    model = small_model()
    assert isinstance(model, keras_snn.SpikingModel)
    model.compile("adam", "mse")
    # XLA by default on TensorFlow (CPU too) and JAX; PyTorch stays eager.
    expected = keras.backend.backend() != "torch"
    assert model.jit_compile is expected
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is keras_snn.SpikingModel
    assert loaded.jit_compile is expected


@pytest.mark.xla_default
@pytest.mark.parametrize(
    "options", [{"jit_compile": False}, {"run_eagerly": True}]
)
def test_spiking_model_keeps_explicit_compile_options(options):
    model = small_model()
    model.compile("adam", "mse", **options)
    assert model.jit_compile is False


def test_spiking_model_from_inputs_and_outputs():
    inputs = keras.Input((6,))
    outputs = keras_snn.RateDecoding()(
        keras_snn.LIF(3, num_timesteps=4)(inputs)
    )
    model = keras_snn.SpikingModel(inputs, outputs)
    x = np.linspace(0, 3, 12, dtype="float32").reshape(2, 6)
    cell = model.layers[1].cell
    layers = [(to_numpy(cell.kernel), to_numpy(cell.bias))]
    expected = reference.network_rates(x, layers, 4, np.exp(-0.5), 1.0)
    np.testing.assert_allclose(to_numpy(model(x)), expected, atol=1e-6)
    assert 0.0 < expected.mean() < 1.0


@pytest.mark.skipif(
    keras.backend.backend() == "torch",
    reason="jit_compile=True on PyTorch is torch.compile, not XLA",
)
def float64_enabled():
    if keras.backend.backend() == "jax":
        import jax

        return jax.enable_x64(True)
    return contextlib.nullcontext()


def test_xla_training_step_equals_the_uncompiled_one():
    # One SGD step from the same weights, three ways: compiled with XLA,
    # uncompiled, and uncompiled in float64 (the exact step; JAX gets
    # float64 for it through its x64 switch).
    # XLA fuses and reorders the float32 sums of the backward pass. The
    # steep surrogate (its derivative changes by up to 1250 per unit of
    # membrane at slope 25) amplifies those rounding differences: on
    # TensorFlow, the first layer's weights of the two float32 steps
    # differ by up to 5.5e-5, and each is 2e-5 to 3e-5 away from the
    # float64 step. So the test asserts what is true: the XLA step is as
    # close to the exact step as the uncompiled float32 step is (twice its
    # error, plus float32 resolution at these magnitudes). A real
    # difference (a wrong gradient, a flipped spike) moves weights by
    # 1e-3 or more: this step moves them by up to 2.7.
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 2, size=(16, 8))
    y = np.eye(4)[rng.integers(0, 4, size=16)]
    keras.utils.set_random_seed(0)
    initial = [to_numpy(w) for w in small_model().weights]
    weights = {}
    for name, jit, dtype in (
        ("xla", True, "float32"),
        ("float32", False, "float32"),
        ("float64", False, "float64"),
    ):
        keras.config.set_dtype_policy(dtype)
        with float64_enabled():
            model = small_model()
            model.set_weights([w.astype(dtype) for w in initial])
            model.compile(keras.optimizers.SGD(0.5), "mse", jit_compile=jit)
            model.fit(
                x.astype(dtype), y.astype(dtype), batch_size=16, verbose=0
            )
            weights[name] = [
                to_numpy(w).astype("float64") for w in model.weights
            ]
    for compiled, uncompiled, exact, before in zip(
        weights["xla"],
        weights["float32"],
        weights["float64"],
        initial,
        strict=True,
    ):
        assert not np.allclose(exact, before)  # the step changed them
        float32_error = np.abs(uncompiled - exact).max()
        np.testing.assert_allclose(
            compiled, exact, rtol=0, atol=2 * float32_error + 1e-6
        )


@pytest.mark.xla_default
@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="tf.distribute strategies are TensorFlow's",
)
def test_tensorflow_strategy_keeps_xla_off():
    import tensorflow as tf

    with tf.distribute.OneDeviceStrategy("/cpu:0").scope():
        model = small_model()
        model.compile("adam", "mse")
    assert model.jit_compile is False


# build_sequence: [batch, time, features] -> logits.

SEQ = np.random.default_rng(5).normal(0.5, 1.0, (3, 6, 2)).astype("float32")


def small_sequence_model(**kwargs):
    options = {
        "input_size": 2,
        "output_size": 3,
        "hidden_sizes": [5],
        "encoder_size": None,
        "num_timesteps": 6,
        **kwargs,
    }
    return keras_snn.build_sequence(**options)


def assign_weights(model, seed=6):
    # Large enough weights that the hidden layer spikes.
    rng = np.random.default_rng(seed)
    weights = {}
    for variable in model.trainable_variables:
        value = rng.normal(0.3, 0.8, variable.shape).astype("float32")
        variable.assign(value)
        weights[variable.path] = value
    return weights


def test_build_sequence_defaults_and_structure():
    model = keras_snn.build_sequence(input_size=1, output_size=10)
    assert isinstance(model, keras_snn.SpikingModel)
    assert model.input_shape == (None, None, 1)
    assert model.output_shape == (None, 10)
    for hidden in (model.get_layer("lif_0"), model.get_layer("lif_1")):
        assert isinstance(hidden, keras_snn.LIF) and hidden.units == 128
        assert hidden.recurrent and hidden.tau == 2.0
        assert hidden.trainable_beta
        assert hidden.surrogate == keras_snn.surrogates.default(True)
    assert model.get_layer("li").tau == 2.0
    assert model.get_layer("li").trainable_beta
    encoder = model.get_layer("encoder")
    assert isinstance(encoder, keras.layers.Dense) and encoder.units == 64
    assert encoder.activation is keras.activations.linear
    plain = keras_snn.build_sequence(
        input_size=1, output_size=10, encoder_size=None
    )
    assert not any(
        isinstance(layer, keras.layers.Dense) for layer in plain.layers
    )
    logits = to_numpy(model(np.ones((2, 7, 1), "float32")))
    assert logits.shape == (2, 10)


@pytest.mark.parametrize(
    "recurrent, trainable_beta", [(False, False), (True, True)]
)
def test_build_sequence_matches_numpy_reference(
    recurrent, trainable_beta, tmp_path
):
    model = small_sequence_model(
        recurrent=recurrent,
        encoder_size=4,
        tau=3.0,
        trainable_beta=trainable_beta,
    )
    weights = assign_weights(model)
    w = {
        path.split("/")[0] + "/" + path.split("/")[-1]: v
        for path, v in weights.items()
    }

    def beta(layer):
        # A trainable decay is sigmoid(beta_logit), one per neuron.
        if not trainable_beta:
            assert f"{layer}/beta_logit" not in w
            return np.exp(-1 / 3.0)
        return 1 / (1 + np.exp(-w[f"{layer}/beta_logit"].astype("float64")))

    current = SEQ @ w["encoder/kernel"] + w["encoder/bias"]
    spikes, _ = reference.neuron_layer(
        "lif",
        current,
        w["lif_0/kernel"],
        w["lif_0/bias"],
        w["lif_0/recurrent_kernel"] if recurrent else None,
        beta=beta("lif_0"),
    )
    membrane, _ = reference.neuron_layer(
        "li", spikes, w["li/kernel"], w["li/bias"], beta=beta("li")
    )
    assert 0.05 < spikes.mean() < 0.95
    np.testing.assert_allclose(
        to_numpy(model(SEQ)), membrane.mean(axis=1), rtol=1e-5, atol=1e-5
    )
    assert_saved_model_round_trip(model, SEQ, tmp_path)


@pytest.mark.parametrize(
    "neuron, layer_class",
    [
        ("lif", keras_snn.LIF),
        ("adaptive_lif", keras_snn.AdaptiveLIF),
        ("synaptic_lif", keras_snn.SynapticLIF),
    ],
)
def test_build_sequence_neuron_models_save_and_load(
    neuron, layer_class, tmp_path
):
    model = small_sequence_model(
        neuron=neuron, hidden_sizes=[5, 4], surrogate="sigmoid"
    )
    layers = [model.get_layer(f"{neuron}_{i}") for i in range(2)]
    assert all(type(layer) is layer_class for layer in layers)
    assert all(layer.surrogate.name == "sigmoid" for layer in layers)
    assign_weights(model)
    loaded = assert_saved_model_round_trip(model, SEQ, tmp_path)
    assert type(loaded.get_layer(f"{neuron}_1")) is layer_class


def test_build_sequence_readouts():
    model = small_sequence_model(readout="last")
    weights = assign_weights(model)
    last = to_numpy(model(SEQ))
    # The "membrane" readout of the same weights: the mean of what
    # "last" takes at the end.
    mean_model = small_sequence_model()
    for variable in mean_model.trainable_variables:
        variable.assign(weights[variable.path])
    sequence_model = keras.Model(
        mean_model.input, mean_model.get_layer("li").output
    )
    membrane = to_numpy(sequence_model(SEQ))
    np.testing.assert_allclose(last, membrane[:, -1], rtol=1e-6)
    np.testing.assert_allclose(
        to_numpy(mean_model(SEQ)), membrane.mean(axis=1), rtol=1e-5
    )
    rate_model = small_sequence_model(readout="rate")
    output = rate_model.get_layer("lif_output")
    assert not output.recurrent and output.units == 3
    rates = to_numpy(rate_model(SEQ))
    assert rates.shape == (3, 3) and ((rates >= 0) & (rates <= 1)).all()


def test_build_sequence_export(tmp_path):
    model = small_sequence_model(encoder_size=4)
    assign_weights(model)
    # Called before the export: Keras' ONNX exporter refuses a model that
    # was never called (issue 16).
    expected = to_numpy(model(SEQ))
    backend = keras.backend.backend()
    format = "tf_saved_model" if backend != "torch" else "onnx"
    path = str(tmp_path / ("model.onnx" if format == "onnx" else "model"))
    keras_snn.export.export(model, path, format=format)
    np.testing.assert_allclose(
        keras_snn.export.load_exported(path, format)(SEQ),
        expected,
        rtol=1e-5,
        atol=1e-5,
    )


def test_build_sequence_trains():
    rng = np.random.default_rng(7)
    x = rng.normal(0, 1, (64, 10, 2)).astype("float32")
    # The class is the sign of the first half's mean of feature 0.
    y = (x[:, :5, 0].mean(axis=1) > 0).astype("int32")
    model = keras_snn.build_sequence(
        input_size=2, output_size=2, hidden_sizes=[16], num_timesteps=10
    )
    model.compile(
        keras.optimizers.Adam(1e-2),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    history = model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all() and losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"input_size": 0}, ValueError, "input_size=0"),
        ({"output_size": "3"}, TypeError, "output_size='3'"),
        ({"hidden_sizes": []}, ValueError, r"hidden_sizes=\[\]"),
        ({"hidden_sizes": [4, 0]}, ValueError, r"hidden_sizes\[1\]=0"),
        ({"num_timesteps": 0}, ValueError, "num_timesteps=0"),
        ({"num_timesteps": 2.5}, TypeError, "num_timesteps=2.5"),
        ({"neuron": "izhikevich"}, ValueError, "neuron='izhikevich'"),
        ({"neuron": keras_snn.LIF}, ValueError, "neuron=<class"),
        ({"recurrent": 1}, TypeError, "recurrent=1"),
        ({"encoder_size": -4}, ValueError, "encoder_size=-4"),
        ({"tau": 0.0}, ValueError, "tau=0.0"),
        ({"trainable_beta": 1}, TypeError, "trainable_beta=1"),
        ({"surrogate": "magic"}, ValueError, "surrogate='magic'"),
        ({"readout": "spikes"}, ValueError, "readout='spikes'"),
        ({"name": 3}, TypeError, "name=3"),
    ],
)
def test_build_sequence_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        small_sequence_model(**kwargs)


def test_build_sequence_wrong_input_feature_size():
    model = small_sequence_model()
    with pytest.raises(ValueError, match=r"expected shape=\(None, 6, 2\)"):
        model(np.zeros((1, 6, 3), "float32"))
