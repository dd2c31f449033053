"""TensorFlow: a `tf.while_loop` scan, `tf.custom_gradient`, XLA-compiled
ops, and the checks of graph tracing and of `tf.distribute` replicas."""

import platform

import tensorflow as tf

from keras_snn._backend.common import *  # noqa: F403
from keras_snn._backend.common import MAX_UNROLLED_STEPS
from keras_snn._backend.common import _map


def scan(f, init, xs, reverse=False, axis=0, autodiff=True):
    # keras.ops.scan on TensorFlow has no maximum iteration count (which
    # XLA needs to differentiate a loop); this one has.
    del autodiff
    if axis != 0:
        xs = _map(lambda x: tf.experimental.numpy.moveaxis(x, axis, 0), xs)
    carry, ys = _while_scan(f, init, xs, reverse)
    if axis != 0:
        ys = _map(lambda y: tf.experimental.numpy.moveaxis(y, 0, axis), ys)
    return carry, ys


def _while_scan(f, init, xs, reverse):
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

    def call(carry, x):
        return f(carry, x if isinstance(xs, tuple) else x[0])

    # A trial call of `f` (on zeros, as `xs` may hold no step) gives the
    # structure, shapes and dtypes of the per-step outputs.
    zeros = tuple(tf.zeros(tf.shape(x)[1:], x.dtype) for x in flat)
    sample = call(init, zeros)[1]
    outputs = tf.nest.map_structure(
        lambda y: tf.TensorArray(y.dtype, size=steps, element_shape=y.shape),
        sample,
    )
    init = tf.nest.map_structure(tf.convert_to_tensor, init)
    shapes = [c.shape for c in tf.nest.flatten(init)]

    def body(i, carry, outputs):
        t = steps - 1 - i if reverse else i
        carry, y = call(carry, tuple(a.read(t) for a in arrays))
        # Broadcasting with parameters of unknown static shape can hide the
        # carry's shape; the loop needs it fixed across iterations.
        carry = tf.nest.pack_sequence_as(
            carry,
            [
                tf.ensure_shape(c, shape)
                for c, shape in zip(tf.nest.flatten(carry), shapes, strict=True)
            ],
        )
        outputs = tf.nest.map_structure(lambda o, v: o.write(t, v), outputs, y)
        return i + 1, carry, outputs

    _, carry, outputs = tf.while_loop(
        lambda i, *_: i < steps,
        body,
        (tf.constant(0), init, outputs),
        maximum_iterations=steps,
    )
    return carry, tf.nest.map_structure(lambda o: o.stack(), outputs)


def custom_gradient(forward, backward, *args):
    # Plain tensors, not variables: a variable argument would be read
    # by the op instead of being one of its inputs.
    args = tuple(tf.identity(a) for a in args)

    @tf.custom_gradient
    def run(*args):
        outputs, saved = forward(*args)

        def grad(*output_grads):
            output_grads = tuple(
                tf.zeros_like(o) if g is None else g
                for g, o in zip(output_grads, outputs, strict=True)
            )
            return tuple(backward(output_grads, saved))

        return tuple(outputs), grad

    return tuple(run(*args))


_COMPILED = {}


def compile_op(key, function):
    # Keras leaves XLA off for TensorFlow on CPU, where a graph-mode loop
    # pays per op and per iteration; compiling just this op with XLA fuses
    # each step. One tf.function per key, so that its traces are reused
    # from call to call.
    if key not in _COMPILED:
        _COMPILED[key] = tf.function(function, jit_compile=True)
    return _COMPILED[key]


def traced_for_export(training=False, steps=None):
    # Graph mode cannot tell an export from a tf.function that a
    # GradientTape will differentiate, so every inference trace of a
    # short enough sequence counts (see keras_snn.loops.exportable).
    short = steps is None or steps <= MAX_UNROLLED_STEPS
    return not training and not tf.executing_eagerly() and short


def is_concrete(x):
    del x
    return tf.executing_eagerly()


def replica_sum(tensors):
    context = tf.distribute.get_replica_context()
    if context is None or context.num_replicas_in_sync == 1:
        return tensors
    return context.all_reduce(tf.distribute.ReduceOp.SUM, tensors)


def auto_jit_compile(model):
    # Keras' rule for jit_compile="auto" turns XLA off for TensorFlow on
    # CPU; keras_snn turns it on wherever Keras would on a GPU.
    return True if _xla_supported(model) else None


def _xla_supported(model):
    """Whether Keras would compile `model` with XLA on a TensorFlow GPU:
    outside a distribution strategy, on a platform where Keras supports
    XLA for TensorFlow, with layers that support it."""
    # A model created in a strategy's scope remembers it (Keras checks it).
    if getattr(model, "_distribute_strategy", None) or (
        tf.distribute.has_strategy()
    ):
        return False
    # Keras' own exception: no XLA for TensorFlow on Apple silicon.
    apple_silicon = platform.system() == "Darwin" and (
        "arm" in platform.processor().lower()
    )
    return not apple_silicon and all(
        layer.supports_jit for layer in model._flatten_layers()
    )
