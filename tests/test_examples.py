"""Smoke runs of the example scripts, in a subprocess on this backend."""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from tests.test_datasets import write_mnist
from tests.test_mnist1d import write_mnist1d

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_example(name, *args):
    env = {
        **os.environ,
        "KERAS_BACKEND": keras.backend.backend(),
        "PYTHONPATH": REPO,
    }
    return subprocess.run(
        [sys.executable, os.path.join(REPO, "examples", name), *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout


@pytest.mark.parametrize(
    "name",
    [
        "train_digits.py",
        "train_mnist.py",
        "train_conv_digits.py",
        "export_tflite.py",
        "train_mnist1d.py",
    ],
)
def test_help(name):
    out = run_example(name, "--help")
    assert "--epochs" in out and "--limit" in out and "KERAS_BACKEND" in out


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
