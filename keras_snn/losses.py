"""Losses on firing rates, the outputs of spiking classifiers.

A classifier from `keras_snn.build()` outputs one firing rate in [0, 1]
per class. These losses train such rates against class labels:

- `RateCrossEntropy` (one-hot labels) and `SparseRateCrossEntropy`
  (integer labels): softmax cross-entropy on `scale * rates`.
- `RateMSE` (integer labels): mean squared error between the rates and
  target rates, high for the true class and low for the others.

Keras' accuracy metrics (`"accuracy"`, `SparseCategoricalAccuracy`,
`CategoricalAccuracy`) work on rates unchanged: they take the argmax.

Label checks: where label values are known when the loss runs (PyTorch,
and TensorFlow or JAX run eagerly), invalid labels raise a `ValueError`
naming the value. Inside a compiled function (`fit`, `evaluate` on
TensorFlow and JAX by default) values are unknown when the graph is built
and raising would need a host round trip at every step, so there the loss
of a sample with an invalid integer label is NaN instead: the loss shown
by `fit` becomes NaN and `keras.callbacks.TerminateOnNaN` stops training.
"""

import keras
import numpy as np
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.validation import check_positive_number
from keras_snn.validation import check_range
from keras_snn.validation import concrete_values
from keras_snn.validation import first_index


def _tensors(y_true, y_pred):
    # Loss.__call__ converts only the leaves of nested lists.
    y_pred = ops.convert_to_tensor(y_pred)
    return ops.convert_to_tensor(y_true, y_pred.dtype), y_pred


def _check_rank(name, y_pred):
    if len(y_pred.shape) < 2 or y_pred.shape[-1] is None:
        raise ValueError(
            f"{name} expects rates of shape [batch, num_classes] with a "
            f"known number of classes. Received: "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    return y_pred.shape[-1]


def _sparse_labels(name, y_true, y_pred):
    """Integer class labels and a mask of the valid ones.

    Accepts labels of shape `[batch]` or `[batch, 1]`, of any numeric dtype
    (Keras hands losses float labels). Returns `(labels, valid)`: int32
    labels with invalid entries replaced by 0, and a boolean mask.
    """
    num_classes = _check_rank(name, y_pred)
    if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == 1:
        y_true = ops.squeeze(y_true, axis=-1)
    if len(y_true.shape) != len(y_pred.shape) - 1:
        raise ValueError(
            f"{name} expects integer labels of shape [batch] or "
            "[batch, 1] (use RateCrossEntropy for one-hot labels). "
            f"Received: y_true.shape={tuple(y_true.shape)} for "
            f"y_pred.shape={tuple(y_pred.shape)}"
        )
    values = concrete_values(y_true)
    if values is not None:
        integer = values == np.round(values)
        bad = ~((values >= 0) & (values < num_classes) & integer)
        if bad.any():
            raise ValueError(
                "y_true must hold integer class labels in [0, "
                f"{num_classes}). Received: y_true="
                f"{values[bad].flat[0].item()!r} at index "
                f"{first_index(bad)}"
            )
    y_true = ops.cast(y_true, y_pred.dtype)
    valid = ops.logical_and(
        ops.logical_and(y_true >= 0, y_true < num_classes),
        ops.equal(y_true, ops.round(y_true)),
    )
    labels = ops.cast(ops.where(valid, y_true, 0), "int32")
    return labels, valid


def _nan_where_invalid(losses, valid):
    return ops.where(valid, losses, ops.cast(float("nan"), losses.dtype))


class _ScaledRateLoss(keras.losses.Loss):
    """Shared options of the cross-entropies on `scale * rates`."""

    def __init__(self, *, scale, label_smoothing, reduction, name, dtype):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.scale = check_positive_number("scale", scale)
        self.label_smoothing = check_range(
            "label_smoothing", label_smoothing, 0.0, 1.0, high_open=True
        )

    def get_config(self):
        return {
            **super().get_config(),
            "scale": self.scale,
            "label_smoothing": self.label_smoothing,
        }


@keras_snn_export
class RateCrossEntropy(_ScaledRateLoss):
    """Softmax cross-entropy on scaled firing rates, for one-hot labels.

    Per sample, with rates `r` (one per class) and label distribution `y`:

    ```
    loss = -sum_k y_k * log(softmax(scale * r)_k)
    ```

    Why `scale`: rates lie in [0, 1], so as raw logits they give an
    almost flat softmax. Even a perfect output (rate 1 for the true class,
    0 for the other nine) gives the true class only `e / (e + 9) = 23 %`
    probability, so the loss never settles and keeps pushing every rate
    to an extreme. Multiplying by `scale` lets the softmax reach confident
    predictions at reachable rates: with the default 5, the full margin
    gives the true class `e**5 / (e**5 + 9) = 94 %` of ten classes, and a
    margin of 0.5 gives 57 %. A larger scale saturates the softmax on the
    training set sooner; on the scikit-learn digits
    (`examples/train_digits.py`, 30 epochs) scale 5 generalized best among
    3, 4, 5, 7, 10 and 20 (see `docs/encoders_and_losses.md`).

    `label_smoothing` replaces the targets by
    `y * (1 - label_smoothing) + label_smoothing / num_classes`, as in
    Keras' cross-entropy losses.

    Labels are checked when their values are known (see
    `keras_snn.losses`): each must lie in [0, 1] and each row must sum
    to 1 (one-hot or a probability distribution, such as smoothed
    labels). Inside compiled functions they are used as given.

    Args:
        scale: float > 0. Logit scale applied to the rates. Defaults to 5.
        label_smoothing: float in [0, 1). Defaults to 0.
        reduction: str. Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        name: str. Defaults to `"rate_cross_entropy"`.
        dtype: dtype of the computation. Defaults to `floatx()`.

    Call arguments:
        y_true: one-hot labels, `[batch, num_classes]`.
        y_pred: firing rates, `[batch, num_classes]`.
        sample_weight: optional weights, `[batch]`.

    Returns:
        The reduced loss (a scalar with the default reduction).

    Example:

    ```python
    loss = keras_snn.losses.RateCrossEntropy()
    loss([[0.0, 1.0]], [[0.2, 0.6]])  # -log(softmax([1, 3])[1]) = 0.127
    ```
    """

    def __init__(
        self,
        *,
        scale=5.0,
        label_smoothing=0.0,
        reduction="sum_over_batch_size",
        name="rate_cross_entropy",
        dtype=None,
    ):
        super().__init__(
            scale=scale,
            label_smoothing=label_smoothing,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )

    def call(self, y_true, y_pred):
        y_true, y_pred = _tensors(y_true, y_pred)
        _check_rank(type(self).__name__, y_pred)
        if tuple(y_true.shape) != tuple(y_pred.shape):
            raise ValueError(
                f"{type(self).__name__} expects one-hot labels of the shape "
                "of the rates (use SparseRateCrossEntropy for integer "
                f"labels). Received: y_true.shape={tuple(y_true.shape)} for "
                f"y_pred.shape={tuple(y_pred.shape)}"
            )
        values = concrete_values(y_true)
        if values is not None:
            _check_distributions(values)
        y_true = _smooth(y_true, self.label_smoothing)
        log_probs = ops.log_softmax(self.scale * y_pred, axis=-1)
        return -ops.sum(y_true * log_probs, axis=-1)


def _check_distributions(values):
    bad = ~((values >= 0) & (values <= 1))
    if bad.any():
        raise ValueError(
            "y_true must hold one-hot labels or probabilities in [0, 1]. "
            f"Received: y_true={values[bad].flat[0].item()!r} at index "
            f"{first_index(bad)}"
        )
    sums = values.sum(axis=-1)
    bad = ~(np.abs(sums - 1.0) <= 1e-3)
    if bad.any():
        raise ValueError(
            "Each row of y_true must sum to 1 (one-hot labels or a "
            f"probability distribution). Received: a row summing to "
            f"{sums[bad].flat[0].item()!r} at index "
            f"{first_index(bad)}"
        )


@keras_snn_export
class SparseRateCrossEntropy(_ScaledRateLoss):
    """Softmax cross-entropy on scaled firing rates, for integer labels.

    Per sample, with rates `r` (one per class) and label `c`:

    ```
    loss = -log(softmax(scale * r)_c)
         = logsumexp(scale * r) - scale * r_c
    ```

    It equals `RateCrossEntropy` on one-hot labels; see there why rates
    are scaled, how the default `scale=5` was chosen, and how
    `label_smoothing` changes the targets.

    Labels must be integers in `[0, num_classes)`, of shape `[batch]` or
    `[batch, 1]`. An invalid label raises a `ValueError` where label values
    are known, and gives that sample a NaN loss inside compiled functions
    (see `keras_snn.losses`).

    Args:
        scale: float > 0. Logit scale applied to the rates. Defaults to 5.
        label_smoothing: float in [0, 1). Defaults to 0.
        reduction: str. Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        name: str. Defaults to `"sparse_rate_cross_entropy"`.
        dtype: dtype of the computation. Defaults to `floatx()`.

    Call arguments:
        y_true: integer labels, `[batch]` or `[batch, 1]`.
        y_pred: firing rates, `[batch, num_classes]`.
        sample_weight: optional weights, `[batch]`.

    Returns:
        The reduced loss (a scalar with the default reduction).

    Example:

    ```python
    model = keras_snn.build(input_size=64, output_size=10)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras_snn.losses.SparseRateCrossEntropy(),
        metrics=["accuracy"],
    )
    ```
    """

    def __init__(
        self,
        *,
        scale=5.0,
        label_smoothing=0.0,
        reduction="sum_over_batch_size",
        name="sparse_rate_cross_entropy",
        dtype=None,
    ):
        super().__init__(
            scale=scale,
            label_smoothing=label_smoothing,
            reduction=reduction,
            name=name,
            dtype=dtype,
        )

    def call(self, y_true, y_pred):
        y_true, y_pred = _tensors(y_true, y_pred)
        labels, valid = _sparse_labels(type(self).__name__, y_true, y_pred)
        log_probs = ops.log_softmax(self.scale * y_pred, axis=-1)
        one_hot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
        one_hot = _smooth(one_hot, self.label_smoothing)
        return _nan_where_invalid(-ops.sum(one_hot * log_probs, axis=-1), valid)


@keras_snn_export
class RateMSE(keras.losses.Loss):
    """Mean squared error between firing rates and target rates.

    The target rate is `correct_rate` for the true class and
    `incorrect_rate` for every other class. Per sample, with rates `r`
    over `K` classes and label `c`:

    ```
    target_k = correct_rate if k == c else incorrect_rate
    loss = mean_k (r_k - target_k) ** 2
    ```

    This is snnTorch's `mse_count_loss` on rates instead of spike counts:
    with `T` timesteps, snnTorch's value is `T**2` times this one. A target
    below 1 for the true class and above 0 for the others keeps every
    output neuron firing, in the range where surrogate gradients flow,
    and gives the loss a finite optimum. On the scikit-learn digits it
    generalized better than the cross-entropies, which drive the wrong
    classes' neurons silent (see `docs/encoders_and_losses.md` for the
    measurements).

    Labels must be integers in `[0, num_classes)`, as for
    `SparseRateCrossEntropy`, with the same checks.

    Args:
        correct_rate: float in [0, 1]. Target rate of the true class.
            Defaults to 0.8.
        incorrect_rate: float in [0, 1], below `correct_rate`. Target rate
            of the other classes. Defaults to 0.2.
        reduction: str. Keras loss reduction. Defaults to
            `"sum_over_batch_size"`.
        name: str. Defaults to `"rate_mse"`.
        dtype: dtype of the computation. Defaults to `floatx()`.

    Call arguments:
        y_true: integer labels, `[batch]` or `[batch, 1]`.
        y_pred: firing rates, `[batch, num_classes]`.
        sample_weight: optional weights, `[batch]`.

    Returns:
        The reduced loss (a scalar with the default reduction).

    Example:

    ```python
    loss = keras_snn.losses.RateMSE(correct_rate=1.0, incorrect_rate=0.0)
    loss([1], [[0.5, 0.5]])  # ((0.5 - 0)**2 + (0.5 - 1)**2) / 2 = 0.25
    ```

    References:
        Eshraghian et al., "Training Spiking Neural Networks Using Lessons
        From Deep Learning", Proceedings of the IEEE 111(9), 2023 (snnTorch).
    """

    def __init__(
        self,
        *,
        correct_rate=0.8,
        incorrect_rate=0.2,
        reduction="sum_over_batch_size",
        name="rate_mse",
        dtype=None,
    ):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.correct_rate = check_range("correct_rate", correct_rate, 0.0, 1.0)
        self.incorrect_rate = check_range(
            "incorrect_rate", incorrect_rate, 0.0, 1.0
        )
        if not self.incorrect_rate < self.correct_rate:
            raise ValueError(
                "incorrect_rate must be below correct_rate. Received: "
                f"correct_rate={correct_rate!r}, "
                f"incorrect_rate={incorrect_rate!r}"
            )

    def call(self, y_true, y_pred):
        y_true, y_pred = _tensors(y_true, y_pred)
        labels, valid = _sparse_labels(type(self).__name__, y_true, y_pred)
        one_hot = ops.one_hot(labels, y_pred.shape[-1], dtype=y_pred.dtype)
        target = (
            self.incorrect_rate
            + (self.correct_rate - self.incorrect_rate) * one_hot
        )
        losses = ops.mean(ops.square(y_pred - target), axis=-1)
        return _nan_where_invalid(losses, valid)

    def get_config(self):
        return {
            **super().get_config(),
            "correct_rate": self.correct_rate,
            "incorrect_rate": self.incorrect_rate,
        }


def _smooth(y_true, label_smoothing):
    # Keras' convention: y * (1 - e) + e / num_classes.
    if not label_smoothing:
        return y_true
    num_classes = y_true.shape[-1]
    return y_true * (1.0 - label_smoothing) + label_smoothing / num_classes
