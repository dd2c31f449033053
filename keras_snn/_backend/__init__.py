"""Everything that differs between Keras' backends, in one package.

Modelled on `keras/src/backend/<name>/`: one module per backend
(`tensorflow`, `jax`, `torch`) and `common`, the fallback written with
`keras.ops` that the backend modules start from. The module of the backend
in use is chosen once, when keras_snn is imported (Keras itself fixes the
backend at import), and its names are re-exported here:

- `scan(f, init, xs, reverse, axis, autodiff)`: the time loop.
- `stack(tensors, axis)`.
- `hard_spikes(x)` and `heaviside(x)`: the forward spike.
- `may_write_in_place(x)`: whether an elementwise op may overwrite `x`.
- `custom_gradient(forward, backward, *args)`: an op with several outputs
  and a hand-written backward pass.
- `compile_op(key, function)`: a compiled op (XLA on TensorFlow).
- `inference_loop(training)`: whether inference takes a plain loop rather
  than the custom-gradient op.
- `traced_for_export(training, steps)`: whether a call is being traced
  where an exporter may lower it.
- `is_concrete(x)`: whether a tensor's values can be read.
- `replica_sum(tensors)`: a sum over the replicas of a data-parallel step.
- `auto_jit_compile(model)`: keras_snn's answer to `jit_compile="auto"`.

Nothing else in keras_snn branches on `keras.backend.backend()`, except
`keras_snn.export`, whose formats are each tied to backends.
"""

from keras import backend as _keras_backend

_NAME = _keras_backend.backend()

if _NAME == "tensorflow":
    from keras_snn._backend.tensorflow import *  # noqa: F403
elif _NAME == "jax":
    from keras_snn._backend.jax import *  # noqa: F403
elif _NAME == "torch":
    from keras_snn._backend.torch import *  # noqa: F403
else:
    from keras_snn._backend.common import *  # noqa: F403
