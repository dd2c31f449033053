"""Train a recurrent adaptive spiking network on the Spiking Heidelberg Digits.

SHD (Cramer et al., IEEE TNNLS 2020) holds 8,156 training and 2,264 test
recordings of spoken digits, 0-9 in English and German (20 classes),
turned into spikes on 700 channels by a cochlea model. Download
`shd_train.h5.zip` and `shd_test.h5.zip` from
https://zenkelab.org/datasets/ and unzip them into DIR; nothing is
downloaded here.

`keras_snn.datasets.load_shd` bins each recording's spikes into
`[T, 700]` counts (100 bins over 1.4 s by default), one batch at a time.
The network: `AdaptiveLIF(units, recurrent=True)` (an adaptive threshold,
as in Bellec et al. 2018 and Bittar & Garner 2022) with the arctangent
surrogate, whose derivative peaks at 1 (steeper surrogates make the
gradient explode through the recurrent weights), then an `LI` readout of
20 neurons whose membrane, averaged over time, gives the logits.

Accuracy to expect, from the literature (not measured here: the data
could not be downloaded): a recurrent SNN of LIF neurons, 83.2 % test
(Cramer et al. 2020); a recurrent adaptive SNN, 94.6 % (Bittar & Garner,
Frontiers in Neuroscience 2022, with more units, layers and tricks than
this example).

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/train_shd.py --data data/shd
    python examples/train_shd.py --data data/shd --epochs 1 --limit 256
"""

import _common


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=jax python examples/train_shd.py --data data/shd",
        epochs=30,
        batch_size=64,
        learning_rate=2e-3,
        seed_help="seed of the weights and of the shuffle",
        limit_help="stop each epoch after about LIMIT training samples and "
        "test on about LIMIT, whole batches (for a quick smoke run)",
    )
    parser.add_argument(
        "--data",
        required=True,
        help="folder holding shd_train.h5 and shd_test.h5",
    )
    parser.add_argument(
        "--bins", type=int, default=100, help="time bins over --max-time"
    )
    parser.add_argument(
        "--max-time",
        type=float,
        default=1.4,
        help="end of the binned window, in seconds (later spikes are dropped)",
    )
    parser.add_argument(
        "--units", type=int, default=256, help="recurrent adaptive neurons"
    )
    _common.add_verbose(parser)
    args = _common.check_args(parser, parser.parse_args(argv), "bins", "units")
    if not args.max_time > 0:
        parser.error("--max-time must be greater than 0")
    return args


def build_model(timesteps, units, classes=20):
    """`[batch, T, 700]` spike counts to `[batch, classes]` logits."""
    import keras

    import keras_snn

    inputs = keras.Input((timesteps, 700), name="spike_counts")
    x = keras_snn.AdaptiveLIF(
        units,
        recurrent=True,
        surrogate="atan",
        tau=5.0,
        tau_adapt=20.0,
        name="adaptive_lif",
    )(inputs)
    x = keras_snn.LI(classes, tau=5.0, name="readout")(x)
    outputs = keras.layers.GlobalAveragePooling1D(name="logits")(x)
    return keras.Model(inputs, outputs, name="shd_rsnn")


def main(argv=None):
    args = parse_args(argv)
    # Imported after parsing so that --help is fast and prints no
    # backend logs.
    import os

    import keras

    import keras_snn

    keras.utils.set_random_seed(args.seed)
    options = {"bins": args.bins, "max_time": args.max_time}
    train = keras_snn.datasets.load_shd(
        os.path.join(args.data, "shd_train.h5"),
        batch_size=args.batch_size,
        shuffle=True,
        seed=args.seed,
        **options,
    )
    test = keras_snn.datasets.load_shd(
        os.path.join(args.data, "shd_test.h5"),
        batch_size=args.batch_size,
        **options,
    )
    model = build_model(args.bins, args.units)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    _common.fit_and_report(model, args, train, test, what="samples")


if __name__ == "__main__":
    main()
