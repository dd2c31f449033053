import math

import keras
import numpy as np
import pytest

import keras_snn
from tests import reference
from tests.helpers import gradients
from tests.helpers import to_numpy

RESETS = ["subtract", "zero", "none"]


def run_lif(currents, beta, threshold, reset, detach_reset=True, **kw):
    """Runs `lif_neuron` over the time axis of `currents [batch, T, n]`."""
    membrane = keras.ops.zeros_like(currents[:, 0])
    spikes = []
    for t in range(currents.shape[1]):
        membrane, s = keras_snn.lif_neuron(
            membrane,
            currents[:, t],
            beta,
            threshold,
            reset=reset,
            detach_reset=detach_reset,
            **kw,
        )
        spikes.append(s)
    return keras.ops.stack(spikes, axis=1), membrane


@pytest.mark.parametrize("reset", RESETS)
def test_one_step_values(reset):
    membrane = np.array([[0.5, 0.2, -0.4, 0.9]], np.float32)
    current = np.array([[0.2, 0.1, 2.0, 1.5]], np.float32)
    v, s = keras_snn.lif_neuron(membrane, current, 0.8, 1.2, reset=reset)
    v_pre = 0.8 * membrane + current
    expected_s = (v_pre > 1.2).astype(np.float32)
    expected_v = {
        "subtract": v_pre - 1.2 * expected_s,
        "zero": v_pre * (1 - expected_s),
        "none": v_pre,
    }[reset]
    np.testing.assert_array_equal(to_numpy(s), [[0.0, 0.0, 1.0, 1.0]])
    np.testing.assert_allclose(to_numpy(v), expected_v, rtol=1e-6)


def test_default_reset_is_subtract():
    v, s = keras_snn.lif_neuron(
        np.zeros(3, np.float32), np.array([0.5, 1.0, 1.5], np.float32), 0.9
    )
    np.testing.assert_array_equal(to_numpy(s), [0.0, 0.0, 1.0])
    np.testing.assert_allclose(to_numpy(v), [0.5, 1.0, 0.5], rtol=1e-6)


@pytest.mark.parametrize("reset", RESETS)
def test_sequence_matches_reference(reset):
    rng = np.random.default_rng(1)
    currents = rng.normal(0.4, 0.8, size=(3, 30, 5)).astype(np.float32)
    spikes, membrane = run_lif(currents, 0.75, 1.0, reset)
    ref_s, ref_v = reference.lif_currents(currents, 0.75, 1.0, reset)
    np.testing.assert_array_equal(to_numpy(spikes), ref_s)
    np.testing.assert_allclose(to_numpy(membrane), ref_v[:, -1], atol=1e-5)
    assert 0.05 < ref_s.mean() < 0.95


def test_per_neuron_beta_and_threshold():
    rng = np.random.default_rng(2)
    currents = rng.normal(0.5, 1.0, size=(2, 20, 4)).astype(np.float32)
    beta = np.array([0.3, 0.6, 0.9, 1.0], np.float32)
    threshold = np.array([0.5, 1.0, 1.5, 2.0], np.float32)
    spikes, _ = run_lif(currents, beta, threshold, "subtract")
    ref_s, _ = reference.lif_currents(currents, beta, threshold, "subtract")
    np.testing.assert_array_equal(to_numpy(spikes), ref_s)


@pytest.mark.parametrize("detach_reset", [True, False])
@pytest.mark.parametrize("reset", RESETS)
def test_bptt_gradient_matches_reference(reset, detach_reset):
    rng = np.random.default_rng(3)
    currents = rng.normal(0.5, 0.7, size=(2, 12, 3)).astype(np.float32)
    upstream = rng.normal(size=currents.shape).astype(np.float32)

    def loss(c):
        spikes, _ = run_lif(c, 0.8, 1.0, reset, detach_reset=detach_reset)
        return keras.ops.multiply(spikes, upstream)

    (grad,) = gradients(loss, currents)
    expected = reference.lif_bptt(
        currents, upstream, 0.8, 1.0, reset, detach_reset
    )
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-4)
    assert np.abs(expected).max() > 0.1


def test_detached_and_attached_gradients_differ():
    rng = np.random.default_rng(4)
    currents = rng.normal(0.8, 0.5, size=(1, 10, 2)).astype(np.float32)
    upstream = np.ones_like(currents)
    detached = reference.lif_bptt(currents, upstream, 0.8, 1.0)
    attached = reference.lif_bptt(
        currents, upstream, 0.8, 1.0, detach_reset=False
    )
    assert not np.allclose(detached, attached)


def test_surrogate_option_is_used():
    rng = np.random.default_rng(5)
    currents = rng.normal(0.5, 0.7, size=(2, 8, 3)).astype(np.float32)
    upstream = np.ones_like(currents)

    def loss(c):
        return run_lif(c, 0.9, 1.0, "subtract", surrogate="atan")[0]

    (grad,) = gradients(loss, currents)
    expected = reference.lif_bptt(
        currents, upstream, 0.9, 1.0, surrogate="atan"
    )
    np.testing.assert_allclose(grad, expected, rtol=1e-4, atol=1e-5)


def test_non_finite_input_propagates_as_nan():
    membrane = np.zeros((1, 3), np.float32)
    current = np.array([[np.nan, np.inf, 2.0]], np.float32)
    v, s = keras_snn.lif_neuron(membrane, current, 0.9, 1.0)
    s, v = to_numpy(s), to_numpy(v)
    assert np.isnan(s[0, :2]).all() and np.isnan(v[0, :2]).all()
    assert s[0, 2] == 1.0 and v[0, 2] == pytest.approx(1.0)


def test_beta_from_tau():
    assert keras_snn.beta_from_tau(2.0) == pytest.approx(math.exp(-0.5))
    assert keras_snn.beta_from_tau(4.0, dt=2.0) == pytest.approx(math.exp(-0.5))
    with pytest.raises(ValueError, match="tau=0"):
        keras_snn.beta_from_tau(0)
    with pytest.raises(ValueError, match="dt=-1.0"):
        keras_snn.beta_from_tau(1.0, dt=-1.0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"reset": "hard"}, ValueError, "reset='hard'"),
        ({"surrogate": "nope"}, ValueError, "surrogate='nope'"),
        ({"detach_reset": "yes"}, TypeError, "detach_reset='yes'"),
        ({"beta": 1.5}, ValueError, "beta=1.5"),
        ({"beta": 0.0}, ValueError, "beta=0.0"),
        ({"threshold": -1.0}, ValueError, "threshold=-1.0"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    args = {"beta": 0.9, "threshold": 1.0, **kwargs}
    beta, threshold = args.pop("beta"), args.pop("threshold")
    with pytest.raises(error, match=match):
        keras_snn.lif_neuron(
            np.zeros(2, np.float32),
            np.ones(2, np.float32),
            beta,
            threshold,
            **args,
        )
