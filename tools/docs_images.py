"""Draws the pictures of docs/training.md into docs/img/.

Trains `keras_snn.build()` (defaults, both hidden layers regularized with
`FiringRate()`) on the scikit-learn digits, then saves a spike raster, a
firing-rate histogram and a membrane trace of test images:

    KERAS_BACKEND=jax python tools/docs_images.py
"""

import argparse
import os

import keras
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import keras_snn
from keras_snn import plot
from keras_snn.monitoring import FiringRateMonitor
from keras_snn.regularizers import FiringRate


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--output", default=os.path.join("docs", "img"))
    args = parser.parse_args(argv)

    keras.utils.set_random_seed(0)
    digits = load_digits()
    x = (digits.data / 16.0).astype("float32")
    x_train, x_test, y_train, y_test = train_test_split(
        x, digits.target, test_size=0.2, stratify=digits.target, random_state=0
    )
    model = keras_snn.build(input_size=64, output_size=10)
    for name in ("lif_0", "lif_1"):
        model.get_layer(name).activity_regularizer = FiringRate()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras_snn.losses.SparseRateCrossEntropy(),
        metrics=["accuracy"],
    )
    model.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        verbose=2,
        callbacks=[FiringRateMonitor(x_test[:256])],
    )
    print("test accuracy:", model.evaluate(x_test, y_test, verbose=0)[1])

    os.makedirs(args.output, exist_ok=True)
    batch = x_test[:256]
    predicted = model.predict(batch[:1], verbose=0).argmax()
    print("label of sample 0:", y_test[0], "predicted:", predicted)
    plot.raster(
        model,
        batch,
        image=batch[0].reshape(8, 8),
        title=f"test image 0: label {y_test[0]}, predicted {predicted}",
        unit_labels={"lif_output": range(10)},
        path=os.path.join(args.output, "raster.png"),
    )
    plot.rate_histogram(
        model, batch, path=os.path.join(args.output, "rates.png")
    )
    plot.membrane_trace(
        model,
        batch,
        layer="lif_output",
        neurons=[int(y_test[0]), int(y_test[0] + 1) % 10],
        path=os.path.join(args.output, "membrane.png"),
    )


if __name__ == "__main__":
    main()
