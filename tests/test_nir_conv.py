"""NIR for convolutional networks: conv, pooling, flatten, scale, layouts.

The references are independent simulations of the NIR graphs, written with
torch.nn.functional (channels-first, as NIR) and NumPy, not keras_snn.
"""

import os
import sys

import keras
import nir
import numpy as np
import pytest
import torch
from torch.nn import functional

import keras_snn
from keras_snn import nir as snn_nir
from tests.helpers import to_numpy

DATA = "/work/shared/data/nir_paper"
RNG = np.random.default_rng(0)


def torch64(x):
    return torch.from_numpy(np.asarray(x, np.float64))


def channels_last(x):
    # [batch, T, C, *spatial] -> [batch, T, *spatial, C].
    return np.moveaxis(x, 2, -1)


def simulate(graph, x, order, recurrent=None):
    """Runs a chain of NIR nodes on `x [batch, T, *shape]`, one step per
    frame, in float64. IF neurons integrate `r I`; CubaLIF neurons follow
    forward Euler with dt = 1e-4 (snnTorch's convention). `recurrent`
    maps a neuron node to the node that feeds its spikes back, one step
    later. Returns {node name: [batch, T, ...] outputs}."""
    nodes = graph.nodes
    state, outputs = {}, {name: [] for name in order}
    previous = {}
    for t in range(x.shape[1]):
        h = torch64(x[:, t])
        for name in order:
            node = nodes[name]
            kind = type(node).__name__
            if kind in ("Conv1d", "Conv2d"):
                conv = (
                    functional.conv1d if kind == "Conv1d" else functional.conv2d
                )
                h = conv(
                    h,
                    torch64(node.weight),
                    torch64(node.bias),
                    stride=tuple(np.atleast_1d(node.stride)),
                    padding=node.padding
                    if isinstance(node.padding, str)
                    else tuple(np.atleast_1d(node.padding)),
                    dilation=tuple(np.atleast_1d(node.dilation)),
                    groups=int(node.groups),
                )
            elif kind in ("SumPool2d", "AvgPool2d"):
                h = functional.avg_pool2d(
                    h,
                    tuple(node.kernel_size),
                    tuple(node.stride),
                    tuple(node.padding),
                    divisor_override=1 if kind == "SumPool2d" else None,
                )
            elif kind == "Flatten":
                h = h.reshape(h.shape[0], -1)
            elif kind == "Scale":
                h = h * torch64(node.scale)
            elif kind == "Threshold":
                h = (h > torch64(node.threshold)).double()
            elif kind in ("Affine", "Linear"):
                h = h @ torch64(node.weight).T
                if kind == "Affine":
                    h = h + torch64(node.bias)
            elif kind == "IF":
                v = state.get(name, 0.0) + torch64(node.r) * h
                s = (v > torch64(node.v_threshold)).double()
                state[name] = torch.where(s > 0, torch64(node.v_reset), v)
                h = s
            elif kind == "CubaLIF":
                if recurrent and name in recurrent:
                    feedback = nodes[recurrent[name]]
                    spikes = previous.get(name, torch.zeros_like(h))
                    h = h + spikes @ torch64(feedback.weight).T
                    if type(feedback).__name__ == "Affine":
                        h = h + torch64(feedback.bias)
                dt = 1e-4
                j, v = state.get(name, (0.0, 0.0))
                j = j + dt / torch64(node.tau_syn) * (
                    -j + torch64(node.w_in) * h
                )
                v = v + dt / torch64(node.tau_mem) * (
                    torch64(node.v_leak) - v + torch64(node.r) * j
                )
                s = (v > torch64(node.v_threshold)).double()
                state[name] = (j, torch.where(s > 0, torch64(node.v_reset), v))
                previous[name] = s
                h = s
            else:
                raise AssertionError(kind)
            outputs[name].append(h.numpy())
    return {name: np.stack(values, 1) for name, values in outputs.items()}


def layer_outputs(model, names, x):
    """The outputs of the named layers of a sequential `model` on `x`."""
    outputs = {}
    for layer in model.layers:
        x = layer(x)
        outputs[layer.name] = to_numpy(x)
    return [outputs[name] for name in names]


@pytest.fixture(scope="module")
def cnn_graph():
    return nir.read(os.path.join(DATA, "cnn_sinabs.nir"))


@pytest.fixture(scope="module")
def cnn_model(cnn_graph):
    return snn_nir.from_nir(cnn_graph, dt=1.0, method="exact")


def test_nir_paper_cnn_matches_an_independent_simulation(cnn_graph, cnn_model):
    # N-MNIST-shaped events [batch, T, 2, 34, 34], one timestep per frame.
    x = (RNG.uniform(size=(2, 5, 2, 34, 34)) < 0.3).astype(np.float32)
    neurons = ["1", "3", "6", "10", "12"]
    order = [str(i) for i in range(13)]
    reference = simulate(cnn_graph, x, order)
    outputs = layer_outputs(cnn_model, neurons, channels_last(x))
    for name, spikes in zip(neurons, outputs, strict=True):
        expected = reference[name]
        if expected.ndim == 5:
            expected = channels_last(expected)
        np.testing.assert_array_equal(spikes, expected, err_msg=name)
    counts = [int(spikes.sum()) for spikes in outputs]
    assert min(counts) > 0, counts


def test_nir_paper_cnn_exports_back_with_the_same_numbers(cnn_graph, cnn_model):
    exported = snn_nir.to_nir(cnn_model, dt=1.0)
    # An Affine node and its neuron node are one layer, named after the
    # neurons.
    renamed = {"9": "10.affine", "11": "12.affine"}
    assert len(exported.nodes) == len(cnn_graph.nodes)
    for name, node in cnn_graph.nodes.items():
        again = exported.nodes[renamed.get(name, name)]
        assert type(again) is type(node), name
        for field in ("weight", "bias", "v_threshold", "r", "v_reset"):
            if hasattr(node, field):
                np.testing.assert_array_equal(
                    getattr(again, field),
                    np.asarray(getattr(node, field), np.float32),
                    err_msg=f"{name}.{field}",
                )
        for field in ("stride", "padding", "kernel_size", "input_type"):
            if hasattr(node, field):
                np.testing.assert_equal(
                    getattr(again, field), getattr(node, field), err_msg=name
                )


def small_cnn_graph():
    """Conv2d -> IF -> SumPool2d -> Flatten -> Affine -> IF, on [2, 8, 8]."""
    ones = np.ones((4, 8, 8))
    conv = nir.Conv2d(
        input_shape=(8, 8),
        weight=RNG.normal(0.3, 0.5, size=(4, 2, 3, 3)),
        stride=1,
        padding=1,
        dilation=1,
        groups=1,
        bias=np.zeros(4),
    )
    nodes = {
        "input": nir.Input(input_type=np.array([2, 8, 8])),
        "conv": conv,
        "if1": nir.IF(r=ones, v_threshold=ones, v_reset=0 * ones),
        "pool": nir.SumPool2d(
            kernel_size=np.array([2, 2]),
            stride=np.array([2, 2]),
            padding=np.array([0, 0]),
        ),
        "flat": nir.Flatten(
            input_type={"input": np.array([4, 4, 4])}, start_dim=0, end_dim=-1
        ),
        "fc": nir.Affine(
            weight=RNG.normal(0.2, 0.3, size=(3, 64)), bias=np.zeros(3)
        ),
        "if2": nir.IF(
            r=np.ones(3), v_threshold=np.ones(3), v_reset=np.zeros(3)
        ),
        "output": nir.Output(output_type=np.array([3])),
    }
    names = list(nodes)
    edges = list(zip(names[:-1], names[1:], strict=True))
    return nir.NIRGraph(nodes=nodes, edges=edges, type_check=False)


def test_imported_cnn_trains_with_fit():
    model = snn_nir.from_nir(small_cnn_graph(), dt=1.0, method="exact")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = (RNG.uniform(size=(2, 3, 8, 8, 2)) < 0.5).astype(np.float32)
    y = np.full((2, 3, 3), 0.5, np.float32)
    kernel = model.get_layer("conv").layer.kernel
    before = to_numpy(kernel).copy()
    model.fit(x, y, epochs=1, verbose=0)
    assert np.abs(to_numpy(kernel) - before).max() > 0.0


def conv_graph(rank, *, stride, padding, dilation, groups, channels=4):
    """Input -> Conv -> Scale -> Flatten -> Affine -> Output."""
    spatial = (9,) * rank
    kernel = (3,) * rank
    filters = 8
    weight = RNG.normal(size=(filters, channels // groups, *kernel))
    conv_type = nir.Conv1d if rank == 1 else nir.Conv2d
    conv = conv_type(
        input_shape=spatial[0] if rank == 1 else spatial,
        weight=weight,
        stride=stride,
        padding=padding,
        dilation=dilation,
        groups=groups,
        bias=RNG.normal(size=filters),
    )
    out_shape = tuple(conv.output_type["output"])
    scale = np.broadcast_to(
        RNG.uniform(0.5, 2.0, size=(filters,) + (1,) * rank), out_shape
    ).copy()
    flat = int(np.prod(out_shape))
    nodes = {
        "input": nir.Input(input_type=np.array((channels, *spatial))),
        "conv": conv,
        "scale": nir.Scale(scale=scale),
        "flat": nir.Flatten(
            input_type={"input": np.array(out_shape)}, start_dim=0, end_dim=-1
        ),
        "fc": nir.Affine(
            weight=RNG.normal(size=(5, flat)), bias=RNG.normal(size=5)
        ),
        "output": nir.Output(output_type=np.array([5])),
    }
    order = list(nodes)
    edges = list(zip(order[:-1], order[1:], strict=True))
    # nir 1.0 gives a grouped convolution the input_type of one group.
    graph = nir.NIRGraph(nodes=nodes, edges=edges, type_check=groups == 1)
    return graph, order[1:-1]


@pytest.mark.parametrize(
    "rank, stride, padding, dilation, groups",
    [
        (2, 2, 1, 1, 1),
        (2, 1, (2, 1), (2, 1), 2),
        (2, 1, "same", 1, 4),
        (1, 2, 1, 1, 2),
        (1, 1, 0, 2, 1),
    ],
)
def test_conv_scale_flatten_affine_match_torch(
    rank, stride, padding, dilation, groups
):
    graph, order = conv_graph(
        rank, stride=stride, padding=padding, dilation=dilation, groups=groups
    )
    x = RNG.normal(size=(2, 3, 4, *(9,) * rank)).astype(np.float32)
    expected = simulate(graph, x, order)["fc"]
    model = snn_nir.from_nir(graph)
    output = to_numpy(model(channels_last(x)))
    np.testing.assert_allclose(output, expected, rtol=1e-4, atol=1e-4)
    # The round trip keeps every number.
    back = snn_nir.to_nir(model)
    for name in ("conv", "scale", "fc"):
        exported = back.nodes[name]
        for field in ("weight", "bias", "scale"):
            if hasattr(graph.nodes[name], field):
                # Weights as the float32 variables hold them; the scale
                # of Rescaling keeps its float64 value.
                dtype = np.float64 if field == "scale" else np.float32
                np.testing.assert_array_equal(
                    getattr(exported, field),
                    np.asarray(getattr(graph.nodes[name], field), dtype),
                )
    np.testing.assert_array_equal(
        to_numpy(snn_nir.from_nir(back)(channels_last(x))), output
    )


@pytest.mark.parametrize("kind", ["SumPool2d", "AvgPool2d"])
def test_pooling_matches_torch(kind):
    padding = (1, 0) if kind == "SumPool2d" else (0, 0)
    pool = getattr(nir, kind)(
        kernel_size=np.array([3, 2]),
        stride=np.array([2, 2]),
        padding=np.array(padding),
    )
    nodes = {
        "input": nir.Input(input_type=np.array([3, 7, 6])),
        "pool": pool,
        "output": nir.Output(output_type=np.array([3, 4, 3])),
    }
    graph = nir.NIRGraph(
        nodes=nodes,
        edges=[("input", "pool"), ("pool", "output")],
        type_check=False,
    )
    x = (RNG.uniform(size=(2, 2, 3, 7, 6)) < 0.5).astype(np.float32)
    expected = channels_last(simulate(graph, x, ["pool"])["pool"])
    model = snn_nir.from_nir(graph)
    output = to_numpy(model(channels_last(x)))
    if kind == "SumPool2d":
        np.testing.assert_array_equal(output, expected)
    else:
        np.testing.assert_allclose(output, expected, rtol=1e-6)
    exported = snn_nir.to_nir(model).nodes["pool"]
    assert type(exported).__name__ == kind
    np.testing.assert_array_equal(exported.padding, padding)


@pytest.mark.parametrize(
    "name", ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"]
)
def test_nir_paper_braille_graphs_match_an_independent_simulation(name):
    graph = nir.read(os.path.join(DATA, f"{name}.nir"))
    model = snn_nir.from_nir(graph, **snn_nir.SNNTORCH)
    x = (RNG.uniform(size=(2, 20, 12)) < 0.5).astype(np.float32)
    reference = simulate(
        graph,
        x,
        ["fc1", "lif1.lif", "fc2", "lif2"],
        recurrent={"lif1.lif": "lif1.w_rec"},
    )
    hidden, output = layer_outputs(model, ["lif1_lif", "lif2"], x)
    np.testing.assert_array_equal(hidden, reference["lif1.lif"])
    np.testing.assert_array_equal(output, reference["lif2"])
    assert hidden.sum() > 0 and output.sum() > 0


def digits_network():
    # The network of examples/train_conv_digits.py, untrained, as a
    # sequence model: between its encoder and its decoder.
    sys.path.insert(0, "examples")
    try:
        import train_conv_digits
    finally:
        sys.path.remove("examples")
    keras.utils.set_random_seed(0)
    model, _ = train_conv_digits.build_model(4, "repeat", "rate", 0)
    inner = model.layers[2:-1]
    for layer in inner:
        if isinstance(layer, keras_snn.LIF):
            # NIR's neurons reset to v_reset: keras_snn's reset="zero".
            layer.cell.reset = "zero"
    return keras.Sequential([keras.Input((4, 8, 8, 1)), *inner])


def test_digits_conv_network_round_trips_with_identical_spikes(tmp_path):
    model = digits_network()
    # Per-channel decays, as after training.
    logit = model.get_layer("block_1_lif").cell.beta_logit
    logit.assign(RNG.uniform(-1.0, 2.0, size=logit.shape))
    for name in ("block_2_conv", "readout"):
        # Stronger weights than the initial ones, for spikes in every layer.
        layer = model.get_layer(name)
        kernel = getattr(layer, "layer", getattr(layer, "cell", None)).kernel
        kernel.assign(kernel * 4.0)
    path = str(tmp_path / "digits.nir")
    nir.write(path, snn_nir.to_nir(model))
    imported = snn_nir.from_nir(nir.read(path))
    x = RNG.uniform(0.0, 3.0, size=(3, 4, 8, 8, 1)).astype(np.float32)
    names = ["block_1_lif", "block_2_lif", "readout"]
    for name, spikes, again in zip(
        names,
        layer_outputs(model, names, x),
        layer_outputs(imported, names, x),
        strict=True,
    ):
        np.testing.assert_array_equal(again, spikes, err_msg=name)
        assert spikes.sum() > 0, name


def test_sum_pooling_layer_sums_windows_and_serializes(tmp_path):
    layer = keras_snn.SumPooling2D((2, 3), strides=1, padding="valid")
    x = RNG.normal(size=(2, 4, 5, 3)).astype(np.float32)
    expected = np.zeros((2, 3, 3, 3))
    for i in range(3):
        for j in range(3):
            expected[:, i, j] = x[:, i : i + 2, j : j + 3].sum(axis=(1, 2))
    np.testing.assert_allclose(to_numpy(layer(x)), expected, rtol=1e-5)
    model = keras.Sequential([keras.Input((4, 5, 3)), layer])
    path = str(tmp_path / "pool.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(loaded(x)), to_numpy(model(x)))


def test_sum_pooling_bad_sizes_raise():
    with pytest.raises(ValueError, match=r"pool_size=\(1, 2, 3\)"):
        keras_snn.SumPooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="padding"):
        keras_snn.SumPooling2D(2, padding="full")


# Bad input.


def test_conv_input_type_mismatch_names_the_node():
    graph, _ = conv_graph(2, stride=1, padding=0, dilation=1, groups=1)
    graph.nodes["input"] = nir.Input(input_type=np.array([4, 10, 9]))
    with pytest.raises(ValueError, match=r"'conv' \(Conv2d\).*\[4, 9, 9\]"):
        snn_nir.from_nir(graph)


def test_unsupported_padding_mode_raises():
    graph, _ = conv_graph(2, stride=1, padding=0, dilation=1, groups=1)
    graph.nodes["conv"].padding = "reflect"
    with pytest.raises(ValueError, match="'conv'.*padding='reflect'"):
        snn_nir.from_nir(graph)


def test_groups_that_do_not_divide_the_channels_raise():
    graph, _ = conv_graph(2, stride=1, padding=0, dilation=1, groups=1)
    graph.nodes["conv"].groups = 3
    with pytest.raises(ValueError, match="'conv' with groups=3"):
        snn_nir.from_nir(graph)


def test_average_pooling_with_padding_raises():
    pool = nir.AvgPool2d(
        kernel_size=np.array([2, 2]),
        stride=np.array([2, 2]),
        padding=np.array([1, 1]),
    )
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([1, 4, 4])),
            "pool": pool,
            "output": nir.Output(output_type=np.array([1, 3, 3])),
        },
        edges=[("input", "pool"), ("pool", "output")],
        type_check=False,
    )
    with pytest.raises(ValueError, match=r"'pool' with padding=\[1, 1\]"):
        snn_nir.from_nir(graph)


def test_per_position_neuron_parameters_raise():
    graph, _ = conv_graph(2, stride=1, padding=0, dilation=1, groups=1)
    threshold = RNG.uniform(0.5, 1.5, size=(8, 7, 7))
    graph.nodes["scale"] = nir.IF(
        r=np.ones_like(threshold),
        v_threshold=threshold,
        v_reset=np.zeros_like(threshold),
    )
    with pytest.raises(ValueError, match="'scale' with v_threshold"):
        snn_nir.from_nir(graph, dt=1.0, method="exact")


def threshold_graph():
    """Input -> Conv2d -> Threshold (per channel) -> Flatten -> Threshold
    (per feature) -> Affine -> Output."""
    graph, _ = conv_graph(2, stride=1, padding=0, dilation=1, groups=1)
    shape = tuple(graph.nodes["conv"].output_type["output"])
    per_channel = RNG.normal(0.0, 1.0, size=(shape[0], 1, 1))
    nodes = dict(graph.nodes)
    nodes["scale"] = nir.Threshold(
        threshold=np.broadcast_to(per_channel, shape).copy()
    )
    fc = nodes.pop("fc")
    output = nodes.pop("output")
    nodes["features"] = nir.Threshold(
        threshold=RNG.uniform(-0.5, 1.5, size=int(np.prod(shape)))
    )
    nodes["fc"], nodes["output"] = fc, output
    names = list(nodes)
    edges = list(zip(names[:-1], names[1:], strict=True))
    return nir.NIRGraph(nodes=nodes, edges=edges), names[1:-1]


def test_threshold_nodes_match_torch_and_round_trip():
    graph, order = threshold_graph()
    x = RNG.normal(size=(2, 3, 4, 9, 9)).astype(np.float32)
    simulated = simulate(graph, x, order)
    model = snn_nir.from_nir(graph)
    # One threshold per channel, on the channels-last feature map.
    assert len(model.get_layer("scale").threshold) == 8
    spikes, output = layer_outputs(model, ["features", "fc"], channels_last(x))
    assert 0.1 < spikes.mean() < 0.9
    # Keras flattens [H, W, C], NIR [C, H, W].
    nir_order = np.moveaxis(np.arange(8 * 7 * 7).reshape(8, 7, 7), 0, -1)
    np.testing.assert_array_equal(
        spikes, simulated["features"][..., nir_order.reshape(-1)]
    )
    np.testing.assert_allclose(output, simulated["fc"], rtol=1e-4, atol=1e-4)
    back = snn_nir.to_nir(model)
    for name in ("scale", "features"):
        np.testing.assert_array_equal(
            back.nodes[name].threshold, graph.nodes[name].threshold
        )
    np.testing.assert_array_equal(
        to_numpy(snn_nir.from_nir(back)(channels_last(x))), output
    )


def test_per_position_thresholds_raise():
    graph, _ = threshold_graph()
    graph.nodes["scale"].threshold[0, 0, 0] += 1.0
    with pytest.raises(ValueError, match="'scale' with threshold that"):
        snn_nir.from_nir(graph)


def test_affine_on_a_feature_map_raises():
    model = keras.Sequential(
        [
            keras.Input((2, 4, 4, 3)),
            keras_snn.LIF(5, reset="zero", name="lif"),
        ]
    )
    with pytest.raises(ValueError, match="Flatten layer.*'lif'"):
        snn_nir.to_nir(model)


def test_average_pooling_with_same_padding_cannot_be_exported():
    model = keras.Sequential(
        [
            keras.Input((2, 5, 5, 1)),
            keras.layers.TimeDistributed(
                keras.layers.AveragePooling2D(3, 1, padding="same"),
                name="pool",
            ),
        ]
    )
    with pytest.raises(
        ValueError, match=r"'pool' with padding='same', padding \(1, 1\)"
    ):
        snn_nir.to_nir(model)


@pytest.mark.parametrize("method", ["exact", "euler"])
def test_cuba_li_node_is_two_li_layers_matching_the_ode(method):
    units, features, dt = 3, 4, 0.5
    node = nir.CubaLI(
        tau_syn=np.array([2.0, 1.5, 3.0]),
        tau_mem=np.full(units, 4.0),
        r=np.full(units, 3.0),
        v_leak=np.zeros(units),
        w_in=np.full(units, 0.8),
    )
    weight = RNG.normal(size=(units, features))
    bias = RNG.normal(size=units)
    graph = nir.NIRGraph(
        nodes={
            "input": nir.Input(input_type=np.array([features])),
            "fc": nir.Affine(weight=weight, bias=bias),
            "li": node,
            "output": nir.Output(output_type=np.array([units])),
        },
        edges=[("input", "fc"), ("fc", "li"), ("li", "output")],
    )
    model = snn_nir.from_nir(graph, dt=dt, method=method)
    assert [type(layer) for layer in model.layers] == [keras_snn.LI] * 2
    x = RNG.normal(size=(2, 6, features)).astype(np.float32)
    # The ODEs tau_syn dJ/dt = -J + w_in I, tau_mem dv/dt = -v + r J, each
    # discretized in turn, the new J held over the membrane's step.
    if method == "exact":
        alpha, beta = np.exp(-dt / node.tau_syn), np.exp(-dt / node.tau_mem)
    else:
        alpha, beta = 1.0 - dt / node.tau_syn, 1.0 - dt / node.tau_mem
    j = v = np.zeros((2, units))
    expected = []
    for t in range(x.shape[1]):
        current = x[:, t].astype(np.float64) @ weight.T + bias
        j = alpha * j + (1.0 - alpha) * node.w_in * current
        v = beta * v + (1.0 - beta) * node.r * j
        expected.append(v)
    output = to_numpy(model(x))
    np.testing.assert_allclose(
        output, np.stack(expected, 1), rtol=1e-5, atol=1e-6
    )
    # Exported, it stays two leaky integrators: Affine -> LI -> LI.
    exported = snn_nir.to_nir(model, dt=dt, method=method)
    kinds = [type(exported.nodes[name]).__name__ for name in exported.nodes]
    assert kinds.count("LI") == 2 and "CubaLI" not in kinds
    np.testing.assert_allclose(
        to_numpy(snn_nir.from_nir(exported)(x)), output, rtol=1e-6, atol=1e-7
    )


def test_zero_padding_layer_joins_the_convolution_after_it():
    model = keras.Sequential(
        [
            keras.Input((2, 6, 6, 1)),
            keras.layers.TimeDistributed(keras.layers.ZeroPadding2D(1)),
            keras.layers.TimeDistributed(
                keras.layers.Conv2D(2, 3, padding="same"), name="conv"
            ),
        ]
    )
    graph = snn_nir.to_nir(model)
    node = graph.nodes["conv"]
    np.testing.assert_array_equal(node.padding, (2, 2))
    np.testing.assert_array_equal(node.input_shape, (6, 6))
    x = RNG.normal(size=(1, 2, 6, 6, 1)).astype(np.float32)
    np.testing.assert_array_equal(
        to_numpy(snn_nir.from_nir(graph)(x)), to_numpy(model(x))
    )


def test_zero_padding_without_a_convolution_after_it_raises():
    model = keras.Sequential(
        [
            keras.Input((2, 6, 6, 1)),
            keras.layers.TimeDistributed(
                keras.layers.ZeroPadding2D(1), name="pad"
            ),
        ]
    )
    with pytest.raises(ValueError, match="end of the model.*'pad'"):
        snn_nir.to_nir(model)
