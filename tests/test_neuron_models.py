"""The neuron models (LI, IF, SynapticLIF, AdaptiveLIF, recurrent LIF) and
their shared bases, against the NumPy reference."""

import math

import keras
import numpy as np
import pytest

import keras_snn
from tests import reference
from tests.helpers import NEURON_LAYERS
from tests.helpers import assert_config_round_trip
from tests.helpers import assert_saved_model_round_trip
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
X = RNG.uniform(0.0, 1.0, size=(4, 20, 6)).astype(np.float32)
KERNEL = RNG.normal(0.3, 0.6, size=(6, 5)).astype(np.float32)
BIAS = RNG.normal(0.0, 0.2, size=(5,)).astype(np.float32)
RECURRENT = RNG.normal(0.0, 0.4, size=(5, 5)).astype(np.float32)
# Spikes bound the feedback of the spiking models, not of the LI's membrane:
# a smaller recurrent kernel keeps it from growing without bound.
RECURRENT_LI = RECURRENT * 0.2

LAYERS = NEURON_LAYERS
# Layer options and the reference's parameters they stand for.
OPTIONS = {
    "li": ({"tau": 3.0}, {"beta": math.exp(-1 / 3)}),
    "lif": ({"tau": 3.0}, {"beta": math.exp(-1 / 3)}),
    "if": ({"threshold": 2.0}, {"threshold": 2.0}),
    "synaptic": (
        {"tau": 4.0, "tau_syn": 2.0, "threshold": 1.5},
        {"beta": math.exp(-1 / 4), "alpha": math.exp(-1 / 2), "threshold": 1.5},
    ),
    "adaptive": (
        {"tau": 3.0, "rho": 0.8, "adaptation_strength": 0.5},
        {"beta": math.exp(-1 / 3), "rho": 0.8, "adaptation_strength": 0.5},
    ),
}
SPIKING = ["lif", "if", "synaptic", "adaptive"]


def fixed(model, recurrent=False, **kwargs):
    layer = LAYERS[model](5, recurrent=recurrent, **OPTIONS[model][0], **kwargs)
    layer.build(X.shape)
    layer.cell.kernel.assign(KERNEL)
    layer.cell.bias.assign(BIAS)
    if recurrent:
        layer.cell.recurrent_kernel.assign(recurrent_kernel(model))
    return layer


def recurrent_kernel(model):
    return RECURRENT_LI if model == "li" else RECURRENT


def expected(model, x=X, recurrent=False, **params):
    return reference.neuron_layer(
        model,
        x,
        KERNEL,
        BIAS,
        recurrent_kernel(model) if recurrent else None,
        **OPTIONS[model][1],
        **params,
    )


def assert_outputs(model, actual, wanted):
    if model == "li":
        np.testing.assert_allclose(actual, wanted, rtol=1e-4, atol=1e-4)
    else:
        np.testing.assert_array_equal(actual, wanted)
        assert 0.05 < wanted.mean() < 0.95


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("model", sorted(LAYERS))
def test_matches_reference(model, recurrent):
    outputs, _ = expected(model, recurrent=recurrent)
    assert_outputs(model, to_numpy(fixed(model, recurrent)(X)), outputs)


@pytest.mark.parametrize("reset", ["zero", "none"])
@pytest.mark.parametrize("model", ["synaptic", "adaptive"])
def test_resets_match_reference(model, reset):
    outputs, _ = expected(model, reset=reset)
    assert_outputs(model, to_numpy(fixed(model, reset=reset)(X)), outputs)


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_final_states_match_reference(model):
    layer = fixed(model, recurrent=True, return_state=True)
    outputs, *states = layer(X)
    wanted, final = expected(model, recurrent=True)
    names = reference.MODEL_STATES[model]
    assert len(states) == len(names) + 1
    for state, name in zip(states, names, strict=False):
        np.testing.assert_allclose(
            to_numpy(state), final[name], rtol=1e-4, atol=1e-4
        )
    # The last state of a recurrent layer is its last output.
    np.testing.assert_allclose(
        to_numpy(states[-1]), wanted[:, -1], rtol=1e-5, atol=1e-5
    )
    np.testing.assert_array_equal(
        to_numpy(states[-1]), to_numpy(outputs)[:, -1]
    )


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_keras_generic_loop_equals_whole_sequence(model):
    # unroll=True takes Keras' own loop over the cell's call.
    layer = fixed(model, recurrent=True)
    unrolled = fixed(model, recurrent=True, unroll=True)
    np.testing.assert_allclose(
        to_numpy(unrolled(X)), to_numpy(layer(X)), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
@pytest.mark.parametrize("model", sorted(LAYERS))
def test_stateful_under_mixed_precision_equals_one_call(model, policy):
    # Three calls of a stateful layer continue one another: the states are
    # stored between calls under a mixed policy on every backend. Recurrent,
    # for one more state (tests/test_lif.py has the non-recurrent LIF).
    keras.config.set_dtype_policy(policy)
    x = X[:, :9]
    whole = fixed(model, True, return_state=True)
    outputs, *states = whole(x)
    layer = fixed(model, True, return_state=True, stateful=True)
    chunks = [layer(x[:, t : t + 3]) for t in range(0, 9, 3)]
    tolerance = {"rtol": 1e-2, "atol": 1e-2}
    np.testing.assert_allclose(
        np.concatenate([to_numpy(chunk[0]) for chunk in chunks], 1),
        to_numpy(outputs),
        **tolerance,
    )
    for state, variable, final in zip(
        states, layer.states, chunks[-1][1:], strict=True
    ):
        np.testing.assert_allclose(
            to_numpy(final), to_numpy(state), **tolerance
        )
        np.testing.assert_allclose(
            to_numpy(variable), to_numpy(state), **tolerance
        )


MASK = np.ones((4, 20), bool)
MASK[0, 14:] = False  # padded at the end
MASK[1, :5] = False  # padded at the start
MASK[2, 7:10] = False  # a hole


def last_unmasked(outputs, mask):
    return outputs[
        np.arange(len(mask)), mask.shape[1] - 1 - np.argmax(mask[:, ::-1], 1)
    ]


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("model", sorted(LAYERS))
def test_masked_steps_match_reference(model, recurrent):
    # A masked step keeps every state and outputs no spikes (LI: the
    # membrane it holds); return_sequences=False gives the output of the
    # last unmasked step. JAX output the membrane at masked steps.
    layer = fixed(model, recurrent, return_state=True)
    outputs, *states = layer(X, mask=MASK)
    wanted, final = expected(model, recurrent=recurrent, mask=MASK)
    assert_outputs(model, to_numpy(outputs), wanted)
    if model != "li":
        assert not to_numpy(outputs)[~MASK].any()
    for state, name in zip(states, reference.MODEL_STATES[model], strict=False):
        np.testing.assert_allclose(
            to_numpy(state), final[name], rtol=1e-4, atol=1e-4
        )
    last = fixed(model, recurrent, return_sequences=False)
    np.testing.assert_allclose(
        to_numpy(last(X, mask=MASK)),
        last_unmasked(wanted, MASK),
        rtol=1e-4,
        atol=1e-4,
    )


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_masked_steps_backwards_and_unrolled(model):
    layer = fixed(model, True, go_backwards=True, unroll=True)
    wanted, _ = expected(model, X[:, ::-1], recurrent=True, mask=MASK[:, ::-1])
    assert_outputs(model, to_numpy(layer(X, mask=MASK)), wanted)


def test_masked_synaptic_current_does_not_leak():
    # The case of the bug report: 5 steps of 0.6, then 3 of padding.
    x = np.zeros((1, 8, 1), np.float32)
    x[0, :5] = 0.6
    layer = keras_snn.SynapticLIF(
        1,
        beta=0.9,
        alpha=0.5,
        use_bias=False,
        kernel_initializer="ones",
        return_state=True,
    )
    model = keras.Sequential(
        [keras.Input((8, 1)), keras.layers.Masking(0.0), layer]
    )
    spikes, synaptic, membrane = (to_numpy(y) for y in model(x))
    wanted, final = reference.neuron_layer(
        "synaptic", x, np.ones((1, 1)), alpha=0.5, beta=0.9, mask=x[..., 0] != 0
    )
    np.testing.assert_array_equal(spikes[0, :, 0], [0, 1, 1, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(spikes, wanted)
    np.testing.assert_allclose(synaptic, final["j"], rtol=1e-6)
    np.testing.assert_allclose(membrane, final["v"], rtol=1e-6)


def test_cell_in_keras_rnn_matches_reference():
    cell = keras_snn.AdaptiveLIFCell(5, **OPTIONS["adaptive"][0])
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn.build(X.shape)
    cell.kernel.assign(KERNEL)
    cell.bias.assign(BIAS)
    np.testing.assert_array_equal(to_numpy(rnn(X)), expected("adaptive")[0])


def test_static_input_with_num_timesteps():
    layer = keras_snn.SynapticLIF(5, num_timesteps=7, **OPTIONS["synaptic"][0])
    layer.build(X[:, 0].shape)
    layer.cell.kernel.assign(KERNEL)
    layer.cell.bias.assign(BIAS)
    repeated = np.repeat(X[:, :1] * 2, 7, axis=1)
    np.testing.assert_array_equal(
        to_numpy(layer(X[:, 0] * 2)), expected("synaptic", repeated)[0]
    )


def test_if_is_lif_without_leak():
    layer = fixed("if")
    assert layer.cell.get_beta() == 1.0
    assert not {"tau", "beta", "dt"} & set(layer.get_config())
    with pytest.raises(AttributeError, match="'tau'"):
        layer.tau  # noqa: B018
    lif = keras_snn.LIF(5, beta=1.0, threshold=2.0)
    lif.build(X.shape)
    lif.cell.kernel.assign(KERNEL)
    lif.cell.bias.assign(BIAS)
    np.testing.assert_array_equal(to_numpy(layer(X)), to_numpy(lif(X)))


def conv_input():
    return RNG.uniform(-0.5, 1.5, size=(2, 6, 5, 5, 3)).astype(np.float32)


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_any_trailing_shape_without_weights(model):
    x = conv_input()
    layer = LAYERS[model](**OPTIONS[model][0])
    outputs = to_numpy(layer(x))
    assert outputs.shape == x.shape and not layer.weights
    wanted, _ = reference.neuron_layer(model, x, **OPTIONS[model][1])
    assert_outputs(model, outputs, wanted)


def test_any_trailing_shape_with_kernel_on_last_axis():
    x = conv_input()
    kernel = RNG.normal(0.3, 0.6, size=(3, 4)).astype(np.float32)
    layer = keras_snn.AdaptiveLIF(4, recurrent=True, use_bias=False)
    layer.build(x.shape)
    layer.cell.kernel.assign(kernel)
    layer.cell.recurrent_kernel.assign(RECURRENT[:4, :4])
    wanted, _ = reference.neuron_layer(
        "adaptive",
        x,
        kernel,
        None,
        RECURRENT[:4, :4],
        beta=math.exp(-0.5),
        rho=math.exp(-1 / 20),
        adaptation_strength=0.2,
    )
    assert_outputs("adaptive", to_numpy(layer(x)), wanted)


def test_time_distributed_conv_then_neurons():
    inputs = keras.Input((6, 8, 8, 1))
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3, padding="same"))(
        inputs
    )
    x = keras_snn.LIF(trainable_beta=True)(x)
    x = keras_snn.SynapticLIF(3, trainable_alpha=True)(x)
    state = keras_snn.LI(2, return_sequences=False, return_state=True)(x)
    model = keras.Model(inputs, [x, *state])
    assert model.output_shape == [
        (None, 6, 8, 8, 3),
        (None, 8, 8, 2),
        (None, 8, 8, 2),
    ]
    outputs = model(np.ones((2, 6, 8, 8, 1), np.float32))
    assert [tuple(o.shape) for o in outputs] == [
        (2, 6, 8, 8, 3),
        (2, 8, 8, 2),
        (2, 8, 8, 2),
    ]
    # Per-neuron parameters have one value per channel.
    assert tuple(model.layers[2].cell.beta_logit.shape) == (4,)
    assert tuple(model.layers[3].cell.alpha_logit.shape) == (3,)


DECAYS = [
    ("li", "beta", {"trainable_beta": True}),
    ("lif", "beta", {"trainable_beta": True}),
    ("synaptic", "alpha", {"trainable_alpha": True}),
    ("synaptic", "beta", {"trainable_beta": True}),
    ("adaptive", "rho", {"trainable_rho": True}),
]


@pytest.mark.parametrize("model, name, flag", DECAYS)
def test_decay_gradients_match_forward_mode_reference(model, name, flag):
    layer = fixed(model, **flag)
    logit = getattr(layer.cell, f"{name}_logit")
    index = [v.path for v in layer.trainable_variables].index(logit.path)
    others = [to_numpy(v) for v in layer.non_trainable_variables]
    upstream = RNG.normal(size=(4, 20, 5)).astype(np.float32)

    def loss(*trainable):
        outputs, _ = layer.stateless_call(list(trainable), others, X)
        return outputs * keras.ops.convert_to_tensor(upstream)

    values = [to_numpy(v) for v in layer.trainable_variables]
    grad = gradients(loss, *values)[index]
    decay = 1.0 / (1.0 + np.exp(-to_numpy(logit)))
    params = {**OPTIONS[model][1], name: decay.astype(np.float64)}
    currents = X.astype(np.float64) @ KERNEL + BIAS
    wanted = reference.decay_gradient(model, currents, upstream, name, **params)
    wanted = wanted * decay * (1.0 - decay)
    assert np.abs(wanted).max() > 1e-2
    np.testing.assert_allclose(grad, wanted, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("model, name, flag", DECAYS)
def test_trainable_decays_start_at_given_values(model, name, flag):
    layer = fixed(model, **flag)
    getter = getattr(layer.cell, f"get_{name}")
    decay = OPTIONS[model][1].get(name, math.exp(-1 / 3))
    np.testing.assert_allclose(to_numpy(getter()), np.full(5, decay), rtol=1e-6)
    outputs, _ = expected(model)
    assert_outputs(model, to_numpy(layer(X)), outputs)


def test_training_keeps_decays_in_unit_interval():
    model = keras.Sequential(
        [
            keras.Input((20, 6)),
            keras_snn.SynapticLIF(
                5, alpha=0.9, trainable_alpha=True, trainable_beta=True
            ),
            keras_snn.RateDecoding(),
        ]
    )
    model.compile(keras.optimizers.SGD(100.0), "mse")
    model.fit(X, np.ones((4, 5), np.float32), epochs=3, verbose=0)
    cell = model.layers[0].cell
    for decay in (to_numpy(cell.get_alpha()), to_numpy(cell.get_beta())):
        assert ((decay > 0) & (decay < 1)).all()
    assert not np.allclose(to_numpy(cell.get_alpha()), 0.9)


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_config_round_trips(model):
    layer = LAYERS[model](
        4,
        recurrent=True,
        recurrent_regularizer="l2",
        num_timesteps=3,
        **OPTIONS[model][0],
    )
    config = layer.get_config()
    assert "cell" not in config and config["recurrent"] is True
    for key in OPTIONS[model][0]:
        assert config[key] == getattr(layer, key)
    assert_config_round_trip(layer)
    assert_config_round_trip(layer.cell)
    assert_config_round_trip(LAYERS[model]())


def test_options_are_read_only_properties():
    layer = keras_snn.AdaptiveLIF(3, tau_adapt=9.0, recurrent=True)
    assert (layer.units, layer.tau_adapt, layer.recurrent) == (3, 9.0, True)
    with pytest.raises(AttributeError):
        layer.tau_adapt = 1.0


def test_saved_model_round_trip(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6, 5, 5, 3)),
            keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3)),
            keras_snn.IF(trainable_threshold=True),
            keras.layers.TimeDistributed(keras.layers.Flatten()),
            keras_snn.AdaptiveLIF(6, recurrent=True, trainable_rho=True),
            keras_snn.SynapticLIF(5, trainable_alpha=True),
            keras_snn.LI(3, trainable_beta=True),
            keras_snn.RateDecoding(),
        ]
    )
    loaded = assert_saved_model_round_trip(model, conv_input() * 3, tmp_path)
    assert loaded.layers[3].recurrent and loaded.layers[3].trainable_rho


@pytest.mark.parametrize(
    "layer, kwargs, error, match",
    [
        ("synaptic", {"tau_syn": -1.0}, ValueError, "tau_syn=-1.0"),
        ("synaptic", {"alpha": 1.5}, ValueError, "alpha=1.5"),
        (
            "synaptic",
            {"alpha": 1.0, "trainable_alpha": True},
            ValueError,
            "alpha=1.0",
        ),
        ("synaptic", {"trainable_alpha": 1}, TypeError, "trainable_alpha=1"),
        ("adaptive", {"tau_adapt": 0}, ValueError, "tau_adapt=0"),
        ("adaptive", {"rho": 0.0}, ValueError, "rho=0.0"),
        (
            "adaptive",
            {"adaptation_strength": -0.1},
            ValueError,
            "adaptation_strength=-0.1",
        ),
        ("adaptive", {"rho": 1.0, "trainable_rho": True}, ValueError, "rho"),
        ("li", {"beta": 2.0}, ValueError, "beta=2.0"),
        ("li", {"units": 0}, ValueError, "units=0"),
        ("if", {"tau": 3.0}, TypeError, "tau=3.0"),
        ("if", {"trainable_beta": True}, TypeError, "trainable_beta=True"),
        ("lif", {"recurrent": "yes"}, TypeError, "recurrent='yes'"),
        ("lif", {"units": None, "recurrent": True}, ValueError, "units=None"),
        (
            "lif",
            {"tau": 1e-3, "trainable_beta": True},
            ValueError,
            "tau=0.001",
        ),
    ],
)
def test_bad_arguments(layer, kwargs, error, match):
    kwargs = {"units": 4, **kwargs}
    with pytest.raises(error, match=match):
        LAYERS[layer](**kwargs)
    with pytest.raises(error, match=match):
        LAYERS[layer].cell_class(**kwargs)


def test_bad_input_shapes():
    with pytest.raises(ValueError, match=r"input_shape=\(2, None, 3\)"):
        keras_snn.SynapticLIF().build((2, 6, None, 3))
    with pytest.raises(ValueError, match="num_timesteps=None"):
        keras_snn.LI(3)(np.ones((2, 6), np.float32))
    layer = keras_snn.AdaptiveLIF()
    layer(np.ones((2, 6, 4, 3), np.float32))
    with pytest.raises(ValueError, match="expected axis -2"):
        layer(np.ones((2, 6, 5, 3), np.float32))
    # num_timesteps is for [batch, features]; a sequence of another length
    # (here an image taken for a sequence) is an error, not ignored.
    with pytest.raises(ValueError, match="num_timesteps=5"):
        keras_snn.LIF(num_timesteps=5)(np.ones((2, 8, 8, 3), np.float32))
    same = keras_snn.LIF(4, num_timesteps=6)(np.ones((2, 6, 3), np.float32))
    assert tuple(same.shape) == (2, 6, 4)


def test_bad_initial_state():
    layer = keras_snn.LIF(3, kernel_initializer="zeros")
    x = np.ones((2, 4, 5), np.float32)
    with pytest.raises(ValueError, match=r"initial_state shapes=\[\(2, 5\)\]"):
        layer(x, initial_state=[np.zeros((2, 5), np.float32)])
    adaptive = keras_snn.AdaptiveLIF(3)
    with pytest.raises(ValueError, match="2 tensor"):
        adaptive(x, initial_state=[np.zeros((2, 3), np.float32)])
    # The right shapes run, from the given state: no input current, and
    # beta * 2.0 > 1 fires at the first step only.
    out = to_numpy(layer(x, initial_state=[np.full((2, 3), 2.0, np.float32)]))
    np.testing.assert_array_equal(out[:, 0], 1.0)
    np.testing.assert_array_equal(out[:, 1:], 0.0)


# The default surrogate depends on recurrence: a peak of 25 makes the
# gradient explode through a recurrent kernel.

GRAD_RNG = np.random.default_rng(8)
GRAD_X = GRAD_RNG.normal(0.0, 1.0, (4, 60, 8)).astype(np.float32)
GRAD_UPSTREAM = GRAD_RNG.normal(0.0, 1.0, (4, 60, 32)).astype(np.float32)


def input_gradient_50_steps_back(layer_class, recurrent, **kwargs):
    """The norm of the gradient of `sum(outputs * upstream)` (every step
    counts, as for a readout averaged over time) with respect to the input
    50 steps before the last, at initialization."""
    keras.utils.set_random_seed(3)
    layer = layer_class(32, recurrent=recurrent, **kwargs)
    layer.build(GRAD_X.shape)
    (grad,) = gradients(
        lambda x: keras.ops.multiply(layer(x), GRAD_UPSTREAM), GRAD_X
    )
    assert np.isfinite(grad).all()
    return np.linalg.norm(grad[:, -51])


@pytest.mark.parametrize("layer_class", [keras_snn.LIF, keras_snn.AdaptiveLIF])
def test_default_surrogate_keeps_recurrent_gradients_bounded(layer_class):
    plain = input_gradient_50_steps_back(layer_class, False)
    recurrent = input_gradient_50_steps_back(layer_class, True)
    assert plain > 0 and recurrent > 0
    assert recurrent < 10 * plain
    # The feed-forward default in a recurrent layer: the explosion that
    # the recurrent default prevents.
    exploding = input_gradient_50_steps_back(
        layer_class, True, surrogate="fast_sigmoid"
    )
    assert exploding > 10 * plain  # the bound above fails


@pytest.mark.parametrize("model", SPIKING)
def test_default_surrogate_follows_recurrent(model, tmp_path):
    surrogates = keras_snn.surrogates
    plain = LAYERS[model](3)
    recurrent = LAYERS[model](3, recurrent=True)
    assert plain.surrogate == surrogates.FastSigmoid(slope=25.0)
    assert recurrent.surrogate == surrogates.default(recurrent=True)
    assert recurrent.surrogate.peak is None
    # The config holds the surrogate in use, so a layer restored from it
    # (or from a file saved before this default existed, which names its
    # surrogate) behaves the same.
    config = recurrent.get_config()
    assert config["surrogate"]["class_name"] == "ATan"
    assert LAYERS[model].from_config(config).surrogate == recurrent.surrogate
    old = plain.get_config()
    old["recurrent"] = True
    assert LAYERS[model].from_config(old).surrogate == surrogates.FastSigmoid()
    explicit = LAYERS[model](3, recurrent=True, surrogate="fast_sigmoid")
    assert explicit.surrogate == surrogates.FastSigmoid()


def largest_weight_gradient(model, x, y):
    """The largest absolute gradient of the loss with respect to any
    weight, by the backend's autodiff."""
    variables = model.trainable_variables
    non_trainable = [v.value for v in model.non_trainable_variables]

    def loss(*values):
        logits, _ = model.stateless_call(list(values), non_trainable, x)
        return keras.losses.sparse_categorical_crossentropy(
            y, logits, from_logits=True
        )

    grads = gradients(loss, *[to_numpy(v) for v in variables])
    return max(float(np.abs(g).max()) for g in grads)


def recurrent_model_of_issue_16(**kwargs):
    keras.utils.set_random_seed(4)
    return keras.Sequential(
        [
            keras.Input((100, 16)),
            keras_snn.LIF(64, recurrent=True, **kwargs),
            keras_snn.LI(3),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )


def test_recurrent_lif_with_defaults_trains_on_100_steps():
    # The case of issue 16: LIF(64, recurrent=True), T = 100, where the
    # old default surrogate gave gradients of 1e11 to 1e23 and a NaN loss
    # within 3 Adam steps.
    rng = np.random.default_rng(9)
    x = rng.normal(0.0, 1.0, (16, 100, 16)).astype(np.float32)
    y = rng.integers(0, 3, 16)
    old = largest_weight_gradient(
        recurrent_model_of_issue_16(surrogate="fast_sigmoid"), x, y
    )
    assert old > 1e6
    model = recurrent_model_of_issue_16()
    assert 0 < largest_weight_gradient(model, x, y) < 100
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert 0 < largest_weight_gradient(model, x, y) < 100
