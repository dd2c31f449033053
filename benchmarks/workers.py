"""One library training one config, timed in its own process.

Each `make_<library>(config)` returns `(run, steps)`: a zero-argument
function that runs `steps` full training steps (forward, backward,
optimizer update) on the batch of `configs.make_batch`, written as a user
of that library would write it, and that number of steps.
"""

import os

import numpy as np

from benchmarks import configs


class NotAvailableError(Exception):
    """The library has no such neuron model (reported, not a failure)."""


def _steps_and_beta(name):
    c = configs.CONFIGS[name]
    beta = np.exp(-1 / configs.TAU)
    return c.kind, c.n_in, c.hidden, c.n_out, c.steps, c.batch, beta


def _keras_snn_model(c):
    import keras

    import keras_snn

    if c.model == "lif" and c.kind == "static":
        return keras_snn.build(
            input_size=c.n_in,
            hidden_sizes=list(c.hidden),
            output_size=c.n_out,
            num_timesteps=c.steps,
        )
    inputs = [keras.Input((c.steps, c.n_in))]
    if c.model == "lif":
        layers = [keras_snn.LIF(units) for units in (*c.hidden, c.n_out)]
        return keras.Sequential([*inputs, *layers, keras_snn.RateDecoding()])
    if c.model == "on":
        return keras.Sequential(
            [*inputs, keras_snn.LIF(c.n_out, surrogate="atan")]
        )
    # Config R with keras_snn's defaults: tau=2, threshold=1, the atan
    # surrogate of recurrent layers, tau_adapt=20, adaptation_strength=0.2.
    layer = keras_snn.AdaptiveLIF if c.model == "ralif" else keras_snn.LIF
    return keras.Sequential(
        [
            *inputs,
            layer(c.hidden[0], recurrent=True),
            keras_snn.LI(c.n_out),
            keras.layers.GlobalAveragePooling1D(),
        ]
    )


def _spike_count(y_true, spikes):
    # Config ON's loss: the number of output spikes of each sample.
    from keras import ops

    return ops.sum(spikes, axis=(1, 2))


def make_keras_snn(name):
    """keras_snn the way a user runs it: build/Sequential, compile, fit."""
    import keras

    c = configs.CONFIGS[name]
    model = _keras_snn_model(c)
    if c.model == "on":
        loss = _spike_count
    else:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    model.compile(optimizer="adam", loss=loss)
    x, y = configs.make_batch(name)
    # One `fit` call runs a whole round (see configs.steps_per_round).
    steps_per_call = configs.steps_per_round(name)
    xs = np.concatenate([x] * steps_per_call)
    ys = np.concatenate([y] * steps_per_call)

    def run():
        model.fit(
            xs, ys, batch_size=c.batch, epochs=1, verbose=0, shuffle=False
        )

    return run, steps_per_call


def make_floor(name):
    from benchmarks import floor_jax

    return floor_jax.make_step(name), 1


def _loss(c, output, y, cross_entropy):
    """The loss of config `c` from the network's time-major output `[T, B,
    N]`: spikes (configs S, P, L and ON) or the readout's membrane (R)."""
    if c.model == "on":
        return output.sum() / c.batch
    if c.model == "lif":
        return cross_entropy(configs.LOGIT_SCALE * output.mean(0), y)
    return cross_entropy(output.mean(0), y)


def _torch_training(net, forward, name):
    import torch

    c = configs.CONFIGS[name]
    x, y = configs.make_batch(name)
    x = torch.from_numpy(x)
    if c.kind != "static":
        x = x.transpose(0, 1).contiguous()  # time-major, as the peers use
    y = torch.from_numpy(y).long()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    cross_entropy = torch.nn.CrossEntropyLoss()

    def run():
        loss = _loss(c, forward(x), y, cross_entropy)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return run, 1


def make_snntorch(name):
    """snnTorch, following its tutorials: nn.Linear + snn.Leaky in a loop
    (snn.RLeaky and a non-resetting snn.Leaky readout for config R)."""
    import snntorch as snn
    import torch
    from snntorch import surrogate

    c = configs.CONFIGS[name]
    beta = float(np.exp(-1 / configs.TAU))
    if c.model in ("rlif", "ralif"):
        return _snntorch_recurrent(c, name, beta)
    sizes = (c.n_in, *c.hidden, c.n_out)
    if c.model == "on":
        spike_grad = surrogate.atan(alpha=configs.ATAN_ALPHA)
    else:
        spike_grad = surrogate.fast_sigmoid(slope=configs.SLOPE)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fcs = torch.nn.ModuleList(
                torch.nn.Linear(a, b)
                for a, b in zip(sizes[:-1], sizes[1:], strict=True)
            )
            self.lifs = torch.nn.ModuleList(
                snn.Leaky(beta=beta, spike_grad=spike_grad) for _ in self.fcs
            )

        def forward(self, x):
            mems = [lif.init_leaky() for lif in self.lifs]
            out = []
            for t in range(c.steps):
                spk = x if c.kind == "static" else x[t]
                for i, (fc, lif) in enumerate(
                    zip(self.fcs, self.lifs, strict=True)
                ):
                    spk, mems[i] = lif(fc(spk), mems[i])
                out.append(spk)
            return torch.stack(out)

    net = Net()
    return _torch_training(net, net, name)


def _snntorch_recurrent(c, name, beta):
    import snntorch as snn
    import torch
    from snntorch import surrogate

    if c.model == "ralif":
        raise NotAvailableError("snnTorch 1.0 has no adaptive-threshold LIF")
    units = c.hidden[0]

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(c.n_in, units)
            # all_to_all=True (the default): a dense [units, units]
            # recurrent nn.Linear.
            self.rlif = snn.RLeaky(
                beta=beta,
                linear_features=units,
                spike_grad=surrogate.atan(alpha=configs.ATAN_ALPHA),
            )
            self.fc2 = torch.nn.Linear(units, c.n_out)
            self.readout = snn.Leaky(beta=beta, reset_mechanism="none")

        def forward(self, x):
            spk, mem = self.rlif.init_rleaky()
            out_mem = self.readout.init_leaky()
            out = []
            for t in range(c.steps):
                spk, mem = self.rlif(self.fc1(x[t]), spk, mem)
                _, out_mem = self.readout(self.fc2(spk), out_mem)
                out.append(out_mem)
            return torch.stack(out)

    net = Net()
    return _torch_training(net, net, name)


def make_spikingjelly(name):
    """SpikingJelly in multi-step mode (step_mode="m"), torch backend."""
    import torch
    from spikingjelly.activation_based import functional
    from spikingjelly.activation_based import layer
    from spikingjelly.activation_based import neuron
    from spikingjelly.activation_based import surrogate

    kind, n_in, hidden, n_out, steps, _, _ = _steps_and_beta(name)
    if configs.CONFIGS[name].model != "lif":
        raise NotAvailableError("not written for this config")
    sizes = (n_in, *hidden, n_out)
    modules = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        modules.append(layer.Linear(a, b))
        modules.append(
            neuron.LIFNode(
                tau=configs.TAU,
                v_reset=None,
                detach_reset=True,
                surrogate_function=surrogate.Sigmoid(),
            )
        )
    net = torch.nn.Sequential(*modules)
    functional.set_step_mode(net, "m")

    def forward(x):
        if kind == "static":
            x = x.unsqueeze(0).repeat(steps, 1, 1)
        spikes = net(x)
        functional.reset_net(net)
        return spikes

    return _torch_training(net, forward, name)


def make_spyx(name):
    """Spyx (JAX + Flax NNX), following its examples: a spyx.nn.Sequential
    of nnx.Linear and spyx neurons run by spyx.nn.run (lax.scan), trained
    with nnx.jit and optax Adam."""
    import jax
    import jax.numpy as jnp
    import optax
    import spyx
    from flax import nnx

    c = configs.CONFIGS[name]
    beta = float(np.exp(-1 / configs.TAU))
    rngs = nnx.Rngs(0)
    if c.model == "lif":
        activation = spyx.axn.superspike(k=configs.SLOPE)
    else:
        # Spyx's arctan(k) has the derivative 1 / (pi * (1 + (k pi x)^2)),
        # a third of the peak of keras_snn's and snnTorch's; the same
        # derivative as theirs, through Spyx's own custom surrogate.
        alpha = configs.ATAN_ALPHA
        activation = spyx.axn.custom(
            lambda x: alpha / 2 / (1 + (jnp.pi / 2 * alpha * x) ** 2)
        )
    hoisted = None
    if c.model == "lif":
        sizes = (c.n_in, *c.hidden, c.n_out)
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:], strict=True):
            layers.append(nnx.Linear(a, b, rngs=rngs))
            layers.append(
                spyx.nn.LIF((b,), beta=beta, activation=activation, rngs=rngs)
            )
    elif c.model == "on":
        # As in the Open Neuromorphic benchmark's Spyx code: the linear
        # layer applied to the whole sequence, then the LIF neurons scanned.
        hoisted = nnx.Linear(c.n_in, c.n_out, rngs=rngs)
        layers = [
            spyx.nn.LIF((c.n_out,), beta=beta, activation=activation, rngs=rngs)
        ]
    elif c.model == "rlif":
        units = c.hidden[0]
        layers = [
            nnx.Linear(c.n_in, units, rngs=rngs),
            spyx.nn.RLIF((units,), beta=beta, activation=activation, rngs=rngs),
            nnx.Linear(units, c.n_out, rngs=rngs),
            spyx.nn.LI((c.n_out,), beta=beta, rngs=rngs),
        ]
    else:
        raise NotAvailableError("Spyx 1.0 has no recurrent adaptive LIF")

    class Net(nnx.Module):
        def __init__(self):
            self.hoisted = hoisted
            self.sequence = spyx.nn.Sequential(*layers)

        def __call__(self, x):
            if self.hoisted is not None:
                x = self.hoisted(x)
            return spyx.nn.run(self.sequence, x)[0]

    model = Net()
    optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)
    x, y = configs.make_batch(name)
    x, y = jnp.asarray(x), jnp.asarray(y)
    if c.kind == "static":
        x = jnp.broadcast_to(x, (c.steps, *x.shape))
    else:
        x = jnp.swapaxes(x, 0, 1)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(model):
            return _loss(c, model(x), y, cross_entropy)

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    def cross_entropy(logits, y):
        return optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()

    def run():
        jax.block_until_ready(train_step(model, optimizer, x, y))

    return run, 1


LIBRARIES = {
    "keras_snn[jax]": ("jax", make_keras_snn),
    "keras_snn[tensorflow]": ("tensorflow", make_keras_snn),
    "keras_snn[torch]": ("torch", make_keras_snn),
    "jax floor": (None, make_floor),
    "snntorch": (None, make_snntorch),
    "spikingjelly": (None, make_spikingjelly),
    "spyx": (None, make_spyx),
}


def backend_for(library):
    return LIBRARIES[library][0] or os.environ.get("KERAS_BACKEND", "jax")
