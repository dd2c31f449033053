"""Train a convolutional spiking network on N-MNIST event-camera recordings.

N-MNIST (Orchard et al., Frontiers in Neuroscience 2015) holds 60,000
training and 10,000 test recordings of the MNIST digits, seen by an
event camera (34 x 34 pixels, 2 polarities) during three saccades of
about 100 ms each. `tonic.datasets.NMNIST(save_to=DIR)` reads them from
DIR/NMNIST (the extracted `Train/` and `Test/` folders of `.bin` files,
with `train.zip` and `test.zip` beside them), and downloads them there
if they are missing. `tonic.transforms.ToFrame` bins each
recording's events into `--timesteps` frames of spike counts, and
`keras_snn.datasets.from_tonic` serves them channels-last,
`[batch, T, 34, 34, 2]`, one batch at a time.

The network follows examples/train_conv_digits.py: two blocks of
`TimeDistributed(Conv2D)` -> `LIF()` -> `TimeDistributed(AveragePooling2D)`
(`LIF()` without `units` spikes on the convolution's output), then an `LI`
readout of 10 neurons whose membrane, averaged over time, gives the
logits. Not measured here on N-MNIST (no download); published
convolutional SNNs reach about 99 % test accuracy.

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/train_nmnist.py --data data
    python examples/train_nmnist.py --data data --epochs 1 --limit 512
"""

import os

import _common


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=jax python examples/train_nmnist.py --data data",
        epochs=5,
        batch_size=64,
        learning_rate=2e-3,
        seed_help="seed of the weights and of the shuffle",
        limit_help="stop each epoch after about LIMIT training recordings "
        "and test on about LIMIT, whole batches (for a quick smoke run)",
    )
    parser.add_argument(
        "--data",
        required=True,
        help="folder for tonic: N-MNIST is read from (or downloaded to) "
        "DATA/NMNIST",
    )
    parser.add_argument(
        "--timesteps",
        type=int,
        default=10,
        help="frames per recording (ToFrame's n_time_bins)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="threads that read and bin batches",
    )
    _common.add_verbose(parser)
    return _common.check_args(
        parser, parser.parse_args(argv), "timesteps", "workers"
    )


def build_model(timesteps, height=34, width=34, polarities=2):
    """`[batch, T, H, W, P]` frames to `[batch, 10]` logits."""
    import keras

    import keras_snn

    def conv_block(x, filters, name):
        x = keras.layers.TimeDistributed(
            keras.layers.Conv2D(filters, 3, padding="same"),
            name=f"{name}_conv",
        )(x)
        x = keras_snn.LIF(
            tau=2.0,
            trainable_beta=True,
            surrogate="fast_sigmoid",
            name=f"{name}_lif",
        )(x)
        return keras.layers.TimeDistributed(
            keras.layers.AveragePooling2D(2), name=f"{name}_pool"
        )(x)

    inputs = keras.Input((timesteps, height, width, polarities), name="frames")
    x = conv_block(inputs, 16, "block_1")  # [batch, T, 17, 17, 16]
    x = conv_block(x, 32, "block_2")  # [batch, T, 8, 8, 32]
    x = keras.layers.TimeDistributed(keras.layers.Flatten(), name="flat")(x)
    x = keras_snn.LI(10, tau=5.0, name="readout")(x)
    outputs = keras.layers.GlobalAveragePooling1D(name="logits")(x)
    return keras.Model(inputs, outputs, name="nmnist_conv_snn")


def main(argv=None):
    args = parse_args(argv)
    # Imported after parsing so that --help is fast and prints no
    # backend logs.
    import keras
    import tonic

    import keras_snn

    keras.utils.set_random_seed(args.seed)
    to_frame = tonic.transforms.ToFrame(
        sensor_size=tonic.datasets.NMNIST.sensor_size,
        n_time_bins=args.timesteps,
    )
    splits = {
        train: keras_snn.datasets.from_tonic(
            tonic.datasets.NMNIST(
                os.path.expanduser(args.data), train=train, transform=to_frame
            ),
            batch_size=args.batch_size,
            shuffle=train,
            seed=args.seed,
            workers=args.workers,
        )
        for train in (True, False)
    }
    train, test = splits[True], splits[False]
    model = build_model(*train.sample_shape)
    model.compile(
        optimizer=keras.optimizers.Adam(args.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    _common.fit_and_report(
        model,
        args,
        train,
        test,
        what="recordings",
        details=[f"frames: {train.sample_shape}"],
    )


if __name__ == "__main__":
    main()
