"""One library training one config, timed in its own process.

Each `make_<library>(config)` returns `(run, steps)`: a zero-argument
function that runs `steps` full training steps (forward, backward,
optimizer update) on the batch of `configs.make_batch`, written as a user
of that library would write it, and that number of steps.
"""

import os

import numpy as np

from benchmarks import configs


def _steps_and_beta(name):
    kind, n_in, hidden, n_out, steps, batch = configs.CONFIGS[name]
    return kind, n_in, hidden, n_out, steps, batch, np.exp(-1 / configs.TAU)


def make_keras_snn(name):
    """keras_snn the way a user runs it: build/Sequential, compile, fit."""
    import keras

    import keras_snn

    kind, n_in, hidden, n_out, steps, batch, _ = _steps_and_beta(name)
    if kind == "static":
        model = keras_snn.build(
            input_size=n_in,
            hidden_sizes=list(hidden),
            output_size=n_out,
            num_timesteps=steps,
        )
    else:
        model = keras.Sequential(
            [keras.Input((steps, n_in))]
            + [keras_snn.LIF(units) for units in (*hidden, n_out)]
            + [keras_snn.RateDecoding()]
        )
    model.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    x, y = configs.make_batch(name)
    # One `fit` call runs a whole round (see configs.steps_per_round).
    steps_per_call = configs.steps_per_round(name)
    xs = np.concatenate([x] * steps_per_call)
    ys = np.concatenate([y] * steps_per_call)

    def run():
        model.fit(xs, ys, batch_size=batch, epochs=1, verbose=0, shuffle=False)

    return run, steps_per_call


def make_floor(name):
    from benchmarks import floor_jax

    return floor_jax.make_step(name), 1


def _torch_training(net, forward, name):
    import torch

    x, y = configs.make_batch(name)
    kind = configs.CONFIGS[name][0]
    x = torch.from_numpy(x)
    if kind != "static":
        x = x.transpose(0, 1).contiguous()  # time-major, as the peers use
    y = torch.from_numpy(y).long()
    optimizer = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()

    def run():
        rates = forward(x)
        loss = loss_fn(configs.LOGIT_SCALE * rates, y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return run, 1


def make_snntorch(name):
    """snnTorch, following its tutorials: nn.Linear + snn.Leaky in a loop."""
    import snntorch as snn
    import torch
    from snntorch import surrogate

    kind, n_in, hidden, n_out, steps, _, beta = _steps_and_beta(name)
    sizes = (n_in, *hidden, n_out)
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
            for t in range(steps):
                spk = x if kind == "static" else x[t]
                for i, (fc, lif) in enumerate(
                    zip(self.fcs, self.lifs, strict=True)
                ):
                    spk, mems[i] = lif(fc(spk), mems[i])
                out.append(spk)
            return torch.stack(out).mean(0)

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
        rates = net(x).mean(0)
        functional.reset_net(net)
        return rates

    return _torch_training(net, forward, name)


def make_spyx(name):
    """Spyx (JAX + Flax NNX), following its examples: a spyx.nn.Sequential
    of nnx.Linear and spyx.nn.LIF run by spyx.nn.run (lax.scan), trained
    with nnx.jit and optax Adam."""
    import jax.numpy as jnp
    import optax
    import spyx
    from flax import nnx

    kind, n_in, hidden, n_out, steps, _, beta = _steps_and_beta(name)
    rngs = nnx.Rngs(0)
    sizes = (n_in, *hidden, n_out)
    layers = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        layers.append(nnx.Linear(a, b, rngs=rngs))
        layers.append(
            spyx.nn.LIF(
                (b,),
                beta=beta,
                activation=spyx.axn.superspike(k=configs.SLOPE),
                rngs=rngs,
            )
        )
    model = spyx.nn.Sequential(*layers)
    optimizer = nnx.Optimizer(model, optax.adam(1e-3), wrt=nnx.Param)
    x, y = configs.make_batch(name)
    x, y = jnp.asarray(x), jnp.asarray(y)
    if kind == "static":
        x = jnp.broadcast_to(x, (steps, *x.shape))
    else:
        x = jnp.swapaxes(x, 0, 1)

    @nnx.jit
    def train_step(model, optimizer, x, y):
        def loss_fn(model):
            spikes, _ = spyx.nn.run(model, x)
            logits = configs.LOGIT_SCALE * spikes.mean(axis=0)
            return optax.softmax_cross_entropy_with_integer_labels(
                logits, y
            ).mean()

        loss, grads = nnx.value_and_grad(loss_fn)(model)
        optimizer.update(model, grads)
        return loss

    def run():
        train_step(model, optimizer, x, y).block_until_ready()

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
