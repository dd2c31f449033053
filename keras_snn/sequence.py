"""Whole-sequence LIF: every timestep of a layer of neurons in one op.

`LIF` layers run through `lif_sequence` instead of calling `LIFCell` once
per step: the input projection is one matrix product over all timesteps,
and only the elementwise recurrence of `keras_snn.neurons.lif_step` stays
inside the time loop. Two implementations give the same numbers:

- `"scan"`: `keras.ops.scan` over `lif_step`, differentiated by the
  backend's autodiff. Compiled loops (JAX, TensorFlow) use it.
- `"bptt"`: a Python loop wrapped in `keras.ops.custom_gradient` with a
  hand-written backpropagation through time. One graph node per layer
  instead of several per step, which is what an eager backend (PyTorch)
  needs.
"""

from keras import backend
from keras import ops

from keras_snn import surrogates
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

    membrane, spikes = ops.scan(step, membrane, ops.moveaxis(currents, 1, 0))
    return ops.moveaxis(spikes, 0, 1), membrane


def _bptt(currents, membrane, beta, threshold, reset, spike_fn, detach_reset):
    steps = currents.shape[1]
    if steps is None:
        raise ValueError(
            'method="bptt" needs a known number of timesteps. Received: '
            f"currents.shape={tuple(currents.shape)}"
        )

    @ops.custom_gradient
    def run(currents, membrane, beta, threshold):
        previous, pre_resets, spikes = [], [], []
        v = membrane
        for t in range(steps):
            previous.append(v)
            pre, v, s = lif_step(
                v,
                currents[:, t],
                beta,
                threshold,
                reset,
                surrogates.heaviside,
                detach_reset,
            )
            pre_resets.append(pre)
            spikes.append(s)
        # custom_gradient on PyTorch takes a single output tensor, so the
        # final membrane rides along as one extra "timestep".
        output = ops.stack(spikes + [v], axis=1)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return _backward(
                upstream, previous, pre_resets, spikes, beta, threshold
            )

        return output, grad

    def _backward(upstream, previous, pre_resets, spikes, beta, threshold):
        grad_membrane = upstream[:, steps]
        grad_beta = ops.zeros_like(grad_membrane)
        grad_threshold = ops.zeros_like(grad_membrane)
        grad_currents = [None] * steps
        for t in reversed(range(steps)):
            pre, s = pre_resets[t], spikes[t]
            derivative = spike_fn.derivative(pre - threshold)
            grad_spikes = upstream[:, t]
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
            grad_beta = grad_beta + grad_pre * previous[t]
            grad_currents[t] = grad_pre
            grad_membrane = grad_pre * beta
        return (
            ops.stack(grad_currents, axis=1),
            grad_membrane,
            _sum_to_shape(grad_beta, beta),
            _sum_to_shape(grad_threshold, threshold),
        )

    output = run(currents, membrane, beta, threshold)
    return output[:, :steps], output[:, steps]


def _sum_to_shape(grad, like):
    # Gradients of broadcast parameters (a scalar, or one per neuron) are
    # the sums over the axes they were broadcast along.
    extra = len(grad.shape) - len(like.shape)
    if extra > 0:
        grad = ops.sum(grad, axis=tuple(range(extra)))
    return ops.reshape(grad, ops.shape(like))
