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


def test_raster_with_image_title_and_unit_labels(tmp_path):
    trains = random_trains()
    image = np.arange(12, dtype=np.float32).reshape(3, 4)
    path = str(tmp_path / "raster.png")
    figure = plot.raster(
        trains,
        sample=1,
        image=image,
        title="label 3, predicted 5",
        unit_labels={"b": ["w", "x", "y", 7]},
        path=path,
    )
    image_ax, a_ax, b_ax = figure.axes
    (shown,) = image_ax.get_images()
    np.testing.assert_array_equal(shown.get_array(), image)
    assert image_ax.get_title() == "input"
    assert figure.get_suptitle() == "label 3, predicted 5"
    # The raster panels are those of the figure without the options.
    for ax, train in zip((a_ax, b_ax), trains.values(), strict=True):
        times, neurons = np.nonzero(train[1])
        np.testing.assert_array_equal(
            ax.collections[0].get_offsets(), np.stack([times, neurons], 1)
        )
    # One tick per neuron of "b", labelled; "a" keeps matplotlib's ticks.
    np.testing.assert_array_equal(b_ax.get_yticks(), [0, 1, 2, 3])
    assert [t.get_text() for t in b_ax.get_yticklabels()] == [
        "w",
        "x",
        "y",
        "7",
    ]
    assert not {t.get_text() for t in a_ax.get_yticklabels()} & {"w", "x"}
    assert_png(path)


def test_raster_options_of_a_build_model():
    model = keras_snn.build(
        input_size=4, hidden_sizes=[5], output_size=3, num_timesteps=4
    )
    x = np.full((1, 4), 0.5, np.float32)
    figure = plot.raster(
        model,
        x,
        image=x.reshape(2, 2),
        unit_labels={"lif_output": ["cat", "dog", "eel"]},
    )
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == [
        "input",
        "lif_0",
        "lif_output",
    ]
    labels = [t.get_text() for t in figure.axes[2].get_yticklabels()]
    assert labels == ["cat", "dog", "eel"]
    assert figure.get_suptitle() == ""


def test_raster_option_errors():
    trains = random_trains()
    with pytest.raises(ValueError, match=r"image of shape \(6,\)"):
        plot.raster(trains, image=np.zeros(6))
    with pytest.raises(ValueError, match=r"'c', which is not plotted.*'a'"):
        plot.raster(trains, unit_labels={"c": range(6)})
    with pytest.raises(ValueError, match=r"'b' has 4 neurons.*3 labels"):
        plot.raster(trains, unit_labels={"b": range(3)})
    with pytest.raises(ValueError, match="unit_labels of type list"):
        plot.raster(trains, unit_labels=["a", "b"])
    with pytest.raises(ValueError, match=r"not plotted.*\['b'\]"):
        plot.raster(trains, layers="b", unit_labels={"a": range(6)})


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
    np.testing.assert_array_equal(threshold.get_xdata(), [0, 1, 2, 3])
    np.testing.assert_array_equal(threshold.get_ydata(), [1.0] * 4)
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


def test_membrane_trace_of_adaptive_layer():
    alif = keras_snn.AdaptiveLIF(
        3,
        beta=1.0,
        rho=0.5,
        adaptation_strength=1.0,
        use_bias=False,
        name="alif",
    )
    model = keras.Sequential([keras.Input((4, 1)), alif])
    alif.cell.kernel.assign(KNOWN_KERNEL)
    figure = plot.membrane_trace(model, ONES, layer="alif", neurons=[2])
    trace, threshold, spikes = figure.axes[0].get_lines()
    # Current 2: each spike (subtracting the threshold of its step) adds 1
    # to the adaptation, which halves every step and raises the threshold:
    # theta = 1 + a_prev = 1, 2, 2.5, 2.75 against V_pre = 2, 3, 3, 2.5.
    np.testing.assert_allclose(threshold.get_ydata(), [1.0, 2.0, 2.5, 2.75])
    np.testing.assert_allclose(trace.get_ydata(), [2.0, 3.0, 3.0, 2.5])
    np.testing.assert_array_equal(spikes.get_xdata(), [0, 1, 2])


def test_spike_plots_of_every_spiking_layer(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((6, 3)),
            keras_snn.SynapticLIF(5, tau_syn=2.0, name="synaptic"),
            keras_snn.AdaptiveLIF(4, recurrent=True, name="adaptive"),
            keras_snn.IF(3, name="if"),
            keras_snn.LI(2, name="readout"),
        ]
    )
    x = np.random.default_rng(3).uniform(size=(2, 6, 3)).astype(np.float32)
    trains = spike_trains(model, x)
    assert list(trains) == ["synaptic", "adaptive", "if"]
    figure = plot.raster(model, x, sample=1)
    counts = [len(ax.collections[0].get_offsets()) for ax in figure.axes]
    assert counts == [int(t[1].sum()) for t in trains.values()]
    figure = plot.membrane_trace(model, x, layer="if", neurons=[0])
    (trace, threshold, _) = figure.axes[0].get_lines()
    assert len(trace.get_ydata()) == 6
    with pytest.raises(ValueError, match="layer='readout' of type LI"):
        plot.membrane_trace(model, x, layer="readout")


def test_spike_plots_of_a_convolutional_layer():
    # LIF() without units keeps the conv output's [height, width,
    # channels]; the plots number those neurons in C order.
    model = keras.Sequential(
        [
            keras.Input((5, 3, 3, 1)),
            keras.layers.TimeDistributed(
                keras.layers.Conv2D(2, 3, padding="same")
            ),
            keras_snn.LIF(name="conv_lif"),
        ]
    )
    rng = np.random.default_rng(4)
    kernel = rng.normal(0.3, 0.3, size=(3, 3, 1, 2)).astype(np.float32)
    model.layers[0].set_weights([kernel, np.zeros(2, np.float32)])
    x = rng.uniform(0.0, 1.5, size=(2, 5, 3, 3, 1)).astype(np.float32)
    train = spike_trains(model, x)["conv_lif"]
    assert train.shape == (2, 5, 3, 3, 2)
    flat = train.reshape(2, 5, 18)
    (ax,) = plot.raster(model, x, sample=1).axes
    times, neurons = np.nonzero(flat[1])
    assert times.size > 0
    np.testing.assert_array_equal(
        ax.collections[0].get_offsets(), np.stack([times, neurons], axis=1)
    )
    (ax,) = plot.rate_histogram({"conv_lif": train}).axes
    assert sum(patch.get_height() for patch in ax.patches) == 18
    # Neuron 13 is position (2, 0) of channel 1.
    figure = plot.membrane_trace(model, x, layer="conv_lif", neurons=[13])
    trace, threshold, marks = figure.axes[0].get_lines()
    states = keras_snn.monitoring.neuron_states(model, x, "conv_lif")
    np.testing.assert_allclose(
        trace.get_ydata(), states["pre_reset"][0, :, 2, 0, 1]
    )
    np.testing.assert_array_equal(
        marks.get_xdata(), np.nonzero(train[0, :, 2, 0, 1])[0]
    )
    with pytest.raises(ValueError, match="neurons\\[0\\]=18"):
        plot.membrane_trace(model, x, layer="conv_lif", neurons=[18])


def test_missing_matplotlib(monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r'pip install -e "\.\[plot\]"'):
        plot.raster(random_trains())


def known_profile():
    def layer(macs, acs, dense, sparsity):
        return {
            "synaptic_operations": {
                "effective_macs": macs,
                "effective_acs": acs,
                "dense": dense,
            },
            "activation_sparsity": sparsity,
        }

    return {
        "activation_sparsity": 0.7,
        "layers": {
            "lif_0": layer(300.0, 0.0, 400.0, 0.6),
            "lif_1": layer(0.0, 20.0, 80.0, 0.9),
            "rates": layer(0.0, 0.0, 0.0, None),
        },
    }


def test_efficiency_plot(tmp_path):
    path = str(tmp_path / "efficiency.png")
    figure = plot.efficiency(known_profile(), path=path)
    ops_axes, sparsity_axes = figure.axes
    macs, acs, dense = ops_axes.containers
    assert [bar.get_height() for bar in macs] == [300.0, 0.0]
    assert [bar.get_height() for bar in acs] == [0.0, 20.0]
    assert [bar.get_y() for bar in acs] == [300.0, 0.0]
    assert [bar.get_height() for bar in dense] == [400.0, 80.0]
    assert [t.get_text() for t in ops_axes.get_xticklabels()] == [
        "lif_0",
        "lif_1",
    ]
    (sparsity,) = sparsity_axes.containers
    assert [bar.get_height() for bar in sparsity] == [0.6, 0.9]
    assert "0.700" in sparsity_axes.get_title()
    assert_png(path)


def test_efficiency_plot_of_a_profile():
    model = keras_snn.build(
        input_size=4, hidden_sizes=[5], output_size=3, num_timesteps=3
    )
    result = keras_snn.efficiency.profile(model, np.ones((2, 4), np.float32))
    figure = plot.efficiency(result)
    (sparsity,) = figure.axes[1].containers
    assert [bar.get_height() for bar in sparsity] == [
        result["layers"][name]["activation_sparsity"]
        for name in ("lif_0", "lif_output")
    ]
    with pytest.raises(ValueError, match="profile must be"):
        plot.efficiency({"layers": 3})
