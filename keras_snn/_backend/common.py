"""The backend-neutral implementations, written with `keras.ops`.

The backend modules import everything from here and replace what their
backend does better. A backend without a module of its own (NumPy) runs
these, for inference only: `custom_gradient` has no backward pass here.
"""

from keras import ops

__all__ = [
    "MAX_UNROLLED_STEPS",
    "auto_jit_compile",
    "compile_op",
    "custom_gradient",
    "hard_spikes",
    "heaviside",
    "inference_loop",
    "is_concrete",
    "matmul",
    "may_write_in_place",
    "python_scan",
    "replica_sum",
    "scan",
    "stack",
    "traced_for_export",
]


# Beyond this many steps, TensorFlow inference graphs keep their loop:
# tracing 1,000 unrolled steps of three layers took 41 s on the first
# `predict` (8 s at 250 steps, 1 s at 25).
MAX_UNROLLED_STEPS = 256


def scan(f, init, xs, reverse=False, axis=0, autodiff=True):
    """Loops `carry, y = f(carry, x)` over axis `axis` of `xs`.

    See `keras_snn.loops.scan`, which adds `unroll`. `init` and the
    carry may be a tensor or a tuple of tensors; `xs` and `y` likewise.
    """
    del autodiff
    if axis != 0:
        xs = _map(lambda x: ops.moveaxis(x, axis, 0), xs)
    carry, ys = ops.scan(f, init, xs, reverse=reverse)
    if axis != 0:
        ys = _map(lambda y: ops.moveaxis(y, 0, axis), ys)
    return carry, ys


def python_scan(f, init, xs, reverse=False, axis=0, stack_fn=None):
    """`scan` as a Python loop: unrolled where traced, eager otherwise.

    `stack_fn(tensors, axis)` stacks the outputs; defaults to `stack`.
    """
    stack_fn = stack_fn or stack
    flat = xs if isinstance(xs, tuple) else (xs,)
    # One unstack per input rather than an indexing op per step.
    slices = [ops.unstack(x, axis=axis) for x in flat]
    steps = range(len(slices[0]))
    carry, ys = init, []
    for t in reversed(steps) if reverse else steps:
        x = tuple(s[t] for s in slices)
        carry, y = f(carry, x if isinstance(xs, tuple) else x[0])
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, _empty_outputs(f, init, flat, xs, axis)
    if isinstance(ys[0], tuple):
        return carry, tuple(stack_fn(y, axis) for y in zip(*ys, strict=True))
    return carry, stack_fn(ys, axis)


def _empty_outputs(f, init, flat, xs, axis):
    # No step to run: the outputs' shapes come from a call on zero slices.
    zeros = tuple(
        ops.zeros(x.shape[:axis] + x.shape[axis + 1 :], x.dtype) for x in flat
    )
    sample = f(init, zeros if isinstance(xs, tuple) else zeros[0])[1]

    def empty(y):
        shape = list(y.shape)
        shape.insert(axis, 0)
        return ops.zeros(shape, y.dtype)

    return _map(empty, sample)


def _map(function, tensors):
    if isinstance(tensors, tuple):
        return tuple(function(tensor) for tensor in tensors)
    return function(tensors)


def stack(tensors, axis=0):
    return ops.stack(tensors, axis=axis)


def matmul(a, b):
    """`a @ b`; the time loops call it at every step."""
    return ops.matmul(a, b)


def hard_spikes(x):
    """`1.0` where `x > 0`, `0.0` elsewhere; unspecified for NaN."""
    return ops.relu(ops.sign(x))


def heaviside(x):
    """`hard_spikes(x)`, NaN where `x` is not finite."""
    # `x * 0` is 0 for finite x and NaN for NaN or +-Inf, so this keeps
    # non-finite values visible with plain arithmetic that every exporter
    # lowers (no isfinite or where op). Not `x - x`: the LiteRT converter
    # folds that to 0.
    return hard_spikes(x) + x * 0.0


def may_write_in_place(x):
    """Whether an elementwise op may overwrite the fresh tensor `x`."""
    del x
    return False


def custom_gradient(forward, backward, *args):
    """Calls an op with several outputs and a hand-written gradient.

    Args:
        forward: callable `(*args) -> (outputs, saved)`: a tuple of output
            tensors and a tuple of tensors to keep for the backward pass.
        backward: callable `(output_grads, saved) -> grads`, with one
            gradient per output in `output_grads` (zeros for an output
            that the loss does not use) and one per argument in `grads`.
            Only `saved` is kept for it: what it needs of `args` must be
            there too.
        *args: tensors.

    Returns:
        The tuple of outputs. Here, without a backward pass.
    """
    del backward
    return forward(*args)[0]


def compile_op(key, function):
    """`function`, compiled where the backend gains by it; `key`
    identifies it among compiled ops. Here: as is."""
    del key
    return function


def inference_loop(training):
    """Whether an inference call runs a plain differentiable loop instead
    of the custom-gradient op (JAX, whose exporters lower `lax.scan`)."""
    del training
    return False


def traced_for_export(training=False, steps=None):
    """Whether the call is traced where an exporter may lower it; see
    `keras_snn.loops.exportable`."""
    del training, steps
    return False


def is_concrete(x):
    """Whether the values of `x` can be read here."""
    del x
    return True


def replica_sum(tensors):
    """`tensors` summed over the replicas of a data-parallel step; see
    `keras_snn._replicas`."""
    return tensors


def auto_jit_compile(model):
    """What `jit_compile="auto"` means for `model`: True, or None for
    Keras' own rule."""
    del model
    return None
