"""The batching shared by the SHD and tonic loaders: a `PyDataset` that
shuffles sample indices per epoch and builds each batch on request."""

import keras
import numpy as np

from keras_snn.validation import check_bool
from keras_snn.validation import check_positive_int


class SampleBatches(keras.utils.PyDataset):
    """Batches of samples read one batch at a time.

    Subclasses set `num_samples` (via `__init__`) and implement
    `load(indices)`, which returns `(x, y)` for those sample indices as
    NumPy arrays. Labels are checked against `num_classes` per batch and
    returned as int32.

    Args:
        num_samples: int. Number of samples in the dataset.
        batch_size: int. Samples per batch; the last batch may be
            smaller.
        shuffle: bool. Visit the samples in a new random order at every
            epoch (a sample-level shuffle, seeded by `seed`).
        seed: int or None. Seed of the shuffle.
        num_classes: int. Labels must be integers in
            `0..num_classes - 1`.
        **kwargs: `keras.utils.PyDataset` arguments (`workers`,
            `use_multiprocessing`, `max_queue_size`).
    """

    def __init__(
        self,
        num_samples,
        *,
        batch_size,
        shuffle,
        seed,
        num_classes,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.shuffle = check_bool("shuffle", shuffle)
        if seed is not None and (
            isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
        ):
            raise TypeError(
                f"seed must be an integer or None. Received: seed={seed!r}"
            )
        self.seed = seed
        self.num_classes = check_positive_int("num_classes", num_classes)
        self.num_samples = int(num_samples)
        self._rng = np.random.default_rng(seed)
        self._order = np.arange(self.num_samples)
        if self.shuffle:
            self._rng.shuffle(self._order)

    def __len__(self):
        return -(-self.num_samples // self.batch_size)

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(
                f"Batch index out of range: there are {len(self)} batches. "
                f"Received: index={index!r}"
            )
        start = index * self.batch_size
        indices = self._order[start : start + self.batch_size]
        x, y = self.load(indices)
        check_labels(y, self.num_classes, indices)
        return x, np.asarray(y).astype("int32")

    def on_epoch_end(self):
        if self.shuffle:
            self._rng.shuffle(self._order)

    def load(self, indices):
        raise NotImplementedError


def check_labels(labels, num_classes, indices):
    """Checks integer labels in `0..num_classes - 1`; names the first bad
    label and the sample it belongs to."""
    labels = np.asarray(labels)
    bad = (labels != np.round(labels)) | (labels < 0) | (labels >= num_classes)
    if np.any(bad):
        i = int(np.argmax(bad))
        raise ValueError(
            f"Labels must be integers in 0..{num_classes - 1} "
            f"(num_classes={num_classes}). Received: "
            f"label={labels[i].item()!r} for sample {int(indices[i])}"
        )
