"""Train a spiking classifier on digits, export it to every format, check it.

The model and data are those of `examples/train_digits.py` (the 8x8
scikit-learn digits scaled to [0, 1], split 80/20 stratified by class;
`keras_snn.build(input_size=64, output_size=10)` with its defaults). After
training, the script exports the model to every format that the current
backend can produce (`tf_saved_model` on TensorFlow and JAX, `litert` on
TensorFlow, `onnx` everywhere), runs each artifact in its own runtime on
the test images and compares with `model.predict`: the fraction of
identical output rates and of identical predicted classes. On TensorFlow it
also writes an int8 LiteRT file (`keras_snn.export.quantize_litert`) and
compares its accuracy, and exports the streaming (one timestep per call)
model to LiteRT and runs it step by step. It prints the file sizes.

The converters and runtimes are in the `export` extra (`pip install -e
".[export]"`); a format whose modules are missing is skipped with a
message naming them.

    KERAS_BACKEND=tensorflow python examples/export_tflite.py
    KERAS_BACKEND=torch python examples/export_tflite.py --epochs 5
    python examples/export_tflite.py --epochs 1 --limit 128   # smoke run
"""

# Keras and the backend are imported where they are used, after the
# arguments are parsed: `--help` and argument errors come at once, without
# the backend's start-up time and log lines.
import importlib.util
import os

import _common
import numpy as np
from train_digits import load_data

EXTENSIONS = {"tf_saved_model": "", "litert": ".tflite", "onnx": ".onnx"}

# The modules that each format needs on each backend that can export it:
# the converter and the runtime that runs the artifact. LiteRT converts
# with TensorFlow and runs in ai-edge-litert, or else in tf.lite.
MODULES = {
    "tf_saved_model": {"tensorflow": [], "jax": ["tensorflow"]},
    "litert": {"tensorflow": []},
    "onnx": {
        "tensorflow": ["tf2onnx", "onnx", "onnxruntime"],
        "jax": ["jax2onnx", "onnx", "onnxruntime"],
        "torch": ["onnxscript", "onnx", "onnxruntime"],
    },
}


def parse_args(argv=None):
    parser = _common.make_parser(
        __doc__,
        "KERAS_BACKEND=tensorflow python examples/export_tflite.py",
        epochs=10,
        seed_help="seed of the split and weights",
        limit_help="use only the first LIMIT training and test images",
    )
    parser.add_argument(
        "--representative",
        type=int,
        default=256,
        help="training images used to calibrate the int8 model",
    )
    parser.add_argument(
        "--output-dir",
        default=os.path.join("examples", "output", "export"),
        help="where to write the exported files",
    )
    parser.add_argument(
        "--formats",
        nargs="+",
        choices=list(EXTENSIONS),
        default=list(EXTENSIONS),
        help="the formats to export (LiteRT also brings the int8 and "
        "streaming exports)",
    )
    return _common.check_args(parser, parser.parse_args(argv), "representative")


def missing_modules(format, backend):
    """What `format` needs on `backend` and is not installed, as a message
    naming the modules and the extras that install them, or None."""
    missing = [
        name
        for name in MODULES[format].get(backend, [])
        if importlib.util.find_spec(name) is None
    ]
    if not missing:
        return None
    extras = sorted(
        {"tensorflow" if m == "tensorflow" else "export" for m in missing}
    )
    return (
        f"needs {', '.join(missing)}, not installed "
        f'(pip install -e ".[{",".join(extras)}]")'
    )


def size(path):
    """Bytes of a file, or of all files under a folder."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    return sum(
        os.path.getsize(os.path.join(root, name))
        for root, _, names in os.walk(path)
        for name in names
    )


def compare(name, rates, expected, y, path):
    same = np.mean(rates == expected)
    agree = np.mean(np.argmax(rates, 1) == np.argmax(expected, 1))
    accuracy = np.mean(np.argmax(rates, 1) == y)
    print(
        f"{name:<16} identical rates {same:7.2%}  same class {agree:7.2%}  "
        f"accuracy {accuracy:7.2%}  size {size(path) / 1024:8.1f} KiB"
    )
    return accuracy


def run_stream(run, stream, x):
    """Runs a streaming artifact for num_timesteps steps on inputs x."""
    states = stream.initial_states(len(x))
    for _ in range(stream.num_timesteps):
        feeds = dict(zip(stream.state_names, states, strict=True))
        rates, *states = run({"x_t": x, **feeds})
    return rates


def export_formats(model, formats, output_dir, x, y, expected):
    """Exports `model` to each format that this backend can produce and
    whose modules are installed, and compares each artifact's rates on `x`
    with `expected`; returns the formats exported."""
    import keras

    from keras_snn import export

    backend = keras.backend.backend()
    exported = []
    for format in formats:
        path = os.path.join(output_dir, f"digits{EXTENSIONS[format]}")
        backends = export.FORMATS[format]
        missing = missing_modules(format, backend)
        if backend not in backends:
            print(f"{format:<16} needs KERAS_BACKEND in {list(backends)}")
        elif missing:
            print(f"{format:<16} skipped: {missing}")
        else:
            export.export(model, path, format=format)
            rates = export.load_exported(path, format)(x)
            compare(format, rates, expected, y, path)
            exported.append(format)
    return exported


def main(argv=None):
    args = parse_args(argv)
    import keras

    import keras_snn
    from keras_snn import export

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_data(args.seed, args.limit)
    model = keras_snn.build(input_size=64, output_size=10)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras_snn.losses.SparseRateCrossEntropy(),
        metrics=["accuracy"],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=args.epochs, verbose=0)
    expected = model.predict(x_test, verbose=0)
    os.makedirs(args.output_dir, exist_ok=True)
    keras_path = os.path.join(args.output_dir, "digits.keras")
    model.save(keras_path)
    print(
        f"backend: {keras.backend.backend()}, {len(x_test)} test images, "
        f"mean output rate {expected.mean():.3f}"
    )
    compare("keras predict", expected, expected, y_test, keras_path)

    exported = export_formats(
        model, args.formats, args.output_dir, x_test, y_test, expected
    )
    if "litert" not in exported:
        return
    int8_path = os.path.join(args.output_dir, "digits_int8.tflite")
    export.quantize_litert(model, int8_path, x_train[: args.representative])
    rates = export.load_exported(int8_path, "litert")(x_test)
    compare("litert int8", rates, expected, y_test, int8_path)

    stream = export.streaming_model(model)
    stream_path = os.path.join(args.output_dir, "digits_streaming.tflite")
    export.export(stream, stream_path, format="litert")
    rates = run_stream(
        export.load_exported(stream_path, "litert"), stream, x_test
    )
    compare("litert streaming", rates, expected, y_test, stream_path)
    print("LiteRT operators:", ", ".join(export.litert_ops(stream_path)))


if __name__ == "__main__":
    main()
