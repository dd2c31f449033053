"""Model builders: complete spiking classifiers in one call, and the model
class they return."""

import keras

from keras_snn import _backend
from keras_snn.layers.adaptive import AdaptiveLIF
from keras_snn.layers.decoding import RateDecoding
from keras_snn.layers.encoding import LatencyEncoding
from keras_snn.layers.encoding import PoissonEncoding
from keras_snn.layers.li import LI
from keras_snn.layers.lif import LIF
from keras_snn.layers.synaptic import SynapticLIF
from keras_snn.validation import check_bool
from keras_snn.validation import check_choice
from keras_snn.validation import check_positive_int
from keras_snn.validation import check_sizes


def build(
    *,
    input_size,
    hidden_sizes=(256, 128),
    output_size,
    num_timesteps=25,
    encoding="repeat",
    tau=2.0,
    threshold=1.0,
    beta=None,
    dt=1.0,
    reset="subtract",
    surrogate="fast_sigmoid",
    detach_reset=True,
    trainable_beta=False,
    trainable_threshold=False,
    use_bias=True,
    kernel_initializer="glorot_uniform",
    readout="rate",
    name="snn",
):
    """Builds a feed-forward spiking classifier.

    The model maps `[batch, input_size]` to `[batch, output_size]` firing
    rates in [0, 1]: the input is encoded over `num_timesteps` steps
    (`encoding`), flows through one `LIF` layer per entry of
    `hidden_sizes` and an `LIF` output layer of `output_size` neurons, and
    the output spikes are rate-decoded (`RateDecoding`).

    With `readout="membrane"` the output layer is instead a non-spiking
    `LI` layer (with the same `tau`, `beta`, `dt`, `trainable_beta`,
    `use_bias` and `kernel_initializer`), and the model returns its
    membrane potential averaged over time: logits, for
    `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`. The
    mean over time, rather than the last step, gives every step a
    gradient and does not depend on when the last input spikes arrived.

    Args:
        input_size: int. Number of input features. Required.
        hidden_sizes: list of int. Sizes of the hidden LIF layers.
            Defaults to `[256, 128]`.
        output_size: int. Number of output neurons (classes). Required.
        num_timesteps: int. Number of simulation steps. Defaults to 25.
        encoding: str or layer. How the static input becomes a sequence:
            `"repeat"` (the default: direct coding, the input as a
            constant current at every step; the first `LIF` layer does it
            itself and computes the input projection once), `"poisson"`
            (`PoissonEncoding(num_timesteps)`: random spikes, inputs must
            lie in [0, 1]), `"latency"` (`LatencyEncoding(num_timesteps)`:
            one spike per input, inputs in [0, 1]), or an encoder layer
            instance such as `PoissonEncoding(25, gain=0.5, seed=0)`, whose
            `num_timesteps` must equal `num_timesteps`.
        tau: float. Membrane time constant in timesteps. Defaults to 2.
        threshold: float. Firing threshold. Defaults to 1.
        beta: float in (0, 1] or None. Decay; overrides `tau` when given.
        dt: float. Simulation step in timesteps. Defaults to 1.
        reset: str. `"subtract"` (default), `"zero"` or `"none"`.
        surrogate: str, dict or `Surrogate`. Defaults to `"fast_sigmoid"`.
        detach_reset: bool. Stop the gradient through the reset. Defaults
            to True.
        trainable_beta: bool. Learn one decay per neuron. Defaults to False.
        trainable_threshold: bool. Learn one threshold per neuron. Defaults
            to False.
        use_bias: bool. Give each LIF layer a bias. Defaults to True.
        kernel_initializer: Initializer of every kernel. Defaults to
            `"glorot_uniform"`.
        readout: str. `"rate"` (the default: an `LIF` output layer, rate
            decoded, outputs in [0, 1]) or `"membrane"` (an `LI` output
            layer, its membrane averaged over time, outputs are logits).
        name: str. Model name. Defaults to `"snn"`.

    Returns:
        A `SpikingModel` (a functional `keras.Model`), ready for
        `compile` and `fit`.

    Example:

    ```python
    model = keras_snn.build(input_size=64, hidden_sizes=[128, 64],
                            output_size=10)
    rates = model(keras.ops.ones((2, 64)))  # [2, 10], values in [0, 1]
    ```
    """
    input_size = check_positive_int("input_size", input_size)
    hidden_sizes = check_sizes("hidden_sizes", hidden_sizes)
    output_size = check_positive_int("output_size", output_size)
    num_timesteps = check_positive_int("num_timesteps", num_timesteps)
    check_choice("readout", readout, READOUTS)
    encoder = _encoder(encoding, num_timesteps)
    neuron_options = {
        "tau": tau,
        "threshold": threshold,
        "beta": beta,
        "dt": dt,
        "reset": reset,
        "surrogate": surrogate,
        "detach_reset": detach_reset,
        "trainable_beta": trainable_beta,
        "trainable_threshold": trainable_threshold,
        "use_bias": use_bias,
        "kernel_initializer": kernel_initializer,
    }
    inputs = keras.Input(shape=(input_size,), name="inputs")
    x = inputs if encoder is None else encoder(inputs)
    sizes, names = hidden_sizes, [f"lif_{i}" for i in range(len(hidden_sizes))]
    if readout == "rate":
        sizes, names = sizes + [output_size], names + ["lif_output"]
    for index, (units, layer_name) in enumerate(zip(sizes, names, strict=True)):
        # With the default encoding, the first layer repeats the static
        # input over time itself (direct coding), so that its projection is
        # computed once per sequence.
        direct = index == 0 and encoder is None
        steps = {"num_timesteps": num_timesteps} if direct else {}
        x = LIF(units, name=layer_name, **steps, **neuron_options)(x)
    if readout == "membrane":
        leak_options = {
            key: neuron_options[key]
            for key in (
                "tau",
                "beta",
                "dt",
                "trainable_beta",
                "use_bias",
                "kernel_initializer",
            )
        }
        x = LI(output_size, name="li_output", **leak_options)(x)
        # The mean over the time axis, [batch, time, units] -> [batch,
        # units], as a plain Keras layer.
        outputs = keras.layers.GlobalAveragePooling1D(
            name="logits", dtype="float32"
        )(x)
    else:
        outputs = RateDecoding(name="rates", dtype="float32")(x)
    return SpikingModel(inputs, outputs, name=name)


def build_sequence(
    *,
    input_size,
    output_size,
    hidden_sizes=(128, 128),
    num_timesteps=None,
    neuron="lif",
    recurrent=True,
    encoder_size=64,
    tau=2.0,
    trainable_beta=True,
    surrogate=None,
    readout="membrane",
    name="snn_sequence",
):
    """Builds a spiking classifier of sequences.

    The model maps a sequence `[batch, time, input_size]` to logits
    `[batch, output_size]`: a per-step `Dense(encoder_size)` encoder
    (linear, applied at every step; optional), one spiking layer of
    `neuron` per entry of `hidden_sizes` (recurrent by default), then the
    readout. The default readout is a non-spiking `LI` layer whose
    membrane potential, averaged over time, gives the logits, for
    `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.

    The defaults are the ones measured to learn MNIST-1D (see the
    concepts page and `examples/train_mnist1d.py`): a 64-unit encoder, two
    recurrent layers of 128 LIF neurons with `tau=2` and the recurrent
    layers' default surrogate, whose derivative peaks at 1, and a decay
    learned per neuron in every layer.

    Args:
        input_size: int. Number of features per step. Required.
        output_size: int. Number of classes. Required.
        hidden_sizes: list of int. Sizes of the spiking layers. Defaults
            to `[128, 128]` (on MNIST-1D with fixed decays, one layer of
            128 reaches about 92.5 % test accuracy, two 94 to 96 %).
        num_timesteps: int or None. Length of the sequences, or None (the
            default) for any length. Export needs a known length.
        neuron: str. The spiking neuron model: `"lif"` (`LIF`, the
            default), `"adaptive_lif"` (`AdaptiveLIF`) or `"synaptic_lif"`
            (`SynapticLIF`).
        recurrent: bool. Give each spiking layer a recurrent kernel.
            Defaults to True.
        encoder_size: int or None. Units of a linear `Dense` layer applied
            at every step before the first spiking layer (64 by default),
            or None for none. With few input features it matters: on
            MNIST-1D (one feature per step) one recurrent layer of 128
            with fixed decays reaches about 77 % test accuracy without
            it, 92.5 % with it.
        tau: float. Membrane time constant of every layer, readout
            included, in timesteps. Defaults to 2.
        trainable_beta: bool. Learn one membrane decay per neuron in every
            layer, readout included, starting from `exp(-1 / tau)`
            (`trainable_beta` of the layers); False keeps them at
            `exp(-1 / tau)`. Defaults to True: on MNIST-1D the default
            network reaches 96.1 % test accuracy on average with it (94.5
            to 97.0 %, nine runs on four generations), 95.2 % with fixed
            decays (93.9 to 96.0 %, four runs).
        surrogate: str, dict, `Surrogate` or None. Spike function of the
            spiking layers; None (the default) takes the layers' default,
            which depends on `recurrent` (see `LIFCell`).
        readout: str. `"membrane"` (the default: the `LI` membrane
            averaged over time), `"last"` (the `LI` membrane at the last
            step) or `"rate"` (an output layer of `neuron`, not
            recurrent, its spikes rate-decoded: outputs in [0, 1], not
            logits).
        name: str. Model name. Defaults to `"snn_sequence"`.

    Returns:
        A `SpikingModel` (a functional `keras.Model`), ready for
        `compile` and `fit`.

    Raises:
        ValueError: for a size that is not positive, or an unknown
            `neuron` or `readout`.
        TypeError: for an argument of the wrong type.

    Example:

    ```python
    model = keras_snn.build_sequence(input_size=1, output_size=10)
    logits = model(keras.ops.ones((2, 40, 1)))  # [2, 10]
    ```
    """
    input_size = check_positive_int("input_size", input_size)
    output_size = check_positive_int("output_size", output_size)
    hidden_sizes = check_sizes("hidden_sizes", hidden_sizes)
    if num_timesteps is not None:
        num_timesteps = check_positive_int("num_timesteps", num_timesteps)
    check_choice("neuron", neuron, tuple(NEURONS))
    recurrent = check_bool("recurrent", recurrent)
    trainable_beta = check_bool("trainable_beta", trainable_beta)
    if encoder_size is not None:
        encoder_size = check_positive_int("encoder_size", encoder_size)
    check_choice("readout", readout, SEQUENCE_READOUTS)
    if not isinstance(name, str):
        raise TypeError(f"name must be a string. Received: name={name!r}")
    neuron_class = NEURONS[neuron]
    options = {"tau": tau, "trainable_beta": trainable_beta}
    if surrogate is not None:
        options["surrogate"] = surrogate
    inputs = keras.Input(shape=(num_timesteps, input_size), name="inputs")
    x = inputs
    if encoder_size is not None:
        x = keras.layers.Dense(encoder_size, name="encoder")(x)
    for index, units in enumerate(hidden_sizes):
        x = neuron_class(
            units, recurrent=recurrent, name=f"{neuron}_{index}", **options
        )(x)
    if readout == "rate":
        x = neuron_class(output_size, name=f"{neuron}_output", **options)(x)
        outputs = RateDecoding(name="rates", dtype="float32")(x)
    else:
        last = readout == "last"
        x = LI(
            output_size,
            tau=tau,
            trainable_beta=trainable_beta,
            return_sequences=not last,
            name="li",
        )(x)
        if last:
            outputs = keras.layers.Identity(name="logits", dtype="float32")(x)
        else:
            outputs = keras.layers.GlobalAveragePooling1D(
                name="logits", dtype="float32"
            )(x)
    return SpikingModel(inputs, outputs, name=name)


@keras.saving.register_keras_serializable(package="keras_snn")
class SpikingModel(keras.Model):
    """A `keras.Model` that compiles its training step with XLA on
    TensorFlow CPUs too.

    `build()` returns one; create your own like any functional model,
    `SpikingModel(inputs, outputs)`. It differs from `keras.Model` in one
    default only: `jit_compile="auto"` (the default of `compile`) also
    means XLA for TensorFlow on a machine without a GPU, where Keras
    leaves it off. A spiking network runs many small ops per timestep,
    which XLA fuses: a TensorFlow training step of the benchmark's config
    S takes about a third less time (see the performance page).
    Everything else follows Keras: JAX and TensorFlow GPUs compile with
    XLA anyway, PyTorch stays eager, `run_eagerly=True` and `tf.distribute`
    strategies keep XLA off, and an explicit `jit_compile=True` or `False`
    is taken as given. XLA applies to `fit`, `evaluate` and `predict`
    alike and costs 2 to 3 s of compilation per model and input shape on
    TensorFlow: for short runs, `compile(..., jit_compile=False)`.
    """

    def _resolve_auto_jit_compile(self):
        # Keras' rule for jit_compile="auto" (compile, and fit or predict
        # before compile), which turns XLA off for TensorFlow on CPU. A
        # private Keras method: tests/test_models.py checks that compile()
        # still takes this answer.
        answer = _backend.auto_jit_compile(self)
        if answer is None:
            return super()._resolve_auto_jit_compile()
        return answer


READOUTS = ("rate", "membrane")

SEQUENCE_READOUTS = ("membrane", "last", "rate")

#: The neuron models of `build_sequence`, by name.
NEURONS = {
    "lif": LIF,
    "adaptive_lif": AdaptiveLIF,
    "synaptic_lif": SynapticLIF,
}

ENCODINGS = {
    "repeat": None,
    "poisson": PoissonEncoding,
    "latency": LatencyEncoding,
}


def _encoder(encoding, num_timesteps):
    """The encoder layer for `encoding`, or None for direct coding."""
    if isinstance(encoding, str):
        if encoding not in ENCODINGS:
            raise ValueError(
                f"encoding must be one of {sorted(ENCODINGS)} or an encoder "
                f"layer. Received: encoding={encoding!r}"
            )
        encoder_class = ENCODINGS[encoding]
        if encoder_class is None:
            return None
        return encoder_class(num_timesteps, name="encoding")
    if not isinstance(encoding, keras.layers.Layer):
        raise TypeError(
            "encoding must be a name or a Keras layer that maps [batch, "
            "features] to [batch, time, features]. Received: "
            f"encoding={encoding!r}"
        )
    layer_steps = getattr(encoding, "num_timesteps", num_timesteps)
    if layer_steps != num_timesteps:
        raise ValueError(
            "The encoding layer's num_timesteps must equal build()'s "
            f"num_timesteps. Received: encoding.num_timesteps={layer_steps}, "
            f"num_timesteps={num_timesteps}"
        )
    return encoding
