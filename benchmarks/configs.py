"""The benchmark configurations and their synthetic data, shared by all
workers so that every library trains on the same arrays."""

from typing import NamedTuple

import numpy as np


class Config(NamedTuple):
    """One benchmark network and its input.

    `model` names the network that every library builds:

    - `"lif"`: a stack of LIF layers, one per size of `hidden` and
      `n_out`; logits are `LOGIT_SCALE` times the output spike rates.
    - `"rlif"`, `"ralif"` (config R): one recurrent LIF (or adaptive LIF)
      layer of `hidden[0]` neurons and a non-spiking leaky readout (`LI`)
      of `n_out`; logits are the readout's mean membrane over time.
    - `"on"` (the Open Neuromorphic benchmark): one linear layer and LIF
      neurons, `n_in -> n_out`; the loss is the number of output spikes
      per sample (forward and backward through every step).

    `kind` is the input: `"static"` (`[batch, in]`, repeated over T by the
    model), `"poisson"` or `"spikes"` (0/1 `[batch, T, in]` at 20 % and
    5 % density) or `"normal"` (standard normal `[batch, T, in]`).
    `round_steps`, if set, is the number of training steps per timed round
    (see `steps_per_round`).
    """

    kind: str
    n_in: int
    hidden: tuple
    n_out: int
    steps: int
    batch: int
    model: str = "lif"
    round_steps: int | None = None


def _r(model, steps, round_steps=None):
    return Config("spikes", 700, (256,), 20, steps, 32, model, round_steps)


def _on(neurons):
    # One step at 4,096 neurons takes seconds on one CPU thread: a round of
    # one step has no cold start worth the name.
    return Config("normal", neurons, (), neurons, 500, 16, "on", 1)


CONFIGS = {
    "S": Config("static", 256, (128, 64), 10, 25, 128),
    "P": Config("poisson", 784, (128, 64), 10, 25, 128),
    "L": Config("spikes", 700, (256, 256), 20, 250, 32),
    "L1000": Config("spikes", 700, (256, 256), 20, 1000, 32),
    "R-LIF": _r("rlif", 100),
    "R-ALIF": _r("ralif", 100),
    # The open Neuromorphic benchmark at its size (for GPUs) and at the
    # size this project's CPU machine runs it.
    "ON": _on(16384),
    "ON4096": _on(4096),
    # CI smoke variants: the same code paths, small enough for seconds.
    "R-LIF-quick": Config("spikes", 70, (32,), 5, 20, 8, "rlif"),
    "R-ALIF-quick": Config("spikes", 70, (32,), 5, 20, 8, "ralif"),
    "ON-quick": Config("normal", 64, (), 64, 50, 4, "on"),
}
# Memory against sequence length: config R at T = 250, 500 and 1000, one
# step per round so that the inputs that keras_snn's `fit` holds stay one
# batch.
for _steps in (250, 500, 1000):
    CONFIGS[f"R-LIF-T{_steps}"] = _r("rlif", _steps, 1)
    CONFIGS[f"R-ALIF-T{_steps}"] = _r("ralif", _steps, 1)
TAU = 2.0
THRESHOLD = 1.0
SLOPE = 25.0
LOGIT_SCALE = 10.0
# Config R and ON (recurrent and long sequences) use the arctangent
# surrogate `ATAN_ALPHA / 2 / (1 + (pi / 2 * ATAN_ALPHA * x)**2)`:
# keras_snn's default for recurrent layers and snnTorch's default.
ATAN_ALPHA = 2.0
# The adaptive LIF of config R-ALIF: keras_snn's AdaptiveLIF defaults.
TAU_ADAPT = 20.0
ADAPTATION_STRENGTH = 0.2

# Training steps per timed round, the same for every library of a config.
# keras_snn runs them as one `fit` call, whose fixed setup cost (about 60
# ms on TensorFlow, which builds a tf.data pipeline) an epoch of a real
# dataset spreads over hundreds of steps; the other libraries run them in
# a loop. Timing a single step of a library that then waits for the next
# round would add the wake-up of an idle process (cold caches, sleeping
# thread pools) to its step alone. 50 steps, or as many as fit in 64 MB of
# inputs, but at least 10, unless the config sets `round_steps`.
MIN_STEPS_PER_ROUND = 10
MAX_STEPS_PER_ROUND = 50
MAX_ROUND_INPUT_BYTES = 64 * 2**20
# The smoke run (`--quick`) caps every round at this many steps; its
# worker processes set it.
round_steps_cap = None


def describe(name):
    c = CONFIGS[name]
    if c.model == "on":
        return (
            f"{name}: {c.kind} input {c.n_in} -> Linear + LIF {c.n_out}, "
            f"T={c.steps}, batch={c.batch}, loss = spike count"
        )
    if c.model in ("rlif", "ralif"):
        neuron = (
            "recurrent AdaptiveLIF" if c.model == "ralif" else ("recurrent LIF")
        )
        return (
            f"{name}: {c.kind} {c.n_in} -> {neuron} {c.hidden[0]} -> "
            f"LI {c.n_out} (mean membrane), T={c.steps}, batch={c.batch}"
        )
    sizes = " -> ".join(str(s) for s in (c.n_in, *c.hidden, c.n_out))
    return f"{name}: {c.kind} {sizes}, T={c.steps}, batch={c.batch}"


def steps_per_round(name):
    """The number of training steps that one timed round runs."""
    c = CONFIGS[name]
    if c.round_steps is not None:
        steps = c.round_steps
    else:
        nbytes = 4 * c.batch * c.n_in * (1 if c.kind == "static" else c.steps)
        steps = int(
            np.clip(
                MAX_ROUND_INPUT_BYTES // nbytes,
                MIN_STEPS_PER_ROUND,
                MAX_STEPS_PER_ROUND,
            )
        )
    return min(steps, round_steps_cap or steps)


def make_batch(name, seed=0):
    """Returns `(x, y)` for one training step of config `name`.

    Static inputs are `[batch, in]` (repeated over T by the model); the
    others are `[batch, T, in]` float32 arrays. `y` holds integer labels
    (unused by config ON, whose loss is the spike count).
    """
    c = CONFIGS[name]
    rng = np.random.default_rng(seed)
    y = rng.integers(0, c.n_out, size=c.batch).astype(np.int32)
    shape = (c.batch, c.steps, c.n_in)
    if c.kind == "static":
        x = rng.uniform(0, 1, size=(c.batch, c.n_in)).astype(np.float32)
    elif c.kind == "normal":
        x = rng.standard_normal(size=shape, dtype=np.float32)
    else:
        rate = 0.2 if c.kind == "poisson" else 0.05
        x = (rng.uniform(size=shape) < rate).astype(np.float32)
    return x, y
