"""The practical floor: hand-written pure JAX, `jit` + `lax.scan`, with the
input projection hoisted out of the time loop (one matrix product over all
`[batch * T]` rows) and Adam written inline.

Only the elementwise recurrence, plus the recurrent product in config R,
runs inside the loop. The equations are keras_snn's (see `keras_snn.LIF`,
`keras_snn.AdaptiveLIF` and `keras_snn.LI`), with the reset detached.
"""

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import configs


def _spike_op(derivative):
    """Heaviside forward, `derivative(x)` as the surrogate backward."""

    @jax.custom_jvp
    def heaviside(x):
        return (x > 0).astype(x.dtype)

    @heaviside.defjvp
    def _(primals, tangents):
        (x,), (dx,) = primals, tangents
        return heaviside(x), dx * derivative(x)

    return heaviside


def _fast_sigmoid(x):
    slope = configs.SLOPE
    return slope / (1 + slope * jnp.abs(x)) ** 2


def _atan(x):
    alpha = configs.ATAN_ALPHA
    return alpha / 2 / (1 + (jnp.pi / 2 * alpha * x) ** 2)


spike = _spike_op(_fast_sigmoid)  # configs S, P and L
spike_atan = _spike_op(_atan)  # configs R and ON


def lif_layer(currents, beta, spike_fn=spike):
    # currents: [T, B, N] (or [B, N] broadcast over T for static input).
    def step(v, i):
        v = beta * v + i
        s = spike_fn(v - configs.THRESHOLD)
        v = v - jax.lax.stop_gradient(s) * configs.THRESHOLD
        return v, s

    v0 = jnp.zeros(currents.shape[1:], currents.dtype)
    return jax.lax.scan(step, v0, currents)[1]


def recurrent_layer(currents, w_rec, beta, adaptive):
    """Recurrent LIF, or adaptive LIF with `adaptive`, over `[T, B, N]`
    input currents: `I = current + s_prev @ w_rec`, then

    ```
    theta = threshold + adaptation_strength * a   # adaptive only
    V = beta * V + I
    s = spike(V - theta)
    V = V - stop_gradient(s) * theta
    a = rho * a + s                                # adaptive only
    ```
    """
    rho = float(np.exp(-1.0 / configs.TAU_ADAPT))
    strength = configs.ADAPTATION_STRENGTH

    def lif_step(carry, i):
        v, s = carry
        v = beta * v + i + s @ w_rec
        s = spike_atan(v - configs.THRESHOLD)
        v = v - jax.lax.stop_gradient(s) * configs.THRESHOLD
        return (v, s), s

    def adaptive_step(carry, i):
        v, a, s = carry
        theta = configs.THRESHOLD + strength * a
        v = beta * v + i + s @ w_rec
        s = spike_atan(v - theta)
        v = v - jax.lax.stop_gradient(s) * theta
        a = rho * a + s
        return (v, a, s), s

    zeros = jnp.zeros(currents.shape[1:], currents.dtype)
    if adaptive:
        return jax.lax.scan(adaptive_step, (zeros,) * 3, currents)[1]
    return jax.lax.scan(lif_step, (zeros,) * 2, currents)[1]


def li_layer(currents, beta):
    """Leaky integrators over `[T, B, N]` currents: `V = beta * V + I`."""

    def step(v, i):
        v = beta * v + i
        return v, v

    v0 = jnp.zeros(currents.shape[1:], currents.dtype)
    return jax.lax.scan(step, v0, currents)[1]


def _dense(key, fan_in, fan_out):
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(
        key, (fan_in, fan_out), minval=-limit, maxval=limit
    )


def _cross_entropy(logits, y):
    logp = jax.nn.log_softmax(logits)
    return -jnp.mean(jnp.take_along_axis(logp, y[:, None], axis=1))


def _lif_stack(c, key):
    """Config S, P, L: LIF layers, logits from the output spike rates."""
    beta = float(np.exp(-1.0 / configs.TAU))
    sizes = (c.n_in, *c.hidden, c.n_out)
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        key, sub = jax.random.split(key)
        params.append((_dense(sub, fan_in, fan_out), jnp.zeros(fan_out)))

    def loss_fn(params, x, y):
        w, b = params[0]
        if c.kind == "static":
            current = x @ w + b  # hoisted: once per sequence
            seq = lif_layer(
                jnp.broadcast_to(current, (c.steps, *current.shape)), beta
            )
        else:
            seq = lif_layer(jnp.einsum("btf,fn->tbn", x, w) + b, beta)
        for w, b in params[1:]:
            seq = lif_layer(seq @ w + b, beta)
        return _cross_entropy(configs.LOGIT_SCALE * seq.mean(axis=0), y)

    return params, loss_fn


def _recurrent(c, key):
    """Config R: recurrent (adaptive) LIF, LI readout, mean membrane."""
    beta = float(np.exp(-1.0 / configs.TAU))
    units = c.hidden[0]
    k1, k2, k3 = jax.random.split(key, 3)
    params = {
        "w_in": _dense(k1, c.n_in, units),
        "b_in": jnp.zeros(units),
        "w_rec": jax.nn.initializers.orthogonal()(k2, (units, units)),
        "w_out": _dense(k3, units, c.n_out),
        "b_out": jnp.zeros(c.n_out),
    }

    def loss_fn(p, x, y):
        currents = jnp.einsum("btf,fn->tbn", x, p["w_in"]) + p["b_in"]
        spikes = recurrent_layer(
            currents, p["w_rec"], beta, adaptive=c.model == "ralif"
        )
        membrane = li_layer(spikes @ p["w_out"] + p["b_out"], beta)
        return _cross_entropy(membrane.mean(axis=0), y)

    return params, loss_fn


def _open_neuromorphic(c, key):
    """Config ON: Linear + LIF; the loss is the spike count per sample."""
    beta = float(np.exp(-1.0 / configs.TAU))
    params = (_dense(key, c.n_in, c.n_out), jnp.zeros(c.n_out))

    def loss_fn(params, x, y):
        del y
        w, b = params
        spikes = lif_layer(
            jnp.einsum("btf,fn->tbn", x, w) + b, beta, spike_atan
        )
        return spikes.sum() / c.batch

    return params, loss_fn


MODELS = {
    "lif": _lif_stack,
    "rlif": _recurrent,
    "ralif": _recurrent,
    "on": _open_neuromorphic,
}


def make_step(name):
    c = configs.CONFIGS[name]
    params, loss_fn = MODELS[c.model](c, jax.random.PRNGKey(0))
    lr, b1, b2, eps = 1e-3, 0.9, 0.999, 1e-7

    @jax.jit
    def train_step(state, x, y):
        params, m, v, t = state
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        t = t + 1
        m = jax.tree.map(lambda m, g: b1 * m + (1 - b1) * g, m, grads)
        v = jax.tree.map(lambda v, g: b2 * v + (1 - b2) * g * g, v, grads)
        step_size = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        params = jax.tree.map(
            lambda p, m, v: p - step_size * m / (jnp.sqrt(v) + eps),
            params,
            m,
            v,
        )
        return (params, m, v, t), loss

    zeros = jax.tree.map(jnp.zeros_like, params)
    state = (params, zeros, zeros, jnp.zeros((), jnp.float32))
    x, y = configs.make_batch(name)
    x, y = jnp.asarray(x), jnp.asarray(y)

    def run():
        nonlocal state
        state, loss = train_step(state, x, y)
        loss.block_until_ready()

    return run
