"""Keras layers for spiking neural networks."""

from keras_snn.layers.decoding import RateDecoding
from keras_snn.layers.decoding import rate_decode
from keras_snn.layers.encoding import LatencyEncoding
from keras_snn.layers.encoding import PoissonEncoding
from keras_snn.layers.encoding import RepeatEncoding
from keras_snn.layers.lif import LIF
from keras_snn.layers.lif import LIFCell

__all__ = [
    "LIF",
    "LIFCell",
    "LatencyEncoding",
    "PoissonEncoding",
    "RateDecoding",
    "RepeatEncoding",
    "rate_decode",
]
