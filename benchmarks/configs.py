"""The benchmark configurations and their synthetic data, shared by all
workers so that every library trains on the same arrays."""

import numpy as np

# name: (input kind, input size, hidden sizes, output size, T, batch)
CONFIGS = {
    "S": ("static", 256, (128, 64), 10, 25, 128),
    "P": ("poisson", 784, (128, 64), 10, 25, 128),
    "L": ("spikes", 700, (256, 256), 20, 250, 32),
    "L1000": ("spikes", 700, (256, 256), 20, 1000, 32),
}
TAU = 2.0
THRESHOLD = 1.0
SLOPE = 25.0
LOGIT_SCALE = 10.0

# Training steps per timed round, the same for every library of a config.
# keras_snn runs them as one `fit` call, whose fixed setup cost (about 60
# ms on TensorFlow, which builds a tf.data pipeline) an epoch of a real
# dataset spreads over hundreds of steps; the other libraries run them in
# a loop. Timing a single step of a library that then waits for the next
# round would add the wake-up of an idle process (cold caches, sleeping
# thread pools) to its step alone. 50 steps, or as many as fit in 64 MB of
# inputs, but at least 10.
MIN_STEPS_PER_ROUND = 10
MAX_STEPS_PER_ROUND = 50
MAX_ROUND_INPUT_BYTES = 64 * 2**20


def describe(name):
    kind, n_in, hidden, n_out, steps, batch = CONFIGS[name]
    sizes = " -> ".join(str(s) for s in (n_in, *hidden, n_out))
    return f"{name}: {kind} {sizes}, T={steps}, batch={batch}"


def steps_per_round(name):
    """The number of training steps that one timed round runs."""
    kind, n_in, _, _, steps, batch = CONFIGS[name]
    nbytes = 4 * batch * n_in * (1 if kind == "static" else steps)
    return int(
        np.clip(
            MAX_ROUND_INPUT_BYTES // nbytes,
            MIN_STEPS_PER_ROUND,
            MAX_STEPS_PER_ROUND,
        )
    )


def make_batch(name, seed=0):
    """Returns `(x, y)` for one training step of config `name`.

    Static inputs are `[batch, in]` (repeated over T by the model);
    spike inputs are `[batch, T, in]` float32 0/1 arrays.
    """
    kind, n_in, _, n_out, steps, batch = CONFIGS[name]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, n_out, size=batch).astype(np.int32)
    if kind == "static":
        x = rng.uniform(0, 1, size=(batch, n_in)).astype(np.float32)
    else:
        rate = 0.2 if kind == "poisson" else 0.05
        x = (rng.uniform(size=(batch, steps, n_in)) < rate).astype(np.float32)
    return x, y
