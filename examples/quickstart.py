"""Train a spiking classifier on the scikit-learn digits, save and reload it.

The 8x8 digits (1,797 images, bundled with scikit-learn, so no download)
are scaled to [0, 1], repeated over `--num-timesteps` steps, and fed to the
network from `keras_snn.build()`: two hidden LIF layers and an LIF output
layer whose spikes are rate-decoded. The model is trained with surrogate
gradients, evaluated on a held-out 20% split, saved as a `.keras` file and
reloaded in safe mode.

Pick the backend with the `KERAS_BACKEND` environment variable:

    KERAS_BACKEND=jax python examples/quickstart.py
    KERAS_BACKEND=tensorflow python examples/quickstart.py --epochs 5
"""

import argparse
import os
import time

import keras
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_snn


def rate_cross_entropy(y_true, rates):
    """Cross-entropy of integer labels against scaled firing rates.

    Rates lie in [0, 1]; used directly as logits they give an almost flat
    softmax (at most e = 2.7 times more weight on the winning class), so
    they are scaled by 10 first.
    """
    return keras.losses.sparse_categorical_crossentropy(
        y_true, 10.0 * rates, from_logits=True
    )


def parse_args():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="The backend is chosen with KERAS_BACKEND "
        "(tensorflow, jax or torch), e.g. "
        "KERAS_BACKEND=jax python examples/quickstart.py",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--epochs", type=int, default=30, help="number of training epochs"
    )
    parser.add_argument(
        "--batch-size", type=int, default=64, help="training batch size"
    )
    parser.add_argument(
        "--num-timesteps",
        type=int,
        default=25,
        help="simulation steps per image",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the train/test split and of weight initialization",
    )
    parser.add_argument(
        "--output",
        default=os.path.join("examples", "output", "digits_snn.keras"),
        help="where to save the trained model (.keras)",
    )
    return parser.parse_args()


def main():
    args = parse_args()
    keras.utils.set_random_seed(args.seed)

    digits = load_digits()
    # Pixel values are integers in 0..16.
    x = (digits.data / 16.0).astype("float32")
    y = digits.target.astype("int32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=args.seed
    )

    model = keras_snn.build(
        input_size=64, output_size=10, num_timesteps=args.num_timesteps
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=rate_cross_entropy,
        metrics=["accuracy"],
    )
    model.summary()

    start = time.perf_counter()
    model.fit(
        x_train,
        y_train,
        batch_size=args.batch_size,
        epochs=args.epochs,
        validation_data=(x_test, y_test),
        verbose=2,
    )
    train_seconds = time.perf_counter() - start

    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(
        f"backend: {keras.backend.backend()}, "
        f"test accuracy: {accuracy:.4f} "
        f"({len(x_test)} images, {args.epochs} epochs, "
        f"{train_seconds:.1f} s of training)"
    )

    output_dir = os.path.dirname(args.output)
    if output_dir:
        os.makedirs(output_dir, exist_ok=True)
    model.save(args.output)
    reloaded = keras.saving.load_model(
        args.output,
        safe_mode=True,
        custom_objects={"rate_cross_entropy": rate_cross_entropy},
    )
    rates = model.predict(x_test, verbose=0)
    reloaded_rates = reloaded.predict(x_test, verbose=0)
    assert np.allclose(rates, reloaded_rates), (
        "The reloaded model predicts differently from the trained one."
    )
    print(f"saved to {args.output}; the reloaded model predicts the same.")


if __name__ == "__main__":
    main()
