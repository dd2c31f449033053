import sys

import keras
import nir
import numpy as np
import pytest
import snntorch
import torch
from snntorch import utils as snntorch_utils
from snntorch.export_nir import export_to_nir
from snntorch.import_nir import import_from_nir

import keras_snn
from keras_snn import nir as snn_nir
from tests import reference
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
FEATURES, HIDDEN, UNITS, STEPS, BATCH = 6, 10, 4, 30, 5
X = RNG.uniform(0.0, 1.0, size=(BATCH, STEPS, FEATURES)).astype(np.float32)
W1 = RNG.normal(0.3, 0.6, size=(FEATURES, HIDDEN)).astype(np.float32)
B1 = RNG.normal(0.0, 0.2, size=(HIDDEN,)).astype(np.float32)
W2 = RNG.normal(0.5, 0.6, size=(HIDDEN, UNITS)).astype(np.float32)
B2 = RNG.normal(0.0, 0.2, size=(UNITS,)).astype(np.float32)


def keras_model(reset="zero", beta2=0.8, **options):
    model = keras.Sequential(
        [
            keras.Input((None, FEATURES)),
            keras_snn.LIF(HIDDEN, beta=0.9, reset=reset, name="lif1"),
            keras_snn.LIF(
                UNITS, beta=beta2, threshold=0.7, reset=reset, name="lif2"
            ),
        ],
        **options,
    )
    for layer, kernel, bias in zip(
        model.layers, (W1, W2), (B1, B2), strict=True
    ):
        layer.cell.kernel.assign(kernel)
        layer.cell.bias.assign(bias)
    return model


def spike_fraction(spikes):
    return float(np.mean(spikes))


def run_torch(module, x, stateful_call=False):
    """Runs a torch module step by step over `x [batch, T, features]`."""
    snntorch_utils.reset(module)
    outputs, state = [], None
    with torch.no_grad():
        for t in range(x.shape[1]):
            step = torch.from_numpy(x[:, t])
            if not stateful_call:
                outputs.append(module(step).numpy())
                continue
            output, state = (
                module(step) if state is None else module(step, state)
            )
            outputs.append(output.numpy())
    return np.stack(outputs, axis=1)


def snntorch_net():
    # snnTorch exports per-neuron beta and threshold tensors; scalars give a
    # 0-d LIF node that fails NIR's type check.
    net = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, HIDDEN),
        snntorch.Leaky(
            beta=torch.full((HIDDEN,), 0.9),
            threshold=torch.ones(HIDDEN),
            reset_mechanism="zero",
            init_hidden=True,
        ),
        torch.nn.Linear(HIDDEN, UNITS),
        snntorch.Leaky(
            beta=torch.full((UNITS,), 0.8),
            threshold=torch.full((UNITS,), 0.7),
            reset_mechanism="zero",
            init_hidden=True,
        ),
    )
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(W1.T))
        net[0].bias.copy_(torch.from_numpy(B1))
        net[2].weight.copy_(torch.from_numpy(W2.T))
        net[2].bias.copy_(torch.from_numpy(B2))
    return net


# Interoperability with snnTorch.


def test_snntorch_export_imports_with_the_same_spikes():
    net = snntorch_net()
    expected = run_torch(net, X)
    graph = export_to_nir(net, torch.zeros(1, FEATURES), ignore_dims=[0])
    model = snn_nir.from_nir(graph, **snn_nir.SNNTORCH)
    spikes = to_numpy(model(X))
    np.testing.assert_array_equal(spikes, expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    # The hidden layer, through the model's first layer alone.
    hidden = run_torch(net[:2], X)
    np.testing.assert_array_equal(to_numpy(model.layers[0](X)), hidden)
    assert 0.1 < spike_fraction(hidden) < 0.9
    assert model.layers[0].beta == pytest.approx(0.9, abs=1e-7)
    assert model.layers[1].threshold == pytest.approx(0.7, abs=1e-7)


def test_export_runs_in_snntorch_with_the_same_spikes():
    model = keras_model()
    spikes = to_numpy(model(X))
    graph = snn_nir.to_nir(model, **snn_nir.SNNTORCH)
    module = import_from_nir(graph)
    np.testing.assert_array_equal(
        run_torch(module, X, stateful_call=True), spikes
    )
    assert 0.1 < spike_fraction(spikes) < 0.9
    expected = reference.lif_layer(
        reference.lif_layer(X, W1, B1, 0.9, 1.0, "zero"),
        W2,
        B2,
        0.8,
        0.7,
        "zero",
    )
    np.testing.assert_array_equal(spikes, expected)


def test_snntorch_mapping_is_euler_with_dt_1e_4():
    graph = snn_nir.to_nir(keras_model(), **snn_nir.SNNTORCH)
    node = graph.nodes["lif1"]
    # snnTorch: tau = dt / (1 - beta), r = tau / dt.
    np.testing.assert_allclose(node.tau, np.full(HIDDEN, 1e-4 / 0.1))
    np.testing.assert_allclose(node.r, np.full(HIDDEN, 10.0))
    assert node.metadata == {"dt": 1e-4, "discretization": "euler"}


# Files and round trips.


@pytest.mark.parametrize("method", ["exact", "euler"])
def test_write_and_read_give_identical_outputs(method, tmp_path):
    model = keras_model()
    graph = snn_nir.to_nir(model, dt=0.5, method=method)
    path = tmp_path / "model.nir"
    nir.write(path, graph)
    loaded = nir.read(path)
    imported = snn_nir.from_nir(loaded)
    spikes = to_numpy(model(X))
    np.testing.assert_array_equal(to_numpy(imported(X)), spikes)
    np.testing.assert_array_equal(to_numpy(snn_nir.from_nir(graph)(X)), spikes)
    assert 0.1 < spike_fraction(spikes) < 0.9


@pytest.mark.parametrize(
    "dt, method", [(None, "exact"), (1.0, "euler"), (1e-4, "euler")]
)
def test_to_nir_from_nir_round_trip(dt, method):
    model = keras_model()
    model.add(keras.layers.Dense(3, name="readout"))
    model.add(keras.layers.Dense(2, use_bias=False, name="readout2"))
    readout = RNG.normal(size=(UNITS, 3)).astype(np.float32)
    model.layers[2].kernel.assign(readout)
    graph = snn_nir.to_nir(model, dt=dt, method=method)
    assert [type(node).__name__ for node in graph.nodes.values()] == [
        "Input",
        "Affine",
        "LIF",
        "Affine",
        "LIF",
        "Affine",
        "Linear",
        "Output",
    ]
    imported = snn_nir.from_nir(graph)
    assert [layer.name for layer in imported.layers] == [
        "lif1",
        "lif2",
        "readout",
        "readout2",
    ]
    assert imported.layers[0].beta == pytest.approx(0.9, abs=1e-12)
    np.testing.assert_allclose(
        to_numpy(imported.layers[0].cell.kernel.value), W1, rtol=1e-6
    )
    np.testing.assert_array_equal(to_numpy(imported(X)), to_numpy(model(X)))


def test_functional_model_exports():
    inputs = keras.Input((None, FEATURES))
    hidden = keras_snn.LIF(HIDDEN, reset="zero", use_bias=False)(inputs)
    model = keras.Model(inputs, keras.layers.Dense(UNITS)(hidden))
    graph = snn_nir.to_nir(model)
    kinds = [type(node).__name__ for node in graph.nodes.values()]
    assert kinds == ["Input", "Linear", "LIF", "Affine", "Output"]
    imported = snn_nir.from_nir(graph)
    np.testing.assert_allclose(
        to_numpy(imported(X)), to_numpy(model(X)), rtol=1e-6, atol=1e-6
    )


# The discretizations against a NumPy simulation of NIR's ODE.


def hand_graph(neuron):
    weight = RNG.normal(0.4, 0.5, size=(UNITS, FEATURES))
    bias = RNG.normal(0.0, 0.1, size=(UNITS,))
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([FEATURES])),
            "weights": nir.Affine(weight=weight, bias=bias),
            "neurons": neuron,
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[
            ("input", "weights"),
            ("weights", "neurons"),
            ("neurons", "output"),
        ],
    )


@pytest.mark.parametrize("method", ["exact", "euler"])
@pytest.mark.parametrize("per_neuron", [False, True])
def test_lif_discretization_matches_the_ode(method, per_neuron):
    dt = 0.5
    tau = np.array([2.0, 3.0, 4.0, 1.5]) if per_neuron else np.full(4, 2.5)
    neuron = nir.LIF(
        tau=tau,
        r=np.full(UNITS, 1.7),
        v_leak=np.full(UNITS, 0.2),
        v_threshold=np.array([0.5, 0.6, 0.7, 0.8])
        if per_neuron
        else np.full(UNITS, 0.6),
        v_reset=np.zeros(UNITS),
    )
    graph = hand_graph(neuron)
    model = snn_nir.from_nir(graph, dt=dt, method=method)
    expected = reference.nir_chain(graph, X, dt, method)
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    # The other discretization gives other spike trains.
    other = "euler" if method == "exact" else "exact"
    assert not np.array_equal(
        reference.nir_chain(graph, X, dt, other), expected
    )
    layer = model.layers[0]
    assert layer.trainable_beta is per_neuron
    assert layer.trainable_threshold is per_neuron
    # Exported again, v_leak sits in the bias and the spikes stay.
    exported = snn_nir.to_nir(model, dt=dt, method=method)
    np.testing.assert_array_equal(exported.nodes["neurons"].v_leak, 0.0)
    np.testing.assert_allclose(exported.nodes["neurons"].tau, tau, rtol=1e-6)
    np.testing.assert_array_equal(
        reference.nir_chain(exported, X, dt, method), expected
    )


def test_if_node_imports_and_exports():
    neuron = nir.IF(
        r=np.full(UNITS, 2.0),
        v_threshold=np.full(UNITS, 1.5),
        v_reset=np.zeros(UNITS),
    )
    graph = hand_graph(neuron)
    model = snn_nir.from_nir(graph, dt=0.25, method="euler")
    expected = reference.nir_chain(graph, X, 0.25, "euler")
    spikes = to_numpy(model(X))
    np.testing.assert_array_equal(spikes, expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    assert type(model.layers[0]) is keras_snn.IF
    exported = snn_nir.to_nir(model, dt=0.25)
    node = exported.nodes["neurons"]
    assert type(node).__name__ == "IF"
    np.testing.assert_allclose(node.r, np.full(UNITS, 4.0))
    np.testing.assert_array_equal(
        reference.nir_chain(exported, X, 0.25, "exact"), expected
    )


@pytest.mark.parametrize("method", ["exact", "euler"])
def test_exported_graph_matches_the_ode(method):
    model = keras_model()
    graph = snn_nir.to_nir(model, dt=2.0, method=method)
    expected = reference.nir_chain(graph, X, 2.0, method)
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    node = graph.nodes["lif2"]
    if method == "exact":
        np.testing.assert_allclose(node.tau, -2.0 / np.log(0.8))
    else:
        np.testing.assert_allclose(node.tau, 2.0 / 0.2)
    np.testing.assert_allclose(node.r, 1.0 / 0.2)
    np.testing.assert_array_equal(node.v_threshold, np.full(UNITS, 0.7))


def test_tau_of_the_layer_carries_over():
    layer = keras_snn.LIF(3, tau=5.0, dt=0.5, reset="zero", name="lif")
    model = keras.Sequential([keras.Input((None, 2)), layer])
    node = snn_nir.to_nir(model).nodes["lif"]
    np.testing.assert_allclose(node.tau, np.full(3, 5.0))
    assert node.metadata == {"dt": 0.5, "discretization": "exact"}


def test_trainable_beta_exports_per_neuron_tau():
    layer = keras_snn.LIF(
        3, beta=0.5, trainable_beta=True, reset="zero", name="lif"
    )
    model = keras.Sequential([keras.Input((None, 2)), layer])
    layer.cell.beta_logit.assign(np.log([1.0, 3.0, 9.0]))
    node = snn_nir.to_nir(model, method="euler").nodes["lif"]
    np.testing.assert_allclose(node.tau, [2.0, 4.0, 10.0], rtol=1e-6)
    imported = snn_nir.from_nir(snn_nir.to_nir(model)).layers[0]
    np.testing.assert_allclose(
        to_numpy(imported.cell.get_beta()), [0.5, 0.75, 0.9], rtol=1e-6
    )


def test_discretize_and_to_continuous():
    beta, gain = snn_nir.discretize([2.0, 4.0], 3.0, dt=1.0, method="exact")
    np.testing.assert_allclose(beta, np.exp([-0.5, -0.25]))
    np.testing.assert_allclose(gain, 3.0 * (1.0 - np.exp([-0.5, -0.25])))
    beta, gain = snn_nir.discretize(1e-3, 10.0, **snn_nir.SNNTORCH)
    np.testing.assert_allclose([beta, gain], [0.9, 1.0])
    for method in ("exact", "euler"):
        tau, r = snn_nir.to_continuous(0.7, dt=0.1, method=method)
        beta, gain = snn_nir.discretize(tau, r, dt=0.1, method=method)
        np.testing.assert_allclose([beta, gain], [0.7, 1.0])


# Errors.


def test_unsupported_node_names_its_type_and_the_supported_ones():
    # A nested graph, the one NIR node type without a keras_snn layer.
    nested = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([UNITS])),
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[("input", "output")],
    )
    with pytest.raises(
        ValueError, match="'neurons' of type NIRGraph\\."
    ) as info:
        snn_nir.from_nir(hand_graph(nested), dt=1.0, method="exact")
    message = str(info.value)
    assert (
        "Affine, AvgPool2d, Conv1d, Conv2d, CubaLI, CubaLIF, Delay, Flatten, "
        "I, IF, Input, LI, LIF, Linear, Output, Scale, SumPool2d, "
        "Threshold." in message
    )
    assert "Nested NIRGraph nodes are not supported" in message


def lif_node(**changes):
    params = {
        "tau": np.full(UNITS, 2.0),
        "r": np.ones(UNITS),
        "v_leak": np.zeros(UNITS),
        "v_threshold": np.ones(UNITS),
        "v_reset": np.zeros(UNITS),
        **changes,
    }
    return nir.LIF(**params)


def test_branching_graph_raises():
    graph = hand_graph(lif_node())
    graph.nodes["extra"] = nir.Output(output_type=np.array([UNITS]))
    graph.edges.append(("weights", "extra"))
    with pytest.raises(ValueError, match="chain input -> ... -> output"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def test_non_zero_v_reset_raises():
    graph = hand_graph(lif_node(v_reset=np.full(UNITS, 0.1)))
    with pytest.raises(ValueError, match="v_reset=\\[0.1, 0.1, 0.1, 0.1\\]"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def test_missing_discretization_raises():
    with pytest.raises(ValueError, match="SNNTORCH"):
        snn_nir.from_nir(hand_graph(lif_node()))
    with pytest.raises(ValueError, match="method must be one of"):
        snn_nir.from_nir(hand_graph(lif_node()), dt=1.0, method="rk4")
    with pytest.raises(ValueError, match="dt=0"):
        snn_nir.from_nir(hand_graph(lif_node()), dt=0, method="exact")


def test_euler_step_longer_than_tau_raises():
    with pytest.raises(ValueError, match="dt < tau"):
        snn_nir.from_nir(hand_graph(lif_node()), dt=3.0, method="euler")


def test_exact_step_that_underflows_names_the_exact_method():
    # tau = 1e-4 with dt = 1: exp(-1e4) is 0, which no keras_snn decay is;
    # the message names the method used, not forward Euler.
    with pytest.raises(ValueError, match="method='exact'.*underflows") as info:
        snn_nir.from_nir(
            hand_graph(lif_node(tau=np.full(UNITS, 1e-4))),
            dt=1.0,
            method="exact",
        )
    assert "Euler" not in str(info.value)
    with pytest.raises(ValueError, match="method='euler'.*dt < tau"):
        snn_nir.from_nir(
            hand_graph(lif_node(tau=np.full(UNITS, 1e-4))),
            dt=1.0,
            method="euler",
        )


@pytest.mark.parametrize("tau", [0.0, -2.0, np.inf, np.nan])
def test_time_constants_that_are_not_positive_and_finite_raise(tau):
    node = lif_node(tau=np.array([2.0, tau, 2.0, 2.0]))
    with pytest.raises(ValueError, match="tau finite and above 0.*tau="):
        snn_nir.from_nir(hand_graph(node), dt=1.0, method="exact")


# Each neuron layer type with a decay, and the option whose time constant
# underflows exp(-dt / tau) to 0.
UNDERFLOWING = [
    (keras_snn.LIF, {"tau": 1e-3}, "beta", "tau"),
    (keras_snn.LIF, {"tau": 1e-3, "recurrent": True}, "beta", "tau"),
    (keras_snn.LI, {"tau": 1e-3}, "beta", "tau"),
    (keras_snn.SynapticLIF, {"tau_syn": 1e-3}, "alpha", "tau_syn"),
    (keras_snn.SynapticLIF, {"tau": 1e-3}, "beta", "tau"),
]


@pytest.mark.parametrize("method", ["exact", "euler"])
@pytest.mark.parametrize("layer_type, options, decay, tau", UNDERFLOWING)
def test_to_nir_refuses_a_decay_of_zero(
    layer_type, options, decay, tau, method
):
    # beta = exp(-1000) = 0: exact integration would write tau = 0 (with a
    # divide-by-zero warning), Euler tau = dt; from_nir rejects both.
    if layer_type is not keras_snn.LI:
        options = {**options, "reset": "zero"}
    layer = layer_type(UNITS, name="neurons", **options)
    model = keras.Sequential([keras.Input((None, FEATURES)), layer])
    with pytest.raises(ValueError) as info:
        snn_nir.to_nir(model, method=method)
    message = str(info.value)
    assert f"Received: {decay}=0.0 (from {tau}=" in message
    assert f"method={method!r}" in message
    assert "'neurons'" in message


def test_to_nir_refuses_a_trainable_decay_that_reached_zero():
    layer = keras_snn.LIF(
        2, beta=0.5, trainable_beta=True, reset="zero", name="lif"
    )
    model = keras.Sequential([keras.Input((None, FEATURES)), layer])
    layer.cell.beta_logit.assign(np.array([0.0, -200.0]))  # sigmoid: 0.5, 0
    with pytest.raises(ValueError, match="beta in \\(0, 1\\].*beta=0.0$"):
        snn_nir.to_nir(model)
    layer.cell.beta_logit.assign(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match="beta=nan$"):
        snn_nir.to_nir(model)


def test_to_nir_refuses_a_step_with_no_finite_node_parameters():
    # IF's r = 1 / dt overflows for a subnormal dt.
    layer = keras_snn.IF(2, reset="zero", name="if")
    model = keras.Sequential([keras.Input((None, FEATURES)), layer])
    with pytest.raises(ValueError, match="NIR r for layer 'if'.*r=inf"):
        snn_nir.to_nir(model, dt=1e-310)


def test_a_tiny_decay_round_trips():
    # exp(-dt / tau) keeps a decay of 1e-30 that 1 - (1 - beta) rounds to 0.
    layer = keras_snn.LIF(2, beta=1e-30, reset="zero", name="lif")
    model = keras.Sequential([keras.Input((None, FEATURES)), layer])
    imported = snn_nir.from_nir(snn_nir.to_nir(model)).layers[0]
    assert imported.beta == pytest.approx(1e-30, rel=1e-12)


def test_from_nir_needs_a_graph():
    with pytest.raises(TypeError, match="graph="):
        snn_nir.from_nir({"nodes": {}})


def test_subtract_reset_needs_the_opt_in():
    model = keras_model(reset="subtract")
    with pytest.raises(ValueError, match="reset='subtract'"):
        snn_nir.to_nir(model)
    graph = snn_nir.to_nir(model, approximate_subtract_reset=True)
    np.testing.assert_array_equal(graph.nodes["lif1"].v_reset, 0.0)
    # The approximation is visible: the spike trains differ.
    assert not np.array_equal(
        reference.nir_chain(graph, X, 1.0, "exact"), to_numpy(model(X))
    )


def test_no_reset_raises():
    with pytest.raises(ValueError, match="reset='none'"):
        snn_nir.to_nir(
            keras_model(reset="none"), approximate_subtract_reset=True
        )


def test_build_model_raises():
    model = keras_snn.build(
        input_size=FEATURES, hidden_sizes=(4,), output_size=2, num_timesteps=3
    )
    with pytest.raises(ValueError, match="keras_snn.build"):
        snn_nir.to_nir(model)


def test_unsupported_layer_raises():
    model = keras_model()
    model.add(keras_snn.RateDecoding(name="rates"))
    with pytest.raises(
        ValueError, match="'rates' of type RateDecoding"
    ) as info:
        snn_nir.to_nir(model)
    supported = str(info.value).split("Supported layer types: ")[1]
    names = [name.split(".")[-1] for name in supported.rstrip(".").split(", ")]
    assert names == [
        "LIF",
        "IF",
        "LI",
        "SynapticLIF",
        "Dense",
        "Delay",
        "LearnableDelay",
        "Threshold",
    ]


def test_dense_with_activation_raises():
    model = keras.Sequential(
        [keras.Input((None, 3)), keras.layers.Dense(2, activation="relu")]
    )
    with pytest.raises(ValueError, match="activation='relu'"):
        snn_nir.to_nir(model)


def test_branching_model_raises():
    inputs = keras.Input((None, FEATURES))
    first = keras.layers.Dense(3, name="first")(inputs)
    second = keras.layers.Dense(3, name="second")(inputs)
    model = keras.Model(inputs, keras.layers.Add()([first, second]))
    with pytest.raises(ValueError, match="'second' not fed by the layer"):
        snn_nir.to_nir(model)


def test_to_nir_argument_errors():
    with pytest.raises(TypeError, match="model="):
        snn_nir.to_nir("model")
    with pytest.raises(ValueError, match="method="):
        snn_nir.to_nir(keras_model(), method="midpoint")
    with pytest.raises(ValueError, match="dt=-1"):
        snn_nir.to_nir(keras_model(), dt=-1.0)


def test_edge_to_a_missing_node_raises():
    graph = hand_graph(lif_node())
    graph.edges.append(("neurons", "nowhere"))
    with pytest.raises(ValueError, match="\\('neurons', 'nowhere'\\)"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def test_clashing_node_names_raise():
    for name in ("input", "output"):
        model = keras.Sequential(
            [keras.Input((None, 3)), keras.layers.Dense(2, name=name)]
        )
        with pytest.raises(ValueError, match=f"'{name}' is taken twice"):
            snn_nir.to_nir(model)


def test_layer_names_replace_dots():
    # PyTorch rejects "." in parameter names, hence in Keras layer names.
    graph = hand_graph(lif_node())
    graph.nodes["block.neurons"] = graph.nodes.pop("neurons")
    graph.edges = [
        ("input", "weights"),
        ("weights", "block.neurons"),
        ("block.neurons", "output"),
    ]
    model = snn_nir.from_nir(graph, dt=1.0, method="exact")
    assert model.layers[0].name == "block_neurons"


def test_weights_of_more_than_two_dimensions_raise():
    graph = hand_graph(lif_node())
    graph.nodes["weights"] = nir.Linear(weight=np.ones((2, UNITS, FEATURES)))
    with pytest.raises(ValueError, match="weight shape \\(2, 4, 6\\)"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def test_lif_that_does_not_return_sequences_raises():
    model = keras.Sequential(
        [keras.Input((None, 3)), keras_snn.LIF(2, return_sequences=False)]
    )
    with pytest.raises(ValueError, match="return_sequences=False"):
        snn_nir.to_nir(model)


def test_unbuilt_model_raises():
    model = keras.Sequential([keras_snn.LIF(2, reset="zero")])
    with pytest.raises(ValueError, match="built model"):
        snn_nir.to_nir(model)


def test_mixed_leaky_and_non_leaky_neurons_raise():
    layer = keras_snn.LIF(
        3, beta=0.5, trainable_beta=True, reset="zero", name="lif"
    )
    model = keras.Sequential([keras.Input((None, 2)), layer])
    # sigmoid(40) is 1.0 in float32.
    layer.cell.beta_logit.assign([0.0, 40.0, 1.0])
    with pytest.raises(ValueError, match="mix beta = 1"):
        snn_nir.to_nir(model)
    # An infinite tau (no leak) is refused as any non-finite tau is
    # (test_time_constants_that_are_not_positive_and_finite_raise): NIR
    # writes a neuron without leak as an IF node.
    mixed = lif_node(tau=np.array([2.0, np.inf, 3.0, 4.0]))
    with pytest.raises(ValueError, match=r"tau=\[2.0, inf, 3.0, 4.0\]"):
        snn_nir.from_nir(hand_graph(mixed), dt=1.0, method="exact")


def test_threshold_at_or_below_the_reset_raises():
    graph = hand_graph(lif_node(v_threshold=np.array([1.0, 0.0, 1.0, 1.0])))
    with pytest.raises(ValueError, match="v_threshold=\\[1.0, 0.0"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def test_neuron_count_mismatch_raises():
    params = {key: np.ones(3) for key in ("tau", "r", "v_threshold")}
    neurons = nir.LIF(v_leak=np.zeros(3), v_reset=np.zeros(3), **params)
    graph = hand_graph(lif_node())
    graph = nir.NIRGraph(
        nodes={**graph.nodes, "neurons": neurons},
        edges=graph.edges,
        type_check=False,
    )
    with pytest.raises(ValueError, match="3 neurons but follows a node with 4"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")


def test_snntorch_subtract_reset_differs_as_documented():
    # docs/nir.md: snnTorch subtracts the threshold of step t-1's spike
    # without decaying it; keras_snn decays it by beta.
    beta, threshold = 0.8, 0.7
    currents = RNG.uniform(0.0, 0.6, size=(BATCH, STEPS, UNITS))
    leaky = snntorch.Leaky(
        beta=torch.full((UNITS,), beta),
        threshold=torch.full((UNITS,), threshold),
        init_hidden=True,
    )
    torch_spikes = run_torch(leaky, currents.astype(np.float32))
    mem = np.zeros((BATCH, UNITS))
    expected = np.zeros_like(currents)
    for t in range(STEPS):
        previous = reference.spike(mem - threshold)
        mem = beta * mem + currents[:, t] - previous * threshold
        expected[:, t] = reference.spike(mem - threshold)
    np.testing.assert_array_equal(torch_spikes, expected)
    ours = reference.lif_currents(currents, beta, threshold, "subtract")[0]
    assert not np.array_equal(ours, expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    # And snnTorch exports it as a reset to zero.
    net = torch.nn.Sequential(torch.nn.Linear(FEATURES, UNITS), leaky)
    graph = export_to_nir(net, torch.zeros(1, FEATURES), ignore_dims=[0])
    lif = next(n for n in graph.nodes.values() if type(n).__name__ == "LIF")
    np.testing.assert_array_equal(lif.v_reset, 0.0)


# The other neuron models: IF, LI, CubaLIF, weightless layers.


def sequential(*layers, features=FEATURES):
    return keras.Sequential([keras.Input((None, features)), *layers])


def set_weights(layer, scale=1.0, shift=0.4):
    kernel = layer.cell.kernel
    shape = tuple(kernel.shape)
    kernel.assign(RNG.normal(shift, 0.5, size=shape) * scale)
    if layer.cell.bias is not None:
        layer.cell.bias.assign(RNG.normal(0.0, 0.1, size=(shape[1],)))


@pytest.mark.parametrize("layer_type", ["IF", "LIF"])
def test_if_layer_and_leak_free_lif_export_to_if_nodes(layer_type):
    if layer_type == "IF":
        layer = keras_snn.IF(UNITS, threshold=2.0, reset="zero", name="if1")
    else:
        layer = keras_snn.LIF(
            UNITS, beta=1.0, threshold=2.0, reset="zero", name="if1"
        )
    model = sequential(layer)
    set_weights(layer, scale=0.5)
    graph = snn_nir.to_nir(model, dt=0.5)
    node = graph.nodes["if1"]
    assert type(node).__name__ == "IF"
    np.testing.assert_allclose(node.r, np.full(UNITS, 2.0))
    spikes = to_numpy(model(X))
    np.testing.assert_array_equal(
        reference.nir_chain(graph, X, 0.5, "exact"), spikes
    )
    assert 0.1 < spike_fraction(spikes) < 0.9
    imported = snn_nir.from_nir(graph)
    assert type(imported.layers[0]) is keras_snn.IF
    assert imported.layers[0].threshold == 2.0
    np.testing.assert_array_equal(to_numpy(imported(X)), spikes)


def li_node(per_neuron, v_leak=0.2):
    tau = np.array([2.0, 3.0, 4.0, 1.5]) if per_neuron else np.full(4, 2.5)
    return nir.LI(tau=tau, r=np.full(UNITS, 1.7), v_leak=np.full(UNITS, v_leak))


@pytest.mark.parametrize("method", ["exact", "euler"])
@pytest.mark.parametrize("per_neuron", [False, True])
def test_li_node_matches_the_ode(method, per_neuron):
    graph = hand_graph(li_node(per_neuron))
    model = snn_nir.from_nir(graph, dt=0.5, method=method)
    layer = model.layers[0]
    assert type(layer) is keras_snn.LI
    assert layer.trainable_beta is per_neuron
    expected = reference.nir_chain(graph, X, 0.5, method)
    np.testing.assert_allclose(
        to_numpy(model(X)), expected, rtol=2e-5, atol=1e-5
    )
    other = "euler" if method == "exact" else "exact"
    assert (
        np.max(np.abs(reference.nir_chain(graph, X, 0.5, other) - expected))
        > 1e-3
    )
    # Exported again: v_leak sits in the bias, the membrane stays.
    exported = snn_nir.to_nir(model, dt=0.5, method=method)
    node = exported.nodes["neurons"]
    assert type(node).__name__ == "LI"
    np.testing.assert_array_equal(node.v_leak, 0.0)
    np.testing.assert_allclose(node.tau, graph.nodes["neurons"].tau, rtol=1e-6)
    np.testing.assert_allclose(
        reference.nir_chain(exported, X, 0.5, method),
        expected,
        rtol=2e-5,
        atol=1e-5,
    )


def test_integrator_node_is_an_li_layer_without_leak():
    graph = hand_graph(nir.I(r=np.full(UNITS, 3.0)))
    model = snn_nir.from_nir(graph, dt=0.5, method="exact")
    layer = model.layers[0]
    assert type(layer) is keras_snn.LI and layer.beta == 1.0
    expected = reference.nir_chain(graph, X, 0.5, "euler")
    np.testing.assert_allclose(
        to_numpy(model(X)), expected, rtol=2e-5, atol=1e-5
    )
    exported = snn_nir.to_nir(model, dt=0.5).nodes["neurons"]
    assert type(exported).__name__ == "I"
    np.testing.assert_allclose(exported.r, np.full(UNITS, 2.0))


def cuba_node(per_neuron, **changes):
    params = {
        "tau_syn": np.array([2.0, 1.5, 3.0, 2.5])
        if per_neuron
        else np.full(UNITS, 2.0),
        "tau_mem": np.array([3.0, 4.0, 2.5, 5.0])
        if per_neuron
        else np.full(UNITS, 4.0),
        "r": np.full(UNITS, 3.0),
        "v_leak": np.zeros(UNITS),
        "v_threshold": np.array([0.8, 0.9, 1.0, 1.1])
        if per_neuron
        else np.full(UNITS, 0.9),
        "w_in": np.full(UNITS, 0.8),
        **changes,
    }
    return nir.CubaLIF(**params)


@pytest.mark.parametrize("method", ["exact", "euler"])
@pytest.mark.parametrize("per_neuron", [False, True])
def test_cuba_lif_node_matches_the_ode(method, per_neuron):
    graph = hand_graph(cuba_node(per_neuron))
    model = snn_nir.from_nir(graph, dt=0.5, method=method)
    layer = model.layers[0]
    assert type(layer) is keras_snn.SynapticLIF
    assert layer.trainable_alpha is per_neuron
    assert layer.trainable_beta is per_neuron
    assert layer.reset == "zero"
    expected = reference.nir_chain(graph, X, 0.5, method)
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    other = "euler" if method == "exact" else "exact"
    assert not np.array_equal(
        reference.nir_chain(graph, X, 0.5, other), expected
    )
    if not per_neuron:
        decay = np.exp if method == "exact" else lambda x: 1.0 + x
        assert layer.alpha == pytest.approx(decay(-0.5 / 2.0), abs=1e-12)
        assert layer.beta == pytest.approx(decay(-0.5 / 4.0), abs=1e-12)
    # Exported again: the same taus, gain 1 (r and w_in), the same spikes.
    exported = snn_nir.to_nir(model, dt=0.5, method=method)
    node = exported.nodes["neurons"]
    assert type(node).__name__ == "CubaLIF"
    original = graph.nodes["neurons"]
    np.testing.assert_allclose(node.tau_syn, original.tau_syn, rtol=1e-6)
    np.testing.assert_allclose(node.tau_mem, original.tau_mem, rtol=1e-6)
    alpha, gain_syn = snn_nir.discretize(
        node.tau_syn, node.w_in, dt=0.5, method=method
    )
    beta, gain_mem = snn_nir.discretize(
        node.tau_mem, node.r, dt=0.5, method=method
    )
    np.testing.assert_allclose(gain_syn * gain_mem, 1.0, rtol=1e-12)
    np.testing.assert_array_equal(
        reference.nir_chain(exported, X, 0.5, method), expected
    )


def test_cuba_lif_exact_is_not_the_exact_2d_solution():
    # docs/nir.md: "exact" holds the new current over the membrane's step.
    # The exact solution of the coupled ODEs lets the current decay within
    # the step, and gives another membrane.
    tau_syn, tau_mem, dt, w_in, r = 2.0, 4.0, 0.5, 0.8, 3.0
    a, b = np.exp(-dt / tau_syn), np.exp(-dt / tau_mem)
    current = 1.0
    j_new = a * 0.0 + (1 - a) * w_in * current
    ours = (1 - b) * r * j_new
    # v(dt) from v = j = 0 under a constant input, solved in closed form.
    k = tau_syn / (tau_syn - tau_mem) * (a - b)
    exact = r * w_in * current * ((1 - b) - k)
    assert abs(ours - exact) > 1e-3


def test_cuba_lif_with_a_leak_raises():
    graph = hand_graph(cuba_node(False, v_leak=np.full(UNITS, 0.1)))
    with pytest.raises(ValueError, match="v_leak=\\[0.1, 0.1, 0.1, 0.1\\]"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")


def test_cuba_lif_euler_step_longer_than_tau_syn_raises():
    graph = hand_graph(cuba_node(False))
    with pytest.raises(ValueError, match="dt < tau_syn"):
        snn_nir.from_nir(graph, dt=2.5, method="euler")


def test_synaptic_layer_with_alpha_1_raises():
    layer = keras_snn.SynapticLIF(
        UNITS, alpha=1.0, beta=0.9, reset="zero", name="syn"
    )
    with pytest.raises(ValueError, match="alpha=\\[1.0, 1.0"):
        snn_nir.to_nir(sequential(layer))


def synaptic_net(reset_delay):
    net = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, UNITS),
        snntorch.Synaptic(
            alpha=torch.full((UNITS,), 0.7),
            beta=torch.full((UNITS,), 0.85),
            threshold=torch.full((UNITS,), 1.5),
            reset_mechanism="zero",
            reset_delay=reset_delay,
            init_hidden=True,
        ),
    )
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(W1[:, :UNITS].T * 0.6))
        net[0].bias.copy_(torch.from_numpy(B1[:UNITS]))
    return net


def test_snntorch_synaptic_export_imports_with_the_same_spikes():
    net = synaptic_net(reset_delay=False)
    expected = run_torch(net, X)
    graph = export_to_nir(net, torch.zeros(1, FEATURES), ignore_dims=[0])
    assert "CubaLIF" in [type(n).__name__ for n in graph.nodes.values()]
    model = snn_nir.from_nir(graph, **snn_nir.SNNTORCH)
    layer = model.layers[0]
    assert type(layer) is keras_snn.SynapticLIF
    assert layer.alpha == pytest.approx(0.7, abs=1e-6)
    assert layer.beta == pytest.approx(0.85, abs=1e-6)
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9


def test_snntorch_synaptic_zero_reset_with_delay_differs_as_documented():
    # docs/nir.md: with reset_delay=True (snnTorch's default) Synaptic's
    # zero reset sets the whole membrane of the step after a spike to 0.
    delayed = run_torch(synaptic_net(reset_delay=True), X)
    now = run_torch(synaptic_net(reset_delay=False), X)
    assert not np.array_equal(delayed, now)
    currents = X @ (W1[:, :UNITS] * 0.6) + B1[:UNITS]
    j = v = previous = np.zeros((BATCH, UNITS))
    expected = np.zeros_like(delayed)
    for t in range(STEPS):
        j = 0.7 * j + currents[:, t]
        v = (0.85 * v + j) * (1.0 - previous)
        previous = expected[:, t] = reference.spike(v - 1.5)
    np.testing.assert_array_equal(delayed, expected)


def test_synaptic_export_runs_in_snntorch_with_the_same_spikes():
    layer = keras_snn.SynapticLIF(
        UNITS, alpha=0.7, beta=0.85, threshold=1.5, reset="zero", name="syn"
    )
    model = sequential(layer)
    layer.cell.kernel.assign(W1[:, :UNITS] * 0.6)
    layer.cell.bias.assign(B1[:UNITS])
    spikes = to_numpy(model(X))
    graph = snn_nir.to_nir(model, **snn_nir.SNNTORCH)
    node = graph.nodes["syn"]
    # snnTorch: tau = dt / (1 - decay), r = tau_mem / dt, w_in = tau_syn / dt.
    np.testing.assert_allclose(node.tau_syn, np.full(UNITS, 1e-4 / 0.3))
    np.testing.assert_allclose(node.w_in, node.tau_syn / 1e-4)
    np.testing.assert_allclose(node.r, node.tau_mem / 1e-4)
    module = import_from_nir(graph)
    np.testing.assert_array_equal(
        run_torch(module, X, stateful_call=True), spikes
    )
    assert 0.1 < spike_fraction(spikes) < 0.9
    expected = reference.nir_chain(graph, X, 1e-4, "euler")
    np.testing.assert_array_equal(spikes, expected)


def test_weightless_layers_export_only_neuron_nodes():
    dense = keras.layers.Dense(HIDDEN, name="dense")
    model = sequential(
        dense,
        keras_snn.LIF(beta=0.8, threshold=0.6, reset="zero", name="lif"),
        keras.layers.Dense(UNITS, name="readout"),
        keras_snn.LI(tau=3.0, name="li"),
    )
    dense.kernel.assign(W1)
    dense.bias.assign(B1)
    model.layers[2].kernel.assign(W2)
    graph = snn_nir.to_nir(model, dt=0.5)
    kinds = [type(node).__name__ for node in graph.nodes.values()]
    assert kinds == ["Input", "Affine", "LIF", "Affine", "LI", "Output"]
    assert list(graph.nodes) == [
        "input", "dense", "lif", "readout", "li", "output"
    ]  # fmt: skip
    expected = to_numpy(model(X))
    np.testing.assert_allclose(
        reference.nir_chain(graph, X, 0.5, "exact"),
        expected,
        rtol=2e-5,
        atol=1e-5,
    )
    hidden = to_numpy(model.layers[1](model.layers[0](X)))
    assert 0.1 < spike_fraction(hidden) < 0.9
    # Imported back, each Affine node and the neurons after it are one
    # layer with weights.
    imported = snn_nir.from_nir(graph)
    assert [type(layer).__name__ for layer in imported.layers] == ["LIF", "LI"]
    assert [layer.units for layer in imported.layers] == [HIDDEN, UNITS]
    np.testing.assert_allclose(
        to_numpy(imported(X)), expected, rtol=2e-5, atol=1e-5
    )


@pytest.mark.parametrize("kind", ["LIF", "IF", "CubaLIF"])
def test_neuron_node_without_weights_scales_its_threshold(kind):
    threshold = np.array([0.8, 0.9, 1.0, 1.1])
    if kind == "LIF":
        neuron = lif_node(r=np.full(UNITS, 1.7), v_threshold=threshold)
    elif kind == "IF":
        neuron = nir.IF(r=np.full(UNITS, 0.8), v_threshold=threshold)
    else:
        neuron = cuba_node(False, v_threshold=threshold)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([UNITS])),
            "neurons": neuron,
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[("input", "neurons"), ("neurons", "output")],
    )
    model = snn_nir.from_nir(graph, dt=0.5, method="exact")
    layer = model.layers[0]
    assert layer.units is None and layer.cell.kernel is None
    assert layer.trainable_threshold
    gain = 1.7 * (1.0 - np.exp(-0.25)) if kind == "LIF" else None
    if gain is not None:
        np.testing.assert_allclose(
            to_numpy(layer.cell.threshold_weight.value),
            threshold / gain,
            rtol=1e-6,
        )
    x = 2.0 * X[..., :UNITS]
    expected = reference.nir_chain(graph, x, 0.5, "exact")
    np.testing.assert_array_equal(to_numpy(model(x)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9


def test_weightless_neuron_with_zero_gain_raises():
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([UNITS])),
            "neurons": lif_node(r=np.zeros(UNITS)),
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[("input", "neurons"), ("neurons", "output")],
    )
    with pytest.raises(ValueError, match="non-zero r"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")
    graph.nodes["neurons"] = nir.IF(r=np.zeros(UNITS), v_threshold=np.ones(4))
    with pytest.raises(ValueError, match="non-zero input gain"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")


def test_weightless_leaky_integrator_needs_unit_gain():
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([UNITS])),
            "neurons": li_node(False, v_leak=0.0),
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[("input", "neurons"), ("neurons", "output")],
    )
    with pytest.raises(ValueError, match="input gain"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")
    graph.nodes["neurons"] = li_node(False, v_leak=0.2)
    with pytest.raises(ValueError, match="non-zero v_leak"):
        snn_nir.from_nir(graph, dt=0.5, method="exact")


def test_adaptive_lif_cannot_be_expressed():
    layer = keras_snn.AdaptiveLIF(UNITS, reset="zero", name="alif")
    with pytest.raises(ValueError, match="cannot express AdaptiveLIF"):
        snn_nir.to_nir(sequential(layer))


# Recurrent layers: a cycle through a Linear node.

RECURRENT = RNG.normal(-0.1, 0.4, size=(UNITS, UNITS)).astype(np.float32)


def recurrent_model(layer_type):
    options = {"threshold": 1.2, "reset": "zero", "recurrent": True}
    if layer_type == "SynapticLIF":
        layer = keras_snn.SynapticLIF(
            UNITS, alpha=0.6, beta=0.8, name="rec", **options
        )
    else:
        layer = keras_snn.LIF(UNITS, beta=0.85, name="rec", **options)
    model = sequential(layer)
    layer.cell.kernel.assign(W1[:, :UNITS])
    layer.cell.bias.assign(B1[:UNITS])
    layer.cell.recurrent_kernel.assign(RECURRENT)
    return model


@pytest.mark.parametrize("layer_type", ["LIF", "SynapticLIF"])
def test_recurrent_layer_exports_a_feedback_cycle(layer_type, tmp_path):
    model = recurrent_model(layer_type)
    spikes = to_numpy(model(X))
    assert 0.1 < spike_fraction(spikes) < 0.9
    graph = snn_nir.to_nir(model, dt=0.5)
    assert sorted(graph.edges) == [
        ("input", "rec.affine"),
        ("rec", "output"),
        ("rec", "rec.w_rec"),
        ("rec.affine", "rec"),
        ("rec.w_rec", "rec"),
    ]
    np.testing.assert_array_equal(graph.nodes["rec.w_rec"].weight, RECURRENT.T)
    np.testing.assert_array_equal(
        reference.nir_chain(graph, X, 0.5, "exact"), spikes
    )
    # The feedback matters: without it the spikes differ.
    assert not np.array_equal(
        reference.nir_chain(graph_without_feedback(graph), X, 0.5, "exact"),
        spikes,
    )
    kernel = snn_nir.from_nir(graph).layers[0].cell.recurrent_kernel
    np.testing.assert_allclose(to_numpy(kernel.value), RECURRENT, rtol=1e-6)
    nir.write(tmp_path / "rec.nir", graph)
    imported = snn_nir.from_nir(nir.read(tmp_path / "rec.nir"))
    assert imported.layers[0].recurrent
    np.testing.assert_array_equal(to_numpy(imported(X)), spikes)


def graph_without_feedback(graph):
    nodes = {k: v for k, v in graph.nodes.items() if not k.endswith("w_rec")}
    edges = [edge for edge in graph.edges if set(edge) <= set(nodes)]
    return nir.NIRGraph(nodes=nodes, edges=edges)


def test_feedback_bias_and_gain_import():
    graph = hand_graph(lif_node(r=np.full(UNITS, 1.7)))
    graph.nodes["w_rec"] = nir.Affine(
        weight=RECURRENT.T.astype(np.float64), bias=np.full(UNITS, -0.2)
    )
    graph.edges += [("neurons", "w_rec"), ("w_rec", "neurons")]
    model = snn_nir.from_nir(graph, dt=0.5, method="euler")
    expected = reference.nir_chain(graph, X, 0.5, "euler")
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9
    assert not np.array_equal(
        reference.nir_chain(graph_without_feedback(graph), X, 0.5, "euler"),
        expected,
    )


def test_feedback_into_a_neuron_node_without_weights_raises():
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([UNITS])),
            "neurons": lif_node(),
            "w_rec": nir.Linear(weight=np.eye(UNITS)),
            "output": nir.Output(output_type=np.array([UNITS])),
        },
        edges=[
            ("input", "neurons"),
            ("neurons", "w_rec"),
            ("w_rec", "neurons"),
            ("neurons", "output"),
        ],
    )
    with pytest.raises(ValueError, match="recurrent feedback"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def rleaky_net():
    net = torch.nn.Sequential(
        torch.nn.Linear(FEATURES, UNITS),
        snntorch.RLeaky(
            beta=torch.full((UNITS,), 0.85),
            threshold=torch.full((UNITS,), 1.2),
            linear_features=UNITS,
            reset_mechanism="zero",
            reset_delay=False,
            init_hidden=True,
        ),
    )
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(W1[:, :UNITS].T))
        net[0].bias.copy_(torch.from_numpy(B1[:UNITS]))
        net[1].recurrent.weight.copy_(torch.from_numpy(RECURRENT.T))
        net[1].recurrent.bias.fill_(-0.1)
    return net


def test_snntorch_rleaky_export_imports_with_the_same_spikes():
    net = rleaky_net()
    expected = run_torch(net, X)
    graph = export_to_nir(net, torch.zeros(1, FEATURES), ignore_dims=[0])
    model = snn_nir.from_nir(graph, **snn_nir.SNNTORCH)
    assert model.layers[0].recurrent
    np.testing.assert_array_equal(to_numpy(model(X)), expected)
    assert 0.1 < spike_fraction(expected) < 0.9


def test_missing_nir_names_the_checkout_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nir", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[nir\]"'):
        snn_nir.to_nir(keras_model())


def delay_model():
    model = keras.Sequential(
        [
            keras.Input((None, FEATURES)),
            keras_snn.Delay([0, 1, 2, 3, 0, 5], name="input_delays"),
            keras_snn.LIF(HIDDEN, beta=0.9, reset="zero", name="lif1"),
            keras_snn.LearnableDelay(4, name="axonal"),
            keras_snn.LIF(UNITS, beta=0.8, reset="zero", name="lif2"),
        ]
    )
    model.layers[1].cell.kernel.assign(W1)
    model.layers[1].cell.bias.assign(B1)
    model.layers[2].delay.assign(np.linspace(0.0, 4.0, HIDDEN) + 0.1)
    model.layers[3].cell.kernel.assign(W2)
    model.layers[3].cell.bias.assign(B2)
    return model


def test_delays_export_as_delay_nodes_and_import_back(tmp_path):
    model = delay_model()
    graph = snn_nir.to_nir(model, dt=0.5)
    kinds = [type(node).__name__ for node in graph.nodes.values()]
    assert kinds == [
        "Input",
        "Delay",
        "Affine",
        "LIF",
        "Delay",
        "Affine",
        "LIF",
        "Output",
    ]
    # In the graph's time unit: steps * dt.
    np.testing.assert_array_equal(
        graph.nodes["input_delays"].delay, [0.0, 0.5, 1.0, 1.5, 0.0, 2.5]
    )
    steps = np.round(np.linspace(0.0, 4.0, HIDDEN) + 0.1)
    np.testing.assert_array_equal(graph.nodes["axonal"].delay, steps * 0.5)
    assert graph.nodes["axonal"].metadata == {"dt": 0.5}
    spikes = to_numpy(model(X))
    assert 0.1 < spike_fraction(spikes) < 0.9
    np.testing.assert_array_equal(
        reference.nir_chain(graph, X, 0.5, "exact"), spikes
    )
    path = tmp_path / "delays.nir"
    nir.write(path, graph)
    imported = snn_nir.from_nir(nir.read(path))
    assert [type(layer).__name__ for layer in imported.layers] == [
        "Delay",
        "LIF",
        "Delay",
        "LIF",
    ]
    assert imported.layers[2].delays == [int(d) for d in steps]
    np.testing.assert_array_equal(to_numpy(imported(X)), spikes)


def delay_graph(delay, **metadata):
    return nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([3])),
            "delay": nir.Delay(delay=np.asarray(delay), metadata=metadata),
            "output": nir.Output(output_type=np.array([3])),
        },
        edges=[("input", "delay"), ("delay", "output")],
        # Bad graphs for the errors of from_nir, not of NIR's own check.
        type_check=False,
    )


def test_delay_node_import():
    x = X[:, :, :3]
    model = snn_nir.from_nir(delay_graph([2e-3, 0.0, 1e-3]), dt=1e-3)
    assert model.layers[0].delays == [2, 0, 1]
    np.testing.assert_array_equal(
        to_numpy(model(x)), reference.delayed(x, [2, 0, 1])
    )
    # dt from the metadata; one delay for every feature becomes an int.
    model = snn_nir.from_nir(delay_graph([3.0, 3.0, 3.0], dt=1.5))
    assert model.layers[0].delays == 2


@pytest.mark.parametrize(
    "delay, dt, message",
    [
        ([0.5, 1.0, 2.0], 1.0, r"whole non-negative.*0\.5"),
        ([-1.0, 1.0, 2.0], 1.0, r"whole non-negative.*-1\.0"),
        ([1.0, 2.0], 1.0, "has 2 delays but follows a node with 3"),
        ([1.0, 1.0, 1.0], None, "has no dt in its metadata"),
    ],
)
def test_bad_delay_nodes_raise(delay, dt, message):
    with pytest.raises(ValueError, match=message):
        snn_nir.from_nir(delay_graph(delay), dt=dt)


def test_delayed_dense_does_not_export():
    model = keras.Sequential(
        [keras.Input((None, FEATURES)), keras_snn.DelayedDense(3, 2)]
    )
    with pytest.raises(ValueError, match="type DelayedDense"):
        snn_nir.to_nir(model)


def test_threshold_node_imports_exports_and_matches_numpy(tmp_path):
    # Input -> Affine -> Threshold -> Output, one threshold per unit.
    threshold = np.array([0.3, -0.2, 0.9, 0.5])
    graph = hand_graph(nir.Threshold(threshold=threshold))
    model = snn_nir.from_nir(graph)
    assert [type(layer).__name__ for layer in model.layers] == [
        "Dense",
        "Threshold",
    ]
    assert model.layers[1].threshold == tuple(threshold)
    spikes = to_numpy(model(X))
    assert 0.1 < spike_fraction(spikes) < 0.9
    np.testing.assert_array_equal(
        spikes, reference.nir_chain(graph, X, 1.0, "exact")
    )
    path = tmp_path / "threshold.nir"
    nir.write(path, snn_nir.to_nir(model))
    back = nir.read(path)
    assert {name: type(node).__name__ for name, node in back.nodes.items()} == {
        "input": "Input",
        "weights": "Affine",
        "neurons": "Threshold",
        "output": "Output",
    }
    exported = back.nodes["neurons"].threshold
    assert exported.dtype == np.float64
    np.testing.assert_array_equal(exported, threshold)
    np.testing.assert_array_equal(to_numpy(snn_nir.from_nir(back)(X)), spikes)


def test_threshold_layer_exports_one_value_per_feature():
    model = sequential(keras_snn.Threshold(0.25, name="th"))
    graph = snn_nir.to_nir(model)
    np.testing.assert_array_equal(
        graph.nodes["th"].threshold, np.full(FEATURES, 0.25)
    )
    imported = snn_nir.from_nir(graph)
    assert imported.layers[0].threshold == 0.25
    np.testing.assert_array_equal(
        to_numpy(imported(X)), reference.spike(X - 0.25)
    )


def test_non_finite_threshold_node_names_the_node():
    graph = hand_graph(nir.Threshold(threshold=np.array([1.0, np.inf, 0, 0])))
    with pytest.raises(ValueError, match="'neurons' \\(Threshold\\).*inf"):
        snn_nir.from_nir(graph)
