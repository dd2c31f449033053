"""Whole-sequence LIF: every timestep of a layer of neurons in one op.

`LIF` layers run through `lif_sequence` instead of calling `LIFCell` once
per step: the input projection is one matrix product over all timesteps,
and only the elementwise recurrence of `keras_snn.neurons.lif_step` stays
inside the time loop. Three implementations give the same numbers:

- `"scan"`: a loop (`keras_snn.loops.scan`) over `lif_step`,
  differentiated by the backend's autodiff.
- `"bptt"` (what `"auto"` runs for training, and for inference except on
  JAX): a custom gradient around the forward loop
  (`keras.ops.custom_gradient` on TensorFlow, a two-output
  `torch.autograd.Function` on PyTorch, a two-output `jax.custom_vjp` on
  JAX), with a hand-written backpropagation through time as a reverse
  loop. One graph node per layer instead of several per step, which is
  what an eager backend (PyTorch, where the loops are plain Python) needs;
  nothing of the forward loop is differentiated, so compilers see two
  simple loops, which on JAX read and write the batch-major sequences in
  place.
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
from keras_snn.loops import in_export_scope
from keras_snn.loops import scan
from keras_snn.neurons import RESETS
from keras_snn.neurons import lif_step
from keras_snn.validation import check_beta_values
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_values

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
            number of timesteps; `"scan"` for inference on JAX, and for
            inference traced inside `keras_snn.loops.export_scope` that is
            not unrolled (longer TensorFlow sequences); otherwise
            `"bptt"`, compiled with XLA on TensorFlow), `"scan"`, `"bptt"`
            or `"unrolled"`.
        training: bool. Whether the call is part of training; only
            `method="auto"` reads it. Defaults to False.

    Returns:
        A tuple `(spikes, membrane)`: the spike train `[batch, time,
        units]` and the final membrane potential `[batch, units]`.

    Raises:
        TypeError: for options of the wrong type.
        ValueError: for a `beta` outside (0, 1], a `threshold` that is not
            finite and above 0 (tensors are checked where their values
            are known, as in `keras_snn.lif_neuron`), an unknown `reset`,
            `method` or `surrogate`, or `currents` without a time axis.
    """
    check_choice("reset", reset, RESETS)
    check_bool("detach_reset", detach_reset)
    check_choice("method", method, METHODS)
    beta = check_beta_values("beta", beta)
    threshold = check_positive_values("threshold", threshold)
    surrogate = surrogates.get(surrogate)
    currents = ops.convert_to_tensor(currents)
    if len(currents.shape) < 3:
        raise ValueError(
            "currents must have shape [batch, time, units]. Received: "
            f"currents.shape={tuple(currents.shape)}"
        )
    return run_lif_sequence(
        currents,
        membrane,
        beta,
        threshold,
        reset=reset,
        surrogate=surrogate,
        detach_reset=detach_reset,
        method=method,
        training=training,
    )


def run_lif_sequence(
    currents,
    membrane,
    beta,
    threshold,
    *,
    reset,
    surrogate,
    detach_reset,
    method="auto",
    training=False,
):
    """`lif_sequence` without its argument checks, for the layers, whose
    options are checked once, when they are built."""
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
    steps = currents.shape[1]
    if method == "auto" and static_steps and exportable(training, steps):
        method = "unrolled"
    if method == "auto" and in_export_scope(training):
        # Sequences too long to unroll, traced by keras_snn.export: a
        # plain graph loop, which ONNX lowers; the XLA function of the
        # TensorFlow "bptt" is opaque to tf2onnx.
        method = "scan"
    if method == "auto":
        if backend.backend() == "tensorflow":
            import tensorflow as tf

            # Plain tensors, not variables: tf.function traces by value type.
            args = [
                tf.identity(a) for a in (currents, membrane, beta, threshold)
            ]
            return _xla_bptt(*options, *learned)(*args)
        # JAX's exporters (jax2tf, jax2onnx) lower lax.scan, and inference
        # needs no gradient.
        inference = backend.backend() == "jax" and not training
        method = "scan" if inference else "bptt"
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

    membrane, spikes = scan(step, membrane, currents, unroll=unroll, axis=1)
    return spikes, membrane


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
    # Batch-major [batch, time, units] throughout: the loops slice and
    # stack along the time axis, so no transposed copy is made.
    def forward(currents, membrane, beta, threshold):
        def forward_step(v, current):
            pre, new_v, s = lif_step(
                v,
                current,
                beta,
                threshold,
                reset,
                surrogates.heaviside,
                False,
            )
            return new_v, (s, pre, v) if learn_beta else (s, pre)

        final, saved = scan(
            forward_step, membrane, currents, axis=1, autodiff=False
        )
        return saved[0], final, saved

    def _keep(pre, spikes, derivative, threshold):
        # du_t/dp_t: how the membrane after the reset depends on the one
        # before it, including the path through the spike when the reset
        # is not detached. None stands for 1.
        if reset == "none":
            return None
        keep = None if reset == "subtract" else 1.0 - spikes
        if not detach_reset:
            via_reset = threshold if reset == "subtract" else pre
            keep = (1.0 if keep is None else keep) - via_reset * derivative
        return keep

    def backward(
        grad_spikes, grad_final, beta, threshold, spikes, pres, previous=None
    ):
        # With p_t the membrane before the reset and u_t after it:
        #   dL/dp_t = du_t/dp_t * dL/du_t + dL/ds_t * spike'(p_t - threshold)
        #   dL/du_(t-1) = beta * dL/dp_t
        # One reverse step at a time on [batch, units] slices: whole-sequence
        # temporaries cost more memory traffic than the loop saves.
        def backward_step(grad_after, slices):
            grad_spike, pre, s = slices
            derivative = spike_fn.derivative(pre - threshold)
            grad_pre = grad_spike * derivative
            keep = _keep(pre, s, derivative, threshold)
            grad_pre = grad_pre + (
                grad_after if keep is None else grad_after * keep
            )
            return beta * grad_pre, grad_pre

        # dL/du_(T-1) comes from the final-membrane output.
        grad_membrane, grad_pres = scan(
            backward_step,
            grad_final,
            (grad_spikes, pres, spikes),
            reverse=True,
            axis=1,
            autodiff=False,
        )
        grad_beta = ops.zeros_like(beta)
        if learn_beta:
            grad_beta = _sum_to_shape(grad_pres * previous, beta)
        grad_threshold = ops.zeros_like(threshold)
        if learn_threshold:
            derivative = spike_fn.derivative(pres - threshold)
            # dL/du_t for every step: beta * dL/dp_(t+1), the output's last.
            grad_after = ops.concatenate(
                [beta * grad_pres[:, 1:], grad_final[:, None]], axis=1
            )
            total = grad_spikes
            if not detach_reset and reset != "none":
                via_reset = threshold if reset == "subtract" else pres
                total = grad_spikes - grad_after * via_reset
            grad_threshold = -total * derivative
            if reset == "subtract":
                grad_threshold = grad_threshold - grad_after * spikes
            grad_threshold = _sum_to_shape(grad_threshold, threshold)
        return grad_pres, grad_membrane, grad_beta, grad_threshold

    args = (currents, membrane, beta, threshold)
    if backend.backend() == "torch":
        return _torch_custom_gradient(forward, backward, *args)
    if backend.backend() == "jax":
        return _jax_custom_gradient(forward, backward, *args)

    @ops.custom_gradient
    def run(currents, membrane, beta, threshold):
        spikes, final, saved = forward(currents, membrane, beta, threshold)
        # keras.ops.custom_gradient takes a single output tensor, so the
        # final membrane rides along as one extra step.
        output = ops.concatenate([spikes, final[:, None]], axis=1)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return backward(
                upstream[:, :-1], upstream[:, -1], beta, threshold, *saved
            )

        return output, grad

    output = run(*args)
    return output[:, :-1], output[:, -1]


def _torch_custom_gradient(forward, backward, *args):
    # keras.ops.custom_gradient on PyTorch returns one tensor, and slicing
    # the spikes and the final membrane out of it costs, in the backward
    # pass, a zero-filled gradient of the whole output per slice plus their
    # sum. A two-output autograd function hands each gradient over as is.
    from keras_snn._torch_gradient import TwoOutputGradient

    return TwoOutputGradient.apply(forward, backward, *args)


def _jax_custom_gradient(forward, backward, *args):
    # The same two-output op as on PyTorch, as a jax.custom_vjp: no
    # concatenated output to copy and slice.
    import jax

    @jax.custom_vjp
    def run(*args):
        first, second, _ = forward(*args)
        return first, second

    def run_forward(*args):
        first, second, saved = forward(*args)
        return (first, second), (args[2:], saved)

    def run_backward(residuals, grads):
        parameters, saved = residuals
        return tuple(backward(*grads, *parameters, *saved))

    run.defvjp(run_forward, run_backward)
    return run(*args)


def _sum_to_shape(grad, like):
    # Gradients of broadcast parameters (a scalar, or one per neuron) are
    # the sums over the axes they were broadcast along.
    extra = len(grad.shape) - len(like.shape)
    if extra > 0:
        grad = ops.sum(grad, axis=tuple(range(extra)))
    return ops.reshape(grad, ops.shape(like))
