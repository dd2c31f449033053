"""Keras layers for spiking neural networks."""

from keras_snn.layers.adaptive import AdaptiveLIF
from keras_snn.layers.adaptive import AdaptiveLIFCell
from keras_snn.layers.cell import NeuronCell
from keras_snn.layers.decoding import RateDecoding
from keras_snn.layers.decoding import rate_decode
from keras_snn.layers.delay import Delay
from keras_snn.layers.delay import DelayAnnealing
from keras_snn.layers.delay import DelayedDense
from keras_snn.layers.delay import LearnableDelay
from keras_snn.layers.encoding import LatencyEncoding
from keras_snn.layers.encoding import PoissonEncoding
from keras_snn.layers.encoding import RepeatEncoding
from keras_snn.layers.li import LI
from keras_snn.layers.li import LICell
from keras_snn.layers.lif import IF
from keras_snn.layers.lif import LIF
from keras_snn.layers.lif import IFCell
from keras_snn.layers.lif import LIFCell
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.layers.pooling import SumPooling2D
from keras_snn.layers.synaptic import SynapticLIF
from keras_snn.layers.synaptic import SynapticLIFCell
from keras_snn.layers.threshold import Threshold

__all__ = [
    "IF",
    "LI",
    "LIF",
    "AdaptiveLIF",
    "AdaptiveLIFCell",
    "Delay",
    "DelayAnnealing",
    "DelayedDense",
    "IFCell",
    "LICell",
    "LIFCell",
    "LatencyEncoding",
    "LearnableDelay",
    "NeuronCell",
    "NeuronLayer",
    "PoissonEncoding",
    "RateDecoding",
    "RepeatEncoding",
    "SumPooling2D",
    "SynapticLIF",
    "SynapticLIFCell",
    "Threshold",
    "rate_decode",
]
