"""Dataset loaders, one module per dataset.

- `load_mnist`: MNIST from a local `.npz` file or Keras' download.
"""

from keras_snn.datasets.mnist import load_mnist

__all__ = ["load_mnist"]
