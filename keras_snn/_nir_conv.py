"""NIR nodes of convolutional networks, for `keras_snn.nir`.

`Conv1d`, `Conv2d`, `SumPool2d`, `AvgPool2d`, `Flatten`, `Scale` and `Threshold`
nodes and their Keras layers, and the layout rules between them.

NIR is channels-first: a node's shape is `[C, L]` or `[C, H, W]`, conv
weights are `[out, in / groups, *kernel]`. Keras is channels-last: an
imported model takes `[batch, T, L, C]` or `[batch, T, H, W, C]`, and its
kernels are `[*kernel, in / groups, out]`. A `Flatten` node flattens
`[C, H, W]` in that order, and Keras' `Flatten` flattens `[H, W, C]`: the
weights after a flatten are permuted, on import and on export (`order`
below), so that each column meets the input it was trained on. Per-neuron
parameters of neuron nodes after a convolution are per channel in keras_snn
(its neuron parameters broadcast over the last axis).
"""

import dataclasses

import keras
import numpy as np

from keras_snn.layers.pooling import SumPooling2D
from keras_snn.layers.threshold import Threshold


def keras_shape(shape):
    """NIR `(C, *spatial)` as Keras `(*spatial, C)`; a vector unchanged."""
    shape = tuple(int(size) for size in shape)
    return (*shape[1:], shape[0]) if len(shape) > 1 else shape


def nir_shape(shape):
    """Keras `(*spatial, C)` as NIR `(C, *spatial)`; a vector unchanged."""
    shape = tuple(int(size) for size in shape)
    return (shape[-1], *shape[:-1]) if len(shape) > 1 else shape


def flatten_order(shape):
    """The permutation from NIR's flatten of `shape` to Keras' flatten.

    Keras' flattened element `j` is NIR's flattened element `order[j]`.
    None for a vector (nothing to permute).
    """
    if len(shape) < 2:
        return None
    indices = np.arange(int(np.prod(shape))).reshape(shape)
    return np.moveaxis(indices, 0, -1).reshape(-1)


def _layer_name(node_name):
    return node_name.replace(".", "_").replace("/", "_")


def _ints(name, node, field, count):
    # An int or a sequence of `count` ints, as a tuple of `count` ints.
    value = np.asarray(getattr(node, field)).reshape(-1)
    if value.size == 1:
        value = np.repeat(value, count)
    if value.size != count or np.any(value != np.round(value)):
        raise ValueError(
            f"NIR node '{name}' ({type(node).__name__}) needs {field} as "
            f"one or {count} integers. Received: {field}={value.tolist()}"
        )
    return tuple(int(v) for v in value)


def check_input_type(name, node, shape, groups=1):
    """Checks the node's `input_type` against the shape reaching it."""
    expected = (getattr(node, "input_type", None) or {}).get("input")
    if expected is None:
        return
    expected = tuple(int(size) for size in np.asarray(expected).reshape(-1))
    if groups > 1 and expected == (shape[0] // groups, *shape[1:]):
        # nir 1.0 sets a grouped convolution's input_type from its weights,
        # to the channels of one group.
        return
    if expected != tuple(shape):
        raise ValueError(
            f"NIR node '{name}' ({type(node).__name__}) has input_type "
            f"{list(expected)}, but the node before it gives "
            f"{list(shape)}. Received: input_type={list(expected)}"
        )


def _spatial_rank(name, node, shape, rank):
    if len(shape) != rank + 1:
        raise ValueError(
            f"NIR node '{name}' ({type(node).__name__}) takes "
            f"{rank + 1}-D inputs [channels, {rank} spatial sizes]. "
            f"Received: input of shape {list(shape)}"
        )


def _padding(name, node, rank):
    # The node's padding as ints, or "same", whichever NIR gives.
    padding = node.padding
    if isinstance(padding, bytes):
        padding = padding.decode("utf8")
    if isinstance(padding, np.ndarray) and padding.dtype.kind in "SUO":
        padding = str(padding.reshape(-1)[0])
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * rank
        if padding == "same":
            return padding
        raise ValueError(
            f"from_nir supports the padding modes 'same', 'valid' and "
            f"integers (zeros on both sides). Received: node '{name}' "
            f"({type(node).__name__}) with padding={padding!r}"
        )
    pads = _ints(name, node, "padding", rank)
    if min(pads) < 0:
        raise ValueError(
            f"Padding must be at least 0. Received: node '{name}' "
            f"({type(node).__name__}) with padding={list(pads)}"
        )
    return pads


def _zero_padding(name, pads):
    layer_type = (keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D)[
        len(pads) - 1
    ]
    padding = pads[0] if len(pads) == 1 else pads
    return keras.layers.TimeDistributed(
        layer_type(padding), name=f"{_layer_name(name)}_padding"
    )


def _built(layers, shape):
    # Builds `layers` in turn from the NIR `shape`; returns the NIR shape
    # of their output.
    keras_input = (None, None, *keras_shape(shape))
    for layer in layers:
        layer.build(keras_input)
        keras_input = layer.compute_output_shape(keras_input)
    return nir_shape(keras_input[2:])


def import_conv(name, node, shape, order):
    weight = np.asarray(node.weight, np.float64)
    rank = 1 if type(node).__name__ == "Conv1d" else 2
    if weight.ndim != rank + 2:
        raise ValueError(
            f"from_nir expects {rank + 2}-D weights [out, in / groups, "
            f"kernel...]. Received: node '{name}' with weight shape "
            f"{weight.shape}"
        )
    groups = int(np.asarray(node.groups).reshape(-1)[0])
    check_input_type(name, node, shape, max(groups, 1))
    _spatial_rank(name, node, shape, rank)
    channels, filters = shape[0], weight.shape[0]
    if groups < 1 or channels % groups or filters % groups:
        raise ValueError(
            f"groups must divide the input channels ({channels}) and the "
            f"output channels ({filters}). Received: node '{name}' with "
            f"groups={groups}"
        )
    if weight.shape[1] * groups != channels:
        raise ValueError(
            f"NIR node '{name}' has weights for {weight.shape[1]} input "
            f"channels per group ({groups} groups), but receives "
            f"{channels} channels. Received: weight shape {weight.shape}"
        )
    strides = _ints(name, node, "stride", rank)
    dilation = _ints(name, node, "dilation", rank)
    pads = _padding(name, node, rank)
    if pads == "same" and max(strides) > 1:
        raise ValueError(
            "padding='same' is defined for stride 1 (as in PyTorch). "
            f"Received: node '{name}' with padding='same', "
            f"stride={list(strides)}"
        )
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(
            "Keras' convolutions cannot combine a stride above 1 with a "
            f"dilation above 1. Received: node '{name}' with "
            f"stride={list(strides)}, dilation={list(dilation)}"
        )
    layers = []
    if pads != "same" and max(pads) > 0:
        layers.append(_zero_padding(name, pads))
    conv_type = (keras.layers.Conv1D, keras.layers.Conv2D)[rank - 1]
    conv = conv_type(
        filters,
        weight.shape[2:],
        strides=strides,
        padding="same" if pads == "same" else "valid",
        dilation_rate=dilation,
        groups=groups,
    )
    layers.append(keras.layers.TimeDistributed(conv, name=_layer_name(name)))
    output_shape = _built(layers, shape)
    conv.kernel.assign(np.moveaxis(weight, (0, 1), (-1, -2)))
    bias = np.broadcast_to(np.asarray(node.bias, np.float64), (filters,))
    conv.bias.assign(bias)
    return layers, output_shape


def import_pool(name, node, shape, order):
    kind = type(node).__name__
    check_input_type(name, node, shape)
    _spatial_rank(name, node, shape, 2)
    kernel = _ints(name, node, "kernel_size", 2)
    strides = _ints(name, node, "stride", 2)
    pads = _padding(name, node, 2)
    if pads == "same":
        raise ValueError(
            f"from_nir supports pooling with integer padding. Received: "
            f"node '{name}' ({kind}) with padding='same'"
        )
    layers = []
    if kind == "AvgPool2d":
        if max(pads) > 0:
            # NIR does not say whether the padded zeros count in the
            # average (PyTorch's count_include_pad), and Keras' "same"
            # padding leaves them out.
            raise ValueError(
                "from_nir supports AvgPool2d nodes without padding: Keras' "
                "average pooling cannot pad by a given amount. Received: "
                f"node '{name}' with padding={list(pads)}"
            )
        pool = keras.layers.AveragePooling2D(kernel, strides)
    else:
        if max(pads) > 0:
            # Zeros add nothing to a sum: padding is exact.
            layers.append(_zero_padding(name, pads))
        pool = SumPooling2D(kernel, strides)
    layers.append(keras.layers.TimeDistributed(pool, name=_layer_name(name)))
    return layers, _built(layers, shape)


def import_flatten(name, node, shape, order):
    check_input_type(name, node, shape)
    start = int(np.asarray(node.start_dim).reshape(-1)[0])
    end = int(np.asarray(node.end_dim).reshape(-1)[0])
    if start % len(shape) != 0 or end % len(shape) != len(shape) - 1:
        raise ValueError(
            "from_nir supports Flatten nodes over all axes of their input "
            f"(start_dim=0, end_dim=-1). Received: node '{name}' with "
            f"start_dim={start}, end_dim={end} for input of shape "
            f"{list(shape)}"
        )
    layers = [
        keras.layers.TimeDistributed(
            keras.layers.Flatten(), name=_layer_name(name)
        )
    ]
    return layers, _built(layers, shape)


def per_channel(name, field, values, shape, order):
    """A neuron node's parameter in keras_snn's layout.

    Args:
        name: str. The node's name, for errors.
        field: str. The parameter's name, for errors.
        values: array. One value, or one per neuron of NIR `shape`.
        shape: tuple. The NIR shape of the node's input.
        order: array or None. The flatten order in effect (vectors).

    Returns:
        A float64 array `[channels]` (or `[features]`, permuted by `order`).
    """
    values = np.asarray(values, np.float64).reshape(-1)
    size = int(np.prod(shape))
    if values.size == 1:
        values = np.repeat(values, size)
    if values.size != size:
        raise ValueError(
            f"NIR node '{name}' has parameters for {values.size} neurons "
            f"but follows a node with {size} outputs (shape {list(shape)}). "
            f"Received: {field} of size {values.size}"
        )
    if len(shape) == 1:
        return values if order is None else values[order]
    values = values.reshape(shape[0], -1)
    if np.any(values != values[:, :1]):
        raise ValueError(
            "keras_snn neuron layers after a convolution have one parameter "
            f"per channel. Received: node '{name}' with {field} that varies "
            "across positions within a channel"
        )
    return values[:, 0]


def neurons_in_layout(name, neurons, shape, order):
    """A `_Neurons` tuple for a node of NIR `shape`, per channel.

    Returns the tuple with parameters of the layer's last axis, its size,
    and the Keras spatial shape before it.
    """
    if len(shape) == 1 and order is None:
        return neurons, shape[0], ()

    def convert(field, values):
        if values is None or np.ndim(values) == 0:
            return values
        return per_channel(name, field, values, shape, order)

    converted = neurons._replace(
        decays={
            key: convert(key, values) for key, values in neurons.decays.items()
        },
        threshold=convert("v_threshold", neurons.threshold),
        gain=convert("gain", neurons.gain),
        offset=convert("v_leak", neurons.offset),
    )
    return converted, shape[0], keras_shape(shape)[:-1]


def import_scale(name, node, shape, order):
    check_input_type(name, node, shape)
    scale = per_channel(name, "scale", node.scale, shape, order)
    if np.all(scale == scale[0]):
        scale = float(scale[0])
    else:
        scale = scale.tolist()
    return [keras.layers.Rescaling(scale, name=_layer_name(name))], shape


def import_threshold(name, node, shape, order):
    check_input_type(name, node, shape)
    threshold = per_channel(name, "threshold", node.threshold, shape, order)
    if np.all(threshold == threshold[0]):
        threshold = float(threshold[0])
    if not np.all(np.isfinite(threshold)):
        raise ValueError(
            f"NIR node '{name}' (Threshold) needs finite thresholds. "
            f"Received: threshold={np.asarray(node.threshold).tolist()}"
        )
    layers = [Threshold(threshold, name=_layer_name(name))]
    return layers, _built(layers, shape)


def weights_in_order(name, weight, shape, order):
    """The weights of an Affine or Linear node, columns in Keras' order."""
    if len(shape) != 1 or weight.shape[1] != shape[0]:
        raise ValueError(
            f"NIR node '{name}' has weights for {weight.shape[1]} inputs "
            f"but follows a node of shape {list(shape)}; a convolution's "
            "output needs a Flatten node first. Received: weight shape "
            f"{weight.shape}"
        )
    return weight if order is None else weight[:, order]


# NIR node type -> importer `(name, node, shape, order) -> (layers, shape)`.
IMPORTERS = {
    "AvgPool2d": import_pool,
    "Conv1d": import_conv,
    "Conv2d": import_conv,
    "Flatten": import_flatten,
    "Scale": import_scale,
    "SumPool2d": import_pool,
    "Threshold": import_threshold,
}


# Export: keras layers to NIR nodes.


def _numpy(x):
    return np.array(keras.ops.convert_to_numpy(getattr(x, "value", x)))


def _same_padding(layer, sizes, kernel, strides, dilation):
    # Keras' "same" as symmetric integer padding, where it is symmetric.
    pads = []
    for size, k, s, d in zip(sizes, kernel, strides, dilation, strict=True):
        span = d * (k - 1) + 1
        total = max((-(-size // s) - 1) * s + span - size, 0)
        if total % 2:
            raise ValueError(
                "to_nir exports padding='same' where it pads both sides "
                "alike (NIR pads symmetrically). Received: layer "
                f"'{layer.name}' with kernel {tuple(kernel)}, strides "
                f"{tuple(strides)} on input of size {tuple(sizes)}"
            )
        pads.append(total // 2)
    return tuple(pads)


class Layout:
    """The export state between layers: padding waiting for the layer it
    belongs to, and the flatten order waiting for the weights it permutes.
    """

    def __init__(self):
        self.padding = None
        self.order = None

    def export(self, layer):
        """NIR entries for a layout layer, or None for other layers."""
        inner = layer
        if isinstance(layer, keras.layers.TimeDistributed):
            inner = layer.layer
        for layer_type, method in (
            ((keras.layers.ZeroPadding1D, keras.layers.ZeroPadding2D), "pad"),
            ((keras.layers.Conv1D, keras.layers.Conv2D), "conv"),
            ((keras.layers.AveragePooling2D, SumPooling2D), "pool"),
            ((keras.layers.Flatten,), "flatten"),
            ((keras.layers.Rescaling,), "scale"),
        ):
            # Exact types: a subclass may compute something else.
            if type(inner) in layer_type:
                shape = nir_shape(layer.input.shape[2:])
                if self.padding is not None and method not in (
                    "conv",
                    "pool",
                ):
                    self._dangling_padding(layer)
                return getattr(self, f"_{method}")(layer, inner, shape)
        if self.padding is not None:
            self._dangling_padding(layer)
        return None

    def finish(self):
        """Checks that no padding is left over at the end of the model."""
        if self.padding is not None:
            self._dangling_padding(None)

    def _dangling_padding(self, layer):
        raise ValueError(
            "to_nir exports a ZeroPadding layer as the padding of the "
            "convolution or sum pooling right after it. Received: "
            f"{'the end of the model' if layer is None else layer.name!r} "
            f"after the padding layer '{self.padding[0]}'"
        )

    def _pad(self, layer, inner, shape):
        pads = np.asarray(inner.padding).reshape(len(shape) - 1, 2)
        if np.any(pads[:, 0] != pads[:, 1]):
            raise ValueError(
                "to_nir exports symmetric zero padding only (NIR pads both "
                f"sides alike). Received: layer '{layer.name}' with "
                f"padding={inner.padding}"
            )
        self.padding = (layer.name, tuple(int(p) for p in pads[:, 0]))
        return []

    def _take_padding(self, layer, inner, shape, kernel, strides, dilation):
        # The padding of a conv or pooling layer, with the layer before.
        pads = (0,) * (len(shape) - 1)
        if inner.padding == "same":
            # On the input as the layer sees it, after any padding layer.
            pads = _same_padding(layer, shape[1:], kernel, strides, dilation)
        elif inner.padding != "valid":
            raise ValueError(
                "to_nir exports padding 'valid' and 'same'. Received: "
                f"layer '{layer.name}' with padding={inner.padding!r}"
            )
        if self.padding is not None:
            before = self.padding[1]
            shape = (
                shape[0],
                *(s - 2 * p for s, p in zip(shape[1:], before, strict=True)),
            )
            pads = tuple(p + q for p, q in zip(pads, before, strict=True))
            self.padding = None
        return shape, pads

    def _check_channels_last(self, layer, inner):
        if getattr(inner, "data_format", "channels_last") != "channels_last":
            raise ValueError(
                "to_nir exports channels-last layers. Received: layer "
                f"'{layer.name}' with data_format={inner.data_format!r}"
            )

    def _conv(self, layer, inner, shape):
        import nir

        self._check_channels_last(layer, inner)
        if inner.activation is not keras.activations.linear:
            raise ValueError(
                "to_nir exports convolutions without activation. Received: "
                f"layer '{layer.name}' with activation="
                f"{inner.activation.__name__!r}"
            )
        shape, pads = self._take_padding(
            layer,
            inner,
            shape,
            inner.kernel_size,
            inner.strides,
            inner.dilation_rate,
        )
        weight = np.moveaxis(_numpy(inner.kernel), (-1, -2), (0, 1))
        bias = np.zeros(weight.shape[0], weight.dtype)
        if inner.bias is not None:
            bias = _numpy(inner.bias)
        rank = len(shape) - 1
        if rank == 1:
            node = nir.Conv1d(
                input_shape=shape[1],
                weight=weight,
                stride=inner.strides[0],
                padding=pads[0],
                dilation=inner.dilation_rate[0],
                groups=inner.groups,
                bias=bias,
            )
        else:
            node = nir.Conv2d(
                input_shape=shape[1:],
                weight=weight,
                stride=tuple(inner.strides),
                padding=pads,
                dilation=tuple(inner.dilation_rate),
                groups=inner.groups,
                bias=bias,
            )
        # nir 1.0 takes the input channels from the weights, which hold
        # one group's.
        node.input_type = {"input": np.array(shape)}
        return [(layer.name, node)]

    def _pool(self, layer, inner, shape):
        import nir

        self._check_channels_last(layer, inner)
        summing = isinstance(inner, SumPooling2D)
        if self.padding is not None and not summing:
            self._dangling_padding(layer)
        shape, pads = self._take_padding(
            layer, inner, shape, inner.pool_size, inner.strides, (1, 1)
        )
        if not summing and max(pads) > 0:
            raise ValueError(
                "to_nir exports AveragePooling2D layers without padding: "
                "NIR does not say whether padded zeros count in the "
                f"average. Received: layer '{layer.name}' with "
                f"padding={inner.padding!r}, padding {pads} on input "
                f"{list(shape)}"
            )
        node_type = nir.SumPool2d if summing else nir.AvgPool2d
        node = node_type(
            kernel_size=np.array(inner.pool_size),
            stride=np.array(inner.strides),
            padding=np.array(pads),
        )
        return [(layer.name, node)]

    def _flatten(self, layer, inner, shape):
        import nir

        if len(shape) < 2:
            return []
        self.order = flatten_order(shape)
        node = nir.Flatten(
            input_type={"input": np.array(shape)}, start_dim=0, end_dim=-1
        )
        return [(layer.name, node)]

    def _scale(self, layer, inner, shape):
        import nir

        if np.any(np.asarray(inner.offset) != 0.0):
            raise ValueError(
                "to_nir exports Rescaling layers without offset (NIR's "
                f"Scale node). Received: layer '{layer.name}' with "
                f"offset={inner.offset}"
            )
        scale = np.asarray(inner.scale, np.float64)
        return [(layer.name, nir.Scale(scale=self._nir_values(scale, shape)))]

    def _nir_values(self, values, shape):
        # Per-channel (or per-feature) values, broadcast over NIR `shape`.
        values = np.asarray(values)
        if len(shape) > 1:
            values = np.broadcast_to(values, (shape[0],))
            expanded = values.reshape(-1, *(1,) * (len(shape) - 1))
            return np.broadcast_to(expanded, shape).copy()
        values = np.broadcast_to(values, shape).copy()
        if self.order is None:
            return values
        ordered = np.empty_like(values)
        ordered[self.order] = values
        return ordered

    def adapt(self, layer, entries):
        """Puts the nodes of a dense or neuron layer in NIR's layout."""
        shape = nir_shape(layer.input.shape[2:])
        adapted = []
        for entry in entries:
            node = entry[1]
            if type(node).__name__ in ("Affine", "Linear"):
                if len(shape) > 1:
                    raise ValueError(
                        "to_nir needs a Flatten layer between a "
                        "convolution's output and weights over features. "
                        f"Received: layer '{layer.name}' on input of shape "
                        f"{list(layer.input.shape)}"
                    )
                if self.order is not None and not hasattr(entry, "target"):
                    # The input weights (not a feedback cycle's).
                    node.weight[:, self.order] = node.weight.copy()
                    self.order = None
                # The nodes after the weights are over its outputs.
                shape = (node.weight.shape[0],)
            elif len(shape) > 1 or self.order is not None:
                node = type(node)(
                    **{
                        field.name: self._neuron_field(
                            getattr(node, field.name), shape
                        )
                        for field in dataclasses.fields(node)
                        if field.init
                    }
                )
            adapted.append((entry[0], node, *entry[2:]))
        return [
            type(entry)(*new) if hasattr(entry, "target") else new
            for entry, new in zip(entries, adapted, strict=True)
        ]

    def _neuron_field(self, value, shape):
        if isinstance(value, np.ndarray) and value.ndim == 1:
            return self._nir_values(value, shape)
        return value
