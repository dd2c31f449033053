"""The backend package: its custom gradient with several outputs, its
loops over tuple carries, and that no other module branches on the
backend."""

import pathlib
import re

import keras
import numpy as np
import pytest

from keras_snn import _backend
from keras_snn import loops
from tests.helpers import gradients
from tests.helpers import to_numpy

RNG = np.random.default_rng(5)
A = RNG.normal(size=(3, 4)).astype(np.float32)
B = RNG.normal(size=(3, 4)).astype(np.float32)
PACKAGE = pathlib.Path(__file__).parent.parent / "keras_snn"


def product_and_sum(a, b, use_first=True, use_second=True):
    # outputs (a * b, a + b) with a hand-written backward pass:
    #   dL/da = g1 * b + g2,  dL/db = g1 * a + g2
    def forward(a, b):
        return (a * b, a + b), (a, b)

    def backward(output_grads, saved):
        first, second = output_grads
        a, b = saved
        return first * b + second, first * a + second

    first, second = _backend.custom_gradient(forward, backward, a, b)
    total = keras.ops.zeros_like(first)
    if use_first:
        total = total + 2.0 * first
    if use_second:
        total = total + 3.0 * second
    return total


@pytest.mark.parametrize(
    "use_first, use_second", [(True, True), (True, False), (False, True)]
)
def test_custom_gradient_with_several_outputs(use_first, use_second):
    # An output the loss does not use gets a zero gradient.
    grad_a, grad_b = gradients(
        lambda a, b: product_and_sum(a, b, use_first, use_second), A, B
    )
    first, second = 2.0 * use_first, 3.0 * use_second
    np.testing.assert_allclose(grad_a, first * B + second, rtol=1e-6)
    np.testing.assert_allclose(grad_b, first * A + second, rtol=1e-6)
    value = to_numpy(product_and_sum(A, B))
    np.testing.assert_allclose(value, 2.0 * A * B + 3.0 * (A + B), rtol=1e-6)


@pytest.mark.parametrize("autodiff", [True, False])
@pytest.mark.parametrize("reverse", [False, True])
def test_scan_carries_tuples(reverse, autodiff):
    xs = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    tensor = keras.ops.convert_to_tensor

    def step(carry, x):
        total, count = carry
        return (total + x, count + 1.0), (total * x, count)

    init = (tensor(np.zeros((2, 3), np.float32)),) * 2
    (total, count), (products, counts) = loops.scan(
        step, init, tensor(xs), reverse=reverse, axis=1, autodiff=autodiff
    )
    order = list(range(5))[::-1] if reverse else list(range(5))
    running, expected = np.zeros((2, 3)), np.zeros((2, 5, 3))
    for i, t in enumerate(order):
        expected[:, t] = running * xs[:, t]
        running = running + xs[:, t]
        np.testing.assert_allclose(to_numpy(counts)[:, t], i)
    np.testing.assert_allclose(to_numpy(total), xs.sum(axis=1), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(count), 5.0)
    np.testing.assert_allclose(to_numpy(products), expected, rtol=1e-5)


def test_only_the_backend_package_branches_on_the_backend():
    # The math modules and the layers are backend-neutral: backend
    # imports and `backend()` branches sit in keras_snn/_backend (and in
    # keras_snn/export.py, whose formats are tied to backends).
    pattern = re.compile(
        r"backend\(\)|^\s*(import|from) (tensorflow|torch|jax)\b", re.M
    )
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if "_backend" not in path.parts
        and path.name != "export.py"
        and pattern.search(path.read_text())
    ]
    assert offenders == []
