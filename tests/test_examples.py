"""Smoke runs of the example scripts, in a subprocess on this backend."""

import importlib
import importlib.util
import os
import re
import subprocess
import sys

import keras
import numpy as np
import pytest

import keras_snn
from tests.test_datasets import write_mnist
from tests.test_datasets_events import write_nmnist
from tests.test_datasets_shd import random_shd
from tests.test_mnist1d import write_mnist1d

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(REPO, "examples")


def run(name, *args, setup=None):
    """Runs examples/`name` with `args`; `setup` is Python code run first,
    in the same process."""
    env = {
        **os.environ,
        "KERAS_BACKEND": keras.backend.backend(),
        "PYTHONPATH": REPO,
    }
    script = os.path.join(EXAMPLES, name)
    command = [sys.executable, script, *args]
    if setup is not None:
        command = [
            sys.executable,
            "-c",
            f"{setup}\nimport runpy, sys\n"
            f"sys.path.insert(0, {os.path.dirname(script)!r})\n"
            f"sys.argv = {[script, *args]!r}\n"
            f"runpy.run_path({script!r}, run_name='__main__')",
        ]
    return subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )


def run_example(name, *args, setup=None):
    return run(name, *args, setup=setup).stdout


@pytest.mark.parametrize(
    "name",
    [
        "train_digits.py",
        "train_mnist.py",
        "train_conv_digits.py",
        "export_tflite.py",
        "train_shd.py",
        "train_nmnist.py",
        "train_delays_mnist1d.py",
        "train_mnist1d.py",
    ],
)
def test_help(name):
    result = run(name, "--help")
    out = result.stdout
    assert "--epochs" in out and "--limit" in out and "KERAS_BACKEND" in out
    # The arguments are parsed before Keras is imported: no backend start-up
    # (TensorFlow logs lines to stderr as it loads, even on JAX and PyTorch,
    # through Keras).
    assert result.stderr == ""


def test_train_digits_smoke_run(tmp_path):
    output = tmp_path / "digits.keras"
    raster = tmp_path / "raster.png"
    out = run_example(
        "train_digits.py",
        "--epochs=1",
        "--limit=64",
        "--verbose=0",
        f"--output={output}",
        f"--raster={raster}",
    )
    assert f"backend: {keras.backend.backend()}" in out
    assert "test accuracy:" in out and "training CPU time:" in out
    assert "loaded back, it predicts the same rates" in out
    model = keras.saving.load_model(output, safe_mode=True)
    assert model.output_shape == (None, 10)
    if importlib.util.find_spec("matplotlib") is not None:
        assert raster.read_bytes().startswith(b"\x89PNG")


def test_train_mnist_smoke_run_on_a_synthetic_file(tmp_path):
    data = tmp_path / "mnist.npz"
    write_mnist(data, train=32, test=8)
    output = tmp_path / "mnist.keras"
    out = run_example(
        "train_mnist.py",
        f"--data={data}",
        "--epochs=1",
        "--limit=16",
        "--verbose=0",
        f"--output={output}",
    )
    assert "test accuracy:" in out and "(8 images)" in out
    model = keras.saving.load_model(output, safe_mode=True)
    assert model.input_shape == (None, 784)
    rates = model.predict(np.zeros((1, 784), np.float32), verbose=0)
    assert rates.shape == (1, 10)


@pytest.mark.parametrize(
    "encoding, readout", [("poisson", "membrane"), ("repeat", "rate")]
)
def test_train_conv_digits_smoke_run(tmp_path, encoding, readout):
    output = tmp_path / "conv_digits.keras"
    out = run_example(
        "train_conv_digits.py",
        "--epochs=1",
        "--limit=32",
        "--timesteps=3",
        f"--encoding={encoding}",
        f"--readout={readout}",
        "--verbose=0",
        f"--output={output}",
    )
    assert "test accuracy:" in out and "(32 images)" in out
    model = keras.saving.load_model(output, safe_mode=True)
    assert model.input_shape == (None, 8, 8, 1)
    scores = model.predict(np.zeros((1, 8, 8, 1), np.float32), verbose=0)
    assert scores.shape == (1, 10)
    convs = [layer for layer in model.layers if "conv" in layer.name]
    assert [tuple(c.output.shape) for c in convs] == [
        (None, 3, 8, 8, 16),
        (None, 3, 4, 4, 32),
    ]


def test_train_shd_smoke_run_on_a_synthetic_directory(tmp_path):
    random_shd(tmp_path / "shd_train.h5", samples=24, seed=1)
    random_shd(tmp_path / "shd_test.h5", samples=10, seed=2)
    out = run_example(
        "train_shd.py",
        f"--data={tmp_path}",
        "--epochs=1",
        "--limit=16",
        "--batch-size=8",
        "--bins=10",
        "--units=8",
        "--verbose=0",
    )
    assert f"backend: {keras.backend.backend()}" in out
    assert "(1 epochs of 2 batches)" in out and "test samples: 10" in out
    last = out.strip().splitlines()[-1]
    assert (
        last.startswith("test accuracy: 0.") or last == "test accuracy: 1.0000"
    )


def test_train_nmnist_smoke_run_on_synthetic_files(tmp_path):
    write_nmnist(tmp_path, per_class=(2, 1))
    out = run_example(
        "train_nmnist.py",
        f"--data={tmp_path}",
        "--epochs=1",
        "--limit=12",
        "--batch-size=6",
        "--timesteps=3",
        "--verbose=0",
        # tonic wants all 10,000 N-MNIST files before it reads instead of
        # downloading; it reads the synthetic .bin files with its own code.
        setup="import tonic\n"
        "tonic.datasets.NMNIST._check_exists = lambda self: True",
    )
    assert "frames: (3, 34, 34, 2)" in out
    assert "(1 epochs of 2 batches)" in out and "test recordings: 10" in out
    assert re.fullmatch(r"test accuracy: [01]\.\d{4}", out.splitlines()[-1])


def test_export_tflite_smoke_run(tmp_path):
    out = run_example(
        "export_tflite.py",
        "--epochs=1",
        "--limit=128",
        "--representative=16",
        f"--output-dir={tmp_path}",
    )
    backend = keras.backend.backend()
    assert f"backend: {backend}" in out
    # Each result line starts with its name in a 16-character column.
    lines = {line[:16].strip(): line for line in out.splitlines()}
    exact = {
        "tensorflow": ["tf_saved_model", "litert", "onnx", "litert streaming"],
        "jax": ["tf_saved_model", "onnx"],
        "torch": ["onnx"],
    }[backend]
    for name in exact:
        assert "identical rates 100.00%" in lines[name], out
    assert (tmp_path / "digits.onnx").exists()
    if backend == "tensorflow":
        assert "accuracy" in lines["litert int8"], out
        assert (tmp_path / "digits_int8.tflite").exists()
    else:
        assert "needs KERAS_BACKEND in ['tensorflow']" in lines["litert"]


def test_export_skips_a_format_whose_converter_is_missing(
    tmp_path, monkeypatch, capsys
):
    # In this process, with onnx made unimportable, on an untrained model:
    # the example says what to install instead of failing in the exporter.
    monkeypatch.syspath_prepend(EXAMPLES)
    monkeypatch.setitem(sys.modules, "onnx", None)
    export_tflite = importlib.import_module("export_tflite")
    model = keras_snn.build(
        input_size=64, hidden_sizes=[4], output_size=10, num_timesteps=2
    )
    x = np.zeros((2, 64), np.float32)
    exported = export_tflite.export_formats(
        model, ["onnx"], str(tmp_path), x, np.zeros(2), np.zeros((2, 10))
    )
    (line,) = capsys.readouterr().out.splitlines()
    assert exported == []
    assert line.startswith("onnx             skipped: needs onnx, not")
    assert line.endswith('(pip install -e ".[export]")')
    assert os.listdir(tmp_path) == []


def test_train_delays_mnist1d_smoke_run():
    out = run_example(
        "train_delays_mnist1d.py",
        "--epochs=1",
        "--limit=64",
        "--hidden=8",
        "--max-delay=3",
    )
    lines = out.strip().splitlines()
    assert "no delays" in lines[-3] and "max_delay=0" in lines[-3]
    assert "learned delays" in lines[-2] and "max_delay=3" in lines[-2]
    assert lines[-1].startswith("test accuracy: ")
    assert lines[-1].endswith("(64 sequences)")


def test_train_mnist1d_smoke_run_on_a_synthetic_file(tmp_path):
    data = tmp_path / "mnist1d.npz"
    write_mnist1d(data, train=32, test=8, steps=12)
    output = tmp_path / "mnist1d.keras"
    out = run_example(
        "train_mnist1d.py",
        f"--data={data}",
        "--epochs=1",
        "--limit=16",
        "--verbose=0",
        f"--output={output}",
    )
    last = out.strip().splitlines()[-1]
    assert last.startswith("test accuracy: ")
    assert 0.0 <= float(last.split(": ")[1]) <= 1.0
    assert "(1 epochs, 16 sequences)" in out
    model = keras.saving.load_model(output, safe_mode=True)
    assert model.input_shape == (None, 12, 1)
    logits = model.predict(np.zeros((1, 12, 1), np.float32), verbose=0)
    assert logits.shape == (1, 10)
