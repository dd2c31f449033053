"""Train a spiking classifier on the scikit-learn digits, with the defaults.

The 8x8 digits (1,797 images bundled with scikit-learn, so nothing is
downloaded) are scaled to [0, 1] and split 80/20, stratified by class. The
network is `keras_snn.build(input_size=64, output_size=10)` with every
default: the input presented at each of 25 timesteps, LIF layers of 256
and 128 neurons and an LIF output layer whose spikes are rate-decoded. It
is trained for 30 epochs with Adam (learning rate 1e-3) on
`keras_snn.losses.SparseRateCrossEntropy`, evaluated on the held-out 20%,
saved as a `.keras` file and loaded back, which must predict the same
rates. A spike raster of the first test image shows the image, its true
and predicted labels and the spikes of every LIF layer (needs matplotlib,
the `plot` extra).

Expect about 98.2 to 98.5 % on average and 97.5 to 99 % for a given seed
(the split and the initial weights), about what a conventional network of
the same size reaches on the same splits; `docs/training.md` has the
measurements. Measured once each on a loaded 2-core CPU (load average
about 10): the training took 8.5 s of CPU time (`time.process_time`) on
JAX and 14 s on TensorFlow; the whole script, `time python
examples/train_digits.py`, 34 s and 2 min 7 s of wall-clock time, most
of it spent waiting for a core. PyTorch was not measured again; it was
the slowest of the three before (30 to 40 s of CPU time).

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/train_digits.py
    KERAS_BACKEND=torch python examples/train_digits.py --seed 1
    python examples/train_digits.py --epochs 1 --limit 256   # smoke run
"""

# Keras, the backend and scikit-learn are imported where they are used,
# after the arguments are parsed: `--help` and argument errors come at once,
# without the backend's start-up time and log lines.
import os

import _common
import numpy as np


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=jax python examples/train_digits.py",
        epochs=30,
        batch_size=64,
        seed_help="seed of the train/test split, the weights and the batches",
    )
    parser.add_argument(
        "--encoding",
        choices=["repeat", "poisson", "latency"],
        default="repeat",
        help="how build() encodes the pixels over time",
    )
    _common.add_output(parser, "digits_snn.keras")
    parser.add_argument(
        "--raster",
        default=os.path.join("examples", "output", "digits_raster.png"),
        help="where to save a spike raster of the first test image (PNG, "
        "needs matplotlib); an empty string skips it",
    )
    _common.add_verbose(parser)
    return _common.check_args(parser, parser.parse_args(argv))


def load_data(seed, limit=None):
    """Digits scaled to [0, 1], split 80/20 stratified by class."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    # Pixel values are integers in 0..16.
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=seed
    )
    return _common.first(((x_train, y_train), (x_test, y_test)), limit)


def main(argv=None):
    args = parse_args(argv)
    import keras

    import keras_snn

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.seed, args.limit)

    model = keras_snn.build(
        input_size=64, output_size=10, encoding=args.encoding
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras_snn.losses.SparseRateCrossEntropy(),
        metrics=["accuracy"],
    )

    train_cpu_seconds = _common.fit(model, args, x_train, y_train)

    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    rates = model.predict(x_test, verbose=0)
    print(
        f"backend: {keras.backend.backend()}\n"
        f"test accuracy: {accuracy:.4f} ({len(x_test)} images)\n"
        f"training CPU time: {train_cpu_seconds:.1f} s "
        f"({args.epochs} epochs, {len(x_train)} images)\n"
        f"mean output rate: {float(np.mean(rates)):.3f}"
    )

    _common.save(model, args.output)
    # Loading needs keras_snn imported: it registers the layers, without
    # which Keras cannot locate the class 'SpikingModel'.
    reloaded = keras.saving.load_model(args.output)
    if not np.array_equal(reloaded.predict(x_test, verbose=0), rates):
        raise SystemExit(f"{args.output} loaded back predicts other rates")
    print(
        f"saved the model to {args.output}; loaded back, it predicts the "
        "same rates"
    )
    if args.raster:
        save_raster(model, x_test[0], y_test[0], rates[0], args.raster)


def save_raster(model, x, label, rates, path):
    """Saves the input image, its labels and the spike raster of every LIF
    layer for one test image."""
    import keras_snn.plot

    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    try:
        keras_snn.plot.raster(
            model,
            x[None],
            image=x.reshape(8, 8),
            title=f"first test image: label {label}, predicted "
            f"{np.argmax(rates)}",
            unit_labels={"lif_output": range(10)},
            path=path,
        )
    except ImportError as error:
        print(f"no raster saved: {error}")
        return
    print(f"saved a spike raster of the first test image to {path}")


if __name__ == "__main__":
    main()
