"""Test helpers on the public API: gradients and serialization checks."""

import json
import os

import keras
import numpy as np

import keras_snn

# Cross-backend checks run in a subprocess of one other backend each: every
# backend's run saves for the next backend in this cycle and loads what the
# previous one saved, so the three runs cover all six ordered pairs with two
# subprocesses each (a subprocess costs a backend's start-up, 10-20 s).
BACKEND_CYCLE = ("tensorflow", "jax", "torch")


# The neuron layers, by the names tests/reference.py gives their models.
NEURON_LAYERS = {
    "li": keras_snn.LI,
    "lif": keras_snn.LIF,
    "if": keras_snn.IF,
    "synaptic": keras_snn.SynapticLIF,
    "adaptive": keras_snn.AdaptiveLIF,
}


def next_backend():
    """The backend after this process's in `BACKEND_CYCLE`."""
    i = BACKEND_CYCLE.index(keras.backend.backend())
    return BACKEND_CYCLE[(i + 1) % len(BACKEND_CYCLE)]


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def gradients(fn, *args):
    """Gradients of `sum(fn(*args))` w.r.t. each arg, by backend autodiff."""
    args = [np.asarray(a, np.float32) for a in args]
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.constant(a) for a in args]
        with tf.GradientTape() as tape:
            for tensor in tensors:
                tape.watch(tensor)
            total = tf.reduce_sum(fn(*tensors))
        return [g.numpy() for g in tape.gradient(total, tensors)]
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        grad_fn = jax.grad(
            lambda *a: jnp.sum(fn(*a)), argnums=tuple(range(len(args)))
        )
        return [np.asarray(g) for g in grad_fn(*[jnp.asarray(a) for a in args])]
    if backend == "torch":
        import torch

        tensors = [torch.tensor(a, requires_grad=True) for a in args]
        fn(*tensors).sum().backward()
        return [t.grad.numpy() for t in tensors]
    raise NotImplementedError(backend)


def assert_config_round_trip(layer):
    """`from_config(get_config())` and a JSON round trip keep the config."""
    config = layer.get_config()
    rebuilt = type(layer).from_config(config)
    assert rebuilt.get_config() == config
    serialized = json.dumps(keras.saving.serialize_keras_object(layer))
    restored = keras.saving.deserialize_keras_object(json.loads(serialized))
    assert type(restored) is type(layer)
    assert restored.get_config() == config
    return restored


def assert_saved_model_round_trip(model, inputs, tmp_path):
    """Saves `.keras`, loads with `safe_mode=True`, compares predictions."""
    path = os.path.join(str(tmp_path), "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True, compile=False)
    np.testing.assert_array_equal(
        to_numpy(loaded(inputs)), to_numpy(model(inputs))
    )
    return loaded


def write_npz(path, arrays, overrides):
    """Writes `arrays` updated with `overrides` (where None leaves an
    array out) to the `.npz` file `path`; returns the arrays written."""
    arrays = {**arrays, **overrides}
    arrays = {k: v for k, v in arrays.items() if v is not None}
    np.savez(path, **arrays)
    return arrays
