"""Whole-sequence LIF: every timestep of a layer of neurons in one op.

`LIF` layers run through `lif_sequence` instead of calling `LIFCell` once
per step: the input projection is one matrix product over all timesteps,
and only the elementwise recurrence of `keras_snn.neurons.lif_step` stays
inside the time loop. Two implementations give the same numbers:

- `"scan"`: a loop (`keras_snn.loops.scan`) over `lif_step`,
  differentiated by the backend's autodiff.
- `"bptt"`: `keras.ops.custom_gradient` around the forward loop, with a
  hand-written backpropagation through time as a reverse loop. One graph
  node per layer instead of several per step, which is what an eager
  backend (PyTorch, where the loops are plain Python) needs; nothing of
  the forward loop is differentiated, so compilers see two simple loops.
"""

from keras import backend
from keras import ops

from keras_snn import surrogates
from keras_snn.loops import scan
from keras_snn.neurons import RESETS
from keras_snn.neurons import lif_step
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice

METHODS = ("auto", "scan", "bptt")


def lif_sequence(
    currents,
    membrane,
    beta,
    threshold=1.0,
    *,
    reset="subtract",
    surrogate="fast_sigmoid",
    detach_reset=True,
    method="auto",
):
    """Runs LIF neurons over a sequence of input currents.

    Applies `keras_snn.lif_neuron` at every step of `currents`, with the
    same forward values and gradients.

    Args:
        currents: tensor `[batch, time, units]`. Input current per step.
        membrane: tensor `[batch, units]`. Initial membrane potential.
        beta: float or `[units]` tensor. Decay per step.
        threshold: float or `[units]` tensor. Firing threshold.
        reset: str. `"subtract"` (default), `"zero"` or `"none"`.
        surrogate: str, dict or `Surrogate`. Defaults to `"fast_sigmoid"`.
        detach_reset: bool. Stop the gradient through the reset.
        method: str. `"auto"` (default: `"bptt"` on PyTorch, `"scan"`
            elsewhere), `"scan"` or `"bptt"`.

    Returns:
        A tuple `(spikes, membrane)`: the spike train `[batch, time,
        units]` and the final membrane potential `[batch, units]`.
    """
    check_choice("reset", reset, RESETS)
    check_bool("detach_reset", detach_reset)
    check_choice("method", method, METHODS)
    spike_fn = surrogates.get(surrogate)
    currents = ops.convert_to_tensor(currents)
    dtype = currents.dtype
    membrane = ops.convert_to_tensor(membrane, dtype=dtype)
    beta = ops.convert_to_tensor(beta, dtype=dtype)
    threshold = ops.convert_to_tensor(threshold, dtype=dtype)
    if method == "auto":
        method = "bptt" if backend.backend() == "torch" else "scan"
    if method == "scan":
        return _scan(
            currents, membrane, beta, threshold, reset, spike_fn, detach_reset
        )
    return _bptt(
        currents, membrane, beta, threshold, reset, spike_fn, detach_reset
    )


def _scan(currents, membrane, beta, threshold, reset, spike_fn, detach_reset):
    def step(v, current):
        _, v, spikes = lif_step(
            v, current, beta, threshold, reset, spike_fn, detach_reset
        )
        return v, spikes

    membrane, spikes = scan(step, membrane, ops.moveaxis(currents, 1, 0))
    return ops.moveaxis(spikes, 0, 1), membrane


def _bptt(currents, membrane, beta, threshold, reset, spike_fn, detach_reset):
    # Carries and per-step outputs are single stacked tensors, the form
    # `loops.scan` takes on every backend.
    @ops.custom_gradient
    def run(currents, membrane, beta, threshold):
        def forward_step(v, current):
            pre, new_v, s = lif_step(
                v, current, beta, threshold, reset, surrogates.heaviside, False
            )
            return new_v, ops.stack([s, pre, v])

        def backward_step(carry, saved):
            grad_membrane, grad_beta, grad_threshold = ops.unstack(carry)
            grad_spikes, (s, pre, previous) = saved[0], ops.unstack(saved[1])
            derivative = spike_fn.derivative(pre - threshold)
            if reset == "subtract":
                if not detach_reset:
                    grad_spikes = grad_spikes - grad_membrane * threshold
                grad_threshold = grad_threshold - grad_membrane * s
                grad_pre = grad_membrane
            elif reset == "zero":
                if not detach_reset:
                    grad_spikes = grad_spikes - grad_membrane * pre
                grad_pre = grad_membrane * (1.0 - s)
            else:
                grad_pre = grad_membrane
            grad_pre = grad_pre + grad_spikes * derivative
            grad_threshold = grad_threshold - grad_spikes * derivative
            grad_beta = grad_beta + grad_pre * previous
            carry = ops.stack([grad_pre * beta, grad_beta, grad_threshold])
            return carry, grad_pre

        final, saved = scan(
            forward_step, membrane, ops.moveaxis(currents, 1, 0)
        )
        spikes = ops.moveaxis(saved[:, 0], 0, 1)
        # custom_gradient on PyTorch takes a single output tensor, so the
        # final membrane rides along as one extra "timestep".
        output = ops.concatenate([spikes, final[:, None]], axis=1)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            zeros = ops.zeros_like(final)
            carry, grad_currents = scan(
                backward_step,
                ops.stack([upstream[:, -1], zeros, zeros]),
                (ops.moveaxis(upstream[:, :-1], 1, 0), saved),
                reverse=True,
            )
            grad_membrane, grad_beta, grad_threshold = ops.unstack(carry)
            return (
                ops.moveaxis(grad_currents, 0, 1),
                grad_membrane,
                _sum_to_shape(grad_beta, beta),
                _sum_to_shape(grad_threshold, threshold),
            )

        return output, grad

    output = run(currents, membrane, beta, threshold)
    return output[:, :-1], output[:, -1]


def _sum_to_shape(grad, like):
    # Gradients of broadcast parameters (a scalar, or one per neuron) are
    # the sums over the axes they were broadcast along.
    extra = len(grad.shape) - len(like.shape)
    if extra > 0:
        grad = ops.sum(grad, axis=tuple(range(extra)))
    return ops.reshape(grad, ops.shape(like))
