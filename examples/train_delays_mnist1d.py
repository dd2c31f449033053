"""Learnable synaptic delays on MNIST-1D: the same SNN with and without.

MNIST-1D (Greydanus, 2020) holds 1-D signals of 40 steps, ten classes made
from the ten digit templates by padding, shifting, shearing and noise.
`keras_snn.datasets.load_mnist1d` generates the published split offline
with the `mnist1d` package (`pip install mnist1d`; this script never
downloads it): 4,000 sequences for training and 1,000 for the test. Each
step's value is coded by a population of `--levels`
input neurons, one spike from the neuron whose value band holds it (the
bands are quantiles of the training values), which gives spike trains
`[batch, 40, levels]`.

The network, trained twice:

    DelayedDense(hidden, max_delay) -> LIF -> DelayedDense(10, max_delay)
    -> LI -> mean over time (logits)

once with `max_delay = 0` (plain dense projections: no delays) and once
with `--max-delay` steps of learnable delay per synapse (the DCLS method of
Hammouamri et al., ICLR 2024, with `keras_snn.DelayAnnealing` narrowing the
Gaussians from `--sigma` steps and rounding the delays to integers at the
end). Both use Adam and the same seed; the delays model is evaluated
after rounding, with its integer delays. `docs/delays.md` has the
measured numbers.

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/train_delays_mnist1d.py
    python examples/train_delays_mnist1d.py --epochs 1 --limit 256  # smoke run
"""

import _common


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=jax python examples/train_delays_mnist1d.py",
        epochs=30,
        batch_size=64,
        learning_rate=1e-2,
        epochs_help="training epochs per model",
        limit_help="use only the first LIMIT training and test sequences "
        "(for a quick smoke run)",
    )
    parser.add_argument(
        "--hidden", type=int, default=128, help="hidden LIF neurons"
    )
    parser.add_argument(
        "--max-delay",
        type=int,
        default=12,
        help="largest synaptic delay, in steps, of the delays model",
    )
    parser.add_argument(
        "--sigma",
        type=float,
        default=2.0,
        help="initial width, in steps, of the delays' Gaussians "
        "(DelayAnnealing narrows it to 0.23)",
    )
    parser.add_argument(
        "--levels",
        type=int,
        default=16,
        help="input neurons coding the value of each step",
    )
    _common.add_verbose(parser, default=0)
    args = _common.check_args(
        parser, parser.parse_args(argv), "hidden", "levels", "max_delay"
    )
    if not args.sigma > 0:
        parser.error("--sigma must be greater than 0")
    return args


def load_data(levels, limit=None):
    """MNIST-1D (the published split, generated offline by
    `keras_snn.datasets.load_mnist1d`) as population spikes."""
    import numpy as np

    import keras_snn

    (x_train, y_train), (x_test, y_test) = _common.first(
        keras_snn.datasets.load_mnist1d(), limit
    )
    # [n, 40, 1] sequences; each step's value picks one of `levels` bands
    # with equal shares of the training values.
    edges = np.quantile(x_train, np.linspace(0, 1, levels + 1)[1:-1])

    def encode(x):
        band = np.digitize(x[..., 0], edges)
        return np.eye(levels, dtype="float32")[band]

    return (encode(x_train), y_train), (encode(x_test), y_test)


def make_model(steps, levels, hidden, max_delay, sigma):
    """The network; with max_delay = 0 its projections are plain dense."""
    import keras

    import keras_snn

    sigma = sigma if max_delay else None
    return keras.Sequential(
        [
            keras.Input((steps, levels)),
            keras_snn.DelayedDense(hidden, max_delay, sigma=sigma),
            keras_snn.LIF(tau=5.0),
            keras_snn.DelayedDense(10, max_delay, sigma=sigma),
            keras_snn.LI(tau=5.0),
            keras.layers.GlobalAveragePooling1D(),
        ],
        name=f"snn_max_delay_{max_delay}",
    )


def main(argv=None):
    args = parse_args(argv)
    import keras

    import keras_snn

    (x_train, y_train), (x_test, y_test) = load_data(args.levels, args.limit)
    print(f"backend: {keras.backend.backend()}")
    accuracies = {}
    for max_delay in (0, args.max_delay):
        keras.utils.set_random_seed(args.seed)
        model = make_model(
            x_train.shape[1], args.levels, args.hidden, max_delay, args.sigma
        )
        model.compile(
            optimizer=keras.optimizers.Adam(args.learning_rate),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
        callbacks = [keras_snn.DelayAnnealing(args.epochs)] if max_delay else []
        seconds = _common.fit(
            model, args, x_train, y_train, callbacks=callbacks
        )
        _, accuracy = model.evaluate(x_test, y_test, verbose=0)
        accuracies[max_delay] = accuracy
        label = "learned delays" if max_delay else "no delays"
        print(
            f"{label:<15} max_delay={max_delay:<3} test accuracy "
            f"{accuracy:.4f}, training CPU time {seconds:.0f} s"
        )
    print(
        f"test accuracy: {accuracies[args.max_delay]:.4f} with learned "
        f"delays, {accuracies[0]:.4f} without ({len(x_test)} sequences)"
    )


if __name__ == "__main__":
    main()
