"""The sequence runner: every neuron model over a whole sequence in one op.

The neuron layers (`LIF`, `IF`, `LI`, `SynapticLIF`, `AdaptiveLIF`, with
and without recurrence) all run through `run`. Their input projection
`x @ kernel + bias` is one matrix product over all `[batch * time]` rows,
done by the layer before `run`; inside the time loop there is only the
model's elementwise step (`keras_snn.dynamics`) and, when recurrent, the
product of the previous output with the recurrent kernel. Three methods
give the same numbers:

- `"bptt"` (what `"auto"` runs for training, and for inference except on
  JAX): a custom gradient around the forward loop (`keras_snn._backend`:
  `tf.custom_gradient` compiled with XLA on TensorFlow, an autograd
  function on PyTorch, `jax.custom_vjp` on JAX), whose backward pass is
  the model's hand-written backward step in a reverse loop. Per step the
  forward loop keeps only the output and what `Dynamics.saved` lists (for
  LIF, the membrane before the reset), never a whole carry; the gradient
  of the recurrent kernel is one product over all steps after the loop.
  One graph node per layer instead of several per step, which is what an
  eager backend (PyTorch, where the loops are plain Python) needs, and
  compilers see two simple loops, which on JAX read and write the
  batch-major sequences in place.
- `"scan"`: a loop (`keras_snn.loops.scan`) over the model's step,
  differentiated by the backend's autodiff through the surrogate. Masks
  take it.
- `"unrolled"`: the `"scan"` step unrolled in Python over a static number
  of timesteps. Keras' exporters lower it everywhere (LiteRT with builtin
  ops only, ONNX). `method="auto"` takes it where
  `keras_snn.loops.exportable` says a model may be traced for export.

`record` runs the same forward step and returns what it computes at every
step (the membrane before the reset, every state): what
`keras_snn.monitoring` reads.
"""

import numbers

from keras import ops

from keras_snn import _backend
from keras_snn import dynamics
from keras_snn import surrogates
from keras_snn.loops import exportable
from keras_snn.loops import in_export_scope
from keras_snn.loops import scan
from keras_snn.neurons import RESETS
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
            `method` or `surrogate`, or `currents` without a time axis or
            with zero timesteps.
    """
    check_choice("reset", reset, RESETS)
    check_bool("detach_reset", detach_reset)
    check_choice("method", method, METHODS)
    beta = check_beta_values("beta", beta)
    threshold = check_positive_values("threshold", threshold)
    surrogate = surrogates.get(surrogate)
    currents = ops.convert_to_tensor(currents)
    if len(currents.shape) < 3 or currents.shape[1] == 0:
        raise ValueError(
            "currents must have shape [batch, time, units] with at least "
            "one timestep. Received: "
            f"currents.shape={tuple(currents.shape)}"
        )
    neuron = dynamics.LIF(
        reset=reset, surrogate=surrogate, detach_reset=detach_reset
    )
    parameters = {"beta": beta, "threshold": threshold}
    spikes, states, _ = run(
        neuron,
        currents,
        [membrane],
        parameters,
        method=method,
        training=training,
    )
    return spikes, states[0]


def run(
    neuron,
    currents,
    states,
    parameters,
    *,
    recurrent_kernel=None,
    method="auto",
    training=False,
    mask=None,
    unroll=False,
):
    """Runs a neuron model over a sequence of input currents.

    Without argument checks: the layers check their options once, when
    they are built, and `lif_sequence` checks its own.

    Args:
        neuron: a `keras_snn.dynamics.Dynamics`, the model and its options.
        currents: tensor `[batch, time, ..., units]`, the input projection
            of every step.
        states: list of the initial states `[batch, ..., units]`, one per
            name in `neuron.state_names`, then the previous output when
            `recurrent_kernel` is given.
        parameters: dict of the step parameters (`neuron.parameter_names`):
            Python numbers (constants) or tensors broadcastable to the
            states (learned: their gradients are computed).
        recurrent_kernel: None, or the `[units, units]` kernel through
            which the previous step's output adds to the current.
        method: str. `"auto"` (the default), `"bptt"`, `"scan"` or
            `"unrolled"`; see the module docstring. `"auto"` takes
            `"unrolled"` where `keras_snn.loops.exportable(training)` (or
            with `unroll`), `"scan"` for masks, for inference traced in
            `keras_snn.loops.export_scope` and for inference on JAX, and
            otherwise `"bptt"`, compiled with XLA on TensorFlow.
        training: bool. Whether the call is part of training; only
            `method="auto"` reads it.
        mask: None, or a boolean tensor `[batch, time]`. At a step where
            it is False every state stays as it was and the output is the
            model's `masked_output` (no spikes; `LI` holds its membrane).
        unroll: bool. Unroll the loop (the layers' `unroll` option).

    Returns:
        A tuple `(outputs, final_states, last_output)`: the outputs
        `[batch, time, ..., units]`, the final states (as `states`), and
        the output of the last unmasked step (zeros if none).

    Raises:
        ValueError: for `method="unrolled"` without a static number of
            timesteps.
    """
    currents, states, parameters, learned = _prepare(
        neuron, currents, states, parameters
    )
    if recurrent_kernel is not None:
        recurrent_kernel = ops.cast(recurrent_kernel, currents.dtype)
    chosen = _method(method, currents, training, mask, unroll)
    if chosen == "bptt":
        outputs, *final = _bptt(
            neuron,
            learned,
            parameters,
            currents,
            states,
            recurrent_kernel,
            compiled=method == "auto",
        )
        return outputs, final, outputs[:, -1]
    return _autodiff(
        neuron,
        parameters,
        currents,
        states,
        recurrent_kernel,
        mask,
        unroll=chosen == "unrolled",
    )


def record(neuron, currents, states, parameters, recurrent_kernel=None):
    """Runs a neuron model forward and returns what it computes per step.

    The forward step of `run`, without gradients.

    Args:
        neuron, currents, states, parameters, recurrent_kernel: as in
            `run`.

    Returns:
        A dict of tensors `[batch, time, ..., units]`: `"output"` (the
        spikes, or the membrane of `LI`), `"pre_reset"` (spiking models:
        the membrane before the reset, the value compared with the
        threshold), `"threshold"` (spiking models: the threshold it is
        compared with, `Dynamics.threshold`) and, under each name of
        `neuron.state_names`, that state after every step.
    """
    currents, states, parameters, _ = _prepare(
        neuron, currents, states, parameters
    )
    if recurrent_kernel is not None:
        recurrent_kernel = ops.cast(recurrent_kernel, currents.dtype)

    def step(carry, current):
        output, new_states, pre, previous = _step(
            neuron, carry, current, parameters, recurrent_kernel, False
        )
        ys = (output, *new_states)
        if neuron.spiking:
            threshold = neuron.threshold(previous, parameters)
            ys = (*ys, pre, ops.broadcast_to(threshold, ops.shape(pre)))
        return _carry(new_states, output, recurrent_kernel), ys

    _, ys = scan(step, tuple(states), currents, axis=1, autodiff=False)
    names = ("output", *neuron.state_names)
    if neuron.spiking:
        names = (*names, "pre_reset", "threshold")
    return dict(zip(names, ys, strict=True))


def _prepare(neuron, currents, states, parameters):
    # The states and learned parameters at the dtype of the currents (the
    # compute dtype); Python numbers stay weakly typed constants.
    currents = ops.convert_to_tensor(currents)
    dtype = currents.dtype
    states = [ops.cast(state, dtype) for state in states]
    learned = tuple(
        name
        for name in neuron.parameter_names
        if not isinstance(parameters[name], numbers.Real)
    )
    parameters = {
        name: ops.cast(value, dtype) if name in learned else value
        for name, value in parameters.items()
    }
    return currents, states, parameters, learned


def _method(method, currents, training, mask, unroll):
    steps = currents.shape[1]
    static = steps is not None
    if method == "auto":
        if unroll or (static and exportable(training, steps)):
            method = "unrolled"
        elif (
            mask is not None
            or in_export_scope(training)
            or _backend.inference_loop(training)
        ):
            # Sequences too long to unroll, traced by keras_snn.export: a
            # plain graph loop, which ONNX lowers; the XLA function of the
            # TensorFlow "bptt" is opaque to tf2onnx.
            method = "scan"
        else:
            method = "bptt"
    if method == "unrolled" and not static:
        raise ValueError(
            'method="unrolled" (and a layer\'s unroll=True) needs a static '
            "number of timesteps. Received: "
            f"currents.shape={tuple(currents.shape)}"
        )
    if method == "bptt" and mask is not None:
        return "scan"
    return method


def _step(
    neuron, carry, current, parameters, recurrent_kernel, differentiable=True
):
    # One step of the runner: the recurrent product, then the model's step.
    # The carry holds the model's states, then the previous output when
    # recurrent (or, for masked loops, always).
    previous = list(carry[: len(neuron.state_names)])
    if recurrent_kernel is not None:
        current = current + _backend.matmul(carry[-1], recurrent_kernel)
    output, new_states, pre = neuron.step(
        previous, current, parameters, differentiable
    )
    return output, new_states, pre, previous


def _carry(new_states, output, recurrent_kernel):
    if recurrent_kernel is None:
        return tuple(new_states)
    return (*new_states, output)


def _autodiff(
    neuron, parameters, currents, states, recurrent_kernel, mask, unroll
):
    # The step differentiated by autodiff, through the surrogate. The last
    # output rides in the carry: the recurrent input, and what a masked
    # call returns as its last output.
    count = len(neuron.state_names)
    carry = tuple(states)
    if recurrent_kernel is None:
        carry = (*carry, ops.zeros_like(states[0]))

    def step(carry, inputs):
        current, keep = inputs if mask is not None else (inputs, None)
        output, new_states, _, previous = _step(
            neuron, carry, current, parameters, recurrent_kernel
        )
        new = (*new_states, output)
        if keep is None:
            return new, output
        # A masked step keeps the carry and emits the masked output.
        keep = ops.reshape(keep, (-1,) + (1,) * (len(output.shape) - 1))
        held = neuron.masked_output(previous)
        return (
            tuple(
                ops.where(keep, a, b) for a, b in zip(new, carry, strict=True)
            ),
            ops.where(keep, output, held),
        )

    xs = currents if mask is None else (currents, mask)
    final, outputs = scan(step, carry, xs, unroll=unroll, axis=1)
    last = final[count] if mask is not None else outputs[:, -1]
    final = list(final[:count]) + (
        [final[count]] if recurrent_kernel is not None else []
    )
    return outputs, final, last


def _bptt(
    neuron, learned, parameters, currents, states, recurrent_kernel, compiled
):
    """The custom-gradient op: `(outputs, *final_states)`."""
    count = len(neuron.state_names)
    recurrent = recurrent_kernel is not None
    constants = {
        name: value for name, value in parameters.items() if name not in learned
    }
    args = [currents, *states, *(parameters[name] for name in learned)]
    if recurrent:
        args.append(recurrent_kernel)
    # Which entries of Dynamics.saved are tensors (the others are None).
    layout = []

    def step_parameters(tensors, dtype):
        # Constants as tensors of the sequence's dtype: on PyTorch an op
        # with a Python number costs about twice one with a tensor.
        values = {
            name: ops.convert_to_tensor(value, dtype)
            for name, value in constants.items()
        }
        return {**values, **dict(zip(learned, tensors, strict=True))}

    def forward(currents, *rest):
        initial = rest[: count + recurrent]
        tensors = rest[count + recurrent : count + recurrent + len(learned)]
        kernel = rest[-1] if recurrent else None
        values = step_parameters(tensors, currents.dtype)

        def forward_step(carry, current):
            output, new_states, pre, previous = _step(
                neuron, carry, current, values, kernel, differentiable=False
            )
            saved = neuron.saved(previous, pre, learned)
            layout[:] = [tensor is not None for tensor in saved]
            kept = tuple(tensor for tensor in saved if tensor is not None)
            return _carry(new_states, output, kernel), (output, *kept)

        final, ys = scan(
            forward_step, tuple(initial), currents, axis=1, autodiff=False
        )
        saved = (*ys, *tensors)
        if recurrent:
            saved = (*saved, kernel, initial[-1])
        return (ys[0], *final), saved

    def backward(output_grads, saved):
        grad_outputs, grad_final = output_grads[0], output_grads[1:]
        kept = sum(layout)
        outputs, per_step = saved[0], saved[1 : 1 + kept]
        tensors = saved[1 + kept : 1 + kept + len(learned)]
        kernel, first = saved[-2:] if recurrent else (None, None)
        values = step_parameters(tensors, outputs.dtype)
        transposed = ops.transpose(kernel) if recurrent else None
        sums = tuple(ops.zeros_like(grad_final[0]) for _ in learned)

        def backward_step(carry, xs):
            grad_states = list(carry[:count])
            grad_output, output, *step_saved = xs
            if recurrent:
                grad_output = grad_output + carry[count]
            step_saved = iter(step_saved)
            full = [next(step_saved) if is_kept else None for is_kept in layout]
            grad_current, grad_previous, terms = neuron.backward(
                grad_output, grad_states, output, full, values, learned
            )
            new = tuple(grad_previous)
            if recurrent:
                new = (*new, _backend.matmul(grad_current, transposed))
            accumulated = carry[count + recurrent :]
            new = (
                *new,
                *(
                    total + terms[name]
                    for total, name in zip(accumulated, learned, strict=True)
                ),
            )
            return new, grad_current

        carry, grad_currents = scan(
            backward_step,
            (*grad_final, *sums),
            (grad_outputs, outputs, *per_step),
            reverse=True,
            axis=1,
            autodiff=False,
        )
        grads = [grad_currents, *carry[: count + recurrent]]
        grads.extend(
            _sum_to_shape(total, tensor)
            for total, tensor in zip(
                carry[count + recurrent :], tensors, strict=True
            )
        )
        if recurrent:
            # dL/dW = sum over steps and rows of previous output (outer)
            # dL/dI: one product over all steps, after the loop.
            previous = ops.concatenate(
                [ops.expand_dims(first, 1), outputs[:, :-1]], axis=1
            )
            units = kernel.shape[0]
            grads.append(
                ops.matmul(
                    ops.transpose(ops.reshape(previous, (-1, units))),
                    ops.reshape(grad_currents, (-1, units)),
                )
            )
        return grads

    def call(*args):
        return _backend.custom_gradient(forward, backward, *args)

    if compiled:
        key = (
            neuron.key(),
            tuple(sorted(constants.items())),
            learned,
            recurrent,
        )
        call = _backend.compile_op(key, call)
    return call(*args)


def _sum_to_shape(grad, like):
    # Gradients of broadcast parameters (a scalar, one per neuron, or any
    # shape that broadcasts to the states) are the sums over the axes they
    # were broadcast along: the extra leading axes, and those of size 1.
    extra = len(grad.shape) - len(like.shape)
    if extra > 0:
        grad = ops.sum(grad, axis=tuple(range(extra)))
    ones = tuple(
        axis
        for axis, size in enumerate(like.shape)
        if size == 1 and grad.shape[axis] != 1
    )
    if ones:
        grad = ops.sum(grad, axis=ones, keepdims=True)
    return ops.reshape(grad, ops.shape(like))
