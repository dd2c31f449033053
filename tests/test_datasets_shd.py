"""keras_snn.datasets.load_shd on small synthetic SHD files."""

import pickle

import h5py
import numpy as np
import pytest

import keras_snn


def write_shd(path, times, units, labels, skip=()):
    """An HDF5 file in the layout of the official SHD files: variable-length
    `spikes/times` (float16 seconds) and `spikes/units` (uint16), `labels`
    (uint16) and `extra/keys`. Keys in `skip` are left out."""
    with h5py.File(path, "w") as file:
        for key, values, dtype in [
            ("spikes/times", times, np.float16),
            ("spikes/units", units, np.uint16),
        ]:
            if key in skip:
                continue
            data = file.create_dataset(
                key, (len(values),), dtype=h5py.vlen_dtype(dtype)
            )
            for i, value in enumerate(values):
                data[i] = np.asarray(value, dtype)
        if "labels" not in skip:
            file.create_dataset("labels", data=np.asarray(labels, np.uint16))
        file.create_dataset("extra/keys", data=[b"zero", b"one", b"two"])


def random_shd(path, samples, *, max_time=1.4, classes=20, seed=0):
    """A synthetic SHD file of random spikes; returns its spike times (as
    stored, float16), units and labels."""
    rng = np.random.default_rng(seed)
    times, units = [], []
    for _ in range(samples):
        n = int(rng.integers(0, 60))
        # A few spikes after max_time, which the binning drops.
        times.append(
            rng.uniform(0, max_time * 1.1, n).astype(np.float16).tolist()
        )
        units.append(rng.integers(0, 700, n))
    labels = rng.integers(0, classes, samples)
    write_shd(path, times, units, labels)
    return times, units, labels


def reference_counts(times, units, edges):
    """Spike counts `[T, 700]` with NumPy's 2-D histogram."""
    times = np.asarray(times, np.float64)
    keep = times < edges[-1]
    counts, _, _ = np.histogram2d(
        times[keep], np.asarray(units)[keep], bins=[edges, np.arange(701)]
    )
    return counts


def test_counts_of_a_hand_made_sample(tmp_path):
    path = tmp_path / "shd_train.h5"
    write_shd(
        path,
        times=[[0.1, 0.2, 0.3, 0.9, 1.2], []],
        units=[[0, 0, 5, 699, 3], []],
        labels=[7, 19],
    )
    data = keras_snn.datasets.load_shd(path, bins=4, max_time=1.0)
    assert len(data) == 1 and data.num_samples == 2
    assert data.sample_shape == (4, 700)
    x, y = data[0]
    assert x.shape == (2, 4, 700) and x.dtype == np.float32
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, [7, 19])
    expected = np.zeros((2, 4, 700), np.float32)
    expected[0, 0, 0] = 2  # 0.1 and 0.2 s in [0, 0.25)
    expected[0, 1, 5] = 1  # 0.3 s
    expected[0, 3, 699] = 1  # 0.9 s; 1.2 s is past max_time
    np.testing.assert_array_equal(x, expected)


@pytest.fixture(scope="module")
def shd_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("shd") / "shd_test.h5"
    return path, random_shd(path, samples=11)


@pytest.mark.parametrize(
    "options, edges",
    [
        ({}, np.linspace(0, 1.4, 101)),
        ({"bins": 7, "max_time": 1.0}, np.linspace(0, 1.0, 8)),
        # ceil(1.0 / 0.3) = 4 bins, the last one 0.1 s wide.
        ({"bin_width": 0.3, "max_time": 1.0}, np.array([0, 0.3, 0.6, 0.9, 1])),
    ],
)
def test_batches_match_a_histogram(shd_file, options, edges):
    path, (times, units, labels) = shd_file
    data = keras_snn.datasets.load_shd(path, batch_size=4, **options)
    assert len(data) == 3  # 4 + 4 + 3 samples
    assert data.sample_shape == (len(edges) - 1, 700)
    batches = [data[i] for i in range(len(data))]
    assert [len(y) for _, y in batches] == [4, 4, 3]
    x = np.concatenate([x for x, _ in batches])
    y = np.concatenate([y for _, y in batches])
    expected = [
        reference_counts(t, u, edges) for t, u in zip(times, units, strict=True)
    ]
    np.testing.assert_array_equal(x, np.stack(expected))
    np.testing.assert_array_equal(y, labels)
    np.testing.assert_array_equal(data.labels, labels)


def test_bin_width_that_divides_max_time(tmp_path):
    path = tmp_path / "shd.h5"
    write_shd(path, [[0.05, 1.05]], [[1, 2]], [0])
    # 1.1 / 0.1 is 11.000000000000002 in floating point.
    data = keras_snn.datasets.load_shd(path, bin_width=0.1, max_time=1.1)
    assert data.sample_shape == (11, 700)
    x, _ = data[0]
    assert x[0, 0, 1] == 1 and x[0, 10, 2] == 1 and x.sum() == 2


def test_shuffle_is_seeded_and_changes_per_epoch(tmp_path):
    path = tmp_path / "shd.h5"
    samples = 12
    times = [[0.01 * (i + 1)] for i in range(samples)]
    units = [[i] for i in range(samples)]
    # Label i for sample i: the labels show the order.
    write_shd(path, times, units, np.arange(samples))

    def epoch(data):
        return np.concatenate([data[i][1] for i in range(len(data))])

    plain = keras_snn.datasets.load_shd(path, batch_size=5, num_classes=12)
    np.testing.assert_array_equal(epoch(plain), np.arange(samples))
    first = keras_snn.datasets.load_shd(
        path, batch_size=5, num_classes=12, shuffle=True, seed=3
    )
    order = epoch(first)
    assert sorted(order) == list(range(samples))
    assert not np.array_equal(order, np.arange(samples))
    # Each sample's spikes come along with its label.
    x = np.concatenate([first[i][0] for i in range(len(first))])
    np.testing.assert_array_equal(x.sum(axis=1)[np.arange(samples), order], 1)
    same = keras_snn.datasets.load_shd(
        path, batch_size=5, num_classes=12, shuffle=True, seed=3
    )
    np.testing.assert_array_equal(epoch(same), order)
    first.on_epoch_end()
    second = epoch(first)
    assert sorted(second) == list(range(samples))
    assert not np.array_equal(second, order)


def test_pickled_copy_reopens_the_file(shd_file):
    path, _ = shd_file
    data = keras_snn.datasets.load_shd(path, bins=10, batch_size=4)
    x, y = data[1]
    copy = pickle.loads(pickle.dumps(data))
    np.testing.assert_array_equal(copy[1][0], x)
    data.close()
    np.testing.assert_array_equal(data[1][1], y)


def test_not_an_shd_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.h5"):
        keras_snn.datasets.load_shd(tmp_path / "nothere.h5")
    text = tmp_path / "notes.txt"
    text.write_text("not HDF5")
    with pytest.raises(ValueError, match="Not an SHD file.*notes.txt"):
        keras_snn.datasets.load_shd(text)
    with pytest.raises(TypeError, match="path=3"):
        keras_snn.datasets.load_shd(3)


@pytest.mark.parametrize("key", ["spikes/times", "spikes/units", "labels"])
def test_missing_key(tmp_path, key):
    path = tmp_path / "shd.h5"
    write_shd(path, [[0.1]], [[1]], [0], skip=(key,))
    with pytest.raises(ValueError, match=f"lacks \\['{key}'\\].*shd.h5"):
        keras_snn.datasets.load_shd(path)


def test_bad_file_contents(tmp_path):
    path = tmp_path / "shd.h5"
    write_shd(path, [[0.1], [0.2]], [[1], [2]], [0])
    with pytest.raises(ValueError, match="'labels': 1"):
        keras_snn.datasets.load_shd(path)
    write_shd(path, [[0.1], [0.2]], [[1], [2]], [0, 20])
    with pytest.raises(ValueError, match="label=20 for sample 1"):
        keras_snn.datasets.load_shd(path)
    # 20 is a valid label once there are 35 classes (SSC).
    assert keras_snn.datasets.load_shd(path, num_classes=35)[0][1][1] == 20
    path = tmp_path / "bad_unit.h5"
    write_shd(path, [[0.1], [0.2, 0.3]], [[1], [700, 2]], [0, 1])
    data = keras_snn.datasets.load_shd(path, batch_size=1)
    data[0]
    with pytest.raises(ValueError, match="sample 1 must lie in 0..699.*=700"):
        data[1]
    path = tmp_path / "bad_time.h5"
    write_shd(path, [[-0.5]], [[1]], [0])
    with pytest.raises(ValueError, match="sample 0 must be non-neg.*-0.5"):
        keras_snn.datasets.load_shd(path)[0]


@pytest.mark.parametrize(
    "options, error, match",
    [
        ({"bins": 0}, ValueError, "bins=0"),
        ({"bins": -3}, ValueError, "bins=-3"),
        ({"bins": 2.5}, TypeError, "bins=2.5"),
        ({"bin_width": 0.0}, ValueError, "bin_width=0.0"),
        ({"bin_width": -0.01}, ValueError, "bin_width=-0.01"),
        ({"bins": 10, "bin_width": 0.1}, ValueError, "not both"),
        ({"max_time": 0}, ValueError, "max_time=0"),
        ({"batch_size": 0}, ValueError, "batch_size=0"),
        ({"shuffle": 1}, TypeError, "shuffle=1"),
        ({"seed": "a"}, TypeError, "seed='a'"),
        ({"num_classes": 0}, ValueError, "num_classes=0"),
    ],
)
def test_bad_arguments(shd_file, options, error, match):
    path, _ = shd_file
    with pytest.raises(error, match=match):
        keras_snn.datasets.load_shd(path, **options)


def test_batch_index_out_of_range(shd_file):
    data = keras_snn.datasets.load_shd(shd_file[0], batch_size=4)
    with pytest.raises(IndexError, match="index=3"):
        data[3]
