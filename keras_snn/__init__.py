"""keras_snn: spiking neural network layers for Keras 3.

The public surface, re-exported explicitly:

- layers: `LIFCell`, `LIF`, `RepeatEncoding`, `PoissonEncoding`,
  `LatencyEncoding`, `RateDecoding`, `SumPooling2D`;
- delays: `Delay` (fixed), `LearnableDelay` (one per neuron),
  `DelayedDense` (one per synapse) and its `DelayAnnealing` callback;
- more neuron models: `IF`, `LI`, `SynapticLIF`, `AdaptiveLIF` and their
  cells, on the bases `NeuronCell` and `NeuronLayer`;
- functions: `lif_neuron`, `lif_sequence`, `rate_decode`,
  `surrogate_gradient`;
- the model builders `build` (static inputs) and `build_sequence`
  (sequences) and the model class they return, `SpikingModel`;
- the surrogate registry, `keras_snn.surrogates`;
- losses on firing rates, `keras_snn.losses`;
- the firing-rate regularizer, `keras_snn.regularizers.FiringRate`;
- spike trains and a firing-rate callback, `keras_snn.monitoring`;
- plots of spikes, rates and membranes, and of operations and sparsity
  per layer, `keras_snn.plot` (needs matplotlib);
- synaptic operations, sparsity, footprint and energy with NeuroBench's
  definitions, `keras_snn.efficiency`;
- dataset loaders for the examples, `keras_snn.datasets`;
- deployment: checked export, int8 LiteRT and streaming models,
  `keras_snn.export`;
- NIR import and export, `keras_snn.nir` (needs the `nir` extra).
"""

from keras_snn import datasets
from keras_snn import efficiency
from keras_snn import export
from keras_snn import losses
from keras_snn import monitoring
from keras_snn import nir
from keras_snn import plot
from keras_snn import regularizers
from keras_snn import surrogates
from keras_snn.layers import IF
from keras_snn.layers import LI
from keras_snn.layers import LIF
from keras_snn.layers import AdaptiveLIF
from keras_snn.layers import AdaptiveLIFCell
from keras_snn.layers import Delay
from keras_snn.layers import DelayAnnealing
from keras_snn.layers import DelayedDense
from keras_snn.layers import IFCell
from keras_snn.layers import LatencyEncoding
from keras_snn.layers import LearnableDelay
from keras_snn.layers import LICell
from keras_snn.layers import LIFCell
from keras_snn.layers import NeuronCell
from keras_snn.layers import NeuronLayer
from keras_snn.layers import PoissonEncoding
from keras_snn.layers import RateDecoding
from keras_snn.layers import RepeatEncoding
from keras_snn.layers import SumPooling2D
from keras_snn.layers import SynapticLIF
from keras_snn.layers import SynapticLIFCell
from keras_snn.layers import Threshold
from keras_snn.layers import rate_decode
from keras_snn.models import SpikingModel
from keras_snn.models import build
from keras_snn.models import build_sequence
from keras_snn.neurons import beta_from_tau
from keras_snn.neurons import lif_neuron
from keras_snn.sequence import lif_sequence
from keras_snn.surrogates import surrogate_gradient

__version__ = "0.1.0"

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
    "SpikingModel",
    "SumPooling2D",
    "SynapticLIF",
    "SynapticLIFCell",
    "Threshold",
    "beta_from_tau",
    "build",
    "build_sequence",
    "datasets",
    "efficiency",
    "export",
    "lif_neuron",
    "lif_sequence",
    "losses",
    "monitoring",
    "nir",
    "plot",
    "rate_decode",
    "regularizers",
    "surrogate_gradient",
    "surrogates",
]
