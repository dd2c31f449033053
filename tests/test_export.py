"""Exported artifacts, int8 LiteRT and streaming models against predict."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_snn
from keras_snn import export
from keras_snn.loops import exportable
from tests.helpers import next_backend
from tests.helpers import to_numpy

BACKEND = keras.backend.backend()
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTENSIONS = {"tf_saved_model": "", "litert": ".tflite", "onnx": ".onnx"}
STEPS = 8


def supported(format):
    return BACKEND in export.FORMATS[format]


@pytest.fixture(scope="module")
def trained():
    """A small build() model trained on digits, and held-out images."""
    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=0
    )
    model = keras_snn.build(
        input_size=64, hidden_sizes=[48], output_size=10, num_timesteps=STEPS
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-2),
        loss=keras_snn.losses.SparseRateCrossEntropy(),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=6, verbose=0)
    x_test, y_test = x_test[:256], y_test[:256]
    return model, x_train, x_test, y_test, model.predict(x_test, verbose=0)


def test_trained_model_spikes(trained):
    model, _, x_test, y_test, rates = trained
    assert np.mean(np.argmax(rates, axis=1) == y_test) > 0.8
    # Non-trivial rates: neither silent nor saturated.
    assert 0.02 < rates.mean() < 0.8
    assert 0.1 < np.mean((rates > 0) & (rates < 1))
    spikes = keras_snn.monitoring.spike_trains(model, x_test[:16])
    hidden = to_numpy(spikes["lif_0"])
    assert 0.02 < hidden.mean() < 0.8


def assert_builtin_ops(path):
    """No Select-TF (Flex) or custom operator: plain LiteRT runs it."""
    ops = export.litert_ops(path)
    assert "FULLY_CONNECTED" in ops
    assert all(o.isupper() and o != "CUSTOM" for o in ops), ops
    return ops


def checked_export(model, path, format):
    """Exports with `export.export` and returns the loaded artifact's
    runner; where this backend cannot export `format`, asserts the error
    and returns None."""
    if not supported(format):
        with pytest.raises(ValueError, match="the backends that can are"):
            export.export(model, path, format=format)
        return None
    export.export(model, path, format=format)
    if format == "litert":
        assert_builtin_ops(path)
    return export.load_exported(path, format)


def kernel_bytes(path, dtype=None):
    """Bytes of the 2-D (kernel) tensors of a LiteRT file."""
    details = export._litert_interpreter(path).get_tensor_details()
    return sum(
        int(np.prod(t["shape"])) * np.dtype(t["dtype"]).itemsize
        for t in details
        if len(t["shape"]) == 2
        and t["shape"][0] > 1
        and (dtype is None or np.dtype(t["dtype"]).name == dtype)
    )


def assert_parity(actual, expected):
    assert actual.shape == expected.shape
    assert np.mean(actual == expected) >= 0.99
    agree = np.argmax(actual, axis=1) == np.argmax(expected, axis=1)
    assert np.mean(agree) >= 0.995


@pytest.mark.parametrize("format", list(export.FORMATS))
def test_keras_export_equals_predict(trained, format, tmp_path):
    model, _, x_test, _, rates = trained
    path = str(tmp_path / f"model{EXTENSIONS[format]}")
    if not supported(format):
        with pytest.raises(ValueError, match="the backends that can are"):
            export.export(model, path, format=format)
        return
    # Keras' own exporter, as users call it.
    model.export(path, format=format, verbose=False)
    run = export.load_exported(path, format)
    assert_parity(run(x_test), rates)
    # Non-finite inputs give NaN, not spikes or silence, in the artifact.
    bad = x_test[:3].copy()
    bad[1, 5] = np.nan
    out = run(bad)
    assert np.isnan(out[1]).all() and not np.isnan(out[[0, 2]]).any()
    if format == "litert":
        assert_builtin_ops(path)


def test_export_helper_litert_allows_builtins_only(trained, tmp_path):
    model, *_ = trained
    path = tmp_path / "model.tflite"
    if not supported("litert"):
        with pytest.raises(ValueError, match=r"\['tensorflow'\]"):
            export.export(model, path, format="litert")
        return
    assert export.export(model, path, format="litert") == path
    assert_builtin_ops(path)


def test_check_format():
    with pytest.raises(ValueError, match="format='coreml'"):
        export.check_format("coreml")
    for format, backends in export.FORMATS.items():
        if BACKEND in backends:
            assert export.check_format(format) == format
        else:
            with pytest.raises(ValueError, match=f"KERAS_BACKEND='{BACKEND}'"):
                export.check_format(format)


def test_quantize_litert_int8(trained, tmp_path):
    model, x_train, x_test, y_test, rates = trained
    path = str(tmp_path / "int8.tflite")
    if not supported("litert"):
        with pytest.raises(ValueError, match="litert"):
            export.quantize_litert(model, path, x_train[:64])
        return
    export.quantize_litert(model, path, x_train[:128])
    float_path = str(tmp_path / "float.tflite")
    export.export(model, float_path, format="litert")
    assert "QUANTIZE" in assert_builtin_ops(path)
    # The kernels are stored as int8: a quarter of their float32 bytes.
    assert kernel_bytes(path) <= 0.3 * kernel_bytes(float_path)
    assert kernel_bytes(path, "int8") == kernel_bytes(path)
    int8 = export.load_exported(path, "litert")(x_test)
    float_accuracy = np.mean(np.argmax(rates, axis=1) == y_test)
    int8_accuracy = np.mean(np.argmax(int8, axis=1) == y_test)
    # 256 test images: 2 points is about 5 images.
    assert int8_accuracy >= float_accuracy - 0.02
    with pytest.raises(ValueError, match="representative_data"):
        export.quantize_litert(model, path, np.zeros((0, 64), "float32"))


def run_stream(stream, x, steps, step_input=None):
    states = stream.initial_states(len(x))
    for t in range(steps):
        x_t = x if step_input is None else step_input(t)
        y, *states = stream.predict_on_batch([x_t, *states])
    return to_numpy(y)


def test_streaming_reproduces_predict(trained):
    model, _, x_test, _, rates = trained
    stream = export.streaming_model(model)
    assert stream.num_timesteps == STEPS
    assert stream.state_names == [
        "lif_0_state_0",
        "lif_output_state_0",
        "rates_sum",
        "rates_count",
    ]
    np.testing.assert_array_equal(run_stream(stream, x_test, STEPS), rates)
    # The weights are shared, not copied.
    assert stream.get_layer("step").step_layers[0] is model.get_layer("lif_0")


def sequence_model():
    """Sequence input through per-step layers, LIF and RateDecoding."""
    model = keras.Sequential(
        [
            keras.Input((6, 5)),
            keras.layers.TimeDistributed(keras.layers.Dense(12)),
            keras.layers.Dropout(0.5),
            keras.layers.LayerNormalization(),
            keras_snn.LIF(7, tau=3.0),
            keras.layers.Dense(4),
            keras_snn.LIF(3, beta=0.8, reset="zero"),
            keras_snn.RateDecoding(),
        ]
    )
    # The same weights on every backend, whatever ran before.
    rng = np.random.default_rng(5)
    for variable in model.trainable_variables:
        if "kernel" in variable.path:
            variable.assign(rng.uniform(0.0, 1.2, variable.shape))
    return model


def test_streaming_sequence_input():
    model = sequence_model()
    x = np.random.default_rng(0).normal(1.0, 1.0, (5, 6, 5)).astype("float32")
    expected = model.predict(x, verbose=0)
    assert 0.05 < expected.mean() < 0.95
    stream = export.streaming_model(model)
    assert stream.num_timesteps == 6
    actual = run_stream(stream, x[:, 0], 6, step_input=lambda t: x[:, t])
    np.testing.assert_allclose(actual, expected, atol=1e-6)


def test_streaming_model_of_a_loaded_sequential(tmp_path):
    # Loading a Sequential calls each layer once per layer added, so its
    # layers have several inbound nodes; the chain is read from the
    # model's own graph.
    model = sequence_model()
    path = str(tmp_path / "sequence.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert len(loaded.layers[0]._inbound_nodes) > 1
    x = np.random.default_rng(0).normal(1.0, 1.0, (5, 6, 5)).astype("float32")
    stream = export.streaming_model(loaded)
    actual = run_stream(stream, x[:, 0], 6, step_input=lambda t: x[:, t])
    np.testing.assert_allclose(actual, model.predict(x, verbose=0), atol=1e-6)


def test_streaming_spikes_without_decoder():
    inputs = keras.Input((9,))
    x = keras_snn.RepeatEncoding(4)(inputs)
    x = keras_snn.LIF(6, beta=0.9)(x)
    model = keras.Model(inputs, x)
    data = np.random.default_rng(1).uniform(0, 2, (3, 9)).astype("float32")
    expected = model.predict(data, verbose=0)
    stream = export.streaming_model(model)
    states = stream.initial_states(3)
    for t in range(4):
        spikes, *states = stream.predict_on_batch([data, *states])
        np.testing.assert_array_equal(to_numpy(spikes), expected[:, t])
    assert 0.05 < expected.mean() < 0.95


def other_neuron_models():
    """Every other neuron cell: several states (synaptic, adaptive),
    recurrence and a weightless layer, and inputs that make them spike."""
    model = keras.Sequential(
        [
            keras.Input((16,)),
            keras_snn.RepeatEncoding(8),
            keras_snn.SynapticLIF(12, tau_syn=3.0),
            keras_snn.AdaptiveLIF(10, recurrent=True),
            keras_snn.LIF(10, recurrent=True, reset="zero"),
            keras.layers.TimeDistributed(keras.layers.Dense(6)),
            keras_snn.IF(),
            keras_snn.RateDecoding(),
        ]
    )
    # The same weights on every backend.
    rng = np.random.default_rng(1)
    for variable in model.trainable_variables:
        if "kernel" in variable.path:
            variable.assign(rng.uniform(-0.25, 0.45, variable.shape))
    data = np.random.default_rng(2).uniform(0, 1.5, (6, 16)).astype("float32")
    return model, data


def test_streaming_other_neuron_models():
    # Every neuron cell streams through the RNN cell API.
    model, data = other_neuron_models()
    expected = model.predict(data, verbose=0)
    assert 0.05 < expected.mean() < 0.95
    stream = export.streaming_model(model)
    assert len(stream.state_names) == 2 + 2 + 2 + 1 + 1 + 2
    np.testing.assert_array_equal(run_stream(stream, data, 8), expected)


def test_streaming_model_saves_and_loads(tmp_path):
    # Every neuron cell, recurrent ones included: the loaded stream is made
    # again from the saved source model and gets the saved weights.
    model, data = other_neuron_models()
    stream = export.streaming_model(model)
    assert stream.source is model
    expected = run_stream(stream, data, 8)
    path = str(tmp_path / "stream.keras")
    stream.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert type(loaded) is export.StreamingModel
    assert loaded.name == stream.name
    assert loaded.state_names == stream.state_names
    assert loaded.num_timesteps == 8
    assert len(loaded.weights) == len(stream.weights) > 0
    for saved, restored in zip(stream.weights, loaded.weights, strict=True):
        np.testing.assert_array_equal(to_numpy(restored), to_numpy(saved))
    np.testing.assert_array_equal(run_stream(loaded, data, 8), expected)
    # Its source model is the saved model, with the same weights.
    np.testing.assert_array_equal(
        to_numpy(loaded.source(data)), to_numpy(model(data))
    )


@pytest.mark.parametrize("format", list(export.FORMATS))
def test_other_neuron_models_export(format, tmp_path):
    model, data = other_neuron_models()
    expected = to_numpy(model(data))
    run = checked_export(
        model, str(tmp_path / f"models{EXTENSIONS[format]}"), format
    )
    if run is not None:
        np.testing.assert_array_equal(run(data), expected)


def test_streaming_convolutional_model():
    # States with several axes (a weightless LIF after a convolution), and
    # a BatchNormalization built for sequences.
    model = keras.Sequential(
        [
            keras.Input((5, 6, 6, 2)),
            keras.layers.TimeDistributed(
                keras.layers.Conv2D(3, 3, padding="same")
            ),
            keras_snn.LIF(),
            keras.layers.TimeDistributed(keras.layers.Flatten()),
            keras.layers.BatchNormalization(),
            keras_snn.LIF(4),
            keras_snn.RateDecoding(),
        ]
    )
    rng = np.random.default_rng(4)
    for variable in model.trainable_variables:
        if "kernel" in variable.path or "bias" in variable.path:
            variable.assign(rng.uniform(-0.3, 0.3, variable.shape))
    x = rng.uniform(0, 2, (3, 5, 6, 6, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    assert 0.05 < expected.mean() < 0.95
    stream = export.streaming_model(model)
    assert stream.inputs[1].shape == (None, 6, 6, 3)
    actual = run_stream(stream, x[:, 0], 5, step_input=lambda t: x[:, t])
    np.testing.assert_array_equal(actual, expected)


def test_streaming_membrane_readout():
    model = keras_snn.build(
        input_size=8,
        hidden_sizes=[16],
        output_size=4,
        num_timesteps=6,
        readout="membrane",
    )
    data = np.random.default_rng(3).uniform(0, 2, (5, 8)).astype("float32")
    expected = model.predict(data, verbose=0)
    stream = export.streaming_model(model)
    assert stream.state_names[-2:] == ["logits_sum", "logits_count"]
    # The time average sums membrane potentials, not spikes: equal up to
    # float rounding.
    np.testing.assert_allclose(
        run_stream(stream, data, 6), expected, rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("format", list(export.FORMATS))
def test_streaming_export_runs_step_by_step(trained, format, tmp_path):
    model, _, x_test, _, rates = trained
    stream = export.streaming_model(model)
    run = checked_export(
        stream, str(tmp_path / f"stream{EXTENSIONS[format]}"), format
    )
    if run is None:
        return
    x = x_test[:64]
    states = stream.initial_states(len(x))
    for _ in range(STEPS):
        feeds = dict(zip(stream.state_names, states, strict=True))
        y, *states = run({"x_t": x, **feeds})
    assert_parity(y, rates[:64])


def test_streaming_errors():
    with pytest.raises(TypeError, match="keras.Model"):
        export.streaming_model(keras_snn.LIF(3))
    poisson = keras_snn.build(
        input_size=4, hidden_sizes=[3], output_size=2, encoding="poisson"
    )
    with pytest.raises(ValueError, match="layer 'encoding'"):
        export.streaming_model(poisson)
    inputs = keras.Input((5, 3))
    x = keras_snn.LIF(4)(inputs)
    flat = keras.Model(inputs, keras.layers.Flatten(name="flat")(x))
    with pytest.raises(ValueError, match="layer 'flat'"):
        export.streaming_model(flat)
    branch = keras.Model(inputs, keras.layers.Add(name="add")([x, x]))
    with pytest.raises(ValueError, match="layer 'add'"):
        export.streaming_model(branch)
    backwards = keras.Sequential(
        [keras.Input((5, 3)), keras_snn.LIF(4, go_backwards=True, name="b")]
    )
    with pytest.raises(ValueError, match="layer 'b'"):
        export.streaming_model(backwards)
    static = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="time axis"):
        export.streaming_model(static)


def untrained_model():
    model = keras_snn.build(
        input_size=6, hidden_sizes=[5], output_size=3, num_timesteps=4
    )
    x = np.random.default_rng(2).uniform(0.5, 2.5, (4, 6)).astype("float32")
    return model, x


def test_exportable_only_for_traced_inference():
    assert not exportable(False)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        inside = tf.function(lambda training: exportable(training))
        assert bool(inside(False)) is True
        assert bool(inside(True)) is False
        # Long sequences keep their loop: unrolling them would make every
        # predict trace for tens of seconds.
        assert bool(tf.function(lambda: exportable(False, 256))()) is True
        assert bool(tf.function(lambda: exportable(False, 257))()) is False
    if BACKEND == "torch":
        import torch

        traced = torch.jit.trace(
            lambda x: x * float(exportable(False)), torch.ones(2)
        )
        assert traced(torch.ones(2)).tolist() == [1.0, 1.0]


def test_gradients_at_inference_are_surrogate_gradients():
    """Where inference runs the exportable path, gradients still flow, and
    they equal those of the training path (the surrogate's)."""
    model, x = untrained_model()
    if BACKEND == "tensorflow":
        import tensorflow as tf

        def input_gradient(training):
            tensor = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(tensor)
                total = tf.reduce_sum(model(tensor, training=training))
            return tape.gradient(total, tensor)

        # Graph mode with training=False takes the unrolled loop.
        exported = tf.function(lambda: input_gradient(False))().numpy()
        reference = input_gradient(True).numpy()
    elif BACKEND == "torch":
        import torch

        def input_gradient(module):
            tensor = torch.tensor(x, requires_grad=True)
            module(tensor).sum().backward()
            return tensor.grad.numpy()

        # torch.jit.trace, as the ONNX exporter uses, takes the unrolled loop.
        traced = torch.jit.trace(model, torch.tensor(x), check_trace=False)
        exported = input_gradient(traced)
        reference = input_gradient(model)
    else:
        import jax
        import jax.numpy as jnp

        def input_gradient(training):
            return np.asarray(
                jax.grad(lambda a: jnp.sum(model(a, training=training)))(
                    jnp.asarray(x)
                )
            )

        exported = input_gradient(False)
        reference = input_gradient(True)
    assert np.abs(reference).sum() > 0
    np.testing.assert_allclose(exported, reference, rtol=1e-5, atol=1e-6)


LOAD_SCRIPT = """
import sys, keras, numpy as np
import keras_snn  # registers the layers for safe-mode loading
model = keras.saving.load_model(sys.argv[1], safe_mode=True)
x = np.load(sys.argv[2])
np.save(sys.argv[3], model.predict(x, verbose=0))
"""


def test_keras_file_loads_on_another_backend(trained, tmp_path):
    # Saved here, loaded under the next backend; tests/test_models.py's
    # cross-backend test goes the other way round (tests/helpers.py).
    model, _, x_test, _, rates = trained
    path = tmp_path / "model.keras"
    model.save(path)
    np.save(tmp_path / "x.npy", x_test)
    out = tmp_path / "loaded.npy"
    subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, path, tmp_path / "x.npy", out],
        env={**os.environ, "KERAS_BACKEND": next_backend(), "PYTHONPATH": REPO},
        check=True,
        capture_output=True,
        timeout=600,
    )
    np.testing.assert_array_equal(np.load(out), rates)


def test_load_exported_needs_named_inputs(trained, tmp_path):
    model, *_ = trained
    stream = export.streaming_model(model)
    path = str(tmp_path / "stream.onnx")
    export.export(stream, path, format="onnx")
    with pytest.raises(ValueError, match="pass a dict"):
        export.load_exported(path, "onnx")(np.zeros((1, 64), "float32"))


def delay_model():
    """Fixed, per-neuron and per-synapse delays between LIF layers, with
    the same weights on every backend and inputs that make them spike."""
    model = keras.Sequential(
        [
            keras.Input((8, 4)),
            keras_snn.Delay([0, 2, 1, 3]),
            keras_snn.LIF(8, beta=0.8),
            keras_snn.LearnableDelay(3),
            keras_snn.DelayedDense(5, 3, sigma=0.6),
            keras_snn.LIF(beta=0.8),
            keras_snn.RateDecoding(),
        ]
    )
    rng = np.random.default_rng(5)
    for variable in model.variables:
        if "kernel" in variable.path:
            variable.assign(rng.uniform(-0.3, 0.8, variable.shape))
        elif variable.name in ("delay", "positions"):
            variable.assign(rng.uniform(0, 3, variable.shape))
    x = rng.uniform(0, 1.5, (6, 8, 4)).astype("float32")
    return model, x


def test_streaming_delays_buffer_and_reproduce_predict():
    model, x = delay_model()
    expected = model.predict(x, verbose=0)
    assert 0.05 < expected.mean() < 0.95
    stream = export.streaming_model(model)
    buffers = [n for n in stream.state_names if n.endswith("_buffer")]
    assert len(buffers) == 3
    shapes = [tuple(i.shape[1:]) for i in stream.inputs[1:]]
    assert shapes[0] == (3, 4)
    assert shapes[2:4] == [(3, 8), (3, 8)]
    actual = run_stream(stream, x[:, 0], 8, step_input=lambda t: x[:, t])
    np.testing.assert_array_equal(actual, expected)


def test_streaming_delay_of_zero_has_no_state():
    model = keras.Sequential(
        [keras.Input((5, 3)), keras_snn.Delay(0), keras_snn.LIF(beta=0.5)]
    )
    x = np.random.default_rng(6).uniform(0, 2, (2, 5, 3)).astype("float32")
    stream = export.streaming_model(model)
    assert len(stream.state_names) == 1
    states = stream.initial_states(2)
    for t in range(5):
        y, *states = stream.predict_on_batch([x[:, t], *states])
        np.testing.assert_array_equal(to_numpy(y), to_numpy(model(x))[:, t])


@pytest.mark.parametrize("format", list(export.FORMATS))
def test_delay_models_export(format, tmp_path):
    model, x = delay_model()
    expected = to_numpy(model(x))
    run = checked_export(
        model, str(tmp_path / f"delays{EXTENSIONS[format]}"), format
    )
    if run is None:
        return
    np.testing.assert_array_equal(run(x), expected)
    stream = export.streaming_model(model)
    run = checked_export(
        stream, str(tmp_path / f"stream{EXTENSIONS[format]}"), format
    )
    states = stream.initial_states(len(x))
    for t in range(8):
        feeds = dict(zip(stream.state_names, states, strict=True))
        y, *states = run({"x_t": x[:, t], **feeds})
    np.testing.assert_array_equal(y, expected)


# Models that were never called: Keras' ONNX exporter refused them ("The
# model provided has never called"), although their inputs are known.


def small_build_model(num_timesteps=5):
    model = keras_snn.build(
        input_size=4,
        hidden_sizes=[8],
        output_size=2,
        num_timesteps=num_timesteps,
    )
    # The same weights on every backend.
    rng = np.random.default_rng(3)
    for variable in model.trainable_variables:
        variable.assign(rng.uniform(-0.5, 0.8, variable.shape))
    return model


SMALL_X = np.random.default_rng(4).uniform(0, 1, (3, 4)).astype("float32")


def never_called(kind, tmp_path):
    """A model of `kind` that was never called, and its input."""
    if kind == "sequential":
        model = keras.Sequential(
            [
                keras.Input((5, 4)),
                keras_snn.LIF(8, kernel_initializer="ones"),
                keras_snn.LIF(2, kernel_initializer="ones"),
                keras_snn.RateDecoding(),
            ]
        )
        return model, np.repeat(SMALL_X[:, None] * 0.3, 5, axis=1)
    path = tmp_path / "model.keras"
    small_build_model().save(path)
    loaded = keras.saving.load_model(path)
    if kind == "loaded_build":
        return loaded, SMALL_X
    if kind == "loaded_sequential":
        sequence = keras.Sequential(loaded.layers[1:])
        sequence.build((None, 4))
        return sequence, SMALL_X
    raise ValueError(kind)


@pytest.mark.parametrize(
    "kind", ["loaded_build", "loaded_sequential", "sequential"]
)
def test_never_called_model_exports_to_onnx(kind, tmp_path):
    model, x = never_called(kind, tmp_path)
    assert not model._called
    path = str(tmp_path / "model.onnx")
    export.export(model, path, format="onnx")
    np.testing.assert_array_equal(
        export.load_exported(path, "onnx")(x), to_numpy(model(x))
    )


@pytest.mark.parametrize("format", ["tf_saved_model", "litert"])
def test_loaded_model_exports_to_other_formats(format, tmp_path):
    model, x = never_called("loaded_build", tmp_path)
    run = checked_export(
        model, str(tmp_path / f"model{EXTENSIONS[format]}"), format
    )
    if run is not None:
        np.testing.assert_array_equal(run(x), to_numpy(model(x)))


def test_streaming_model_of_a_loaded_model_exports(tmp_path):
    model, x = never_called("loaded_build", tmp_path)
    stream = export.streaming_model(model)
    path = str(tmp_path / "stream.onnx")
    export.export(stream, path, format="onnx")
    run = export.load_exported(path, "onnx")
    states = stream.initial_states(len(x))
    names = ["x_t", *stream.state_names]
    for _ in range(stream.num_timesteps):
        rates, *states = run(dict(zip(names, [x, *states], strict=True)))
    np.testing.assert_array_equal(rates, to_numpy(model(x)))


# Sequences longer than the unrolled loop (MAX_UNROLLED_STEPS = 256).


@pytest.fixture(scope="module")
def long_model():
    model = small_build_model(num_timesteps=257)
    return model, to_numpy(model(SMALL_X))


def test_long_sequence_exports_to_onnx(long_model, tmp_path):
    # TensorFlow exports the loop itself (a graph loop; tf2onnx cannot
    # lower the XLA op that runs it elsewhere), not 257 unrolled steps.
    model, expected = long_model
    assert 0.05 < expected.mean() < 0.95
    path = str(tmp_path / "long.onnx")
    export.export(model, path, format="onnx")
    np.testing.assert_array_equal(
        export.load_exported(path, "onnx")(SMALL_X), expected
    )


def test_long_sequence_to_litert_points_to_the_streaming_model(
    long_model, tmp_path
):
    model, _ = long_model
    path = str(tmp_path / "long.tflite")
    # Where the backend exports LiteRT at all (TensorFlow), the error points
    # to the streaming model; elsewhere it names the backends that can.
    message = (
        "streaming_model.*'lif_0' with num_timesteps=257"
        if supported("litert")
        else "the backends that can are"
    )
    with pytest.raises(ValueError, match=message):
        export.export(model, path, format="litert")
    assert not os.path.exists(path)
