import sys

import keras
import numpy as np
import pytest

import keras_snn
from keras_snn import plot
from keras_snn.monitoring import spike_trains

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

# With beta = 1, threshold 1 and a constant input of 1, neuron 0 never fires
# (current 0), neuron 1 fires at steps 1 and 3 (current 0.6:
# V = 0.6, 1.2, 0.8, 1.4) and neuron 2 at every step (current 2).
ONES = np.ones((2, 4, 1), np.float32)
KNOWN_KERNEL = np.array([[0.0, 0.6, 2.0]], np.float32)


def known_rates_model():
    lif = keras_snn.LIF(3, beta=1.0, use_bias=False, name="known")
    model = keras.Sequential(
        [keras.Input((4, 1)), lif, keras_snn.RateDecoding(name="rates")]
    )
    lif.cell.kernel.assign(KNOWN_KERNEL)
    return model


def random_trains():
    rng = np.random.default_rng(0)
    return {
        "a": (rng.uniform(size=(3, 10, 6)) < 0.3).astype(np.float32),
        "b": (rng.uniform(size=(3, 10, 4)) < 0.6).astype(np.float32),
    }


def assert_png(path):
    with open(path, "rb") as file:
        data = file.read()
    assert data[:8] == PNG_MAGIC and len(data) > 5000


def test_raster_from_spike_trains(tmp_path):
    trains = random_trains()
    path = str(tmp_path / "raster.png")
    figure = plot.raster(trains, sample=2, path=path)
    assert len(figure.axes) == 2
    for ax, train in zip(figure.axes, trains.values(), strict=True):
        (points,) = ax.collections
        times, neurons = np.nonzero(train[2])
        assert len(points.get_offsets()) == train[2].sum() > 0
        np.testing.assert_array_equal(
            points.get_offsets(), np.stack([times, neurons], axis=1)
        )
    assert_png(path)


def test_raster_of_chosen_layers():
    figure = plot.raster(random_trains(), layers="b")
    assert len(figure.axes) == 1
    assert figure.axes[0].get_title().startswith("b:")


def test_raster_from_model(tmp_path):
    path = str(tmp_path / "raster.png")
    figure = plot.raster(known_rates_model(), ONES, path=path)
    (ax,) = figure.axes
    np.testing.assert_array_equal(
        ax.collections[0].get_offsets(),
        [[0, 2], [1, 1], [1, 2], [2, 2], [3, 1], [3, 2]],
    )
    assert_png(path)


def test_raster_of_build_model():
    x = np.random.default_rng(1).uniform(size=(4, 8)).astype(np.float32)
    model = keras_snn.build(
        input_size=8, hidden_sizes=[7, 6], output_size=3, num_timesteps=9
    )
    figure = plot.raster(model, x, sample=3)
    trains = spike_trains(model, x)
    assert len(figure.axes) == 3
    counts = [len(ax.collections[0].get_offsets()) for ax in figure.axes]
    assert counts == [int(t[3].sum()) for t in trains.values()]


def test_unknown_layer_is_named():
    with pytest.raises(ValueError, match=r"'c'.*\['a', 'b'\]"):
        plot.raster(random_trains(), layers=["a", "c"])
    with pytest.raises(ValueError, match=r"'lif_3'.*\['known'\]"):
        plot.raster(known_rates_model(), ONES, layers="lif_3")
    with pytest.raises(ValueError, match=r"'lif_3'.*\['known'\]"):
        plot.rate_histogram(known_rates_model(), ONES, layers="lif_3")
    with pytest.raises(ValueError, match=r"'lif_3'.*\['known'\]"):
        plot.membrane_trace(known_rates_model(), ONES, layer="lif_3")


def test_argument_errors():
    with pytest.raises(ValueError, match="sample=3"):
        plot.raster(random_trains(), sample=3)
    with pytest.raises(ValueError, match="x is only used with a model"):
        plot.raster(random_trains(), ONES)
    with pytest.raises(ValueError, match="x=None"):
        plot.raster(known_rates_model())
    with pytest.raises(ValueError, match=r"shape \(3, 10\)"):
        plot.raster({"a": np.zeros((3, 10))})
    with pytest.raises(ValueError, match="bins=0"):
        plot.rate_histogram(random_trains(), bins=0)
    with pytest.raises(ValueError, match=r"neurons\[1\]=3"):
        plot.membrane_trace(
            known_rates_model(), ONES, layer="known", neurons=[0, 3]
        )


def test_rate_histogram(tmp_path):
    trains = random_trains()
    path = str(tmp_path / "rates.png")
    figure = plot.rate_histogram(trains, bins=5, path=path)
    assert len(figure.axes) == 2
    for ax, train in zip(figure.axes, trains.values(), strict=True):
        heights = [patch.get_height() for patch in ax.patches]
        # Bin k of 5 holds the rates count / 30 in [k / 5, (k + 1) / 5).
        counts = train.sum(axis=(0, 1)).astype(int)
        bin_index = np.minimum(counts * 5 // 30, 4)
        expected = np.bincount(bin_index, minlength=5)
        np.testing.assert_array_equal(heights, expected)
        assert sum(heights) == train.shape[2]
    assert_png(path)


def test_rate_histogram_of_known_rates():
    figure = plot.rate_histogram(known_rates_model(), ONES, bins=4)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    # Rates 0, 0.5 and 1 fall in the first, third and last bins.
    assert heights == [1, 0, 1, 1]
    assert "silent 33%" in figure.axes[0].get_title()


def test_membrane_trace(tmp_path):
    path = str(tmp_path / "membrane.png")
    figure = plot.membrane_trace(
        known_rates_model(), ONES, layer="known", neurons=[1, 2], path=path
    )
    assert len(figure.axes) == 2
    trace, threshold, spikes = figure.axes[0].get_lines()
    np.testing.assert_array_equal(trace.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_allclose(trace.get_ydata(), [0.6, 1.2, 0.8, 1.4])
    np.testing.assert_array_equal(threshold.get_ydata(), [1.0, 1.0])
    np.testing.assert_array_equal(spikes.get_xdata(), [1, 3])
    trace, _, spikes = figure.axes[1].get_lines()
    np.testing.assert_allclose(trace.get_ydata(), [2.0, 3.0, 4.0, 5.0])
    assert len(spikes.get_xdata()) == 4
    assert_png(path)


def test_membrane_trace_default_neurons():
    model = keras.Sequential(
        [keras.Input((5, 2)), keras_snn.LIF(6, name="lif")]
    )
    x = np.random.default_rng(2).uniform(size=(2, 5, 2)).astype(np.float32)
    figure = plot.membrane_trace(model, x, layer="lif", sample=1)
    assert len(figure.axes) == 4
    assert all(len(ax.get_lines()[0].get_xdata()) == 5 for ax in figure.axes)


def test_missing_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install keras-snn\[plot\]"):
        plot.raster(random_trains())
