import keras
import numpy as np
import pytest

from keras_snn import loops
from tests.helpers import to_numpy

RNG = np.random.default_rng(3)
XS = RNG.normal(size=(2, 5, 3)).astype(np.float32)
INIT = RNG.normal(size=(2, 3)).astype(np.float32)


def numpy_scan(xs, init, reverse, axis):
    """carry = 0.5 * carry + x; ys = (carry, carry * x), along `axis`."""
    xs = np.moveaxis(xs, axis, 0)
    order = range(len(xs))
    carry, ys = init, [None] * len(xs)
    for t in reversed(order) if reverse else order:
        carry = 0.5 * carry + xs[t]
        ys[t] = (carry, carry * xs[t])
    firsts = np.stack([y[0] for y in ys])
    seconds = np.stack([y[1] for y in ys])
    return carry, np.moveaxis(firsts, 0, axis), np.moveaxis(seconds, 0, axis)


def step(carry, x):
    carry = 0.5 * carry + x
    return carry, (carry, carry * x)


# autodiff=False: the loops inside a custom gradient, which JAX runs in
# place along the axis.
@pytest.mark.parametrize("autodiff", [True, False])
@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("axis", [0, 1])
def test_scan_matches_numpy(axis, reverse, unroll, autodiff):
    xs = XS if axis == 1 else np.moveaxis(XS, 1, 0)
    carry, (firsts, seconds) = loops.scan(
        step,
        keras.ops.convert_to_tensor(INIT),
        keras.ops.convert_to_tensor(xs),
        reverse=reverse,
        unroll=unroll,
        axis=axis,
        autodiff=autodiff,
    )
    expected = numpy_scan(xs, INIT, reverse, axis)
    for got, want in zip((carry, firsts, seconds), expected, strict=True):
        np.testing.assert_allclose(to_numpy(got), want, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("autodiff", [True, False])
def test_scan_over_a_tuple_of_inputs(autodiff):
    def add_both(carry, slices):
        a, b = slices
        carry = carry + a * b
        return carry, carry

    carry, ys = loops.scan(
        add_both,
        keras.ops.convert_to_tensor(INIT),
        (keras.ops.convert_to_tensor(XS), keras.ops.convert_to_tensor(XS)),
        axis=1,
        autodiff=autodiff,
    )
    expected = INIT[:, None] + np.cumsum(XS * XS, axis=1)
    np.testing.assert_allclose(to_numpy(ys), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        to_numpy(carry), expected[:, -1], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("autodiff", [True, False])
@pytest.mark.parametrize("axis", [0, 1])
def test_scan_over_no_steps(axis, autodiff):
    shape = (0, 2, 3) if axis == 0 else (2, 0, 3)
    carry, ys = loops.scan(
        lambda c, x: (c + x, c),
        keras.ops.convert_to_tensor(INIT),
        keras.ops.zeros(shape),
        axis=axis,
        autodiff=autodiff,
    )
    np.testing.assert_array_equal(to_numpy(carry), INIT)
    assert tuple(ys.shape) == shape
