"""Dataset loaders, one module per dataset.

- `load_mnist`: MNIST from a local `.npz` file or Keras' download.
- `load_shd`: the Spiking Heidelberg Digits from their HDF5 files, as
  batches of binned spike counts (`SHDBatches`; needs h5py).
- `from_tonic`: an event dataset from tonic with a frame transform, as
  batches of channels-last frames (`TonicBatches`).
- `load_mnist1d`: MNIST-1D sequences, generated offline or from a `.npz`.
"""

from keras_snn.datasets.events import TonicBatches
from keras_snn.datasets.events import from_tonic
from keras_snn.datasets.mnist import load_mnist
from keras_snn.datasets.mnist1d import load_mnist1d
from keras_snn.datasets.shd import SHDBatches
from keras_snn.datasets.shd import load_shd

__all__ = [
    "SHDBatches",
    "TonicBatches",
    "from_tonic",
    "load_mnist",
    "load_mnist1d",
    "load_shd",
]
