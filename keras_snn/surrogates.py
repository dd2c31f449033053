"""Spike functions with surrogate gradients, and their name registry.

A surrogate is a registered, serializable object. Calling it on `x`
(the membrane potential minus the threshold) returns hard spikes: exactly
`1.0` where `x > 0` and `0.0` elsewhere. Its gradient is not the Dirac delta
of that step but the smooth `derivative(x)` of the surrogate, implemented
once in `Surrogate.__call__` through `keras.ops.custom_gradient`.

Non-finite inputs do not become spikes: where `x` is NaN or infinite the
spike is NaN, so a bad value propagates to the network output instead of
turning silently into a spike (or into silence).

To add a surrogate, subclass `Surrogate`, implement `derivative` and
`get_config`, and decorate the class with `register_surrogate("name")`:

```python
@keras_snn.surrogates.register_surrogate("gaussian")
class Gaussian(keras_snn.surrogates.Surrogate):
    def __init__(self, sigma=0.5):
        self.sigma = sigma

    def derivative(self, x):
        return keras.ops.exp(-0.5 * (x / self.sigma) ** 2) / (
            self.sigma * math.sqrt(2 * math.pi)
        )

    def get_config(self):
        return {"sigma": self.sigma}
```

Then `LIF(..., surrogate="gaussian")` and `surrogate=Gaussian(0.3)` both
work and round-trip through `get_config` and `.keras` files.
"""

import math

import keras
from keras import ops

from keras_snn import _backend
from keras_snn._export import keras_snn_export
from keras_snn.validation import check_positive_number

_REGISTRY = {}


def heaviside(x):
    """Hard spikes: `1.0` where `x > 0`, `0.0` elsewhere, NaN if not finite.

    This is the forward pass of every surrogate, with no gradient attached.

    Args:
        x: tensor. Membrane potential minus threshold.

    Returns:
        A tensor of the same shape and dtype as `x`.
    """
    if not ops.is_tensor(x):
        x = ops.convert_to_tensor(x)
    return _backend.heaviside(x)


def hard_spikes(x):
    """`1.0` where `x > 0`, `0.0` elsewhere; unspecified for NaN.

    `heaviside` without its NaN marking: `heaviside(x)` is
    `hard_spikes(x) + x * 0`.
    """
    return _backend.hard_spikes(x)


class Surrogate:
    """Base class of spike functions with a surrogate gradient.

    Subclasses implement `derivative(x)`, the gradient used in the backward
    pass, and `get_config()`. Calling the object computes `heaviside(x)`
    forward and `upstream * derivative(x)` backward.

    Call arguments:
        x: tensor. Membrane potential minus threshold.

    Returns:
        Spikes, a tensor of the same shape and dtype as `x`.
    """

    name = None

    def derivative(self, x):
        raise NotImplementedError(
            f"{type(self).__name__} must implement derivative(x)."
        )

    def __call__(self, x):
        x = ops.convert_to_tensor(x)

        @ops.custom_gradient
        def spike(x):
            def grad(*args, upstream=None):
                if upstream is None:
                    (upstream,) = args
                return upstream * ops.cast(self.derivative(x), upstream.dtype)

            return heaviside(x), grad

        return spike(x)

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({options})"

    def __eq__(self, other):
        return type(self) is type(other) and (
            self.get_config() == other.get_config()
        )

    def __hash__(self):
        return hash((type(self), tuple(sorted(self.get_config().items()))))


def _check_peak(peak):
    """Checks the `peak` option of a surrogate: None or a number > 0."""
    return None if peak is None else check_positive_number("peak", peak)


def register_surrogate(name):
    """Class decorator: registers a `Surrogate` subclass under `name`.

    The class becomes available as `surrogate=name` and is registered for
    Keras serialization (package `keras_snn`), so that layers using it save
    and load in safe mode.

    Args:
        name: str. The name used in `get(name)` and in layer arguments.

    Returns:
        The decorator.

    Raises:
        TypeError: if `name` is not a string, or (from the decorator) if
            the decorated object is not a `Surrogate` subclass.
        ValueError: if `name` is empty, or (from the decorator) already
            names another class.
    """
    if not isinstance(name, str):
        raise TypeError(
            f"name must be a string. Received: name={name!r} of type "
            f"{type(name).__name__}"
        )
    if not name:
        raise ValueError(
            f"name must be a non-empty string. Received: name={name!r}"
        )

    def decorator(cls):
        if not (isinstance(cls, type) and issubclass(cls, Surrogate)):
            raise TypeError(
                "register_surrogate decorates subclasses of Surrogate. "
                f"Received: {cls!r}"
            )
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(
                f"A surrogate named {name!r} is already registered: "
                f"{_REGISTRY[name].__name__}."
            )
        cls.name = name
        _REGISTRY[name] = keras_snn_export(cls)
        return cls

    return decorator


@register_surrogate("fast_sigmoid")
class FastSigmoid(Surrogate):
    """Fast sigmoid surrogate (the default): `slope / (1 + slope*|x|)**2`.

    This is the derivative of `x * slope / (1 + slope*|x|)` (a scaled
    fast sigmoid); it peaks at `slope` for `x = 0`. With `peak` set, the
    derivative is `peak / (1 + slope*|x|)**2`: the same shape, whose
    width `slope` sets, scaled to peak at `peak` (snnTorch's fast sigmoid
    is `peak=1`).

    Args:
        slope: float. Steepness: the derivative falls to a quarter of its
            peak at `|x| = 1 / slope`. Without `peak`, also the peak of
            the derivative. Defaults to 25.
        peak: float or None. The derivative's value at `x = 0`, or None
            (the default) for `slope`. In a recurrent layer the gradient
            is multiplied by about this peak at every step that it flows
            back through a spike (see the concepts page).

    References:
        Zenke & Ganguli, "SuperSpike", Neural Computation 30(6), 2018.
    """

    def __init__(self, slope=25.0, peak=None):
        self.slope = check_positive_number("slope", slope)
        self.peak = _check_peak(peak)

    def derivative(self, x):
        scale = self.slope if self.peak is None else self.peak
        if _backend.may_write_in_place(x):
            # PyTorch's backward loop calls this at every step: in-place ops
            # on the one fresh tensor `abs(x)` cost about half as much as
            # out-of-place ones, which each allocate and wrap the Python
            # number into a tensor.
            denominator = abs(x).mul_(self.slope).add_(1.0)
            return denominator.square_().reciprocal_().mul_(scale)
        # Python operators: on eager backends they cost less than
        # keras.ops calls.
        denominator = 1.0 + self.slope * abs(x)
        return scale / (denominator * denominator)

    def get_config(self):
        return {"slope": self.slope, "peak": self.peak}


@register_surrogate("sigmoid")
class Sigmoid(Surrogate):
    """Logistic surrogate: `slope * sigmoid(slope*x) * (1 - sigmoid(slope*x))`.

    The derivative of `sigmoid(slope * x)`; it peaks at `slope / 4`. With
    `peak` set, the derivative is
    `4 * peak * sigmoid(slope*x) * (1 - sigmoid(slope*x))`: the same
    shape, scaled to peak at `peak`.

    Args:
        slope: float. Steepness of the sigmoid. Defaults to 25.
        peak: float or None. The derivative's value at `x = 0`, or None
            (the default) for `slope / 4`.
    """

    def __init__(self, slope=25.0, peak=None):
        self.slope = check_positive_number("slope", slope)
        self.peak = _check_peak(peak)

    def derivative(self, x):
        scale = self.slope if self.peak is None else 4.0 * self.peak
        s = ops.sigmoid(self.slope * x)
        return scale * s * (1.0 - s)

    def get_config(self):
        return {"slope": self.slope, "peak": self.peak}


@register_surrogate("atan")
class ATan(Surrogate):
    """Arctangent surrogate: `alpha / 2 / (1 + (pi/2 * alpha * x)**2)`.

    The derivative of `atan(pi/2 * alpha * x) / pi + 1/2`; it peaks at
    `alpha / 2`. With `peak` set, the derivative is
    `peak / (1 + (pi/2 * alpha * x)**2)`.

    Args:
        alpha: float. Steepness. Defaults to 2.
        peak: float or None. The derivative's value at `x = 0`, or None
            (the default) for `alpha / 2`.

    References:
        Fang et al., "Incorporating Learnable Membrane Time Constant to
        Enhance Learning of Spiking Neural Networks", ICCV 2021.
    """

    def __init__(self, alpha=2.0, peak=None):
        self.alpha = check_positive_number("alpha", alpha)
        self.peak = _check_peak(peak)

    def derivative(self, x):
        scale = self.alpha / 2.0 if self.peak is None else self.peak
        scaled = x * ((math.pi / 2.0) * self.alpha)
        if _backend.may_write_in_place(scaled):
            # In place on the fresh `scaled`, as in FastSigmoid: the
            # default surrogate of recurrent layers, on PyTorch's backward
            # loop.
            return scaled.square_().add_(1.0).reciprocal_().mul_(scale)
        return scale / (1.0 + scaled * scaled)

    def get_config(self):
        return {"alpha": self.alpha, "peak": self.peak}


@register_surrogate("triangular")
class Triangular(Surrogate):
    """Triangular surrogate: `max(0, 1 - |x|/width) / width`.

    A tent of half-width `width` and unit area, peaking at `1 / width`.
    With `peak` set, the derivative is `peak * max(0, 1 - |x|/width)`.

    Args:
        width: float. Half-width of the tent. Defaults to 1.
        peak: float or None. The derivative's value at `x = 0`, or None
            (the default) for `1 / width`.

    References:
        Bellec et al., "Long short-term memory and learning-to-learn in
        networks of spiking neurons", NeurIPS 2018.
    """

    def __init__(self, width=1.0, peak=None):
        self.width = check_positive_number("width", width)
        self.peak = _check_peak(peak)

    def derivative(self, x):
        tent = ops.relu(1.0 - ops.abs(x) / self.width)
        if self.peak is None:
            return tent / self.width
        return self.peak * tent

    def get_config(self):
        return {"width": self.width, "peak": self.peak}


@register_surrogate("straight_through")
class StraightThrough(Surrogate):
    """Straight-through estimator: derivative `1` everywhere.

    The backward pass treats the spike as the identity.

    References:
        Bengio, Leonard, Courville, "Estimating or Propagating Gradients
        Through Stochastic Neurons", arXiv:1308.3432, 2013.
    """

    def derivative(self, x):
        return ops.ones_like(x)


#: The default surrogate of recurrent layers (see `default`).
RECURRENT_DEFAULT = ATan(alpha=2.0)


def get(identifier):
    """Returns a surrogate from a name, a config dict or an instance.

    Args:
        identifier: str, dict, `Surrogate` or None. A registered name
            (`"fast_sigmoid"`, `"sigmoid"`, `"atan"`, `"triangular"`,
            `"straight_through"` or one added with `register_surrogate`),
            the output of `serialize`, or an instance. None gives the
            default `FastSigmoid()`.

    Returns:
        A `Surrogate` instance.
    """
    if identifier is None:
        return FastSigmoid()
    if isinstance(identifier, Surrogate):
        return identifier
    if isinstance(identifier, str):
        if identifier not in _REGISTRY:
            raise ValueError(
                f"Unknown surrogate {identifier!r}. Known surrogates: "
                f"{sorted(_REGISTRY)}. Received: surrogate={identifier!r}"
            )
        return _REGISTRY[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(
        "surrogate must be a registered name, a config dict or a Surrogate "
        "instance (plain functions and closures cannot be serialized). "
        f"Received: surrogate={identifier!r}"
    )


def default(recurrent=False):
    """The default surrogate of a neuron layer, for its `recurrent` option.

    - Without recurrence: `FastSigmoid(slope=25)`, whose derivative peaks
      at 25. With the reset detached, the gradient crosses at most one
      spike per layer on its way back, and this scale trains feed-forward
      stacks well (the digits and MNIST examples).
    - With recurrence: `RECURRENT_DEFAULT`, whose derivative peaks at 1.
      Through a recurrent kernel, the gradient is multiplied by about the
      derivative's peak at every step it flows back through the previous
      spikes: a peak of 25 makes it explode (1e11 to 1e23 after 100
      steps), a peak of 1 keeps it about as large as without recurrence.
      The choice was measured on MNIST-1D (see the concepts page).

    Args:
        recurrent: bool. Whether the layer is recurrent.

    Returns:
        A new `Surrogate` instance.
    """
    if not isinstance(recurrent, bool):
        raise TypeError(
            "recurrent must be True or False. "
            f"Received: recurrent={recurrent!r}"
        )
    if recurrent:
        return RECURRENT_DEFAULT.from_config(RECURRENT_DEFAULT.get_config())
    return FastSigmoid()


def serialize(surrogate):
    """Returns the Keras serialization config of a surrogate."""
    return keras.saving.serialize_keras_object(surrogate)


def deserialize(config):
    """Rebuilds a surrogate from the output of `serialize`."""
    surrogate = keras.saving.deserialize_keras_object(
        config,
        module_objects={cls.__name__: cls for cls in _REGISTRY.values()},
    )
    if not isinstance(surrogate, Surrogate):
        raise ValueError(
            f"The config does not describe a Surrogate. Received: {config!r}"
        )
    return surrogate


def surrogate_gradient(x, slope=25.0):
    """Hard 0/1 spikes forward, fast sigmoid derivative backward.

    Forward: `1.0` where `x > 0`, else `0.0`. Backward:
    `upstream * slope / (1 + slope*|x|)**2`. Shorthand for
    `FastSigmoid(slope)(x)`.

    Args:
        x: tensor. Membrane potential minus threshold.
        slope: float. Steepness of the surrogate. Defaults to 25.

    Returns:
        Spikes, a tensor of the same shape and dtype as `x`.

    Example:

    >>> keras_snn.surrogate_gradient(keras.ops.array([-0.5, 0.0, 0.2]))
    [0., 0., 1.]
    """
    return FastSigmoid(slope)(x)
