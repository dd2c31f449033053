"""Dataset loaders, one module per dataset.

- `load_mnist`: MNIST from a local `.npz` file or Keras' download.
- `load_mnist1d`: MNIST-1D sequences, generated offline or from a `.npz`.
"""

from keras_snn.datasets.mnist import load_mnist
from keras_snn.datasets.mnist1d import load_mnist1d

__all__ = ["load_mnist", "load_mnist1d"]
