"""The hand-written backward pass of every neuron model, through the
sequence runner: against a forward-mode NumPy reference, and against the
backend's autodiff of the same step (Keras' RNN loop over the cell)."""

import math

import keras
import numpy as np
import pytest

import keras_snn
from keras_snn import dynamics
from keras_snn import sequence
from tests import reference
from tests.helpers import NEURON_LAYERS
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(4)
X = RNG.uniform(0.0, 1.0, size=(3, 12, 6)).astype(np.float32)
UPSTREAM = RNG.normal(size=(3, 12, 5)).astype(np.float32)
KERNEL = RNG.normal(0.3, 0.6, size=(6, 5)).astype(np.float32)
BIAS = RNG.normal(0.0, 0.2, size=(5,)).astype(np.float32)
RECURRENT = RNG.normal(0.0, 0.4, size=(5, 5)).astype(np.float32)

LAYERS = NEURON_LAYERS
# Layer options (every parameter learned), and the names of the learned
# parameters with the weights that hold them.
OPTIONS = {
    "li": {"tau": 3.0, "trainable_beta": True},
    "lif": {"tau": 3.0, "trainable_beta": True, "trainable_threshold": True},
    "if": {"threshold": 1.5, "trainable_threshold": True},
    "synaptic": {
        "tau": 4.0,
        "tau_syn": 2.0,
        "trainable_alpha": True,
        "trainable_beta": True,
        "trainable_threshold": True,
    },
    "adaptive": {
        "tau": 3.0,
        "rho": 0.8,
        "adaptation_strength": 0.5,
        "trainable_beta": True,
        "trainable_rho": True,
        "trainable_threshold": True,
    },
}
SPIKING = ["lif", "if", "synaptic", "adaptive"]


def make_layer(model, recurrent, **kwargs):
    options = dict(OPTIONS[model])
    if model != "li":
        # The reference's surrogate.
        options["surrogate"] = "fast_sigmoid"
    options.update(kwargs)
    layer = LAYERS[model](5, recurrent=recurrent, **options)
    layer.build(X.shape)
    layer.cell.kernel.assign(KERNEL)
    layer.cell.bias.assign(BIAS)
    if recurrent:
        scale = 0.2 if model == "li" else 1.0
        layer.cell.recurrent_kernel.assign(RECURRENT * scale)
    # Per-neuron parameters that differ from neuron to neuron.
    for variable in layer.trainable_variables:
        if variable.path.endswith("_logit"):
            variable.assign(
                to_numpy(variable) + RNG.uniform(-0.3, 0.3, size=(5,))
            )
        elif variable.path.endswith("threshold"):
            variable.assign(to_numpy(variable) + RNG.uniform(-0.2, 0.2, (5,)))
    return layer


def layer_gradients(layer, training=True, x=X):
    """Gradients of `sum(outputs * UPSTREAM)` w.r.t. every trainable
    variable, with the layer called in training mode (the "bptt" op)."""
    others = [to_numpy(v) for v in layer.non_trainable_variables]

    def loss(*trainable):
        outputs, _ = layer.stateless_call(
            list(trainable),
            others,
            keras.ops.convert_to_tensor(x),
            training=training,
        )
        return outputs * keras.ops.convert_to_tensor(UPSTREAM)

    values = [to_numpy(v) for v in layer.trainable_variables]
    return dict(
        zip(
            [v.path.split("/")[-1] for v in layer.trainable_variables],
            gradients(loss, *values),
            strict=True,
        )
    )


def reference_values(layer, model):
    """The layer's weights and parameters, as the reference takes them."""
    cell = layer.cell
    values = {
        "kernel": to_numpy(cell.kernel).astype(np.float64),
        "bias": to_numpy(cell.bias).astype(np.float64),
        "reset": getattr(cell, "reset", "subtract"),
    }
    if cell.recurrent:
        values["recurrent_kernel"] = to_numpy(cell.recurrent_kernel).astype(
            np.float64
        )
    for name in ("alpha", "beta", "rho"):
        if hasattr(cell, f"get_{name}"):
            values[name] = np.asarray(to_numpy(getattr(cell, f"get_{name}")()))
    if model == "if":
        values["beta"] = 1.0
    if hasattr(cell, "get_threshold"):
        values["threshold"] = np.asarray(to_numpy(cell.get_threshold()))
    if model == "adaptive":
        values["adaptation_strength"] = cell.adaptation_strength
    return {
        k: v.astype(np.float64) if isinstance(v, np.ndarray) else v
        for k, v in values.items()
    }


# Each weight of a layer, and the reference value it stands for: a decay
# logit moves the decay by decay * (1 - decay) per unit.
WEIGHTS = {
    "kernel": "kernel",
    "bias": "bias",
    "recurrent_kernel": "recurrent_kernel",
    "threshold": "threshold",
    "alpha_logit": "alpha",
    "beta_logit": "beta",
    "rho_logit": "rho",
}


# The learned parameters of each model, besides its kernels and bias.
LEARNED = {
    "li": {"beta_logit"},
    "lif": {"beta_logit", "threshold"},
    "if": {"threshold"},
    "synaptic": {"alpha_logit", "beta_logit", "threshold"},
    "adaptive": {"beta_logit", "rho_logit", "threshold"},
}
# LI has no reset.
CASES = [("li", "subtract")] + [
    (model, reset) for model in SPIKING for reset in ("subtract", "zero")
]


@pytest.mark.parametrize("recurrent", [False, True])
@pytest.mark.parametrize("model, reset", CASES)
def test_gradients_match_forward_mode_reference(model, reset, recurrent):
    kwargs = {} if model == "li" else {"reset": reset}
    layer = make_layer(model, recurrent, **kwargs)
    grads = layer_gradients(layer)
    values = reference_values(layer, model)
    weights = {"kernel", "bias"} | (
        {"recurrent_kernel"} if recurrent else set()
    )
    assert set(grads) == weights | LEARNED[model]
    for name, grad in grads.items():
        target = WEIGHTS[name]
        direction = RNG.normal(size=grad.shape)
        tangent = direction
        if name.endswith("_logit"):
            decay = values[target]
            tangent = direction * decay * (1.0 - decay)
        wanted = reference.layer_directional_derivative(
            model, X, values, {target: tangent}, UPSTREAM
        )
        actual = float(np.sum(grad.astype(np.float64) * direction))
        assert abs(wanted) > 1e-2, name
        np.testing.assert_allclose(actual, wanted, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("model", SPIKING)
def test_gradients_equal_autodiff_of_the_step(model, reset):
    # The runner's hand-written backward pass against the backend's
    # autodiff of the same cell, looped by Keras' RNN layer: every
    # gradient, element by element, for every reset, with recurrence and
    # with the gradient through the reset (the forward-mode reference
    # above covers the detached reset).
    detach_reset = False
    layer = make_layer(
        model, True, reset=reset, detach_reset=detach_reset, surrogate="atan"
    )
    grads = layer_gradients(layer)
    rnn = keras.layers.RNN(layer.cell, return_sequences=True)
    rnn.build(X.shape)
    assert [v.path for v in rnn.trainable_variables] == [
        v.path for v in layer.trainable_variables
    ]
    wanted = layer_gradients(rnn)
    for name, grad in grads.items():
        assert np.abs(wanted[name]).max() > 1e-2, name
        np.testing.assert_allclose(
            grad, wanted[name], rtol=1e-4, atol=1e-4, err_msg=name
        )


@pytest.mark.parametrize("model", sorted(LAYERS))
def test_methods_give_the_same_outputs_states_and_gradients(model):
    # "bptt" (the custom gradient), "scan" (autodiff of a loop) and
    # "unrolled" on the runner itself, with initial states that are not
    # zero and gradients of both the outputs and the final states.
    layer = make_layer(model, True)
    cell = layer.cell
    currents = to_numpy(cell.input_current(X))
    states = [
        RNG.uniform(0.0, 0.5, size=(3, 5)).astype(np.float32)
        for _ in range(cell.num_states)
    ]
    weights = RNG.normal(size=(len(states), 3, 5)).astype(np.float32)
    kernel = to_numpy(cell.recurrent_kernel)

    def run(method):
        def loss(currents, kernel, *states):
            outputs, final, _ = sequence.run(
                cell.dynamics,
                currents,
                list(states),
                cell.step_parameters(),
                recurrent_kernel=kernel,
                method=method,
                training=True,
            )
            tensor = keras.ops.convert_to_tensor
            total = keras.ops.sum(outputs * tensor(UPSTREAM))
            for state, weight in zip(final, weights, strict=True):
                total = total + keras.ops.sum(state * tensor(weight))
            return keras.ops.reshape(total, (1,))

        value = keras.ops.stop_gradient(loss(currents, kernel, *states))
        return gradients(loss, currents, kernel, *states), value

    bptt_grads, bptt_loss = run("bptt")
    for method in ("scan", "unrolled"):
        grads, value = run(method)
        np.testing.assert_allclose(
            to_numpy(value), to_numpy(bptt_loss), rtol=1e-5
        )
        # Equal up to float32 rounding, which the surrogate's slope can
        # amplify where a membrane sits near its threshold (the adaptive
        # threshold is summed in another order by the two passes).
        for actual, wanted in zip(bptt_grads, grads, strict=True):
            assert np.abs(wanted).max() > 1e-3
            np.testing.assert_allclose(actual, wanted, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("model", SPIKING)
def test_record_returns_every_step(model):
    layer = make_layer(model, True)
    recorded = {k: to_numpy(v) for k, v in layer.record(X).items()}
    outputs = to_numpy(layer(X))
    np.testing.assert_array_equal(recorded["output"], outputs)
    names = {"output", "pre_reset", "threshold", *layer.cell.state_names}
    assert set(recorded) == names
    threshold = to_numpy(layer.cell.get_threshold())
    if model == "adaptive":
        # The threshold of step t rises with the adaptation before it.
        before = np.concatenate(
            [np.zeros((3, 1, 5)), recorded["adaptation"][:, :-1]], axis=1
        )
        threshold = threshold + layer.cell.adaptation_strength * before
    np.testing.assert_allclose(
        recorded["threshold"], np.broadcast_to(threshold, (3, 12, 5)), rtol=1e-6
    )
    np.testing.assert_array_equal(
        outputs, (recorded["pre_reset"] > threshold).astype(np.float32)
    )
    # The membrane after the reset ("subtract").
    np.testing.assert_allclose(
        recorded["membrane"],
        recorded["pre_reset"] - outputs * threshold,
        rtol=1e-6,
        atol=1e-6,
    )


def test_dynamics_keys_tell_options_apart():
    first = dynamics.LIF(reset="zero", surrogate="atan")
    assert first.key() == dynamics.LIF(reset="zero", surrogate="atan").key()
    assert first.key() != dynamics.LIF(reset="zero").key()
    assert (
        dynamics.AdaptiveLIF(adaptation_strength=0.1).key()
        != dynamics.AdaptiveLIF(adaptation_strength=0.2).key()
    )
    with pytest.raises(ValueError, match="reset"):
        dynamics.LIF(reset="hard")
    assert math.isclose(0.2, dynamics.AdaptiveLIF().adaptation_strength)


def test_keys_tell_subclasses_of_the_same_name_apart():
    class LIF(dynamics.LIF):
        pass

    assert LIF().key() != dynamics.LIF().key()


def test_parameters_broadcast_along_size_one_axes_get_summed_gradients():
    # A learned beta of shape [1, units] against [batch, units] states:
    # the hand-written backward pass sums its gradient over the batch, as
    # autodiff does.
    currents = RNG.uniform(0.0, 1.5, size=(2, 6, 3)).astype(np.float32)
    beta = np.full((1, 3), 0.8, np.float32)

    def run(method):
        def loss(currents, beta):
            spikes, _ = keras_snn.lif_sequence(
                currents,
                np.zeros((2, 3), np.float32),
                beta,
                surrogate="atan",
                method=method,
                training=True,
            )
            return spikes

        return gradients(loss, currents, beta)

    bptt, scan = run("bptt"), run("scan")
    assert bptt[1].shape == (1, 3)
    assert np.abs(scan[1]).max() > 1e-2
    for actual, wanted in zip(bptt, scan, strict=True):
        np.testing.assert_allclose(actual, wanted, rtol=1e-5, atol=1e-6)
