"""keras_snn: spiking neural network layers for Keras 3.

The public surface, re-exported explicitly:

- layers: `LIFCell`, `LIF`, `RepeatEncoding`, `RateDecoding`;
- functions: `lif_neuron`, `lif_sequence`, `rate_decode`,
  `surrogate_gradient`;
- the model builder `build`;
- the surrogate registry, `keras_snn.surrogates`.
"""

from keras_snn import surrogates
from keras_snn.layers import LIF
from keras_snn.layers import LIFCell
from keras_snn.layers import RateDecoding
from keras_snn.layers import RepeatEncoding
from keras_snn.layers import rate_decode
from keras_snn.models import build
from keras_snn.neurons import beta_from_tau
from keras_snn.neurons import lif_neuron
from keras_snn.sequence import lif_sequence
from keras_snn.surrogates import surrogate_gradient

__version__ = "0.1.0"

__all__ = [
    "LIF",
    "LIFCell",
    "RateDecoding",
    "RepeatEncoding",
    "beta_from_tau",
    "build",
    "lif_neuron",
    "lif_sequence",
    "rate_decode",
    "surrogate_gradient",
    "surrogates",
]
