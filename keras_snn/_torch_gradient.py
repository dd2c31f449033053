"""A PyTorch autograd function with two outputs, for `lif_sequence`.

Imported only on the PyTorch backend.
"""

import torch


class TwoOutputGradient(torch.autograd.Function):
    """`forward(*args) -> (a, b, saved)`, `backward(grad_a, grad_b, ...)`.

    `forward` returns two output tensors and a tuple of tensors to keep for
    the backward pass; `backward(grad_a, grad_b, *args[2:], *saved)`
    returns one gradient per argument. The gradient of an output that the
    loss does not use arrives as zeros.
    """

    @staticmethod
    def forward(ctx, forward, backward, *args):
        first, second, saved = forward(*args)
        ctx.backward = backward
        ctx.save_for_backward(*args[2:], *saved)
        return first, second

    @staticmethod
    def backward(ctx, grad_first, grad_second):
        grads = ctx.backward(grad_first, grad_second, *ctx.saved_tensors)
        return (None, None, *grads)
