"""Event-camera and other neuromorphic datasets from `tonic`, as batches
for `model.fit`.

tonic (`pip install tonic`) reads the published event datasets (N-MNIST,
DVS Gesture, SHD, ...) as NumPy structured arrays of events (fields such
as `x`, `y`, `t` in microseconds and `p`) and bins them into frames with
`tonic.transforms.ToFrame`. `from_tonic` turns such a dataset into a
`keras.utils.PyDataset` of channels-last frame batches, reading and
binning one batch at a time.
"""

import numpy as np

from keras_snn.datasets._batches import SampleBatches


def from_tonic(
    dataset,
    *,
    batch_size=32,
    shuffle=False,
    seed=None,
    num_classes=None,
    **kwargs,
):
    """Batches `[batch, T, ...]` of event frames from a tonic dataset.

    The dataset must bin its events into frames: create it with
    `transform=tonic.transforms.ToFrame(sensor_size=..., n_time_bins=T)`
    (or a `tonic.transforms.Compose` that ends with `ToFrame`). `ToFrame`
    returns `[T, P, H, W]` spike counts (`[T, P, X]` for a sensor without
    `y`, such as SHD's cochlea); the batches move the polarity axis last,
    the channels-last layout of Keras' `Conv2D` and `Conv1D` wrapped in
    `TimeDistributed`:

    - `[batch, T, H, W, P]` for a 2-D sensor (N-MNIST: `[batch, T, 34,
      34, 2]`);
    - `[batch, T, X, P]` for a 1-D sensor.

    Every sample must give the same number of frames: slice by
    `n_time_bins` (or `n_event_bins`), or by `time_window` with fixed
    `start_time` and `end_time`.

    Args:
        dataset: a tonic dataset, or any object with `len()` whose items
            are `(frames, label)` pairs with frames as above and an
            integer label.
        batch_size: int >= 1. Samples per batch; the last batch may be
            smaller.
        shuffle: bool. Visit the samples in a new random order at every
            epoch.
        seed: int or None. Seed of the shuffle.
        num_classes: int >= 1 or None. Labels must lie in
            `0..num_classes - 1`. None takes `len(dataset.classes)`
            (tonic datasets list their classes).
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`).

    Returns:
        A `TonicBatches` (a `keras.utils.PyDataset`). Each batch is
        `(x, y)`: `x` float32 frames `[batch, T, ...]`, `y` `[batch]`
        int32 labels. `sample_shape` is the shape of one sample's frames
        (read from the first sample) and `num_samples` the number of
        samples.

    Raises:
        ValueError: the dataset has no frame transform (its `transform`
            is None, or its first sample is still events), is empty,
            lists no classes and `num_classes` is None; a sample's frames
            differ in shape from the first sample's, or a label lies
            outside `0..num_classes - 1` (raised when its batch is read).

    Example:

    ```python
    import tonic

    to_frame = tonic.transforms.ToFrame(
        sensor_size=tonic.datasets.NMNIST.sensor_size, n_time_bins=10
    )
    train = keras_snn.datasets.from_tonic(
        tonic.datasets.NMNIST("data", train=True, transform=to_frame),
        batch_size=64,
        shuffle=True,
        seed=0,
    )
    train.sample_shape  # (10, 34, 34, 2)
    ```
    """
    return TonicBatches(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        num_classes=num_classes,
        **kwargs,
    )


class TonicBatches(SampleBatches):
    """Batches of channels-last event frames; see `from_tonic`."""

    def __init__(
        self,
        dataset,
        *,
        batch_size=32,
        shuffle=False,
        seed=None,
        num_classes=None,
        **kwargs,
    ):
        name = type(dataset).__name__
        if not hasattr(dataset, "__len__") or not hasattr(
            dataset, "__getitem__"
        ):
            raise TypeError(
                "dataset must be a tonic dataset or another indexable "
                f"object with len(). Received: dataset of type {name}"
            )
        if (
            getattr(dataset, "transform", True) is None
            and getattr(dataset, "transforms", None) is None
        ):
            raise ValueError(_no_frames(name, "its transform is None"))
        if len(dataset) == 0:
            raise ValueError(f"The dataset {name} is empty.")
        if num_classes is None:
            classes = getattr(dataset, "classes", None)
            if classes is None:
                raise ValueError(
                    f"The dataset {name} lists no classes: give "
                    "num_classes. Received: num_classes=None"
                )
            num_classes = len(classes)
        self.dataset = dataset
        self.dataset_name = name
        self.sample_shape = self._frames(dataset[0][0], 0).shape
        super().__init__(
            len(dataset),
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            num_classes=num_classes,
            **kwargs,
        )

    def _frames(self, data, index):
        """A sample's frames `[T, P, ...]` as float32 `[T, ..., P]`."""
        data = np.asarray(data)
        if data.dtype.names is not None:
            raise ValueError(
                _no_frames(
                    self.dataset_name,
                    f"sample {index} is events with fields "
                    f"{data.dtype.names}, not frames",
                )
            )
        if data.ndim < 3:
            raise ValueError(
                f"The dataset {self.dataset_name} must give frames "
                "[T, P, H, W] or [T, P, X] (tonic.transforms.ToFrame). "
                f"Received: sample {index} of shape {data.shape}"
            )
        return np.moveaxis(data, 1, -1).astype("float32")

    def load(self, indices):
        x = np.zeros((len(indices), *self.sample_shape), "float32")
        y = []
        for row, index in enumerate(indices):
            data, label = self.dataset[int(index)]
            frames = self._frames(data, index)
            if frames.shape != self.sample_shape:
                raise ValueError(
                    f"Every sample of {self.dataset_name} must give frames "
                    f"of one shape, {self.sample_shape} like sample 0 "
                    "(channels last); slice with ToFrame(n_time_bins=...). "
                    "Received: "
                    f"{frames.shape} for sample {index}"
                )
            x[row] = frames
            label = np.asarray(label)
            if label.shape != ():
                raise ValueError(
                    f"The dataset {self.dataset_name} must give one integer "
                    f"label per sample. Received: label of shape {label.shape} "
                    f"for sample {index}"
                )
            y.append(label)
        return x, np.asarray(y)


def _no_frames(name, why):
    return (
        f"The dataset {name} has no frame transform ({why}): create it "
        "with transform=tonic.transforms.ToFrame(sensor_size=..., "
        f"n_time_bins=T). Received: dataset={name}"
    )
