"""Argument checks of every public entry point, through the shared helpers of
`keras_snn.validation`: each bad value raises a `ValueError` or `TypeError`
whose message names the argument and the value received."""

import re

import keras
import numpy as np
import pytest

import keras_snn
from keras_snn import export
from keras_snn import losses
from keras_snn import monitoring
from keras_snn import nir as snn_nir
from keras_snn import plot
from keras_snn import regularizers
from keras_snn import surrogates
from keras_snn.constraints import Between
from keras_snn.constraints import MinValue
from keras_snn.datasets import load_mnist

BACKEND = keras.backend.backend()
CURRENTS = np.full((1, 6, 2), 0.3, np.float32)
MEMBRANE = np.zeros((1, 2), np.float32)
TRAINS = {"lif": np.zeros((2, 5, 3), np.float32)}


def lif_sequence(**kwargs):
    options = {"beta": 0.9, "threshold": 1.0, **kwargs}
    currents = options.pop("currents", CURRENTS)
    return keras_snn.lif_sequence(currents, MEMBRANE, **options)


def lif_neuron(**kwargs):
    options = {"beta": 0.9, "threshold": 1.0, **kwargs}
    return keras_snn.lif_neuron(MEMBRANE, CURRENTS[:, 0], **options)


def build(**kwargs):
    return keras_snn.build(
        **{"input_size": 4, "hidden_sizes": [3], "output_size": 2, **kwargs}
    )


def sequence_model():
    return keras.Sequential(
        [keras.Input((None, 2)), keras_snn.LIF(2, reset="zero")]
    )


# (entry point, call, error, the text "argument=value" of the message)
BAD_ARGUMENTS = [
    # The cases: lif_sequence accepted them, lif_neuron did not.
    (
        "lif_sequence",
        lambda: lif_sequence(threshold=0.0),
        ValueError,
        "threshold=0.0",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(threshold=-1),
        ValueError,
        "threshold=-1",
    ),
    ("lif_sequence", lambda: lif_sequence(beta=0), ValueError, "beta=0"),
    ("lif_sequence", lambda: lif_sequence(beta=1.5), ValueError, "beta=1.5"),
    ("lif_sequence", lambda: lif_sequence(beta=-0.5), ValueError, "beta=-0.5"),
    (
        "lif_sequence",
        lambda: lif_sequence(beta=float("nan")),
        ValueError,
        "beta=nan",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(threshold=float("inf")),
        ValueError,
        "threshold=inf",
    ),
    ("lif_sequence", lambda: lif_sequence(beta="0.9"), TypeError, "beta='0.9'"),
    (
        "lif_sequence",
        lambda: lif_sequence(threshold=None),
        TypeError,
        "threshold=None",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(beta=np.array([0.5, 1.5])),
        ValueError,
        "beta=1.5 at index (1,)",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(threshold=keras.ops.array([1.0, 0.0])),
        ValueError,
        "threshold=0.0 at index (1,)",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(beta=[0.9, 0.0]),
        ValueError,
        "beta=0.0 at index (1,)",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(beta=np.array([True])),
        TypeError,
        "beta=array([ True])",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(reset="soft"),
        ValueError,
        "reset='soft'",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(method="loop"),
        ValueError,
        "method='loop'",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(detach_reset=1),
        TypeError,
        "detach_reset=1",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(surrogate="nope"),
        ValueError,
        "surrogate='nope'",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(currents=CURRENTS[:, 0]),
        ValueError,
        "currents.shape=(1, 2)",
    ),
    (
        "lif_neuron",
        lambda: lif_neuron(threshold=0.0),
        ValueError,
        "threshold=0.0",
    ),
    (
        "lif_neuron",
        lambda: lif_neuron(beta=np.array([0.5, 1.5])),
        ValueError,
        "beta=1.5 at index (1,)",
    ),
    (
        "lif_neuron",
        lambda: lif_neuron(threshold=keras.ops.array([1.0, -1.0])),
        ValueError,
        "threshold=-1.0 at index (1,)",
    ),
    (
        "beta_from_tau",
        lambda: keras_snn.beta_from_tau(0.0),
        ValueError,
        "tau=0.0",
    ),
    (
        "beta_from_tau",
        lambda: keras_snn.beta_from_tau(2.0, dt=-1),
        ValueError,
        "dt=-1",
    ),
    (
        "beta_from_tau",
        lambda: keras_snn.beta_from_tau("2"),
        TypeError,
        "tau='2'",
    ),
    (
        "rate_decode",
        lambda: keras_snn.rate_decode(np.zeros((2, 3))),
        ValueError,
        "spike_train.shape=(2, 3)",
    ),
    (
        "surrogate_gradient",
        lambda: keras_snn.surrogate_gradient(np.zeros(2), slope=0.0),
        ValueError,
        "slope=0.0",
    ),
    (
        "surrogates.get",
        lambda: surrogates.get("nope"),
        ValueError,
        "surrogate='nope'",
    ),
    ("surrogates.get", lambda: surrogates.get(3), TypeError, "surrogate=3"),
    (
        "surrogates.ATan",
        lambda: surrogates.ATan(alpha=-1.0),
        ValueError,
        "alpha=-1.0",
    ),
    (
        "surrogates.Triangular",
        lambda: surrogates.Triangular(width=0),
        ValueError,
        "width=0",
    ),
    ("LIF", lambda: keras_snn.LIF(2, beta=0.0), ValueError, "beta=0.0"),
    (
        "LIF",
        lambda: keras_snn.LIF(2, threshold=-1.0),
        ValueError,
        "threshold=-1.0",
    ),
    ("LIF", lambda: keras_snn.LIF(0), ValueError, "units=0"),
    (
        "LIF",
        lambda: keras_snn.LIF(2, num_timesteps=0),
        ValueError,
        "num_timesteps=0",
    ),
    ("LIFCell", lambda: keras_snn.LIFCell(2, tau=-2.0), ValueError, "tau=-2.0"),
    ("IF", lambda: keras_snn.IF(2, tau=2.0), TypeError, "tau=2.0"),
    ("LI", lambda: keras_snn.LI(2, dt=0.0), ValueError, "dt=0.0"),
    (
        "SynapticLIF",
        lambda: keras_snn.SynapticLIF(2, alpha=1.5),
        ValueError,
        "alpha=1.5",
    ),
    (
        "AdaptiveLIF",
        lambda: keras_snn.AdaptiveLIF(2, rho=0.0),
        ValueError,
        "rho=0.0",
    ),
    (
        "AdaptiveLIF",
        lambda: keras_snn.AdaptiveLIF(2, adaptation_strength=-0.1),
        ValueError,
        "adaptation_strength=-0.1",
    ),
    (
        "RepeatEncoding",
        lambda: keras_snn.RepeatEncoding(0),
        ValueError,
        "num_timesteps=0",
    ),
    (
        "PoissonEncoding",
        lambda: keras_snn.PoissonEncoding(5, gain=0.0),
        ValueError,
        "gain=0.0",
    ),
    (
        "PoissonEncoding",
        lambda: keras_snn.PoissonEncoding(5, seed=1.5),
        TypeError,
        "seed=1.5",
    ),
    (
        "LatencyEncoding",
        lambda: keras_snn.LatencyEncoding(5, threshold=1.0),
        ValueError,
        "threshold=1.0",
    ),
    ("build", lambda: build(input_size=0), ValueError, "input_size=0"),
    (
        "build",
        lambda: build(hidden_sizes=[3, 0]),
        ValueError,
        "hidden_sizes[1]=0",
    ),
    ("build", lambda: build(beta=1.5), ValueError, "beta=1.5"),
    ("build", lambda: build(threshold=0.0), ValueError, "threshold=0.0"),
    ("build", lambda: build(readout="spikes"), ValueError, "readout='spikes'"),
    (
        "losses",
        lambda: losses.RateCrossEntropy(scale=0.0),
        ValueError,
        "scale=0.0",
    ),
    (
        "losses",
        lambda: losses.SparseRateCrossEntropy(label_smoothing=1.0),
        ValueError,
        "label_smoothing=1.0",
    ),
    (
        "losses",
        lambda: losses.RateMSE(correct_rate=1.5),
        ValueError,
        "correct_rate=1.5",
    ),
    (
        "losses",
        lambda: losses.RateMSE(incorrect_rate="low"),
        TypeError,
        "incorrect_rate='low'",
    ),
    (
        "regularizers",
        lambda: regularizers.FiringRate(target=1.5),
        ValueError,
        "target=1.5",
    ),
    (
        "regularizers",
        lambda: regularizers.FiringRate(strength=-1.0),
        ValueError,
        "strength=-1.0",
    ),
    (
        "regularizers",
        lambda: regularizers.FiringRate(strength="x"),
        TypeError,
        "strength='x'",
    ),
    (
        "monitoring",
        lambda: monitoring.firing_statistics(np.zeros((2, 3))),
        ValueError,
        "spike_train.shape=(2, 3)",
    ),
    (
        "monitoring",
        lambda: monitoring.spike_trains("model", None),
        TypeError,
        "model='model'",
    ),
    (
        "monitoring",
        lambda: monitoring.spike_trains(sequence_model(), None, layers=3),
        TypeError,
        "layers=3",
    ),
    (
        "monitoring",
        lambda: monitoring.FiringRateMonitor(None, layers=[3]),
        TypeError,
        "layers=[3]",
    ),
    ("plot", lambda: plot.raster(TRAINS, layers=3), TypeError, "layers=3"),
    (
        "export",
        lambda: export.streaming_model(sequence_model()).initial_states(0),
        ValueError,
        "batch_size=0",
    ),
    ("plot", lambda: plot.rate_histogram(TRAINS, bins=0), ValueError, "bins=0"),
    (
        "plot",
        lambda: plot.rate_histogram(TRAINS, bins=2.5),
        TypeError,
        "bins=2.5",
    ),
    ("plot", lambda: plot.raster(TRAINS, sample=2), ValueError, "sample=2"),
    ("plot", lambda: plot.raster(TRAINS, sample="0"), TypeError, "sample='0'"),
    (
        "export",
        lambda: export.export("model", "m.onnx", format="onnx"),
        TypeError,
        "model='model'",
    ),
    (
        "export",
        lambda: export.export(sequence_model(), "m", format="zip"),
        ValueError,
        "format='zip'",
    ),
    (
        "export",
        lambda: export.export(
            sequence_model(), "m.onnx", format="onnx", verbose="yes"
        ),
        TypeError,
        "verbose='yes'",
    ),
    (
        "export",
        lambda: export.streaming_model("model"),
        TypeError,
        "model='model'",
    ),
    (
        "export",
        lambda: export.load_exported("m", "zip"),
        ValueError,
        "format='zip'",
    ),
    (
        "nir",
        lambda: snn_nir.discretize([2.0, 0.0], 1.0, dt=1.0, method="exact"),
        ValueError,
        "tau=0.0 at index (1,)",
    ),
    (
        "nir",
        lambda: snn_nir.discretize(-2.0, 1.0, dt=1.0, method="exact"),
        ValueError,
        "tau=-2.0",
    ),
    (
        "nir",
        lambda: snn_nir.discretize(2.0, float("inf"), dt=1.0, method="euler"),
        ValueError,
        "r=inf",
    ),
    (
        "nir",
        lambda: snn_nir.discretize(2.0, 1.0, dt=0, method="exact"),
        ValueError,
        "dt=0",
    ),
    (
        "nir",
        lambda: snn_nir.to_continuous(0.0, dt=1.0, method="exact"),
        ValueError,
        "beta=0.0",
    ),
    (
        "nir",
        lambda: snn_nir.to_continuous(1.0, dt=1.0, method="euler"),
        ValueError,
        "beta=1.0",
    ),
    (
        "nir",
        lambda: snn_nir.to_continuous(0.5, dt=1.0, method="rk4"),
        ValueError,
        "method='rk4'",
    ),
    ("nir", lambda: snn_nir.to_nir("model"), TypeError, "model='model'"),
    (
        "nir",
        lambda: snn_nir.to_nir(sequence_model(), dt=-1.0),
        ValueError,
        "dt=-1.0",
    ),
    ("nir", lambda: snn_nir.from_nir("graph"), TypeError, "graph='graph'"),
    ("datasets", lambda: load_mnist(3), TypeError, "path=3"),
    (
        "datasets",
        lambda: load_mnist("x.npz", flatten="no"),
        TypeError,
        "flatten='no'",
    ),
    ("constraints", lambda: MinValue("0"), TypeError, "min_value='0'"),
    (
        "constraints",
        lambda: MinValue(float("nan")),
        ValueError,
        "min_value=nan",
    ),
    (
        "constraints",
        lambda: Between(0.0, float("inf")),
        ValueError,
        "max_value=inf",
    ),
    (
        "surrogates",
        lambda: surrogates.register_surrogate(3),
        TypeError,
        "name=3",
    ),
    (
        "lif_sequence",
        lambda: lif_sequence(currents=CURRENTS[:, :0]),
        ValueError,
        "currents.shape=(1, 0, 2)",
    ),
    (
        "layers",
        lambda: keras_snn.LIF(2)(CURRENTS[:, :0]),
        ValueError,
        "sequences.shape=(1, 0, 2)",
    ),
    (
        "layers",
        lambda: keras_snn.AdaptiveLIF(2, recurrent=True)(CURRENTS[:, :0]),
        ValueError,
        "sequences.shape=(1, 0, 2)",
    ),
]


@pytest.mark.parametrize(
    "call, error, received",
    [entry[1:] for entry in BAD_ARGUMENTS],
    ids=[f"{entry[0]}-{entry[3]}" for entry in BAD_ARGUMENTS],
)
def test_bad_argument_names_the_argument_and_the_value(call, error, received):
    with pytest.raises(error, match=re.escape(received)) as info:
        call()
    assert type(info.value) is error


def test_lif_sequence_checks_like_lif_neuron():
    # The same bad parameter gives the same message from both.
    for options in ({"beta": 1.5}, {"threshold": 0.0}):
        with pytest.raises(ValueError) as sequence_error:
            lif_sequence(**options)
        with pytest.raises(ValueError) as neuron_error:
            lif_neuron(**options)
        assert str(sequence_error.value) == str(neuron_error.value)


def test_valid_tensor_parameters_give_the_numbers_of_scalar_ones():
    per_neuron = lif_sequence(
        beta=np.array([0.9, 0.9], np.float32),
        threshold=keras.ops.array([1.0, 1.0]),
    )
    scalar = lif_sequence()
    for a, b in zip(per_neuron, scalar, strict=True):
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b)
        )


def test_symbolic_parameters_are_not_checked():
    # Inside a compiled function the values are unknown: no check, and no
    # host round trip (the layers' own data checks do the same).
    beta = np.array([0.5, 1.5], np.float32)
    if BACKEND == "tensorflow":
        import tensorflow as tf

        run = tf.function(lambda b: lif_sequence(beta=b)[0])
        spikes = run(tf.constant(beta))
    elif BACKEND == "jax":
        import jax

        spikes = jax.jit(lambda b: lif_sequence(beta=b)[0])(beta)
    else:
        pytest.skip("PyTorch runs eagerly: its values are always known")
    assert keras.ops.convert_to_numpy(spikes).shape == (1, 6, 2)
