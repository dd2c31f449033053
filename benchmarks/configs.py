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


def describe(name):
    kind, n_in, hidden, n_out, steps, batch = CONFIGS[name]
    sizes = " -> ".join(str(s) for s in (n_in, *hidden, n_out))
    return f"{name}: {kind} {sizes}, T={steps}, batch={batch}"


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
