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

    def make_model():
        keras.utils.set_random_seed(0)
        model = keras_snn.build(input_size=16, hidden_sizes=[32],
                                output_size=4, num_timesteps=8)
        model.compile(keras.optimizers.SGD(0.5), "mse")
        return model

    def train(model):
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 2, size=(8, 16)).astype("float32")
        y = np.eye(4, dtype="float32")[rng.integers(0, 4, size=8)]
        model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)
        return [keras.ops.convert_to_numpy(w) for w in model.weights]
    """
)

SCRIPTS = {
    "jax": COMMON
    + textwrap.dedent(
        """
        import jax
        assert len(jax.devices()) == 2, jax.devices()
        single = train(make_model())
        keras.distribution.set_distribution(
            keras.distribution.DataParallel(devices=jax.devices()))
        parallel = train(make_model())
        np.savez(sys.argv[1], *single, *parallel)
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
        single = train(make_model())
        strategy = tf.distribute.MirroredStrategy(devices)
        with strategy.scope():
            model = make_model()
        assert model.distribute_strategy is strategy
        parallel = train(model)
        np.savez(sys.argv[1], *single, *parallel)
        """
    ),
}


def test_two_devices_train_like_one(tmp_path):
    out = tmp_path / "weights.npz"
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
    half = len(arrays) // 2
    single, parallel = arrays[:half], arrays[half:]
    assert half == 4  # kernel and bias of two LIF layers
    initial = make_initial_weights()
    for before, one, two in zip(initial, single, parallel, strict=True):
        assert not np.allclose(one, before), "training changed nothing"
        np.testing.assert_allclose(two, one, rtol=1e-5, atol=1e-5)


def make_initial_weights():
    import keras_snn

    keras.utils.set_random_seed(0)
    model = keras_snn.build(
        input_size=16, hidden_sizes=[32], output_size=4, num_timesteps=8
    )
    return [keras.ops.convert_to_numpy(w) for w in model.weights]
