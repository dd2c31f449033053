"""A time loop (`scan`) that suits each backend.

`keras.ops.scan` is not used directly: on TensorFlow it requires the
per-step output to have the carry's shape and its loop has no maximum
iteration count (which XLA needs to differentiate it), and on PyTorch its
bookkeeping costs more than the elementwise steps it runs.

`exportable(training)` is the one place that decides when a time loop must
be one that Keras' exporters can lower (see `docs/deploy.md`).
"""

import contextlib
import contextvars

from keras import backend
from keras import ops


def scan(f, init, xs, reverse=False, unroll=False, axis=0, autodiff=True):
    """Loops `carry, y = f(carry, x)` over one axis of `xs`.

    Args:
        f: callable `(carry, x) -> (carry, y)`. `carry` is a tensor; `y`
            is a tensor or a tuple of tensors, each with the shape and
            dtype of `carry`.
        init: tensor. The initial carry.
        xs: tensor or tuple of tensors, sliced along `axis`.
        reverse: bool. Loop from the last slice to the first.
        unroll: bool. Unroll the loop in Python on every backend (one copy
            of `f` per step in a traced graph). Needs a static length.
        axis: int. The axis of `xs` that is looped over, and along which
            `ys` are stacked. Defaults to 0. PyTorch slices and stacks
            along it directly; the compiled loops of TensorFlow and JAX
            run over axis 0 of a transposed view, except as below.
        autodiff: bool. Whether the backend's autodiff may differentiate
            the loop. Defaults to True. With False (the loops inside a
            custom gradient), JAX reads and writes the slices along `axis`
            in place instead of transposing `xs` and `ys`; reverse-mode
            autodiff of that loop would add a whole-sequence buffer per
            step.

    Returns:
        `(final_carry, ys)`, with `ys` stacked along `axis` in the order of
        `xs` (also when `reverse=True`).
    """
    name = backend.backend()
    if unroll or name == "torch":
        return _python_scan(f, init, xs, reverse, axis)
    if axis != 0 and name == "jax" and not autodiff:
        return _jax_scan_in_place(f, init, xs, reverse, axis)
    if axis != 0:
        xs = _map(lambda x: ops.moveaxis(x, axis, 0), xs)
    if name == "tensorflow":
        carry, ys = _tensorflow_scan(f, init, xs, reverse)
    else:
        carry, ys = ops.scan(f, init, xs, reverse=reverse)
    if axis != 0:
        ys = _map(lambda y: ops.moveaxis(y, 0, axis), ys)
    return carry, ys


def _map(function, tensors):
    if isinstance(tensors, tuple):
        return tuple(function(tensor) for tensor in tensors)
    return function(tensors)


# Beyond this many steps, TensorFlow inference graphs keep their loop:
# tracing 1,000 unrolled steps of three layers took 41 s on the first
# `predict` (8 s at 250 steps, 1 s at 25).
MAX_UNROLLED_STEPS = 256


def exportable(training=False, steps=None):
    """Whether the time loop being traced must be one exporters can lower.

    True where a model is traced for an exporter, or may be:

    - TensorFlow: an inference call (`training` falsy) traced into a graph
      (`predict`, `model.export`, a `tf.function`), with at most
      `MAX_UNROLLED_STEPS` (256) steps. Graph mode cannot tell an export
      from a `tf.function` that a `GradientTape` will differentiate, so
      the lowerable loop must stay differentiable; and since `predict`,
      `evaluate` and validation take it too, longer sequences keep their
      loop (export those to LiteRT or ONNX as a streaming model).
    - PyTorch: `torch.onnx.export` (TorchScript tracing) or `torch.export`.
    - JAX: never; `jax2tf` and `jax2onnx` lower `lax.scan` and custom
      gradients as they are.

    Args:
        training: bool or None. The layer's `training` call argument.
        steps: int or None. The static number of timesteps, if known.

    Returns:
        bool.
    """
    name = backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        short = steps is None or steps <= MAX_UNROLLED_STEPS
        return not training and not tf.executing_eagerly() and short
    if name == "torch":
        import torch

        return torch.jit.is_tracing() or torch.compiler.is_exporting()
    return False


_EXPORTING = contextvars.ContextVar("keras_snn_exporting", default=False)


@contextlib.contextmanager
def export_scope():
    """Marks the traces made inside as traces for an exporter.

    `keras_snn.export.export` runs Keras' exporters inside it. There,
    TensorFlow inference over more than `MAX_UNROLLED_STEPS` steps, which
    `exportable` leaves to the XLA op that tf2onnx and the LiteRT
    converter cannot lower, runs a plain graph loop instead (see
    `in_export_scope`).
    """
    token = _EXPORTING.set(True)
    try:
        yield
    finally:
        _EXPORTING.reset(token)


def in_export_scope(training=False):
    """Whether an inference call is being traced inside `export_scope`.

    Args:
        training: bool or None. The layer's `training` call argument.

    Returns:
        bool.
    """
    return bool(_EXPORTING.get()) and not training


def _python_scan(f, init, xs, reverse, axis):
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
        shape = list(init.shape)
        shape.insert(axis, 0)
        return carry, ops.zeros(shape, init.dtype)
    if isinstance(ys[0], tuple):
        return carry, tuple(_stack(y, axis) for y in zip(*ys, strict=True))
    return carry, _stack(ys, axis)


def _stack(tensors, axis):
    # keras.ops.stack walks the list as a nested structure first, which on
    # PyTorch costs more than the copy itself.
    if backend.backend() == "torch":
        import torch

        return torch.stack(tensors, dim=axis)
    return ops.stack(tensors, axis=axis)


def _tensorflow_scan(f, init, xs, reverse):
    import tensorflow as tf

    flat = xs if isinstance(xs, tuple) else (xs,)
    steps = flat[0].shape[0]
    if steps is None:
        steps = tf.shape(flat[0])[0]
    arrays = [
        tf.TensorArray(x.dtype, size=steps, element_shape=x.shape[1:]).unstack(
            x
        )
        for x in flat
    ]
    # A trial call of `f` (on zeros, as `xs` may hold no step) tells how
    # many per-step outputs there are.
    zeros = tuple(tf.zeros(tf.shape(x)[1:], x.dtype) for x in flat)
    sample = f(init, zeros if isinstance(xs, tuple) else zeros[0])[1]
    count = len(sample) if isinstance(sample, tuple) else 1
    outputs = tuple(
        tf.TensorArray(init.dtype, size=steps, element_shape=init.shape)
        for _ in range(count)
    )

    def body(i, carry, outputs):
        t = steps - 1 - i if reverse else i
        x = tuple(a.read(t) for a in arrays)
        carry, y = f(carry, x if isinstance(xs, tuple) else x[0])
        # Broadcasting with parameters of unknown static shape can hide the
        # carry's shape; the loop needs it fixed across iterations.
        carry = tf.ensure_shape(carry, init.shape)
        y = y if isinstance(y, tuple) else (y,)
        outputs = tuple(o.write(t, v) for o, v in zip(outputs, y, strict=True))
        return i + 1, carry, outputs

    _, carry, outputs = tf.while_loop(
        lambda i, *_: i < steps,
        body,
        (tf.constant(0), init, outputs),
        maximum_iterations=steps,
    )
    stacked = tuple(o.stack() for o in outputs)
    return carry, stacked if isinstance(sample, tuple) else stacked[0]


def _jax_scan_in_place(f, init, xs, reverse, axis):
    # A fori_loop that reads slice t of every input along `axis` and writes
    # each output into slice t of a preallocated buffer: no transposed
    # copies of the inputs or outputs, which cost 0.1 to 0.2 ms of a layer
    # of 128 neurons over 25 steps (about 0.9 ms, forward and backward, on
    # a CPU).
    import jax
    from jax import lax

    flat = xs if isinstance(xs, tuple) else (xs,)
    steps = flat[0].shape[axis]

    def call(carry, x):
        return f(carry, x if isinstance(xs, tuple) else x[0])

    def step(t, carry):
        return call(
            carry,
            tuple(lax.dynamic_index_in_dim(a, t, axis, False) for a in flat),
        )

    # The outputs' shapes, from abstract slices (`xs` may hold no step).
    slices = tuple(
        jax.ShapeDtypeStruct((*a.shape[:axis], *a.shape[axis + 1 :]), a.dtype)
        for a in flat
    )
    sample = jax.eval_shape(call, init, slices)[1]
    buffers = jax.tree.map(
        lambda y: jax.numpy.zeros(
            (*y.shape[:axis], steps, *y.shape[axis:]), y.dtype
        ),
        sample,
    )
    if steps == 0:
        return init, buffers

    def body(i, state):
        carry, ys = state
        t = steps - 1 - i if reverse else i
        carry, y = step(t, carry)
        ys = jax.tree.map(
            lambda buffer, value: lax.dynamic_update_index_in_dim(
                buffer, value, t, axis
            ),
            ys,
            y,
        )
        return carry, ys

    return lax.fori_loop(0, steps, body, (init, buffers))
