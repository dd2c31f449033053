import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.sequence import lif_sequence
from tests import reference
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(7)
CURRENTS = RNG.normal(0.5, 0.8, size=(3, 16, 4)).astype(np.float32)
V0 = RNG.normal(0.0, 0.5, size=(3, 4)).astype(np.float32)
UPSTREAM = RNG.normal(size=CURRENTS.shape).astype(np.float32)
UPSTREAM_V = RNG.normal(size=V0.shape).astype(np.float32)
BETA = np.array([0.3, 0.6, 0.8, 0.95], np.float32)
THRESHOLD = np.array([0.6, 1.0, 1.2, 0.9], np.float32)
RESETS = ["subtract", "zero", "none"]


def per_step(currents, v0, beta, threshold, reset, detach_reset, surrogate):
    """`lif_neuron` step by step: the definition the sequence op follows."""
    v, spikes = v0, []
    for t in range(currents.shape[1]):
        v, s = keras_snn.lif_neuron(
            v,
            currents[:, t],
            beta,
            threshold,
            reset=reset,
            detach_reset=detach_reset,
            surrogate=surrogate,
        )
        spikes.append(s)
    return keras.ops.stack(spikes, axis=1), v


def weighted_loss(run):
    def loss(currents, v0, beta, threshold):
        spikes, v = run(currents, v0, beta, threshold)
        return keras.ops.sum(
            keras.ops.multiply(spikes, UPSTREAM)
        ) + keras.ops.sum(keras.ops.multiply(v, UPSTREAM_V))

    return loss


@pytest.mark.parametrize("method", ["scan", "bptt", "unrolled", "auto"])
@pytest.mark.parametrize("reset", RESETS)
def test_forward_matches_reference(method, reset):
    spikes, v = lif_sequence(
        CURRENTS, V0, BETA, THRESHOLD, reset=reset, method=method
    )
    ref_s, ref_v = reference.lif_currents(
        CURRENTS, BETA, THRESHOLD, reset, v0=V0
    )
    np.testing.assert_array_equal(to_numpy(spikes), ref_s)
    np.testing.assert_allclose(to_numpy(v), ref_v[:, -1], atol=1e-5)
    assert 0.1 < ref_s.mean() < 0.9


@pytest.mark.parametrize("method", ["scan", "bptt", "unrolled"])
@pytest.mark.parametrize("detach_reset", [True, False])
@pytest.mark.parametrize("reset", RESETS)
def test_gradients_match_step_by_step_autodiff(method, reset, detach_reset):
    options = {"reset": reset, "detach_reset": detach_reset}
    surrogate = keras_snn.surrogates.Sigmoid(slope=4.0)
    args = (CURRENTS, V0, BETA, THRESHOLD)
    expected = gradients(
        weighted_loss(
            lambda c, v, b, th: per_step(
                c, v, b, th, surrogate=surrogate, **options
            )
        ),
        *args,
    )
    actual = gradients(
        weighted_loss(
            lambda c, v, b, th: lif_sequence(
                c, v, b, th, surrogate=surrogate, method=method, **options
            )
        ),
        *args,
    )
    for name, got, want in zip(
        ("currents", "v0", "beta", "threshold"), actual, expected, strict=True
    ):
        np.testing.assert_allclose(
            got, want, rtol=2e-4, atol=2e-4, err_msg=name
        )
        assert np.abs(want).max() > 1e-3, name


@pytest.mark.parametrize("method", ["scan", "bptt", "unrolled"])
@pytest.mark.parametrize("output", ["spikes", "membrane"])
def test_gradients_through_one_output_only(method, output):
    # The loss reads only one of the two outputs; the other's gradient is
    # zero (PyTorch hands the bptt op None-materialized zeros).
    index = 0 if output == "spikes" else 1
    upstream = UPSTREAM if output == "spikes" else UPSTREAM_V

    def loss(run):
        return lambda c, v: keras.ops.multiply(run(c, v)[index], upstream)

    expected = gradients(
        loss(
            lambda c, v: per_step(
                c, v, BETA, THRESHOLD, "subtract", False, "fast_sigmoid"
            )
        ),
        CURRENTS,
        V0,
    )
    actual = gradients(
        loss(
            lambda c, v: lif_sequence(
                c, v, BETA, THRESHOLD, detach_reset=False, method=method
            )
        ),
        CURRENTS,
        V0,
    )
    for got, want in zip(actual, expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-4)
        assert np.abs(want).max() > 1e-3


@pytest.mark.parametrize("method", ["scan", "bptt", "unrolled"])
def test_current_gradient_matches_numpy_bptt(method):
    (grad,) = gradients(
        lambda c: keras.ops.multiply(
            lif_sequence(c, np.zeros((3, 4), "float32"), 0.8, method=method)[0],
            UPSTREAM,
        ),
        CURRENTS,
    )
    expected = reference.lif_bptt(CURRENTS, UPSTREAM, 0.8, 1.0)
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-4)


def test_scalar_parameters_and_python_floats():
    for method in ("scan", "bptt"):
        spikes, _ = lif_sequence(CURRENTS, V0, 0.7, 1.1, method=method)
        ref_s, _ = reference.lif_currents(CURRENTS, 0.7, 1.1, v0=V0)
        np.testing.assert_array_equal(to_numpy(spikes), ref_s)


def test_bad_arguments():
    with pytest.raises(ValueError, match="method='loop'"):
        lif_sequence(CURRENTS, V0, 0.7, method="loop")
    with pytest.raises(ValueError, match="reset='soft'"):
        lif_sequence(CURRENTS, V0, 0.7, reset="soft")


def test_lif_layer_fast_path_equals_cell_loop():
    layer = keras_snn.LIF(6, trainable_beta=True, trainable_threshold=True)
    x = RNG.uniform(0, 1, size=(4, 12, 5)).astype(np.float32)
    layer.build(x.shape)
    layer.cell.kernel.assign(
        RNG.normal(0.3, 0.8, size=(5, 6)).astype("float32")
    )
    rnn = keras.layers.RNN(layer.cell, return_sequences=True)
    np.testing.assert_array_equal(to_numpy(layer(x)), to_numpy(rnn(x)))
    reversed_layer = keras_snn.LIF(6, go_backwards=True)
    reversed_layer.build(x.shape)
    reversed_layer.cell.kernel.assign(layer.cell.kernel)
    reversed_layer.cell.bias.assign(layer.cell.bias)
    expected = reference.lif_layer(
        x[:, ::-1],
        to_numpy(layer.cell.kernel),
        to_numpy(layer.cell.bias),
        np.exp(-0.5),
        1.0,
    )
    np.testing.assert_array_equal(to_numpy(reversed_layer(x)), expected)


@pytest.mark.parametrize("method", ["scan", "bptt", "unrolled"])
def test_single_timestep(method):
    currents = CURRENTS[:, :1]
    upstream = UPSTREAM[:, :1]
    (grad,) = gradients(
        lambda c: keras.ops.multiply(
            lif_sequence(c, np.zeros((3, 4), "float32"), 0.8, method=method)[0],
            upstream,
        ),
        currents,
    )
    expected = reference.lif_bptt(currents, upstream, 0.8, 1.0)
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow",
    reason="only TensorFlow graphs trace a sequence of unknown length",
)
def test_unrolled_needs_a_static_number_of_steps():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([3, None, 4], tf.float32)])
    def run(currents):
        return lif_sequence(currents, V0, 0.7, method="unrolled")[0]

    with pytest.raises(ValueError, match=r"currents.shape=\(3, None, 4\)"):
        run(CURRENTS)
    # "auto" falls back to the XLA op there.
    auto = tf.function(
        lambda c: lif_sequence(c, V0, 0.7)[0],
        input_signature=[tf.TensorSpec([3, None, 4], tf.float32)],
    )
    ref_s, _ = reference.lif_currents(CURRENTS, 0.7, 1.0, v0=V0)
    np.testing.assert_array_equal(auto(CURRENTS).numpy(), ref_s)
