"""`NeuronCell`: what every neuron cell has, so that each model's cell is
small.

A cell holds the optional input kernel and bias, the optional recurrent
kernel, the shape of its states, the trainable decays, and the config of
all of these. A model's cell adds its own options and defines `step`, the
elementwise update of its states by one timestep's input current, by
its `dynamics` (`keras_snn.dynamics`), which calls its equation in
`keras_snn.neurons`.
"""

import inspect
import math

import keras
from keras import ops

from keras_snn._export import keras_snn_export
from keras_snn.neurons import beta_from_tau
from keras_snn.validation import check_beta
from keras_snn.validation import check_bool
from keras_snn.validation import check_positive_int
from keras_snn.validation import check_positive_number


@keras_snn_export
class NeuronCell(keras.layers.Layer):
    """Base class of the neuron cells: weights, states and config.

    Per step, the input current is

    ```
    I = x @ kernel + bias                      # units set
    I = x                                      # units=None
    I = I + s_prev @ recurrent_kernel          # recurrent=True
    ```

    and the subclass's `step` updates the neuron states with it. With
    `units` set, the kernel applies on the last axis of the input, like
    `keras.layers.Dense`, so the states have the input's shape with its
    last axis replaced by `units`. With `units=None` the cell has no kernel
    and no bias: the input is the current, and the states have the input's
    shape (the pattern for a convolution followed by spiking neurons).
    Per-neuron parameters (trainable decays and thresholds) have one value
    per entry of the last axis: per neuron for dense layers, per channel
    for `[..., H, W, C]` inputs.

    Args:
        units: int or None. Number of neurons, or None for a cell without
            input weights. Defaults to None.
        recurrent: bool. Feed the previous step's output back through a
            `[units, units]` recurrent kernel. Requires `units`. The
            previous output becomes the cell's last state. Defaults to
            False.
        use_bias: bool. Whether the input current has a bias (with `units`
            set). Defaults to True.
        kernel_initializer: Initializer of the input kernel. Defaults to
            `"glorot_uniform"`.
        recurrent_initializer: Initializer of the recurrent kernel.
            Defaults to `"orthogonal"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernel. Defaults to None.
        recurrent_regularizer: Regularizer of the recurrent kernel.
            Defaults to None.
        bias_regularizer: Regularizer of the bias. Defaults to None.
        kernel_constraint: Constraint of the kernel. Defaults to None.
        recurrent_constraint: Constraint of the recurrent kernel. Defaults
            to None.
        bias_constraint: Constraint of the bias. Defaults to None.
        **kwargs: Base layer arguments, such as `name` and `dtype`.
    """

    @property
    def dynamics(self):
        """The neuron model of the cell, a `keras_snn.dynamics.Dynamics`
        made from its current options by `make_dynamics` (at each
        access, so that it follows options set after construction)."""
        return self.make_dynamics()

    def make_dynamics(self):
        """Returns the cell's `keras_snn.dynamics.Dynamics`."""
        raise NotImplementedError

    @property
    def state_names(self):
        """The names of the neuron states, in the order of `states`."""
        return self.dynamics.state_names

    def __init__(
        self,
        units=None,
        *,
        recurrent=False,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.units = (
            None if units is None else check_positive_int("units", units)
        )
        self.recurrent = check_bool("recurrent", recurrent)
        if self.recurrent and self.units is None:
            raise ValueError(
                "recurrent=True needs units, the size of the recurrent "
                "kernel. Received: units=None, recurrent=True"
            )
        self.use_bias = check_bool("use_bias", use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(
            recurrent_initializer
        )
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = keras.regularizers.get(
            recurrent_regularizer
        )
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.kernel_constraint = keras.constraints.get(kernel_constraint)
        self.recurrent_constraint = keras.constraints.get(recurrent_constraint)
        self.bias_constraint = keras.constraints.get(bias_constraint)
        # The trailing shape of every state, known once built.
        self.state_shape = None
        # (decay name, time constant name) of each decay option.
        self._decays = ()

    @property
    def num_states(self):
        """The number of states: the model's, plus the previous output
        when recurrent."""
        return len(self.state_names) + int(self.recurrent)

    @property
    def output_size(self):
        if self.state_shape is not None:
            return self.state_shape[-1]
        return self.units

    @property
    def state_size(self):
        sizes = [self.output_size] * self.num_states
        if len(sizes) == 1 and sizes[0] is not None:
            return sizes[0]
        return sizes

    def output_shape_for(self, input_shape):
        """The trailing shape of the states and outputs for a step input
        of trailing shape `input_shape`."""
        input_shape = tuple(input_shape)
        if self.units is None:
            return input_shape
        return input_shape[:-1] + (self.units,)

    def build(self, input_shape):
        trailing = tuple(input_shape[1:])
        if not trailing or any(size is None for size in trailing):
            raise ValueError(
                f"{type(self).__name__} needs inputs of shape [batch, "
                "features...] with every size after the batch known. "
                f"Received: input_shape={tuple(input_shape)}"
            )
        self.state_shape = self.output_shape_for(trailing)
        self.kernel = None
        self.bias = None
        if self.units is not None:
            self.kernel = self.add_weight(
                shape=(trailing[-1], self.units),
                name="kernel",
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
                constraint=self.kernel_constraint,
            )
            if self.use_bias:
                self.bias = self.add_weight(
                    shape=(self.units,),
                    name="bias",
                    initializer=self.bias_initializer,
                    regularizer=self.bias_regularizer,
                    constraint=self.bias_constraint,
                )
        self.recurrent_kernel = None
        if self.recurrent:
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, self.units),
                name="recurrent_kernel",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
        for name, _ in self._decays:
            logit = None
            if getattr(self, f"trainable_{name}"):
                decay = getattr(self, f"initial_{name}")
                logit = self.add_weight(
                    shape=(self.state_shape[-1],),
                    name=f"{name}_logit",
                    initializer=keras.initializers.Constant(
                        math.log(decay / (1.0 - decay))
                    ),
                )
            setattr(self, f"{name}_logit", logit)

    def add_decay_option(self, name, decay, tau_name, tau, dt, trainable):
        """Checks and stores a decay option of the cell.

        Sets the attributes `<tau_name>`, `<name>` (None unless given),
        `trainable_<name>` and `initial_<name>` (the decay at
        construction: `decay`, or `exp(-dt / tau)`). A trainable decay is
        parameterized as `sigmoid(<name>_logit)`, one per neuron, so that
        it stays in (0, 1) whatever the optimizer does; since a sigmoid
        never reaches 1, it must start below 1. `build` adds the logit,
        `get_decay(name)` returns the decay in use, and `get_config`
        saves the options.
        """
        trainable_name = f"trainable_{name}"
        setattr(self, tau_name, check_positive_number(tau_name, tau))
        setattr(self, trainable_name, check_bool(trainable_name, trainable))
        if decay is not None:
            initial = check_beta(name, decay)
        else:
            initial = beta_from_tau(getattr(self, tau_name), dt)
        if trainable and initial <= 0.0:
            raise ValueError(
                f"{trainable_name}=True needs a decay above 0 (the "
                f"logit of 0 is -inf); {tau_name}={tau!r} with dt={dt!r} "
                f"gives exp(-dt / {tau_name}) = 0.0 in floating point. "
                f"Received: {tau_name}={tau!r}"
            )
        if trainable and initial >= 1.0:
            raise ValueError(
                f"{trainable_name}=True needs a decay below 1, since "
                f"{name} = sigmoid({name}_logit) never reaches 1. "
                f"Received: {name}={initial!r}"
            )
        setattr(self, name, None if decay is None else initial)
        setattr(self, f"initial_{name}", initial)
        self._decays = (*self._decays, (name, tau_name))

    def get_decay(self, name):
        """The decay `name` in use: a float, or a per-neuron tensor if
        trainable."""
        logit = getattr(self, f"{name}_logit")
        if logit is not None:
            return ops.sigmoid(logit)
        return getattr(self, f"initial_{name}")

    def input_current(self, inputs):
        """The weighted input `I = inputs @ kernel + bias` (or `inputs`
        itself with `units=None`), any leading shape."""
        if self.kernel is None:
            return ops.convert_to_tensor(inputs, dtype=self.compute_dtype)
        current = ops.matmul(inputs, self.kernel)
        if self.bias is not None:
            current = current + self.bias
        return current

    def step_parameters(self):
        """The parameters of `step`, as a dict: floats, or tensors when
        trainable (here the decays). Computed once per sequence."""
        return {name: self.get_decay(name) for name, _ in self._decays}

    def step(self, current, states, parameters):
        """Updates the neuron states by one step: the model's step in
        `self.dynamics` (a `keras_snn.dynamics.Dynamics`, which each
        cell class sets).

        Args:
            current: tensor. The input current of this step, recurrent
                part included.
            states: list of tensors, one per name in `state_names`.
            parameters: dict, from `step_parameters()`.

        Returns:
            A tuple `(output, new_states)`.
        """
        output, states, _ = self.dynamics.step(states, current, parameters)
        return output, states

    def call(self, inputs, states, training=False):
        nested = isinstance(states, (list, tuple))
        states = list(states) if nested else [states]
        current = self.input_current(inputs)
        if self.recurrent:
            current = current + ops.matmul(states[-1], self.recurrent_kernel)
            states = states[:-1]
        output, states = self.step(current, states, self.step_parameters())
        if self.recurrent:
            states = [*states, output]
        return output, states if nested else states[0]

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, *self.state_shape), dtype=self.compute_dtype)
            for _ in range(self.num_states)
        ]

    def get_config(self):
        config = {"units": self.units, "recurrent": self.recurrent}
        config["use_bias"] = self.use_bias
        for kind in ("kernel", "recurrent", "bias"):
            for part, module in (
                ("initializer", keras.initializers),
                ("regularizer", keras.regularizers),
                ("constraint", keras.constraints),
            ):
                name = f"{kind}_{part}"
                config[name] = module.serialize(getattr(self, name))
        for name, tau_name in self._decays:
            for key in (tau_name, name, f"trainable_{name}"):
                config[key] = getattr(self, key)
        return {**super().get_config(), **config}


def cell_options(cell_class):
    """The keyword-only options of `cell_class` and its bases, up to
    `NeuronCell`, less those the class fixes (`hidden_options`)."""
    names = []
    for klass in cell_class.__mro__:
        if "__init__" in vars(klass):
            for name, param in inspect.signature(
                klass.__init__
            ).parameters.items():
                if param.kind is inspect.Parameter.KEYWORD_ONLY:
                    if name not in names:
                        names.append(name)
        if klass is NeuronCell:
            break
    hidden = getattr(cell_class, "hidden_options", ())
    return tuple(name for name in names if name not in hidden)
