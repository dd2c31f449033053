import keras
import numpy as np
import pytest

import keras_snn
from tests.helpers import assert_config_round_trip
from tests.helpers import to_numpy


def test_repeat_encoding_repeats_input():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    out = to_numpy(keras_snn.RepeatEncoding(4)(x))
    assert out.shape == (2, 4, 3)
    for t in range(4):
        np.testing.assert_array_equal(out[:, t], x)


def test_repeat_encoding_keeps_trailing_shape():
    x = np.ones((2, 5, 5, 1), np.float32)
    layer = keras_snn.RepeatEncoding(3)
    assert to_numpy(layer(x)).shape == (2, 3, 5, 5, 1)
    assert layer.compute_output_shape((None, 5, 5, 1)) == (None, 3, 5, 5, 1)


def test_repeat_encoding_config():
    restored = assert_config_round_trip(keras_snn.RepeatEncoding(7))
    assert restored.num_timesteps == 7


@pytest.mark.parametrize(
    "value, error", [(0, ValueError), (-2, ValueError), (2.0, TypeError)]
)
def test_repeat_encoding_bad_num_timesteps(value, error):
    with pytest.raises(error, match=f"num_timesteps={value!r}"):
        keras_snn.RepeatEncoding(value)


def test_repeat_encoding_bad_inputs():
    with pytest.raises(ValueError, match=r"input_shape=\(4,\)"):
        keras_snn.RepeatEncoding(2).build((4,))
    layer = keras_snn.RepeatEncoding(2)
    layer(np.ones((2, 3), np.float32))
    with pytest.raises(ValueError, match="expected axis 1 of input shape"):
        layer(np.ones((2, 4), np.float32))


def test_repeat_encoding_in_sequential():
    model = keras.Sequential([keras.Input((3,)), keras_snn.RepeatEncoding(2)])
    assert model.output_shape == (None, 2, 3)
