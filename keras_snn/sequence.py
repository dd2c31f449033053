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
- `"unrolled"`: the `"scan"` step unrolled in Python over a static number
  of timesteps. Keras' exporters lower it everywhere (LiteRT with builtin
  ops only, ONNX), and it is still differentiated by autodiff through the
  surrogate, so no gradient vanishes. `method="auto"` takes it where
  `keras_snn.loops.exportable` says a model may be traced for export.
"""

import numbers

from keras import backend
from keras import ops

from keras_snn import surrogates
from keras_snn.loops import exportable
from keras_snn.loops import scan
from keras_snn.neurons import RESETS
from keras_snn.neurons import lif_step
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice

METHODS = ("auto", "scan", "bptt", "unrolled")


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
    training=False,
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
        method: str. `"auto"` (default: `"unrolled"` where
            `keras_snn.loops.exportable(training)`, that is inference traced
            into a TensorFlow graph or a PyTorch export, with a static
            number of timesteps; otherwise `"bptt"` on PyTorch, `"bptt"`
            compiled with XLA on TensorFlow, `"scan"` on JAX), `"scan"`,
            `"bptt"` or `"unrolled"`.
        training: bool. Whether the call is part of training; only
            `method="auto"` reads it. Defaults to False.

    Returns:
        A tuple `(spikes, membrane)`: the spike train `[batch, time,
        units]` and the final membrane potential `[batch, units]`.
    """
    check_choice("reset", reset, RESETS)
    check_bool("detach_reset", detach_reset)
    check_choice("method", method, METHODS)
    spike_fn = surrogates.get(surrogate)
    # Python numbers are constants: their gradients need not be computed.
    learned = (
        not isinstance(beta, numbers.Real),
        not isinstance(threshold, numbers.Real),
    )
    currents = ops.convert_to_tensor(currents)
    dtype = currents.dtype
    membrane = ops.convert_to_tensor(membrane, dtype=dtype)
    beta = ops.convert_to_tensor(beta, dtype=dtype)
    threshold = ops.convert_to_tensor(threshold, dtype=dtype)
    options = (reset, spike_fn, detach_reset)
    static_steps = currents.shape[1] is not None
    if method == "auto" and static_steps and exportable(training):
        method = "unrolled"
    if method == "auto":
        if backend.backend() == "tensorflow":
            import tensorflow as tf

            # Plain tensors, not variables: tf.function traces by value type.
            args = [
                tf.identity(a) for a in (currents, membrane, beta, threshold)
            ]
            return _xla_bptt(*options, *learned)(*args)
        method = "bptt" if backend.backend() == "torch" else "scan"
    if method == "unrolled" and not static_steps:
        raise ValueError(
            'method="unrolled" needs a static number of timesteps. Received: '
            f"currents.shape={tuple(currents.shape)}"
        )
    if method in ("scan", "unrolled"):
        return _scan(
            currents,
            membrane,
            beta,
            threshold,
            *options,
            unroll=method == "unrolled",
        )
    return _bptt(currents, membrane, beta, threshold, *options, *learned)


_XLA_FUNCTIONS = {}


def _xla_bptt(*options):
    # Keras leaves XLA off for TensorFlow on CPU, where a graph-mode loop
    # pays per op and per iteration; compiling just this op with XLA fuses
    # each step. One tf.function per neuron configuration, so that its
    # traces are reused from call to call.
    key = options
    if key not in _XLA_FUNCTIONS:
        import tensorflow as tf

        def run(currents, membrane, beta, threshold):
            return _bptt(currents, membrane, beta, threshold, *key)

        _XLA_FUNCTIONS[key] = tf.function(run, jit_compile=True)
    return _XLA_FUNCTIONS[key]


def _scan(
    currents,
    membrane,
    beta,
    threshold,
    reset,
    spike_fn,
    detach_reset,
    unroll=False,
):
    def step(v, current):
        _, v, spikes = lif_step(
            v, current, beta, threshold, reset, spike_fn, detach_reset
        )
        return v, spikes

    membrane, spikes = scan(
        step, membrane, ops.moveaxis(currents, 1, 0), unroll=unroll
    )
    return ops.moveaxis(spikes, 0, 1), membrane


def _bptt(
    currents,
    membrane,
    beta,
    threshold,
    reset,
    spike_fn,
    detach_reset,
    learn_beta=True,
    learn_threshold=True,
):
    @ops.custom_gradient
    def run(currents, membrane, beta, threshold):
        def forward_step(v, current):
            pre, new_v, s = lif_step(
                v, current, beta, threshold, reset, surrogates.heaviside, False
            )
            return new_v, (s, pre, v)

        final, (spikes, pres, previous) = scan(
            forward_step, membrane, ops.moveaxis(currents, 1, 0)
        )
        # custom_gradient on PyTorch takes a single output tensor, so the
        # final membrane rides along as one extra "timestep".
        output = ops.concatenate(
            [ops.moveaxis(spikes, 0, 1), final[:, None]], axis=1
        )

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return _backward(upstream, spikes, pres, previous, beta, threshold)

        return output, grad

    def _backward(upstream, spikes, pres, previous, beta, threshold):
        # Time-major [T, batch, units]. With u_t the membrane after reset and
        # p_t before it, dL/dp_t = keep_t * dL/du_t + a_t and dL/du_(t-1) =
        # beta * dL/dp_t: a linear recurrence whose coefficients keep_t and
        # a_t = dL/ds_t * spike'(p_t - threshold) are computed for all steps
        # at once, so that the loop holds two elementwise ops.
        grad_spikes = ops.moveaxis(upstream[:, :-1], 1, 0)
        derivative = spike_fn.derivative(pres - threshold)
        direct = grad_spikes * derivative
        # keep = du_t/dp_t (None stands for 1); via_reset = -du_t/ds_t.
        keep, via_reset = {
            "subtract": (None, threshold),
            "zero": (1.0 - spikes, pres),
            "none": (None, None),
        }[reset]
        attached = not detach_reset and via_reset is not None
        if attached:
            # dL/ds_t also gets -dL/du_t * du_t/ds_t through the reset.
            keep = (1.0 if keep is None else keep) - via_reset * derivative
        # dL/du_(T-1) comes from the final-membrane output.
        grad_final = upstream[:, -1]

        def constant_step(grad_pre_next, added):
            return grad_pre_next * beta + added, None

        def varying_step(grad_pre_next, coefficients):
            decay_keep, added = coefficients
            return grad_pre_next * decay_keep + added, None

        if keep is None:
            last = grad_final + direct[-1]
            step, xs = constant_step, direct[:-1]
        else:
            last = keep[-1] * grad_final + direct[-1]
            step, xs = varying_step, (beta * keep[:-1], direct[:-1])
        _, grad_pres = scan(_carry_only(step), last, xs, reverse=True)
        grad_pres = ops.concatenate([grad_pres, last[None]], axis=0)
        grad_beta = ops.zeros_like(beta)
        if learn_beta:
            grad_beta = _sum_to_shape(
                ops.sum(grad_pres * previous, axis=0), beta
            )
        grad_threshold = ops.zeros_like(threshold)
        if learn_threshold:
            # dL/du_t for every step: beta * dL/dp_(t+1), the output's last.
            grad_after = ops.concatenate(
                [beta * grad_pres[1:], grad_final[None]], axis=0
            )
            total = grad_spikes
            if attached:
                total = grad_spikes - grad_after * via_reset
            grad_threshold = -total * derivative
            if reset == "subtract":
                grad_threshold = grad_threshold - grad_after * spikes
            grad_threshold = _sum_to_shape(
                ops.sum(grad_threshold, axis=0), threshold
            )
        return (
            ops.moveaxis(grad_pres, 0, 1),
            beta * grad_pres[0],
            grad_beta,
            grad_threshold,
        )

    output = run(currents, membrane, beta, threshold)
    return output[:, :-1], output[:, -1]


def _carry_only(step):
    # Adapts `step(carry, x) -> (carry, None)` to a scan whose per-step
    # output is the new carry itself.
    def wrapped(carry, x):
        carry, _ = step(carry, x)
        return carry, carry

    return wrapped


def _sum_to_shape(grad, like):
    # Gradients of broadcast parameters (a scalar, or one per neuron) are
    # the sums over the axes they were broadcast along.
    extra = len(grad.shape) - len(like.shape)
    if extra > 0:
        grad = ops.sum(grad, axis=tuple(range(extra)))
    return ops.reshape(grad, ops.shape(like))
