"""keras_snn.datasets.from_tonic on small synthetic event datasets in
tonic's format."""

import os

import numpy as np
import pytest
import tonic

import keras_snn

XYTP = np.dtype([("x", int), ("y", int), ("t", int), ("p", int)])
SENSOR = (5, 4, 2)  # tonic's order: width (x), height (y), polarities


def random_events(rng, sensor=SENSOR, n=40, duration=30_000):
    """Events in tonic's format: a structured array sorted by `t` (us)."""
    events = np.zeros(n, XYTP)
    events["x"] = rng.integers(0, sensor[0], n)
    events["y"] = rng.integers(0, sensor[1], n)
    events["t"] = np.sort(rng.integers(0, duration, n))
    events["p"] = rng.integers(0, sensor[2], n)
    return events


class EventDataset:
    """A tonic-style dataset: `(events, label)` items, `transform`,
    `classes`."""

    def __init__(self, events, labels, transform, classes=3):
        self.events, self.labels = events, labels
        self.transform = transform
        self.classes = [str(c) for c in range(classes)]

    def __getitem__(self, index):
        events = self.events[index]
        if self.transform is not None:
            events = self.transform(events)
        return events, self.labels[index]

    def __len__(self):
        return len(self.events)


def to_frame(n_time_bins=3, sensor=SENSOR):
    return tonic.transforms.ToFrame(sensor_size=sensor, n_time_bins=n_time_bins)


@pytest.fixture(scope="module")
def dataset():
    rng = np.random.default_rng(0)
    events = [random_events(rng) for _ in range(7)]
    return EventDataset(events, rng.integers(0, 3, 7), to_frame())


def test_batches_are_channels_last_frames(dataset):
    data = keras_snn.datasets.from_tonic(dataset, batch_size=3)
    assert data.sample_shape == (3, 4, 5, 2)  # [T, H, W, P]
    assert len(data) == 3 and data.num_samples == 7
    batches = [data[i] for i in range(len(data))]
    assert [x.shape for x, _ in batches] == [
        (3, 3, 4, 5, 2),
        (3, 3, 4, 5, 2),
        (1, 3, 4, 5, 2),
    ]
    x = np.concatenate([x for x, _ in batches])
    y = np.concatenate([y for _, y in batches])
    assert x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(y, dataset.labels)
    # ToFrame gives [T, P, H, W]; the batches hold [T, H, W, P].
    for i in range(7):
        frames = to_frame()(dataset.events[i].copy())
        np.testing.assert_array_equal(x[i], frames.transpose(0, 2, 3, 1))
        # Every event inside the binned window is counted once.
        assert x[i].sum() == frames.sum() > 0


def test_one_event_lands_at_its_pixel_and_polarity():
    events = np.zeros(3, XYTP)
    # Two events set the window [0, 300) us, three bins of 100 us.
    events[0] = (0, 0, 0, 0)
    events[1] = (4, 1, 150, 1)  # x=4, y=1, bin 1, polarity 1
    events[2] = (2, 3, 301, 0)
    data = keras_snn.datasets.from_tonic(
        EventDataset([events], [2], to_frame()), batch_size=1
    )
    x, y = data[0]
    assert y[0] == 2
    assert x[0, 1, 1, 4, 1] == 1  # [batch, T, H=y, W=x, P]
    assert x[0, 0, 0, 0, 0] == 1
    assert x.sum() == 2  # tonic's last bin ends before the last event


def test_one_dimensional_sensor():
    # A cochlea-like sensor without y (as tonic's SHD): [T, X, P].
    dtype = np.dtype([("t", int), ("x", int), ("p", int)])
    events = np.zeros(4, dtype)
    events["t"] = [0, 10, 20, 40]
    events["x"] = [5, 5, 1, 2]
    dataset = EventDataset([events], [1], to_frame(2, (6, 1, 1)))
    data = keras_snn.datasets.from_tonic(dataset, batch_size=1)
    assert data.sample_shape == (2, 6, 1)
    x, _ = data[0]
    expected = np.zeros((1, 2, 6, 1), np.float32)
    expected[0, 0, 5, 0] = 2
    expected[0, 1, 1, 0] = 1
    np.testing.assert_array_equal(x, expected)


def test_shuffle_is_seeded(dataset):
    def labels(seed):
        data = keras_snn.datasets.from_tonic(
            dataset, batch_size=7, shuffle=True, seed=seed
        )
        x, y = data[0]
        return x, y

    x, y = labels(5)
    x_again, y_again = labels(5)
    np.testing.assert_array_equal(x, x_again)
    np.testing.assert_array_equal(y, y_again)
    plain = keras_snn.datasets.from_tonic(dataset, batch_size=7)[0][0]
    # The same samples, reordered.
    assert not np.array_equal(x, plain)
    np.testing.assert_array_equal(
        np.sort(x.reshape(7, -1), axis=0), np.sort(plain.reshape(7, -1), axis=0)
    )


def test_dataset_without_a_frame_transform(dataset):
    raw = EventDataset(dataset.events, dataset.labels, None)
    with pytest.raises(ValueError, match="EventDataset has no frame trans"):
        keras_snn.datasets.from_tonic(raw)
    # A transform that keeps events is no frame transform either.
    denoise = EventDataset(
        dataset.events,
        dataset.labels,
        tonic.transforms.Denoise(filter_time=10_000),
    )
    with pytest.raises(ValueError, match="sample 0 is events with fields"):
        keras_snn.datasets.from_tonic(denoise)


def test_labels_outside_the_classes(dataset):
    labels = np.array([0, 1, 2, 3, 0, 1, 2])
    data = keras_snn.datasets.from_tonic(
        EventDataset(dataset.events, labels, to_frame()), batch_size=2
    )
    data[0]
    with pytest.raises(ValueError, match=r"0..2 .*label=3 for sample 3"):
        data[1]
    # With num_classes=4, label 3 is valid.
    data = keras_snn.datasets.from_tonic(
        EventDataset(dataset.events, labels, to_frame()),
        batch_size=2,
        num_classes=4,
    )
    np.testing.assert_array_equal(data[1][1], [2, 3])


def test_bad_datasets(dataset):
    # Slicing by time window: a shorter recording gives fewer frames.
    rng = np.random.default_rng(1)
    events = [random_events(rng, duration=d) for d in (30_000, 10_000)]
    varying = EventDataset(
        events,
        [0, 1],
        tonic.transforms.ToFrame(sensor_size=SENSOR, time_window=5_000.0),
    )
    data = keras_snn.datasets.from_tonic(varying, batch_size=2)
    with pytest.raises(ValueError, match=r"Received: \(1, 4, 5, 2\) for sam"):
        data[0]
    no_classes = EventDataset(dataset.events, dataset.labels, to_frame())
    no_classes.classes = None
    with pytest.raises(ValueError, match="num_classes=None"):
        keras_snn.datasets.from_tonic(no_classes)
    assert keras_snn.datasets.from_tonic(no_classes, num_classes=3)
    with pytest.raises(ValueError, match="is empty"):
        keras_snn.datasets.from_tonic(EventDataset([], [], to_frame()))
    with pytest.raises(TypeError, match="dataset of type int"):
        keras_snn.datasets.from_tonic(3)
    flat = EventDataset([np.ones(4)], [0], lambda events: events)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        keras_snn.datasets.from_tonic(flat)
    with pytest.raises(ValueError, match="batch_size=0"):
        keras_snn.datasets.from_tonic(dataset, batch_size=0)


def write_nmnist_bin(path, events):
    """One recording in N-MNIST's binary format, 5 bytes per event: x, y,
    then the polarity in bit 7 and the 23-bit timestamp (us)."""
    t = events["t"].astype(np.uint32)
    raw = np.zeros((len(events), 5), np.uint8)
    raw[:, 0] = events["x"]
    raw[:, 1] = events["y"]
    raw[:, 2] = (events["p"] << 7) | ((t >> 16) & 0x7F)
    raw[:, 3] = (t >> 8) & 0xFF
    raw[:, 4] = t & 0xFF
    with open(path, "wb") as file:
        file.write(raw.tobytes())


def write_nmnist(root, per_class=(2, 1), seed=0):
    """N-MNIST's extracted layout under `root/NMNIST`: `Train/<digit>/
    *.bin` and `Test/<digit>/*.bin`, beside `train.zip` and `test.zip`
    (empty: tonic only checks that they exist). Each digit lights a
    column of its own."""
    rng = np.random.default_rng(seed)
    base = os.path.join(root, "NMNIST")
    for folder, archive, count in [
        ("Train", "train.zip", per_class[0]),
        ("Test", "test.zip", per_class[1]),
    ]:
        os.makedirs(base, exist_ok=True)
        open(os.path.join(base, archive), "wb").close()
        for digit in range(10):
            os.makedirs(os.path.join(base, folder, str(digit)))
            for i in range(count):
                events = random_events(
                    rng, (34, 34, 2), n=200, duration=300_000
                )
                events["x"][: len(events) // 2] = 3 * digit
                write_nmnist_bin(
                    os.path.join(base, folder, str(digit), f"{i:05d}.bin"),
                    events,
                )
    return base


def test_nmnist_files_read_by_tonic(tmp_path, monkeypatch):
    write_nmnist(tmp_path)
    # tonic wants 10,000 .bin files before it reads instead of
    # downloading; the reading itself is tonic's own.
    monkeypatch.setattr(
        tonic.datasets.NMNIST, "_check_exists", lambda self: True
    )
    nmnist = tonic.datasets.NMNIST(
        str(tmp_path), train=False, transform=to_frame(4, (34, 34, 2))
    )
    data = keras_snn.datasets.from_tonic(nmnist, batch_size=10)
    assert data.sample_shape == (4, 34, 34, 2)
    x, y = data[0]
    np.testing.assert_array_equal(y, np.arange(10))
    # Half of each digit's 200 events lie in the column x = 3 * digit.
    for digit in range(10):
        column = x[digit, :, :, 3 * digit, :].sum()
        assert 100 <= column <= 200 and x[digit].sum() <= 200
