"""The export decorator shared by every public, serializable class."""

import keras


def keras_snn_export(cls):
    """Registers `cls` for Keras serialization under the `keras_snn` package.

    Registered classes load from `.keras` files with `safe_mode=True`, by
    the name `"keras_snn>ClassName"`.
    """
    return keras.saving.register_keras_serializable(package="keras_snn")(cls)
