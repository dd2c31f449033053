"""Train a small convolutional spiking network on the scikit-learn digits.

The 8x8 digits (1,797 images bundled with scikit-learn, so nothing is
downloaded) are scaled to [0, 1], kept as `[8, 8, 1]` images and split
80/20, stratified by class. Each image becomes a spike train `[time, 8, 8,
1]` (Poisson spikes by default, or the image repeated at every step), and
flows through two convolutional spiking blocks,
`TimeDistributed(Conv2D)` -> `LIF()` -> `TimeDistributed(AveragePooling2D)`,
where `LIF()` without `units` has no weights of its own: the convolution's
output is its input current. A readout of 10 neurons gives the class
scores: by default an `LI` layer whose membrane potential, averaged over
time, gives logits for `SparseCategoricalCrossentropy(from_logits=True)`;
with `--readout rate` an `LIF` layer whose firing rates are trained with
`keras_snn.losses.SparseRateCrossEntropy`.

Measured with the defaults (seed 0; training CPU time from
`time.process_time` on a shared 2-core machine): JAX 94.7 % test accuracy
(32 s of CPU), TensorFlow 95.6 % (53 s), PyTorch 95.6 % (745 s); with
`--encoding repeat`, JAX 96.1 % (24 s). See docs/neurons.md.

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/train_conv_digits.py
    python examples/train_conv_digits.py --encoding repeat --readout rate
    python examples/train_conv_digits.py --epochs 1 --limit 64   # smoke run
"""

# Keras and the backend are imported where they are used, after the
# arguments are parsed: `--help` and argument errors come at once, without
# the backend's start-up time and log lines.
import _common
import numpy as np
import train_digits


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=jax python examples/train_conv_digits.py",
        epochs=20,
        batch_size=32,
        seed_help="seed of the train/test split, the weights, the batches "
        "and the Poisson spikes",
    )
    parser.add_argument(
        "--timesteps",
        type=int,
        default=10,
        help="number of simulation steps per image",
    )
    parser.add_argument(
        "--encoding",
        choices=["poisson", "repeat"],
        default="poisson",
        help="how the pixels become spike trains: Poisson spikes with the "
        "pixel as probability, or the pixel as a constant input",
    )
    parser.add_argument(
        "--readout",
        choices=["membrane", "rate"],
        default="membrane",
        help="LI membrane averaged over time (logits) or LIF firing rates",
    )
    _common.add_output(parser, "conv_digits_snn.keras", optional=True)
    _common.add_verbose(parser, default=2)
    return _common.check_args(parser, parser.parse_args(argv), "timesteps")


def load_data(seed, limit=None):
    """Digits as `[n, 8, 8, 1]` images in [0, 1], with the split of
    `train_digits.py`."""
    splits = train_digits.load_data(seed, limit)
    return tuple((x.reshape(-1, 8, 8, 1), y) for x, y in splits)


def conv_block(x, filters, name):
    """Conv2D at every step, spiking neurons, 2x2 average pooling."""
    import keras

    import keras_snn

    x = keras.layers.TimeDistributed(
        keras.layers.Conv2D(filters, 3, padding="same"), name=f"{name}_conv"
    )(x)
    x = keras_snn.LIF(tau=2.0, trainable_beta=True, name=f"{name}_lif")(x)
    return keras.layers.TimeDistributed(
        keras.layers.AveragePooling2D(2), name=f"{name}_pool"
    )(x)


def build_model(timesteps, encoding, readout, seed):
    """The convolutional SNN: `[batch, 8, 8, 1]` images to 10 scores."""
    import keras

    import keras_snn

    inputs = keras.Input((8, 8, 1), name="images")
    if encoding == "poisson":
        x = keras_snn.PoissonEncoding(timesteps, seed=seed)(inputs)
    else:
        x = keras_snn.RepeatEncoding(timesteps)(inputs)
    x = conv_block(x, 16, "block_1")  # [batch, T, 4, 4, 16]
    x = conv_block(x, 32, "block_2")  # [batch, T, 2, 2, 32]
    x = keras.layers.TimeDistributed(keras.layers.Flatten(), name="flat")(x)
    if readout == "membrane":
        x = keras_snn.LI(10, tau=5.0, name="readout")(x)
        outputs = keras.layers.GlobalAveragePooling1D(name="logits")(x)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        x = keras_snn.LIF(10, name="readout")(x)
        outputs = keras_snn.RateDecoding(name="rates")(x)
        loss = keras_snn.losses.SparseRateCrossEntropy()
    model = keras.Model(inputs, outputs, name="conv_snn")
    return model, loss


def main(argv=None):
    args = parse_args(argv)
    import keras

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.seed, args.limit)
    model, loss = build_model(
        args.timesteps, args.encoding, args.readout, args.seed
    )
    model.compile(
        optimizer=keras.optimizers.Adam(2e-3),
        loss=loss,
        metrics=["accuracy"],
    )

    train_cpu_seconds = _common.fit(model, args, x_train, y_train)

    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"backend: {keras.backend.backend()}\n"
        f"test accuracy: {accuracy:.4f} ({len(x_test)} images)\n"
        f"training CPU time: {train_cpu_seconds:.1f} s "
        f"({args.epochs} epochs, {len(x_train)} images)\n"
        f"encoding: {args.encoding}, readout: {args.readout}, "
        f"timesteps: {args.timesteps}"
    )
    scores = model.predict(x_test[:1], verbose=0)
    print(f"scores of the first test image: {np.round(scores[0], 2)}")
    if args.output:
        _common.save(model, args.output)
        print(f"saved the model to {args.output}")


if __name__ == "__main__":
    main()
