import keras
import numpy as np
import pytest

import keras_snn
from keras_snn.losses import RateCrossEntropy
from keras_snn.losses import RateMSE
from keras_snn.losses import SparseRateCrossEntropy
from tests.helpers import assert_config_round_trip
from tests.helpers import to_numpy

RNG = np.random.default_rng(0)
RATES = RNG.integers(0, 26, size=(6, 5)).astype(np.float32) / 25.0
LABELS = np.array([0, 4, 2, 2, 1, 3])


def numpy_rate_cross_entropy(labels, rates, scale, label_smoothing=0.0):
    logits = scale * np.asarray(rates, np.float64)
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    num_classes = logits.shape[-1]
    targets = np.eye(num_classes)[labels] * (1 - label_smoothing)
    targets += label_smoothing / num_classes
    return -(targets * log_probs).sum(axis=-1)


def numpy_rate_mse(labels, rates, correct, incorrect):
    target = np.full(rates.shape, incorrect, np.float64)
    target[np.arange(len(labels)), labels] = correct
    return ((np.asarray(rates, np.float64) - target) ** 2).mean(axis=-1)


@pytest.mark.parametrize("scale", [5.0, 1.0, 12.5])
def test_sparse_rate_cross_entropy_matches_numpy(scale):
    loss = SparseRateCrossEntropy(scale=scale)
    expected = numpy_rate_cross_entropy(LABELS, RATES, scale)
    np.testing.assert_allclose(
        to_numpy(loss(LABELS, RATES)), expected.mean(), rtol=1e-5, atol=1e-6
    )
    per_sample = SparseRateCrossEntropy(scale=scale, reduction=None)
    np.testing.assert_allclose(
        to_numpy(per_sample(LABELS, RATES)), expected, rtol=1e-5, atol=1e-6
    )
    # Labels as Keras often hands them over: float, shape [batch, 1].
    np.testing.assert_allclose(
        to_numpy(per_sample(LABELS[:, None].astype("float32"), RATES)),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )


def test_default_scale_value():
    # -log(softmax([1, 3])[1]) = log(1 + e**-2)
    loss = SparseRateCrossEntropy()
    assert loss.scale == 5.0 and RateCrossEntropy().scale == 5.0
    np.testing.assert_allclose(
        to_numpy(loss([1], [[0.2, 0.6]])),
        np.log1p(np.exp(-2.0)),
        rtol=1e-5,
        atol=1e-6,
    )


def test_rate_cross_entropy_matches_sparse_and_numpy():
    one_hot = np.eye(5, dtype=np.float32)[LABELS]
    expected = numpy_rate_cross_entropy(LABELS, RATES, 5.0)
    np.testing.assert_allclose(
        to_numpy(RateCrossEntropy(reduction=None)(one_hot, RATES)),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )
    np.testing.assert_allclose(
        to_numpy(RateCrossEntropy()(one_hot, RATES)),
        to_numpy(SparseRateCrossEntropy()(LABELS, RATES)),
        rtol=1e-6,
    )


@pytest.mark.parametrize("label_smoothing", [0.1, 0.3])
def test_label_smoothing_matches_numpy(label_smoothing):
    expected = numpy_rate_cross_entropy(LABELS, RATES, 5.0, label_smoothing)
    sparse = SparseRateCrossEntropy(
        label_smoothing=label_smoothing, reduction=None
    )
    np.testing.assert_allclose(
        to_numpy(sparse(LABELS, RATES)), expected, rtol=1e-5, atol=1e-6
    )
    dense = RateCrossEntropy(label_smoothing=label_smoothing, reduction=None)
    one_hot = np.eye(5, dtype=np.float32)[LABELS]
    np.testing.assert_allclose(
        to_numpy(dense(one_hot, RATES)), expected, rtol=1e-5, atol=1e-6
    )


def test_rate_cross_entropy_soft_labels():
    soft = np.full((6, 5), 0.02, np.float32)
    soft[np.arange(6), LABELS] = 0.92
    logits = 5.0 * RATES.astype(np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
    expected = -(soft * log_probs).sum(axis=-1)
    np.testing.assert_allclose(
        to_numpy(RateCrossEntropy(reduction=None)(soft, RATES)),
        expected,
        rtol=1e-5,
        atol=1e-6,
    )


@pytest.mark.parametrize("correct, incorrect", [(0.8, 0.2), (1.0, 0.0)])
def test_rate_mse_matches_numpy(correct, incorrect):
    loss = RateMSE(correct_rate=correct, incorrect_rate=incorrect)
    expected = numpy_rate_mse(LABELS, RATES, correct, incorrect)
    np.testing.assert_allclose(
        to_numpy(loss(LABELS, RATES)), expected.mean(), rtol=1e-5, atol=1e-6
    )


def test_rate_mse_example_and_sample_weight():
    loss = RateMSE(correct_rate=1.0, incorrect_rate=0.0)
    np.testing.assert_allclose(to_numpy(loss([1], [[0.5, 0.5]])), 0.25)
    # Weighted "sum_over_batch_size": sum(w * loss) / batch.
    per_sample = numpy_rate_mse(
        [1, 0], np.array([[0.5, 0.5], [1.0, 0.0]]), 1, 0
    )
    np.testing.assert_allclose(
        to_numpy(loss([1, 0], [[0.5, 0.5], [1.0, 0.0]], sample_weight=[2, 1])),
        (2 * per_sample[0] + per_sample[1]) / 2,
    )


@pytest.mark.parametrize(
    "loss",
    [
        SparseRateCrossEntropy(scale=7.0, label_smoothing=0.2, name="ce"),
        RateCrossEntropy(scale=2.5, reduction="sum"),
        RateMSE(correct_rate=0.9, incorrect_rate=0.1),
    ],
)
def test_config_round_trip(loss):
    restored = assert_config_round_trip(loss)
    assert restored.get_config() == loss.get_config()


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: SparseRateCrossEntropy(scale=0.0), ValueError, "scale=0.0"),
        (lambda: RateCrossEntropy(scale="10"), TypeError, "scale='10'"),
        (lambda: RateMSE(correct_rate=1.5), ValueError, "correct_rate=1.5"),
        (
            lambda: SparseRateCrossEntropy(label_smoothing=1.0),
            ValueError,
            "label_smoothing=1.0",
        ),
        (
            lambda: RateCrossEntropy(label_smoothing=None),
            TypeError,
            "label_smoothing=None",
        ),
        (
            lambda: RateMSE(incorrect_rate=-0.1),
            ValueError,
            "incorrect_rate=-0.1",
        ),
        (
            lambda: RateMSE(correct_rate=0.2, incorrect_rate=0.2),
            ValueError,
            "correct_rate=0.2, incorrect_rate=0.2",
        ),
    ],
)
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize("loss_class", [SparseRateCrossEntropy, RateMSE])
@pytest.mark.parametrize(
    "labels, match",
    [
        ([0, 5], r"y_true=5.0 at index \(1,\)"),
        ([-1, 2], r"y_true=-1.0 at index \(0,\)"),
        ([0.5, 2], r"y_true=0.5 at index \(0,\)"),
    ],
)
def test_bad_labels_raise_when_values_are_known(loss_class, labels, match):
    rates = np.full((2, 5), 0.5, np.float32)
    with pytest.raises(ValueError, match=match):
        loss_class()(np.asarray(labels), rates)


@pytest.mark.parametrize("loss_class", [SparseRateCrossEntropy, RateMSE])
def test_bad_labels_give_nan_in_compiled_functions(loss_class):
    loss = loss_class(reduction=None)
    labels = np.array([1.0, 7.0, 2.0], np.float32)
    rates = np.full((3, 5), 0.5, np.float32)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        losses = tf.function(loss)(labels, rates).numpy()
    elif backend == "jax":
        import jax

        losses = np.asarray(jax.jit(loss)(labels, rates))
    else:
        pytest.skip("PyTorch runs eagerly: labels are always checked.")
    assert np.isnan(losses[1])
    assert np.isfinite(losses[[0, 2]]).all()


def test_one_hot_label_checks():
    rates = np.full((2, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match=r"y_true=2.0 at index \(1, 0\)"):
        RateCrossEntropy()(np.array([[0, 1, 0], [2, 0, 0]], "float32"), rates)
    with pytest.raises(ValueError, match=r"summing to 0.0 at index \(0,\)"):
        RateCrossEntropy()(np.array([[0, 0, 0], [1, 0, 0]], "float32"), rates)


def test_label_shape_checks():
    rates = np.full((2, 3), 0.5, np.float32)
    with pytest.raises(ValueError, match="use RateCrossEntropy"):
        SparseRateCrossEntropy()(np.eye(3, dtype="float32")[:2], rates)
    with pytest.raises(ValueError, match="use SparseRateCrossEntropy"):
        RateCrossEntropy()(np.array([0, 1]), rates)


def test_gradient_pushes_true_class_up():
    rates = keras.Variable(np.full((1, 3), 0.5, np.float32))
    for loss in (SparseRateCrossEntropy(), RateMSE()):
        backend = keras.backend.backend()
        if backend == "tensorflow":
            import tensorflow as tf

            with tf.GradientTape() as tape:
                value = loss([2], rates)
            grad = tape.gradient(value, rates.value).numpy()
        elif backend == "jax":
            import jax

            grad = np.asarray(
                jax.grad(lambda r, f=loss: f([2], r))(rates.value)
            )
        else:
            import torch

            value = torch.tensor(np.full((1, 3), 0.5, np.float32))
            value.requires_grad_(True)
            loss([2], value).backward()
            grad = value.grad.numpy()
        # Softmax CE: scale * (softmax - one_hot); MSE: 2 (r - t) / K.
        if isinstance(loss, SparseRateCrossEntropy):
            expected = 5.0 * (np.full(3, 1 / 3) - [0, 0, 1])
        else:
            expected = 2 * (0.5 - np.array([0.2, 0.2, 0.8])) / 3
        np.testing.assert_allclose(grad[0], expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "loss, labels, metric",
    [
        (SparseRateCrossEntropy(), "sparse", "accuracy"),
        (RateMSE(), "sparse", keras.metrics.SparseCategoricalAccuracy()),
        (RateCrossEntropy(), "one_hot", "accuracy"),
        (RateCrossEntropy(), "one_hot", keras.metrics.CategoricalAccuracy()),
    ],
)
def test_keras_accuracy_metrics_on_rates(loss, labels, metric):
    # A fixed model whose output is a known table of rates.
    rates = np.array(
        [[0.8, 0.1, 0.0], [0.2, 0.4, 0.6], [0.0, 0.3, 0.1], [0.5, 0.4, 0.9]],
        np.float32,
    )
    y = np.array([0, 2, 0, 1])  # right, right, wrong, wrong
    if labels == "one_hot":
        y = np.eye(3, dtype=np.float32)[y]
    model = keras.Sequential(
        [keras.Input((3,)), keras.layers.Identity(dtype="float32")]
    )
    model.compile(loss=loss, metrics=[metric])
    results = model.evaluate(rates, y, verbose=0, return_dict=True)
    accuracy = [v for k, v in results.items() if "accuracy" in k]
    assert accuracy == [pytest.approx(0.5)]
    if isinstance(loss, RateCrossEntropy):
        expected = numpy_rate_cross_entropy([0, 2, 0, 1], rates, 5.0).mean()
        assert results["loss"] == pytest.approx(expected, rel=1e-5)


def test_training_a_built_model_with_each_loss():
    x = RNG.uniform(size=(64, 6)).astype(np.float32)
    y = (x[:, 0] > x[:, 1]).astype("int32")
    for loss in (SparseRateCrossEntropy(), RateMSE()):
        keras.utils.set_random_seed(0)
        model = keras_snn.build(
            input_size=6, hidden_sizes=[16], output_size=2, num_timesteps=8
        )
        model.compile(keras.optimizers.Adam(1e-2), loss, metrics=["accuracy"])
        history = model.fit(x, y, epochs=8, batch_size=16, verbose=0).history
        assert history["loss"][-1] < history["loss"][0]
        assert np.isfinite(history["loss"]).all()


def test_saved_model_keeps_the_loss(tmp_path):
    model = keras_snn.build(
        input_size=4, hidden_sizes=[5], output_size=3, num_timesteps=4
    )
    model.compile(
        keras.optimizers.Adam(), RateMSE(correct_rate=0.7, incorrect_rate=0.1)
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert isinstance(loaded.loss, RateMSE)
    assert loaded.loss.correct_rate == 0.7
