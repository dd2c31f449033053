"""PyTorch: eager Python loops, an autograd function with several outputs,
cheap spike ops, and the checks of export tracing and symbolic tensors."""

import torch

from keras_snn._backend.common import *  # noqa: F403
from keras_snn._backend.common import python_scan


def scan(f, init, xs, reverse=False, axis=0, autodiff=True):
    # keras.ops.scan's bookkeeping costs more than the elementwise steps
    # it runs; PyTorch runs a Python loop eagerly anyway.
    del autodiff
    return python_scan(f, init, xs, reverse, axis, stack)


def stack(tensors, axis=0):
    # keras.ops.stack walks the list as a nested structure first, which on
    # PyTorch costs more than the copy itself.
    return torch.stack(tensors, dim=axis)


def matmul(a, b):
    # keras.ops.matmul checks devices and dtypes first, which costs about
    # 0.1 ms per call on a CPU: more than the product of a batch of 32
    # spike vectors with a 256 x 256 recurrent kernel, done twice per step.
    return torch.matmul(a, b)


def hard_spikes(x):
    # relu(sign(x)) rather than a cast of `x > 0`: on PyTorch's CPU kernels
    # a boolean comparison plus cast costs about 4x two float ops, and
    # keras.ops' argument conversion costs more than the ops themselves.
    return torch.relu(torch.sign(x))


def heaviside(x):
    # `hard_spikes(x) + x * 0`, with the 0 as the `alpha` argument:
    # PyTorch wraps a Python number operand into a new tensor, which costs
    # as much as the multiplication itself.
    return torch.add(hard_spikes(x), x, alpha=0.0)


def may_write_in_place(x):
    # In-place ops on a fresh tensor are safe where nothing records them
    # for autograd (the backward pass of a custom gradient).
    if not isinstance(x, torch.Tensor):
        return False
    return not (torch.is_grad_enabled() and x.requires_grad)


class _Function(torch.autograd.Function):
    # keras.ops.custom_gradient on PyTorch returns one tensor, and slicing
    # several outputs out of it costs, in the backward pass, a zero-filled
    # gradient of the whole output per slice plus their sum. An autograd
    # function with several outputs hands each gradient over as is.

    @staticmethod
    def forward(ctx, forward, backward, *args):
        outputs, saved = forward(*args)
        ctx.backward = backward
        ctx.save_for_backward(*saved)
        return tuple(outputs)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, *output_grads):
        grads = ctx.backward(output_grads, ctx.saved_tensors)
        return (None, None, *grads)


def custom_gradient(forward, backward, *args):
    return tuple(_Function.apply(forward, backward, *args))


def traced_for_export(training=False, steps=None):
    del training, steps
    return torch.jit.is_tracing() or torch.compiler.is_exporting()


def is_concrete(x):
    compiling = getattr(torch.compiler, "is_compiling", lambda: False)
    return not compiling() and not (
        isinstance(x, torch.Tensor) and x.device.type == "meta"
    )
