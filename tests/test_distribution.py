"""One data-parallel training step on two virtual CPU devices equals one
device.

Devices must be configured before the backend starts, so each check runs
in a fresh process.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKEND = keras.backend.backend()

pytestmark = pytest.mark.skipif(
    BACKEND == "torch",
    reason="Keras' multi-device APIs used here (keras.distribution, "
    "tf.distribute) exist for JAX and TensorFlow only",
)

COMMON = textwrap.dedent(
    """
    import sys
    import numpy as np
    import keras
    import keras_snn

    def make_model(regularized=False):
        keras.utils.set_random_seed(0)
        model = keras_snn.build(input_size=16, hidden_sizes=[32],
                                output_size=4, num_timesteps=8)
        if regularized:
            model.get_layer("lif_0").activity_regularizer = (
                keras_snn.regularizers.FiringRate(target=0.05, strength=50))
        model.compile(keras.optimizers.SGD(0.5), "mse")
        return model

    def data():
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 2, size=(8, 16)).astype("float32")
        x[:4] *= 0.1  # dim samples: the rates differ between the halves
        y = np.eye(4, dtype="float32")[rng.integers(0, 4, size=8)]
        return x, y

    def train(model):
        x, y = data()
        history = model.fit(x, y, batch_size=8, epochs=1, verbose=0,
                            shuffle=False)
        weights = [keras.ops.convert_to_numpy(w) for w in model.weights]
        return [np.float32(history.history["loss"][0]), *weights]

    def penalty():
        model = make_model(regularized=True)
        model(data()[0], training=True)
        return [keras.ops.convert_to_numpy(model.losses[0])]

    def run(make_parallel):
        single = train(make_model())
        single_reg = train(make_model(regularized=True))
        parallel = train(make_parallel(False))
        parallel_reg = train(make_parallel(True))
        np.savez(sys.argv[1], *single, *parallel, *single_reg,
                 *parallel_reg, *penalty())
    """
)

SCRIPTS = {
    "jax": COMMON
    + textwrap.dedent(
        """
        import jax
        assert len(jax.devices()) == 2, jax.devices()

        def make_parallel(regularized):
            keras.distribution.set_distribution(
                keras.distribution.DataParallel(devices=jax.devices()))
            return make_model(regularized)

        run(make_parallel)
        """
    ),
    "tensorflow": COMMON
    + textwrap.dedent(
        """
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        assert len(devices) == 2, devices
        strategy = tf.distribute.MirroredStrategy(devices)

        def make_parallel(regularized):
            with strategy.scope():
                model = make_model(regularized)
            assert model.distribute_strategy is strategy
            return model

        run(make_parallel)
        """
    ),
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Losses and weights after one step on one device and on two, without
    and with a FiringRate penalty: a dict of `[loss, *weights]` lists, and
    the penalty at the initial weights."""
    out = tmp_path_factory.mktemp("distribution") / "weights.npz"
    env = {
        **os.environ,
        "KERAS_BACKEND": BACKEND,
        "PYTHONPATH": REPO,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=2",
    }
    subprocess.run(
        [sys.executable, "-c", SCRIPTS[BACKEND], str(out)],
        env=env,
        check=True,
        capture_output=True,
    )
    arrays = list(np.load(out).values())
    size = (len(arrays) - 1) // 4
    runs = [arrays[i * size : (i + 1) * size] for i in range(4)]
    names = ["single", "parallel", "single_reg", "parallel_reg"]
    return dict(zip(names, runs, strict=True)), float(arrays[-1])


def test_two_devices_train_like_one(trained):
    runs, _ = trained
    single, parallel = runs["single"], runs["parallel"]
    assert len(single) == 5  # the loss, kernel and bias of two LIF layers
    np.testing.assert_allclose(parallel[0], single[0], rtol=1e-5)
    initial = make_initial_weights()
    for before, one, two in zip(initial, single[1:], parallel[1:], strict=True):
        assert not np.allclose(one, before), "training changed nothing"
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-5)


def test_firing_rate_penalty_is_on_the_global_batch(trained):
    # FiringRate judges the rates of the global batch: under MirroredStrategy
    # its spike counts are summed over the replicas (each replica used to
    # penalize the rates of its half-batch: weights off by up to 2.4).
    runs, penalty = trained
    single, parallel = runs["single_reg"], runs["parallel_reg"]
    assert penalty > 0.1
    for one, two in zip(single[1:], parallel[1:], strict=True):
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-5)
    assert not np.allclose(single[1], runs["single"][1])
    # The loss fit reports: on JAX, the one-device loss. Under
    # MirroredStrategy, Keras keeps a layer's losses in one list shared by
    # the replica threads; the all-reduce lets the second replica append
    # its penalty after the first one's, and count both (see
    # docs/distributed.md). The gradients are not affected.
    extra = 0.5 * penalty if BACKEND == "tensorflow" else 0.0
    np.testing.assert_allclose(parallel[0], single[0] + extra, rtol=1e-5)


def make_initial_weights():
    import keras_snn

    keras.utils.set_random_seed(0)
    model = keras_snn.build(
        input_size=16, hidden_sizes=[32], output_size=4, num_timesteps=8
    )
    return [keras.ops.convert_to_numpy(w) for w in model.weights]
