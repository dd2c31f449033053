"""Plots of spiking activity: spike rasters, rate histograms, membranes,
and operations and sparsity per layer.

Needs matplotlib, the `plot` extra: `pip install -e ".[plot]"` from a
checkout of keras_snn (or `pip install matplotlib`). The figures are drawn
with matplotlib's Agg backend, without `pyplot`: they work without a
display, leave pyplot's global state alone, and are freed like any Python
object. Each function returns a `matplotlib.figure.Figure` and, given
`path`, also saves it as a PNG.

`efficiency` plots a `keras_snn.efficiency.profile` per layer.

The spike plots take either a dict `{layer name: spike train}` (as
`keras_snn.monitoring.spike_trains` returns) or a model and a batch of
inputs, from which they read the spike trains of its spiking layers
(`LIF`, `IF`, `SynapticLIF`, `AdaptiveLIF`, recurrent or not).
"""

import numpy as np

from keras_snn import monitoring
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.validation import check_index
from keras_snn.validation import check_names
from keras_snn.validation import check_positive_int


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "keras_snn.plot needs matplotlib. Install it with "
            '`pip install -e ".[plot]"` from the keras_snn checkout (or '
            "`pip install matplotlib`)."
        ) from error
    return Figure, FigureCanvasAgg


def _figure(rows, width=8.0, row_height=2.5):
    figure_class, canvas_class = _matplotlib()
    figure = figure_class(
        figsize=(width, row_height * rows), layout="constrained"
    )
    canvas_class(figure)
    axes = figure.subplots(rows, 1, squeeze=False)[:, 0]
    return figure, list(axes)


def _finish(figure, path):
    if path is not None:
        figure.savefig(path, format="png", dpi=100)
    return figure


def _neurons_last(array):
    # [batch, time, ...features] -> [batch, time, neurons]: the feature
    # axes of a convolutional layer ([height, width, channels]) flattened
    # in C order, so that neuron k is the k-th entry of one step's output.
    return array.reshape(array.shape[:2] + (-1,))


def _spike_trains(source, x, layers):
    """`{name: [batch, time, neurons] array}` from a dict or a model."""
    if isinstance(source, dict):
        if x is not None:
            raise ValueError(
                "x is only used with a model; spike trains were given. "
                "Received: a dict of spike trains and x of type "
                f"{type(x).__name__}"
            )
        if layers is None:
            names = list(source)
        else:
            names = check_names("layers", layers)
        if not names:
            raise ValueError(
                "There is no spike train to plot. Received: "
                f"layers={layers!r}, spike trains of {list(source)}"
            )
        trains = {}
        for name in names:
            if name not in source:
                raise ValueError(
                    f"{name!r} is not among the spike trains. Available "
                    f"layers: {list(source)}. Received: layers={layers!r}"
                )
            train = np.asarray(source[name])
            if train.ndim < 3:
                raise ValueError(
                    "Spike trains must have shape [batch, time, units] "
                    "(or [batch, time, ...features]). "
                    f"Received: {name!r} of shape {train.shape}"
                )
            trains[name] = _neurons_last(train)
        return trains
    if x is None:
        raise ValueError(
            "Pass spike trains (a dict) or a model and a batch of inputs "
            "x. Received: a model and x=None"
        )
    trains = monitoring.spike_trains(source, x, layers)
    return {name: _neurons_last(train) for name, train in trains.items()}


def raster(
    source,
    x=None,
    *,
    layers=None,
    sample=0,
    image=None,
    title=None,
    unit_labels=None,
    path=None,
):
    """Spike rasters of spiking layers for one sample.

    One panel per layer: a mark at `(t, n)` for every step `t` at which
    neuron `n` fired. Optionally, a first panel shows the input as an
    image, the figure has a title (such as the sample's true and predicted
    labels), and chosen layers get one labelled y tick per neuron (such as
    the class names of the output layer).

    Args:
        source: a dict `{layer name: spike train [batch, time, units]}`
            (from `keras_snn.monitoring.spike_trains`), or a functional or
            Sequential `keras.Model`. Trains with several feature axes
            (`[batch, time, height, width, channels]` of a convolutional
            layer) are drawn with their neurons numbered in C order, as
            `reshape(-1)` of one step numbers them.
        x: one batch of model inputs; required with a model, not allowed
            with a dict.
        layers: None (every layer of `source`, or every top-level spiking
            layer of the model: `LIF`, `IF`, `SynapticLIF`, `AdaptiveLIF`,
            recurrent or not), a layer name or a list of names.
        sample: int. Index of the sample in the batch. Defaults to 0.
        image: None or a 2-D array `[height, width]`, drawn in grey scale
            in a first panel titled "input" (for instance the sample's
            pixels, `x[sample].reshape(8, 8)`). Defaults to None (no
            panel).
        title: None or str. The figure's title. Defaults to None.
        unit_labels: None or a dict `{layer name: labels}`, one label per
            neuron of the layer: its panel gets one y tick per neuron,
            labelled so (for instance `{"lif_output": range(10)}` for the
            classes of a digit classifier). Defaults to None.
        path: str or None. Where to save the figure as a PNG.

    Returns:
        A `matplotlib.figure.Figure` with, after the image's axes if there
        is one, one axes per layer, each holding one scatter collection
        with one point per spike.

    Raises:
        ValueError: if `image` is not 2-D, `unit_labels` names a layer
            that is not plotted or does not give one label per neuron,
            or `sample` is not an index into the batch.

    Example:

    ```python
    keras_snn.plot.raster(model, x_test[:8], sample=3, path="raster.png")
    keras_snn.plot.raster(
        model,
        x_test[:1],
        image=x_test[0].reshape(8, 8),
        title=f"label {y_test[0]}",
        unit_labels={"lif_output": range(10)},
    )
    ```
    """
    trains = _spike_trains(source, x, layers)
    if image is not None:
        image = np.asarray(image)
        if image.ndim != 2:
            raise ValueError(
                "image must be a 2-D array [height, width]. Received: "
                f"image of shape {image.shape}"
            )
    ticks = _unit_labels(unit_labels, trains)
    figure, axes = _figure(len(trains) + (image is not None))
    if image is not None:
        image_ax = axes.pop(0)
        image_ax.imshow(image, cmap="gray_r", interpolation="nearest")
        image_ax.set_title("input")
        image_ax.set_axis_off()
    if title is not None:
        figure.suptitle(title)
    for ax, (name, train) in zip(axes, trains.items(), strict=True):
        sample = check_index("sample", sample, train.shape[0])
        steps, units = train.shape[1:]
        times, neurons = np.nonzero(train[sample])
        ax.scatter(times, neurons, marker="|", s=20, linewidths=1.0, c="k")
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_ylim(-0.5, units - 0.5)
        ax.set_title(
            f"{name}: sample {sample}, {times.size} spikes, rate "
            f"{train[sample].mean():.3f}"
        )
        ax.set_xlabel("timestep")
        ax.set_ylabel("neuron")
        if name in ticks:
            ax.set_yticks(np.arange(units), ticks[name])
    return _finish(figure, path)


def _unit_labels(unit_labels, trains):
    """`{layer name: [str, one per neuron]}`, checked against `trains`."""
    if unit_labels is None:
        return {}
    if not isinstance(unit_labels, dict):
        raise ValueError(
            "unit_labels must be a dict {layer name: labels}. Received: "
            f"unit_labels of type {type(unit_labels).__name__}"
        )
    ticks = {}
    for name, labels in unit_labels.items():
        if name not in trains:
            raise ValueError(
                f"unit_labels names {name!r}, which is not plotted. "
                f"Plotted layers: {list(trains)}. Received: "
                f"unit_labels={unit_labels!r}"
            )
        labels = [str(label) for label in labels]
        units = trains[name].shape[2]
        if len(labels) != units:
            raise ValueError(
                f"unit_labels must give one label per neuron: {name!r} "
                f"has {units} neurons. Received: {len(labels)} labels "
                f"for {name!r}"
            )
        ticks[name] = labels
    return ticks


def rate_histogram(source, x=None, *, layers=None, bins=20, path=None):
    """Histograms of the firing rates of the neurons of spiking layers.

    The rate of a neuron is its mean over the batch and time, in spikes
    per step, as in `keras_snn.monitoring.firing_statistics`; one panel
    per layer counts the neurons in `bins` equal bins over [0, 1]: bin
    `k` holds the rates in `[k / bins, (k + 1) / bins)`, and the last bin
    also the rate 1.

    Args:
        source: a dict `{layer name: spike train [batch, time, units]}`
            (or `[batch, time, ...features]`, whose feature axes count as
            neurons) or a functional or Sequential `keras.Model`.
        x: one batch of model inputs; required with a model, not allowed
            with a dict.
        layers: None (every layer of `source`, or every top-level spiking
            layer of the model), a layer name or a list of names.
        bins: int. Number of bins over [0, 1]. Defaults to 20.
        path: str or None. Where to save the figure as a PNG.

    Returns:
        A `matplotlib.figure.Figure` with one axes per layer, each holding
        `bins` bars whose heights sum to the layer's number of neurons.
    """
    bins = check_positive_int("bins", bins)
    trains = _spike_trains(source, x, layers)
    figure, axes = _figure(len(trains))
    for ax, (name, train) in zip(axes, trains.items(), strict=True):
        rates = train.mean(axis=(0, 1), dtype=np.float64).ravel()
        stats = monitoring.firing_statistics(train)
        # Rates are ratios of counts, often exactly on a bin edge (0.5 for
        # an even number of bins); the slack puts them in the bin they
        # open, which floating-point edges do not guarantee.
        index = np.minimum(np.floor(rates * bins + 1e-9), bins - 1)
        counts = np.bincount(index.astype(int), minlength=bins)
        edges = np.arange(bins + 1) / bins
        ax.hist(edges[:-1], bins=edges, weights=counts, color="C0", ec="white")
        ax.set_xlim(0.0, 1.0)
        ax.set_title(
            f"{name}: mean rate {stats['rate']:.3f}, "
            f"silent {stats['silent']:.0%}, "
            f"saturated {stats['saturated']:.0%}"
        )
        ax.set_xlabel("firing rate (spikes per step)")
        ax.set_ylabel("neurons")
    return _finish(figure, path)


def membrane_trace(model, x, *, layer, neurons=None, sample=0, path=None):
    """The membrane potential of chosen neurons of a spiking layer over
    time.

    Plots, for one sample, the membrane potential before reset of each
    chosen neuron (`V_pre[t] = beta * V[t - 1] + I[t]` for `LIF`; see
    `keras_snn.monitoring.membrane_potentials`), the threshold it is
    compared with at every step as a dashed line, and its spikes as marks
    on top: a neuron fires at step `t` exactly where `V_pre[t]` lies
    above the line. The line is flat but for `AdaptiveLIF`, whose
    threshold rises with its adaptation after each spike and decays back.
    The values come from `keras_snn.monitoring.neuron_states`.

    Args:
        model: a functional or Sequential `keras.Model`.
        x: one batch of model inputs.
        layer: str. Name of a top-level spiking layer of the model
            (`LIF`, `IF`, `SynapticLIF` or `AdaptiveLIF`, recurrent or
            not).
        neurons: None (the default: the first 4 neurons, or fewer if the
            layer is smaller) or a list of neuron indices. A layer with
            several feature axes (a convolutional layer's `[height, width,
            channels]`) numbers its neurons in C order, as
            `reshape(-1)` of one step's output does.
        sample: int. Index of the sample in the batch. Defaults to 0.
        path: str or None. Where to save the figure as a PNG.

    Returns:
        A `matplotlib.figure.Figure` with one axes per neuron, holding
        three lines: `V_pre` at every step, the threshold at every step,
        and one marker per spike.

    Raises:
        ValueError: if `layer` is not a spiking layer of the model (or is
            stateful), `sample` or a neuron index is out of range.
    """
    chosen = {c.name: c for c in getattr(model, "layers", ())}.get(layer)
    if isinstance(chosen, NeuronLayer) and not chosen.cell.dynamics.spiking:
        raise ValueError(
            "membrane_trace plots a spiking layer, whose membrane is "
            f"compared with a threshold. Received: layer={layer!r} of type "
            f"{type(chosen).__name__}"
        )
    states = {
        name: _neurons_last(value)
        for name, value in monitoring.neuron_states(model, x, layer).items()
    }
    membrane, spikes = states["pre_reset"], states["output"]
    sample = check_index("sample", sample, membrane.shape[0])
    steps, units = membrane.shape[1:]
    if neurons is None:
        neurons = list(range(min(4, units)))
    else:
        if not isinstance(neurons, (list, tuple, range)):
            raise TypeError(
                "neurons must be a list of neuron indices or None. "
                f"Received: neurons={neurons!r}"
            )
        neurons = [
            check_index(f"neurons[{i}]", neuron, units)
            for i, neuron in enumerate(neurons)
        ]
        if not neurons:
            raise ValueError(
                f"neurons must name at least one neuron. Received: "
                f"neurons={neurons!r}"
            )
    figure, axes = _figure(len(neurons), row_height=2.0)
    times = np.arange(steps)
    for ax, neuron in zip(axes, neurons, strict=True):
        trace = membrane[sample, :, neuron]
        ax.plot(times, trace, marker=".", color="C0", label="V before reset")
        ax.plot(
            times,
            states["threshold"][sample, :, neuron],
            color="C3",
            linestyle="--",
            label="threshold",
        )
        fired = np.nonzero(spikes[sample, :, neuron])[0]
        ax.plot(
            fired,
            trace[fired],
            linestyle="none",
            marker="^",
            color="C3",
            label="spike",
        )
        ax.set_xlim(-0.5, steps - 0.5)
        ax.set_title(f"{layer}, neuron {neuron}: {fired.size} spikes")
        ax.set_xlabel("timestep")
        ax.set_ylabel("membrane")
    figure.legend(
        handles=axes[0].get_lines(), loc="outside upper center", ncols=3
    )
    return _finish(figure, path)


def efficiency(profile, *, path=None):
    """Synaptic operations and activation sparsity per layer.

    Two panels, from a `keras_snn.efficiency.profile` result:

    - per layer with synaptic operations, the effective MACs and ACs per
      sample as stacked bars, next to the dense count as an outlined bar,
      on a logarithmic axis;
    - per spiking layer, the activation sparsity (the fraction of zero
      outputs) as a bar in [0, 1].

    Args:
        profile: dict, as returned by `keras_snn.efficiency.profile`.
        path: str or None. Where to save the figure as a PNG.

    Returns:
        A `matplotlib.figure.Figure` with two axes: the first holds three
        bar containers (`"effective MACs"`, `"effective ACs"`, `"dense"`)
        with one bar per layer with operations, the second one container
        with one bar per spiking layer.

    Example:

    ```python
    result = keras_snn.efficiency.profile(model, x_test[:256])
    keras_snn.plot.efficiency(result, path="efficiency.png")
    ```
    """
    try:
        layers = profile["layers"]
        counted = {
            name: figures["synaptic_operations"]
            for name, figures in layers.items()
            if figures["synaptic_operations"]["dense"] > 0
        }
        spiking = {
            name: figures["activation_sparsity"]
            for name, figures in layers.items()
            if figures["activation_sparsity"] is not None
        }
    except (TypeError, KeyError, AttributeError) as error:
        raise ValueError(
            "profile must be the dict that keras_snn.efficiency.profile "
            f"returns. Received: profile={profile!r}"
        ) from error
    figure, (ops_axes, sparsity_axes) = _figure(2, row_height=3.0)
    positions = np.arange(len(counted))
    macs = np.array([c["effective_macs"] for c in counted.values()])
    acs = np.array([c["effective_acs"] for c in counted.values()])
    dense = np.array([c["dense"] for c in counted.values()])
    width = 0.4
    ops_axes.bar(
        positions - width / 2, macs, width, color="C1", label="effective MACs"
    )
    ops_axes.bar(
        positions - width / 2,
        acs,
        width,
        bottom=macs,
        color="C0",
        label="effective ACs",
    )
    ops_axes.bar(
        positions + width / 2,
        dense,
        width,
        fill=False,
        edgecolor="k",
        label="dense",
    )
    ops_axes.set_yscale("log")
    ops_axes.set_xticks(positions, list(counted))
    ops_axes.set_ylabel("operations per sample")
    ops_axes.set_title(
        "synaptic operations: effective "
        f"{macs.sum() + acs.sum():.4g} of {dense.sum():.4g} dense"
    )
    ops_axes.legend()
    sparsity_positions = np.arange(len(spiking))
    sparsity_axes.bar(
        sparsity_positions, list(spiking.values()), 0.6, color="C2"
    )
    sparsity_axes.set_xticks(sparsity_positions, list(spiking))
    sparsity_axes.set_ylim(0.0, 1.0)
    sparsity_axes.set_ylabel("activation sparsity")
    sparsity_axes.set_title(
        f"activation sparsity: {profile['activation_sparsity']:.3f} overall"
    )
    return _finish(figure, path)
