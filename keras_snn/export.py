"""Deploying trained spiking models: checked export, int8 LiteRT, streaming.

Keras' own exporters (`model.export(path, format=...)`) work on models made
of keras_snn layers, and what they produce equals `model.predict`: inference
traced for an exporter runs the time loop unrolled, with builtin operations
only (see `keras_snn.loops.exportable`). This module adds:

- `export`: `model.export` with a clear error when the current backend
  cannot produce the format, and LiteRT restricted to builtin operations;
- `quantize_litert`: int8 post-training quantization to LiteRT with a
  representative dataset;
- `streaming_model`: the same network as a single-timestep model with
  explicit state inputs and outputs, for real-time inference;
- `load_exported`: runs an exported artifact in its own runtime
  (`tf.saved_model`, the LiteRT interpreter, ONNX Runtime), for checks.
"""

import keras
import numpy as np

from keras_snn._export import keras_snn_export
from keras_snn.layers.decoding import RateDecoding
from keras_snn.layers.decoding import step_reciprocal
from keras_snn.layers.delay import Delay
from keras_snn.layers.delay import DelayedDense
from keras_snn.layers.delay import LearnableDelay
from keras_snn.layers.encoding import LatencyEncoding
from keras_snn.layers.encoding import PoissonEncoding
from keras_snn.layers.encoding import RepeatEncoding
from keras_snn.layers.neuron_layer import NeuronLayer
from keras_snn.loops import MAX_UNROLLED_STEPS
from keras_snn.loops import export_scope
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_int

#: The backends that can produce each export format.
FORMATS = {
    "tf_saved_model": ("tensorflow", "jax"),
    "litert": ("tensorflow",),
    "onnx": ("tensorflow", "jax", "torch"),
}


def check_format(format):
    """Raises a clear error if the current backend cannot export `format`.

    Args:
        format: str. One of `"tf_saved_model"`, `"litert"` or `"onnx"`.

    Returns:
        `format`.
    """
    check_choice("format", format, tuple(FORMATS))
    backend = keras.backend.backend()
    if backend not in FORMATS[format]:
        raise ValueError(
            f"format={format!r} cannot be exported with the {backend!r} "
            f"backend; the backends that can are {list(FORMATS[format])} "
            "(set KERAS_BACKEND, load the .keras file there and export). "
            f"Received: format={format!r} with KERAS_BACKEND={backend!r}"
        )
    return format


def export(
    model, filepath, format="tf_saved_model", *, verbose=False, **kwargs
):
    """Exports `model` with `model.export`, after checking the backend.

    `format="litert"` allows TFLite builtin operations only (no Select-TF
    "Flex" operations), so that the plain LiteRT runtime and
    microcontrollers can run the file; keras_snn layers need no more.

    A model that was never called (just loaded from a `.keras` file, or
    built and not run) exports too: for ONNX, the input signature is
    taken from its symbolic inputs. On TensorFlow, sequences longer than
    `keras_snn.loops.MAX_UNROLLED_STEPS` (256) steps export their time
    loop as a graph loop (`keras_snn.loops.export_scope`) to ONNX and
    SavedModel; LiteRT, whose builtin operators need the loop unrolled,
    raises a `ValueError` for them and for an unknown number of steps:
    export `streaming_model(model)` instead.

    Args:
        model: `keras.Model`. A built model.
        filepath: str or path. Where to write the artifact (a folder for
            `"tf_saved_model"`, a `.tflite` file for `"litert"`, a `.onnx`
            file for `"onnx"`).
        format: str. `"tf_saved_model"` (TensorFlow, JAX), `"litert"`
            (TensorFlow) or `"onnx"` (TensorFlow, JAX, PyTorch). Defaults
            to `"tf_saved_model"`.
        verbose: bool. Print Keras' export messages. Defaults to False.
        **kwargs: Passed on to `model.export` (for LiteRT: converter
            attributes such as `optimizations`).

    Returns:
        `filepath`.

    Raises:
        TypeError: if `model` is not a `keras.Model` or `verbose` not a
            bool.
        ValueError: for an unknown `format`, one the backend cannot
            produce, or a LiteRT export of a sequence too long to unroll.

    Example:

    ```python
    keras_snn.export.export(model, "snn.tflite", format="litert")
    ```
    """
    check_format(format)
    _check_model(model)
    check_bool("verbose", verbose)
    if format == "litert":
        import tensorflow as tf

        kwargs.setdefault(
            "target_spec",
            {"supported_ops": [tf.lite.OpsSet.TFLITE_BUILTINS]},
        )
    if format == "litert":
        _check_litert_steps(model)
    if format == "onnx" and kwargs.get("input_signature") is None:
        kwargs["input_signature"] = _input_signature(model)
    with export_scope():
        model.export(str(filepath), format=format, verbose=verbose, **kwargs)
    return filepath


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(
            f"model must be a keras.Model. Received: model={model!r} of "
            f"type {type(model).__name__}"
        )


def _sequence_layers(model):
    # The neuron layers that run over a time axis: the model's own, and
    # those of models nested in it. (A streaming model holds its source's
    # layers, but calls their cells one step at a time.)
    for layer in model.layers:
        if isinstance(layer, NeuronLayer):
            yield layer
        elif isinstance(layer, keras.Model):
            yield from _sequence_layers(layer)


def _check_litert_steps(model):
    # LiteRT's builtin operators take the time loop unrolled (a graph loop
    # needs Flex TensorList operators), and exportable() unrolls at most
    # MAX_UNROLLED_STEPS steps, which bounds the time to trace.
    for layer in _sequence_layers(model):
        steps = layer.num_timesteps
        if steps is None:
            try:
                steps = layer.input.shape[1]
            except (AttributeError, ValueError):
                continue
        if steps is None or steps > MAX_UNROLLED_STEPS:
            raise ValueError(
                "LiteRT export runs the time loop unrolled, over a known "
                f"number of timesteps of at most {MAX_UNROLLED_STEPS}. For "
                "longer (or unknown) sequences, export the one-timestep "
                "model of keras_snn.export.streaming_model(model), whose "
                "states carry over from call to call. Received: layer "
                f"{layer.name!r} with num_timesteps={steps}"
            )


def _input_signature(model):
    # The signature Keras' exporters derive from the symbolic inputs of a
    # functional or Sequential model. Keras' ONNX exporter refuses to
    # derive it for a model that was never called, such as one just
    # loaded from a .keras file ("The model provided has never called"),
    # although the inputs are known; passed explicitly, it needs no call.
    # None (other models) leaves the signature to Keras.
    def spec(x):
        return keras.InputSpec(
            shape=(None, *x.shape[1:]), dtype=x.dtype, name=x.name
        )

    try:
        if isinstance(model, keras.Sequential):
            # One positional input per entry, as Keras gives it.
            return [spec(x) for x in model.inputs] or None
        # One positional argument: the structure of the inputs.
        return [keras.tree.map_structure(spec, model.input)]
    except (AttributeError, ValueError, TypeError):
        return None


def quantize_litert(model, filepath, representative_data, *, verbose=False):
    """int8 post-training quantization of `model` to a LiteRT file.

    Weights and activations become int8 where LiteRT has an int8 kernel;
    the scales come from running `representative_data` through the model.
    Inputs and outputs stay float32, so the file is used like the float
    one. TensorFlow backend only.

    Args:
        model: `keras.Model`. A trained model.
        filepath: str or path ending in `.tflite`.
        representative_data: array of model inputs, `[samples, ...]`, or
            an iterable of such batches. A few hundred training samples
            are typical.
        verbose: bool. Print Keras' export messages. Defaults to False.

    Returns:
        `filepath`.

    Example:

    ```python
    keras_snn.export.quantize_litert(model, "snn_int8.tflite", x_train[:256])
    ```
    """
    check_format("litert")
    import tensorflow as tf

    batches = _batches(representative_data)

    def dataset():
        for batch in batches:
            for sample in batch:
                yield [sample[None]]

    return export(
        model,
        filepath,
        format="litert",
        verbose=verbose,
        optimizations=[tf.lite.Optimize.DEFAULT],
        representative_dataset=dataset,
        target_spec={
            "supported_ops": [
                tf.lite.OpsSet.TFLITE_BUILTINS_INT8,
                tf.lite.OpsSet.TFLITE_BUILTINS,
            ]
        },
    )


def _batches(data):
    if isinstance(data, np.ndarray) or keras.ops.is_tensor(data):
        data = [data]
    batches = [
        np.asarray(keras.ops.convert_to_numpy(b), "float32") for b in data
    ]
    if not batches or not all(b.ndim >= 1 and len(b) for b in batches):
        raise ValueError(
            "representative_data must hold at least one sample. Received: "
            f"representative_data={data!r}"
        )
    return batches


def load_exported(filepath, format):
    """Loads an exported artifact in its runtime, as a NumPy function.

    The runtimes: `tf.saved_model.load` for `"tf_saved_model"`, the LiteRT
    interpreter of `ai-edge-litert` (or `tf.lite` without it) for
    `"litert"`, `onnxruntime` for `"onnx"`. None of them needs keras_snn.

    Args:
        filepath: str or path. The artifact.
        format: str. `"tf_saved_model"`, `"litert"` or `"onnx"`.

    Returns:
        A function `run(inputs)`: `inputs` is an array (one model input)
        or a dict from the Keras input names to arrays; it returns an
        array (one output) or a list of arrays in the model's output
        order.

    Example:

    ```python
    run = keras_snn.export.load_exported("snn.onnx", "onnx")
    rates = run(x)  # equals model.predict(x)
    ```
    """
    check_choice("format", format, tuple(FORMATS))
    filepath = str(filepath)
    if format == "onnx":
        import onnxruntime

        session = onnxruntime.InferenceSession(filepath)
        names = [i.name for i in session.get_inputs()]

        def call(feeds):
            return session.run(None, feeds)

    elif format == "litert":
        interpreter = _litert_interpreter(filepath)
        runner = interpreter.get_signature_runner()
        names = list(runner.get_input_details())

        def call(feeds):
            return _ordered(runner(**feeds))

    else:
        import tensorflow as tf

        # The functions die with the loaded object: `call` keeps it.
        loaded = tf.saved_model.load(filepath)
        names = list(loaded.signatures["serve"].structured_input_signature[1])

        def call(feeds):
            function = loaded.signatures["serve"]
            outputs = function(**{k: tf.constant(v) for k, v in feeds.items()})
            return _ordered(outputs)

    def run(inputs):
        if not isinstance(inputs, dict):
            if len(names) != 1:
                raise ValueError(
                    f"This artifact has inputs {names}; pass a dict of "
                    f"arrays. Received: inputs of type {type(inputs).__name__}"
                )
            inputs = {names[0]: inputs}
        feeds = {k: np.asarray(v, "float32") for k, v in inputs.items()}
        outputs = call(feeds)
        return outputs[0] if len(outputs) == 1 else outputs

    return run


def litert_ops(filepath):
    """The names of the operators in a LiteRT file, sorted.

    Builtin operators have names such as `"FULLY_CONNECTED"`; Select-TF
    operators, which the plain LiteRT runtime cannot run, start with
    `"Flex"` (and fail to load in `ai-edge-litert`'s interpreter).

    Args:
        filepath: str or path. A `.tflite` file.

    Returns:
        A sorted list of str.
    """
    interpreter = _litert_interpreter(str(filepath), allocate=False)
    return sorted({op["op_name"] for op in interpreter._get_ops_details()})


def _litert_interpreter(filepath, allocate=True):
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter  # noqa: N806
    interpreter = Interpreter(model_path=filepath)
    if allocate:
        interpreter.allocate_tensors()
    return interpreter


def _ordered(outputs):
    # Signatures name their outputs output_0, output_1, ... (or one name).
    keys = sorted(outputs, key=lambda k: (len(k), k))
    return [np.asarray(outputs[k]) for k in keys]


# Layers applied to each step as they are: they act on the last axis only.
_PER_STEP = (
    keras.layers.Dense,
    keras.layers.Activation,
    keras.layers.ReLU,
    keras.layers.LeakyReLU,
    keras.layers.ELU,
    keras.layers.Softmax,
    keras.layers.Identity,
    keras.layers.Rescaling,
)
# Layers that are the identity at inference.
# Time averages, run as a sum and a step count: "rate" is `RateDecoding`,
# "mean" a `GlobalAveragePooling1D` over time.
_RUNNING_MEANS = ("rate", "mean")

_INFERENCE_IDENTITY = (
    keras.layers.Dropout,
    keras.layers.GaussianNoise,
    keras.layers.GaussianDropout,
    keras.layers.AlphaDropout,
    RepeatEncoding,
)

# Layers that see past inputs: a buffer of the last `max_delay` inputs is
# their state.
_DELAYS = (Delay, LearnableDelay, DelayedDense)


def streaming_model(model):
    """Turns a trained model into a single-timestep model with state.

    The returned `StreamingModel` maps `[x_t, *states]` to
    `[y_t, *new_states]`: `x_t` is the input of one timestep, `y_t` what
    the model outputs after it (the spikes of this step, or the firing
    rates so far when the model ends with `RateDecoding`). It shares the
    trained weights. Starting from `initial_states(batch_size)` and feeding
    the new states back, `num_timesteps` steps give `model.predict`'s
    output. For models with a static input (`RepeatEncoding` or a first
    `LIF(num_timesteps=...)`), `x_t` is that input at every step; for
    sequence inputs `[batch, time, features]` it is `x[:, t]`.

    Converted layers, walked in order (the model must be a chain):

    - any `keras.layers.RNN` (such as `LIF`): one call of its `cell`, the
      RNN cell API (`state_size`, `get_initial_state`), so every neuron
      cell works;
    - `Delay`, `LearnableDelay` and `DelayedDense`: a buffer of the last
      `max_delay` inputs, `[batch, max_delay, features]`, as a state
      (shifted by one step per call, zeros at the start), so that the step
      equals `predict`; `LearnableDelay` at its integer delays and
      `DelayedDense` at its current `sigma`, as at inference;
    - `RateDecoding`: a running mean with a spike-sum and a step-count
      state; `GlobalAveragePooling1D` over time (the readout of
      `build(readout="membrane")`) likewise, equal to `predict` up to
      float rounding, since it sums membrane potentials in another order;
    - `Dense`, activations, `Rescaling`, `TimeDistributed(...)`,
      `BatchNormalization` and `LayerNormalization` on the last axis:
      applied to the step; `Dropout` and noise layers, `RepeatEncoding`:
      the identity, as at inference.

    Anything else (for example `PoissonEncoding`, whose spikes are random,
    or `LatencyEncoding`) raises a `ValueError` that names the layer.

    Args:
        model: `keras.Model`. A built model whose layers form a chain.

    Returns:
        A `StreamingModel`.

    Example:

    ```python
    stream = keras_snn.export.streaming_model(model)
    states = stream.initial_states(batch_size=len(x))
    for _ in range(stream.num_timesteps):
        rates, *states = stream.predict_on_batch([x, *states])
    # rates equals model.predict(x)
    ```
    """
    _check_model(model)
    chain = _chain(model)
    steps, num_timesteps = [], None
    static_input, seen_time = len(model.inputs[0].shape) == 2, False
    for layer, input_shape in chain:
        kind = _kind(layer, input_shape)
        if kind in ("rnn", "encoder") and not seen_time:
            seen_time = True
            static_input = len(input_shape) == 2
            num_timesteps = getattr(layer, "num_timesteps", None)
        steps.append((kind, layer, input_shape))
    if not seen_time:
        raise ValueError(
            "streaming_model needs a model with a time axis: an RNN layer "
            f"such as LIF. Received: model {model.name!r} with layers "
            f"{[layer.name for layer, _ in chain]}"
        )
    if not static_input:
        num_timesteps = model.inputs[0].shape[1]
    step_shape = tuple(model.inputs[0].shape[1 if static_input else 2 :])
    stream = StreamingModel(steps, step_shape, num_timesteps, model.name)
    # What a saved stream is made again from (`StreamingModel.from_config`),
    # kept out of Keras' tracking: the stream holds its layers already.
    object.__setattr__(stream, "_source", model)
    # One call on a batch of one: ONNX export needs a model that has run.
    example = np.zeros((1, *step_shape), model.inputs[0].dtype)
    stream([example, *stream.initial_states(1)])
    return stream


def _chain(model):
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ValueError(
            "streaming_model supports models with one input and one output. "
            f"Received: model {model.name!r} with {len(model.inputs)} inputs "
            f"and {len(model.outputs)} outputs"
        )
    # `(layer, input shape)` from the output back to the input, through the
    # model's own graph: for a layer called more than once (as a loaded
    # Sequential's are, once per layer added), `layer.input` is the input
    # of its first call, which is not in the model's graph.
    chain, x = [], model.outputs[0]
    while x is not model.inputs[0]:
        layer, node_index, _ = x._keras_history
        tensors = layer._inbound_nodes[node_index].input_tensors
        if len(tensors) != 1:
            raise _not_a_chain(layer)
        chain.append((layer, tuple(tensors[0].shape)))
        x = tensors[0]
    chain.reverse()
    on_chain = {id(layer) for layer, _ in chain}
    for layer in model.layers:
        if id(layer) not in on_chain and not isinstance(
            layer, keras.layers.InputLayer
        ):
            raise _not_a_chain(layer)
    return chain


def _not_a_chain(layer):
    return ValueError(
        "streaming_model supports models whose layers form a chain, each "
        "taking the previous layer's output. Received: layer "
        f"{layer.name!r} ({type(layer).__name__})"
    )


def _kind(layer, input_shape):
    if isinstance(layer, keras.layers.RNN):
        if layer.go_backwards or layer.return_state:
            raise ValueError(
                "streaming_model cannot run an RNN backwards or return its "
                f"states. Received: layer {layer.name!r} with "
                f"go_backwards={layer.go_backwards}, "
                f"return_state={layer.return_state}"
            )
        return "rnn"
    if isinstance(layer, RateDecoding):
        return "rate"
    if isinstance(layer, _DELAYS):
        return "delay"
    if (
        isinstance(layer, keras.layers.GlobalAveragePooling1D)
        and layer.data_format == "channels_last"
        and not layer.keepdims
    ):
        # The time average of `build(readout="membrane")`.
        return "mean"
    if isinstance(layer, RepeatEncoding):
        return "encoder"
    if isinstance(layer, (PoissonEncoding, LatencyEncoding)):
        raise ValueError(
            f"streaming_model cannot convert {type(layer).__name__}: its "
            "spikes depend on the whole sequence or on random draws. Feed "
            f"encoded spikes to a model without it. Received: layer "
            f"{layer.name!r}"
        )
    if isinstance(layer, _INFERENCE_IDENTITY):
        return "identity"
    if isinstance(layer, keras.layers.TimeDistributed):
        return "time_distributed"
    if isinstance(layer, _PER_STEP):
        return "per_step"
    if isinstance(
        layer,
        (keras.layers.BatchNormalization, keras.layers.LayerNormalization),
    ):
        axes = (
            layer.axis
            if isinstance(layer.axis, (list, tuple))
            else [layer.axis]
        )
        rank = len(input_shape)
        if list(axes) in ([-1], [rank - 1]):
            # Built for [batch, time, ...]: run on a one-step sequence.
            return "one_step_sequence"
    raise ValueError(
        f"streaming_model cannot convert layer {layer.name!r} "
        f"({type(layer).__name__}) to a single timestep. Supported: RNN "
        "layers such as LIF, RateDecoding, delay layers, "
        "GlobalAveragePooling1D over "
        "time, RepeatEncoding, Dense, "
        "activations, TimeDistributed, normalization on the last axis and "
        "dropout."
    )


def _state_shapes(cell):
    # keras_snn's neuron cells know their whole state shape (several axes
    # for convolutional or weightless layers); other cells give sizes.
    shape = getattr(cell, "state_shape", None)
    if shape is not None:
        return [tuple(shape)] * cell.num_states
    sizes = cell.state_size
    sizes = list(sizes) if isinstance(sizes, (list, tuple)) else [sizes]
    return [tuple(s) if isinstance(s, (list, tuple)) else (s,) for s in sizes]


def _state_specs(kind, layer, input_shape):
    """`(name suffix, shape without the batch axis)` of each state input
    that a step of the chain adds to the streaming model."""
    if kind == "rnn":
        return [
            (f"state_{i}", shape)
            for i, shape in enumerate(_state_shapes(layer.cell))
        ]
    if kind == "delay" and layer.max_delay:
        return [("buffer", (layer.max_delay, input_shape[-1]))]
    if kind in _RUNNING_MEANS:
        units = tuple(input_shape[2:])
        return [("sum", units), ("count", (1,) * len(units))]
    return []


class _StreamingStep(keras.layers.Layer):
    """One timestep of a converted model: `[x_t, *states]` to
    `[y_t, *new_states]`."""

    def __init__(self, steps, **kwargs):
        super().__init__(**kwargs)
        self.kinds = [kind for kind, _ in steps]
        self.step_layers = [layer for _, layer in steps]

    def call(self, inputs):
        x, states, new_states = inputs[0], list(inputs[1:]), []
        for kind, layer in zip(self.kinds, self.step_layers, strict=True):
            if kind == "rnn":
                count = len(_state_shapes(layer.cell))
                own, states = states[:count], states[count:]
                x, updated = layer.cell(x, own, training=False)
                new_states.extend(
                    updated if isinstance(updated, (list, tuple)) else [updated]
                )
            elif kind == "delay":
                buffer = None
                if layer.max_delay:
                    buffer, states = states[0], states[1:]
                x, buffer = layer.stream_step(x, buffer)
                new_states.extend([] if buffer is None else [buffer])
            elif kind in _RUNNING_MEANS:
                total, steps = states[0] + x, states[1] + 1.0
                states = states[2:]
                new_states.extend([total, steps])
                if kind == "rate":
                    # As rate_decode: the count times 1 / steps.
                    x = total * step_reciprocal(steps)
                else:
                    x = total / steps
            elif kind == "time_distributed":
                x = layer.layer(x, training=False)
            elif kind == "per_step":
                x = layer(x, training=False)
            elif kind == "one_step_sequence":
                x = layer(keras.ops.expand_dims(x, 1), training=False)[:, 0]
        return [x, *new_states]


@keras_snn_export
class StreamingModel(keras.Model):
    """A model run one timestep per call, with explicit states.

    Made by `keras_snn.export.streaming_model`. Inputs: `[x_t, *states]`;
    outputs: `[y_t, *new_states]`. Export it like any model, for example
    `keras_snn.export.export(stream, "stream.tflite", format="litert")`.
    It saves to a `.keras` file and loads in safe mode (after `import
    keras_snn`): the file holds the source model, from which loading makes
    the stream again with `streaming_model`, and the shared weights.

    Attributes:
        num_timesteps: int or None. The number of steps of the source
            model (None when its input length is not fixed).
        state_names: list of str. The names of the state inputs, in order.
        source: the `keras.Model` the stream was made from, whose layers
            (and weights) it shares (read-only).
    """

    def __init__(self, steps, step_shape, num_timesteps, name):
        # steps: (kind, layer, input shape) of each layer of the chain.
        specs = [
            (f"{layer.name}_{suffix}", shape)
            for kind, layer, input_shape in steps
            for suffix, shape in _state_specs(kind, layer, input_shape)
        ]
        x_t = keras.Input(shape=step_shape, name="x_t")
        states = [keras.Input(shape=s, name=n) for n, s in specs]
        outputs = _StreamingStep(
            [(kind, layer) for kind, layer, _ in steps], name="step"
        )([x_t, *states])
        super().__init__(
            inputs=[x_t, *states], outputs=outputs, name=f"{name}_streaming"
        )
        self.num_timesteps = num_timesteps
        self.state_names = [n for n, _ in specs]
        self._steps = steps

    def initial_states(self, batch_size):
        """The states before the first step, as NumPy arrays.

        Args:
            batch_size: int. Number of independent streams.

        Returns:
            A list of arrays, in the order of the state inputs.
        """
        batch_size = check_positive_int("batch_size", batch_size)
        states = []
        for kind, layer, input_shape in self._steps:
            if kind == "rnn":
                initial = layer.cell.get_initial_state(batch_size)
                initial = (
                    initial if isinstance(initial, (list, tuple)) else [initial]
                )
                states += [keras.ops.convert_to_numpy(s) for s in initial]
            else:
                # Delay buffers and running means start at zero.
                states += [
                    np.zeros((batch_size, *shape), "float32")
                    for _, shape in _state_specs(kind, layer, input_shape)
                ]
        return states

    @property
    def source(self):
        return self._source

    def get_config(self):
        return {
            "name": self.name,
            "source": keras.saving.serialize_keras_object(self.source),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        source = keras.saving.deserialize_keras_object(
            config["source"], custom_objects=custom_objects
        )
        stream = streaming_model(source)
        stream.name = config["name"]
        return stream
