"""The time loop (`scan`) and the rule of when it must be exportable.

`keras.ops.scan` is not used directly: on TensorFlow it requires the
per-step output to have the carry's shape and its loop has no maximum
iteration count (which XLA needs to differentiate it), and on PyTorch its
bookkeeping costs more than the elementwise steps it runs. Each backend's
loop lives in `keras_snn._backend`.

`exportable(training)` is the one place that decides when a time loop must
be one that Keras' exporters can lower (see `docs/deploy.md`).
"""

import contextlib
import contextvars

from keras_snn import _backend
from keras_snn._backend.common import MAX_UNROLLED_STEPS  # noqa: F401
from keras_snn._backend.common import python_scan


def scan(f, init, xs, reverse=False, unroll=False, axis=0, autodiff=True):
    """Loops `carry, y = f(carry, x)` over one axis of `xs`.

    Args:
        f: callable `(carry, x) -> (carry, y)`. `carry` is a tensor or a
            tuple of tensors, of fixed shapes; `y` is a tensor or a tuple
            of tensors.
        init: tensor or tuple of tensors. The initial carry.
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
    if unroll:
        return python_scan(f, init, xs, reverse, axis, _backend.stack)
    return _backend.scan(f, init, xs, reverse, axis, autodiff)


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
    return _backend.traced_for_export(training, steps)


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
