"""The Spiking Heidelberg Digits (SHD), binned into spike counts batch by
batch.

`load_shd` reads one of the official HDF5 files (`shd_train.h5`,
`shd_test.h5`) with h5py and returns a `keras.utils.PyDataset` that bins
the spikes of each batch into `[batch, T, 700]` spike counts when Keras
asks for it, so the dense dataset (8,156 training samples x 100 bins x
700 channels is 2.3 GB as float32) never sits in memory.
"""

import math
import os

import numpy as np

from keras_snn.datasets._batches import SampleBatches
from keras_snn.datasets._batches import check_labels
from keras_snn.validation import check_positive_int
from keras_snn.validation import check_positive_number

SHD_CHANNELS = 700
SHD_KEYS = ("spikes/times", "spikes/units", "labels")


def load_shd(
    path,
    *,
    bins=None,
    bin_width=None,
    max_time=1.4,
    batch_size=32,
    shuffle=False,
    seed=None,
    num_classes=20,
    **kwargs,
):
    """Reads an SHD file as batches of binned spike counts.

    The file is an official SHD (or SSC) HDF5 file, as published by the
    Zenke lab and read by `tonic.datasets.SHD`:

    - `spikes/times`: one variable-length array of spike times per
      sample, in seconds;
    - `spikes/units`: one variable-length array of the matching channel
      ids, in `0..699` (the 700 channels of the cochlea model);
    - `labels`: one integer class per sample (20 classes for SHD, the
      English and German digits; 35 for SSC).

    Other entries (`extra/...`) are ignored. Time runs from 0 to
    `max_time` in bins of width `w` (`w = max_time / bins`, or
    `bin_width`); a spike at time `t < max_time` counts in bin
    `floor(t / w)` of its channel, and spikes at or after `max_time` are
    dropped. With `bin_width`, `T = ceil(max_time / bin_width)` and the
    last bin may be shorter.

    Batches are binned on request (the file stays open and is read one
    sample at a time), so memory holds one dense batch, not the dataset.

    Args:
        path: str or path-like. An SHD HDF5 file (`shd_train.h5`,
            `shd_test.h5`).
        bins: int >= 1 or None. Number of time bins `T`. Give `bins` or
            `bin_width`, not both; with neither, `bins=100`.
        bin_width: float > 0 or None. Width of a time bin, in seconds.
        max_time: float > 0. End of the binned time window, in seconds.
            Defaults to 1.4 (SHD recordings last at most about 1.4 s).
        batch_size: int >= 1. Samples per batch; the last batch may be
            smaller.
        shuffle: bool. Visit the samples in a new random order at every
            epoch (use it for training; `model.fit`'s own `shuffle`
            only reorders whole batches).
        seed: int or None. Seed of the shuffle.
        num_classes: int >= 1. Labels must lie in `0..num_classes - 1`.
            Defaults to 20 (SHD); 35 for SSC.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`).

    Returns:
        An `SHDBatches` (a `keras.utils.PyDataset`) for `model.fit`,
        `evaluate` and `predict`. Each batch is `(x, y)`: `x`
        `[batch, T, 700]` float32 spike counts, `y` `[batch]` int32
        labels. `len()` is the number of batches; `sample_shape` is
        `(T, 700)`, `num_samples` the number of samples and `labels`
        all the labels.

    Raises:
        FileNotFoundError: no file at `path`.
        ValueError: the file is not HDF5, lacks one of `spikes/times`,
            `spikes/units` and `labels`, holds arrays of different
            lengths or a label outside `0..num_classes - 1`; `bins < 1`,
            `bin_width <= 0` or `max_time <= 0`. A sample with a channel
            id outside `0..699` or a negative time raises when its batch
            is read.

    Example:

    ```python
    train = keras_snn.datasets.load_shd(
        "data/shd_train.h5", bins=100, shuffle=True, seed=0
    )
    inputs = keras.Input(train.sample_shape)  # (100, 700)
    ...
    model.fit(train, epochs=20)
    ```

    References:
        Cramer, Stradmann, Schemmel and Zenke, "The Heidelberg Spiking
        Data Sets for the Systematic Evaluation of Spiking Neural
        Networks", IEEE TNNLS 2020.
    """
    return SHDBatches(
        path,
        bins=bins,
        bin_width=bin_width,
        max_time=max_time,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        num_classes=num_classes,
        **kwargs,
    )


class SHDBatches(SampleBatches):
    """Batches of binned SHD spike counts; see `load_shd`."""

    def __init__(
        self,
        path,
        *,
        bins=None,
        bin_width=None,
        max_time=1.4,
        batch_size=32,
        shuffle=False,
        seed=None,
        num_classes=20,
        **kwargs,
    ):
        self.max_time = check_positive_number("max_time", max_time)
        self.bins, self.bin_width = _bins(bins, bin_width, self.max_time)
        self.path = _check_path(path)
        self._file = None
        labels = self._read_labels()
        super().__init__(
            len(labels),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            num_classes=num_classes,
            **kwargs,
        )
        check_labels(labels, self.num_classes, np.arange(len(labels)))
        self.labels = labels.astype("int32")
        self.sample_shape = (self.bins, SHD_CHANNELS)

    def _open(self):
        if self._file is None:
            self._file = _open_hdf5(self.path)
        return self._file

    def _read_labels(self):
        with _open_hdf5(self.path) as file:
            missing = [key for key in SHD_KEYS if key not in file]
            if missing:
                raise ValueError(
                    f"Not an SHD file: it lacks {missing} (an SHD file "
                    f"holds {list(SHD_KEYS)}). Received: path={self.path!r}"
                )
            lengths = {key: len(file[key]) for key in SHD_KEYS}
            if len(set(lengths.values())) != 1:
                raise ValueError(
                    "Not an SHD file: spikes/times, spikes/units and labels "
                    f"must hold one entry per sample. Received: lengths "
                    f"{lengths} in path={self.path!r}"
                )
            return np.asarray(file["labels"][()])

    def load(self, indices):
        file = self._open()
        times, units = file["spikes/times"], file["spikes/units"]
        x = np.zeros((len(indices), *self.sample_shape), "float32")
        for row, index in enumerate(indices):
            x[row] = self._bin_sample(times[index], units[index], index)
        return x, self.labels[indices]

    def _bin_sample(self, times, units, index):
        times = np.asarray(times, np.float64)
        units = np.asarray(units)
        where = f" of sample {index}"
        if times.shape != units.shape:
            raise ValueError(
                f"Spike times and channel ids{where} must have the same "
                f"shape. Received: times.shape={times.shape}, "
                f"units.shape={units.shape}"
            )
        if units.size and (units.min() < 0 or units.max() >= SHD_CHANNELS):
            bad = units[(units < 0) | (units >= SHD_CHANNELS)][0].item()
            raise ValueError(
                f"Channel ids{where} must lie in 0..{SHD_CHANNELS - 1}. "
                f"Received: unit={bad!r}"
            )
        if times.size and not times.min() >= 0:
            raise ValueError(
                f"Spike times{where} must be non-negative numbers. "
                f"Received: time={times.min().item()!r}"
            )
        keep = times < self.max_time
        steps = np.minimum(
            np.floor(times[keep] / self.bin_width).astype(np.int64),
            self.bins - 1,
        )
        flat = steps * SHD_CHANNELS + units[keep].astype(np.int64)
        counts = np.bincount(flat, minlength=self.bins * SHD_CHANNELS)
        return counts.reshape(self.sample_shape).astype("float32")

    def close(self):
        """Closes the HDF5 file; a later batch opens it again."""
        if self._file is not None:
            self._file.close()
            self._file = None

    def __getstate__(self):
        # An open h5py file cannot be pickled (Keras' multiprocessing
        # workers): each copy opens the file again when it needs it.
        state = self.__dict__.copy()
        state["_file"] = None
        return state


def _bins(bins, bin_width, max_time):
    """The number of bins and their width, from exactly one of them."""
    if bins is not None and bin_width is not None:
        raise ValueError(
            "Give bins or bin_width, not both. Received: "
            f"bins={bins!r}, bin_width={bin_width!r}"
        )
    if bin_width is None:
        bins = check_positive_int("bins", 100 if bins is None else bins)
        return bins, max_time / bins
    bin_width = check_positive_number("bin_width", bin_width)
    ratio = max_time / bin_width
    # 1.1 / 0.1 is 11.000000000000002 in floating point: 11 bins, not 12.
    bins = round(ratio) if math.isclose(ratio, round(ratio)) else ratio
    return max(1, math.ceil(bins)), bin_width


def _open_hdf5(path):
    import h5py

    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ValueError(
            f"Not an SHD file: it cannot be read as HDF5 ({error}). "
            f"Received: path={path!r}"
        ) from None


def _check_path(path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path. Received: path={path!r}")
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No SHD file at this path. Received: path={str(path)!r}"
        )
    return str(path)
