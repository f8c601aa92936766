"""Captures a PyTorch module's forward pass with torch.export and lowers its ATen graph to
Unravel's layer graph (docs/model-format.md, "The layer graph").

Blocks are not found here: the graph travels in the model file and Unravel's BlockFinder finds
them by the one rule every importer shares (docs/architecture.md). This file only maps each ATen
op to a layer exactly, or stops with a CaptureError naming the graph node, its op and its
module path.
"""
import operator

import torch
import torch.nn as nn


class CaptureError(Exception):
    pass


def _op_name(node):
    return target_name(node.target)


def target_name(target):
    """'conv2d' for aten.conv2d.default, 'relu_' for aten.relu_.default."""
    if target is operator.getitem:
        return "getitem"
    packet = getattr(target, "_overloadpacket", None)
    return packet.__name__ if packet is not None else getattr(target, "__name__", str(target))


def _module(node):
    """The innermost module path the node ran in ("" for the root)."""
    stack = node.meta.get("nn_module_stack") or {}
    if not stack:
        return ""
    path = list(stack.values())[-1][0]
    # torch.export writes nested paths as L['self'].layer1... in some versions.
    return _unwrapped(path.replace("L['self'].", "").replace("L__self__.", ""))


def _unwrapped(path):
    """A module path or state_dict key without the wrapper capture() puts around the user's module."""
    return "" if path == WRAPPER else path[len(WRAPPER) + 1:] if path.startswith(WRAPPER + ".") else path


def _where(node):
    module = _module(node)
    return f"graph node '{node.name}' ({node.target})" + (f" in module '{module}'" if module else " in the top-level module")


def _shape(node):
    value = node.meta.get("val")
    return tuple(value.shape) if isinstance(value, torch.Tensor) else None


def _pair(value, default):
    if value is None:
        return (default, default)
    if isinstance(value, int):
        return (value, value)
    value = list(value)
    return (value[0], value[0]) if len(value) == 1 else (value[0], value[1])


def _arg(node, index, name, default):
    if len(node.args) > index:
        return node.args[index]
    return node.kwargs.get(name, default)


_IDENTITY = {"dropout", "dropout_", "feature_dropout", "feature_dropout_", "alpha_dropout", "alpha_dropout_",
             "clone", "contiguous", "detach", "detach_", "alias", "lift_fresh_copy", "_to_copy", "to"}
_IGNORED = {"_assert_tensor_metadata", "_assert_scalar", "sym_constrain_range_for_size"}


class _Lowering:
    def __init__(self, program):
        self.program = program
        signature = program.graph_signature
        self.weight_of = {}  # placeholder name -> state_dict key
        self.user_inputs = []
        for spec in signature.input_specs:
            name = spec.arg.name if hasattr(spec.arg, "name") else None
            if spec.kind.name in ("PARAMETER", "BUFFER", "CONSTANT_TENSOR"):
                self.weight_of[name] = _unwrapped(spec.target)
            elif spec.kind.name == "USER_INPUT":
                self.user_inputs.append(name)
        self.nodes = []
        self.value = {}  # fx node name -> graph node id holding its value
        self.used = set()
        self.tuples = {}  # fx node name of a multi-output op -> id of its first output
        # F.pad output -> (its input, (top, left, bottom, right), value): folded into the
        # convolution or max pooling that reads it.
        self.pending_pad = {}

    def emit(self, node, op, inputs, **fields):
        entry = {"id": node.name, "op": op, "inputs": inputs, "module": _module(node)}
        entry.update({k: v for k, v in fields.items() if v is not None})
        self.nodes.append(entry)
        self.value[node.name] = node.name

    def tensor_input(self, node, arg):
        if not isinstance(arg, torch.fx.Node):
            raise CaptureError(f"{_where(node)}: expected a tensor input, got {arg!r}")
        if arg.name in self.weight_of:
            raise CaptureError(f"{_where(node)}: reads the weight '{self.weight_of[arg.name]}' as data; "
                               "only convolution, batch-norm and linear layers may hold weights")
        if arg.name not in self.value:
            raise CaptureError(f"{_where(node)}: reads '{arg.name}', which was not mapped")
        return self.value[arg.name]

    def weight(self, node, arg, what):
        if arg is None:
            return None
        if not isinstance(arg, torch.fx.Node) or arg.name not in self.weight_of:
            raise CaptureError(f"{_where(node)}: its {what} is not a parameter or buffer of the module")
        key = self.weight_of[arg.name]
        self.used.add(key)
        return key

    @staticmethod
    def _prefix(node, key, suffix):
        if not key.endswith(suffix):
            raise CaptureError(f"{_where(node)}: its weight '{key}' does not end in '{suffix}', "
                               "so Unravel cannot name the layer's other weights")
        return key[: -len(suffix)]

    def lower(self):
        graph = self.program.graph
        for node in graph.nodes:
            if node.op == "placeholder":
                if node.name in self.user_inputs:
                    if len(self.nodes) and any(n["op"] == "input" for n in self.nodes):
                        raise CaptureError(f"{_where(node)}: the network takes more than one input")
                    self.nodes.append({"id": node.name, "op": "input", "inputs": []})
                    self.value[node.name] = node.name
                continue
            if node.op == "output":
                outputs = [a for a in torch.fx.node.map_arg(node.args[0], lambda n: n) if isinstance(a, torch.fx.Node)] \
                    if isinstance(node.args[0], (tuple, list)) else [node.args[0]]
                if len(outputs) != 1:
                    raise CaptureError(f"the network returns {len(outputs)} tensors; Unravel needs the logits alone")
                self.output = self.value.get(outputs[0].name)
                continue
            if node.op != "call_function":
                raise CaptureError(f"{_where(node)}: a '{node.op}' node cannot be mapped")
            self.call(node, _op_name(node))
        return self.nodes

    def call(self, node, name):
        args = node.args
        if name in _IGNORED:
            return
        if name in _IDENTITY:
            if "dropout" in name and _arg(node, 2, "train", False):
                raise CaptureError(f"{_where(node)}: dropout in training mode; export the model in eval mode")
            self.emit(node, "identity", [self.tensor_input(node, args[0])])
            return
        if name == "getitem":
            source, index = args
            if source.name in self.tuples and index == 0:
                self.value[node.name] = self.tuples[source.name]
                return
            if source.name in self.tuples:
                # Saved statistics of a batch norm: nothing reads them at inference.
                return
            raise CaptureError(f"{_where(node)}: indexing a tensor is only supported for option A's subsampling")
        handler = getattr(self, "op_" + name.rstrip("_"), None)
        if handler is None:
            raise CaptureError(f"{_where(node)}: the op '{name}' has no exact counterpart in Unravel's engine")
        handler(node)

    # --- layers ---

    def op_conv2d(self, node, transposed=False):
        x, w = node.args[0], node.args[1]
        b = _arg(node, 2, "bias", None)
        stride = _pair(_arg(node, 3, "stride", 1), 1)
        padding = _arg(node, 4, "padding", 0)
        dilation = _pair(_arg(node, 5, "dilation", 1), 1)
        groups = _arg(node, 6, "groups", 1)
        out, _, kh, kw = w.meta["val"].shape
        if kh != kw or stride[0] != stride[1] or dilation != (1, 1):
            raise CaptureError(f"{_where(node)}: only square kernels, equal strides and no dilation are supported "
                               f"(kernel {kh}x{kw}, stride {stride}, dilation {dilation})")
        if isinstance(padding, str):
            if padding == "valid":
                padding = (0, 0)
            elif padding == "same" and stride[0] == 1 and kh % 2 == 1:
                padding = (kh // 2, kh // 2)
            else:
                raise CaptureError(f"{_where(node)}: padding '{padding}' is not supported here")
        ph, pw = _pair(padding, 0)
        key = self.weight(node, w, "weight")
        prefix = self._prefix(node, key, ".weight")
        if b is not None and self.weight(node, b, "bias") != prefix + ".bias":
            raise CaptureError(f"{_where(node)}: its bias is not '{prefix}.bias'")
        source = self.tensor_input(node, x)
        pad = self.pending_pad.pop(source, None)
        if pad is not None:
            source, (top, left, bottom, right), _ = pad
            padding = [top + ph, left + pw, bottom + ph, right + pw]
        else:
            padding = [ph] if ph == pw else [ph, pw, ph, pw]
        self.emit(node, "conv", [source], name=prefix, out=int(out), kernel=int(kh), stride=int(stride[0]),
                  padding=padding, groups=int(groups), bias=b is not None)

    def op_conv1d(self, node):
        """ECA's excitation: Conv1d(1, 1, k) over pooled features viewed as a one-channel sequence
        (N, 1, C), zero-padded to keep the length."""
        x, w = node.args[0], node.args[1]
        b = _arg(node, 2, "bias", None)
        stride, padding = _arg(node, 3, "stride", 1), _arg(node, 4, "padding", 0)
        dilation, groups = _arg(node, 5, "dilation", 1), _arg(node, 6, "groups", 1)
        shape, (out, inputs, k) = _shape(x), tuple(w.meta["val"].shape)
        stride, padding, dilation = (v[0] if isinstance(v, (list, tuple)) else v for v in (stride, padding, dilation))
        if len(shape) != 3 or shape[1] != 1 or (out, inputs, groups, stride, dilation) != (1, 1, 1, 1, 1) \
                or k % 2 == 0 or padding != k // 2:
            raise CaptureError(f"{_where(node)}: a 1-D convolution is supported only as ECA's: one filter of an odd "
                               f"kernel across the channels of pooled features, zero-padded to keep their number "
                               f"(input {list(shape)}, weight {[out, inputs, k]}, padding {padding}, stride {stride})")
        key = self.weight(node, w, "weight")
        prefix = self._prefix(node, key, ".weight")
        if b is not None and self.weight(node, b, "bias") != prefix + ".bias":
            raise CaptureError(f"{_where(node)}: its bias is not '{prefix}.bias'")
        self.emit(node, "channel_conv", [self.tensor_input(node, x)], name=prefix, kernel=int(k), padding=[int(padding)],
                  bias=b is not None)

    def op_convolution(self, node):
        if _arg(node, 6, "transposed", False):
            raise CaptureError(f"{_where(node)}: transposed convolutions are not supported")
        # aten.convolution(x, w, b, stride, padding, dilation, transposed, output_padding, groups):
        # read as conv1d's or conv2d's argument list.
        handler = self.op_conv1d if len(node.args[1].meta["val"].shape) == 3 else self.op_conv2d
        args = tuple(node.args)
        node.args = args[:6] + (args[8],)
        try:
            handler(node)
        finally:
            node.args = args

    def _batchnorm(self, node, x, w, b, mean, var, eps):
        if w is None or b is None:
            raise CaptureError(f"{_where(node)}: a batch norm without affine weights is not supported")
        key = self.weight(node, w, "weight")
        prefix = self._prefix(node, key, ".weight")
        for arg, suffix in ((b, ".bias"), (mean, ".running_mean"), (var, ".running_var")):
            if self.weight(node, arg, suffix[1:]) != prefix + suffix:
                raise CaptureError(f"{_where(node)}: its {suffix[1:]} is not '{prefix}{suffix}'")
        self.emit(node, "batchnorm", [self.tensor_input(node, x)], name=prefix, eps=float(eps))

    def op_batch_norm(self, node):
        x, w, b, mean, var = node.args[:5]
        training = _arg(node, 5, "training", False)
        if training:
            raise CaptureError(f"{_where(node)}: batch norm in training mode; export the model in eval mode")
        self._batchnorm(node, x, w, b, mean, var, _arg(node, 7, "eps", 1e-5))

    def op__native_batch_norm_legit_no_training(self, node):
        x, w, b, mean, var = node.args[:5]
        self._batchnorm(node, x, w, b, mean, var, _arg(node, 6, "eps", 1e-5))
        self.tuples[node.name] = node.name

    def op_group_norm(self, node):
        # aten.group_norm(x, num_groups, weight, bias, eps, cudnn_enabled)
        x, groups = node.args[0], int(node.args[1])
        w, b = _arg(node, 2, "weight", None), _arg(node, 3, "bias", None)
        if w is None or b is None:
            raise CaptureError(f"{_where(node)}: a group norm without affine weights is not supported")
        key = self.weight(node, w, "weight")
        prefix = self._prefix(node, key, ".weight")
        if self.weight(node, b, "bias") != prefix + ".bias":
            raise CaptureError(f"{_where(node)}: its bias is not '{prefix}.bias'")
        self.emit(node, "groupnorm", [self.tensor_input(node, x)], name=prefix, groups=groups,
                  eps=float(_arg(node, 4, "eps", 1e-5)))

    def op_native_group_norm(self, node):
        # aten.native_group_norm(x, weight, bias, N, C, HxW, group, eps): read as group_norm.
        args = tuple(node.args)
        node.args = (args[0], args[6], args[1], args[2], args[7])
        try:
            self.op_group_norm(node)
        finally:
            node.args = args
        self.tuples[node.name] = node.name

    def op_relu(self, node):
        self.emit(node, "relu", [self.tensor_input(node, node.args[0])])

    def op_silu(self, node):
        self.emit(node, "silu", [self.tensor_input(node, node.args[0])])

    def op_sigmoid(self, node):
        self.emit(node, "sigmoid", [self.tensor_input(node, node.args[0])])

    def _pool_geometry(self, node, kernel, stride, padding, what):
        kernel, padding = _pair(kernel, 1), _pair(padding, 0)
        stride = _pair(stride, kernel[0]) if stride not in (None, [], ()) else kernel
        if kernel[0] != kernel[1] or stride[0] != stride[1] or padding[0] != padding[1]:
            raise CaptureError(f"{_where(node)}: {what} must be square (kernel {kernel}, stride {stride}, padding {padding})")
        return int(kernel[0]), int(stride[0]), int(padding[0])

    def op_max_pool2d(self, node):
        kernel, stride, padding = self._pool_geometry(node, _arg(node, 1, "kernel_size", 1), _arg(node, 2, "stride", None),
                                                      _arg(node, 3, "padding", 0), "max pooling")
        if _pair(_arg(node, 4, "dilation", 1), 1) != (1, 1):
            raise CaptureError(f"{_where(node)}: dilated max pooling is not supported")
        if _arg(node, 5, "ceil_mode", False):
            h, w = _shape(node.args[0])[2:]
            floor = ((h + 2 * padding - kernel) // stride + 1, (w + 2 * padding - kernel) // stride + 1)
            if tuple(_shape(node)[2:]) != floor:
                raise CaptureError(f"{_where(node)}: max pooling in ceil mode changes the size here; not supported")
        source = self.tensor_input(node, node.args[0])
        pad = self.pending_pad.pop(source, None)
        if pad is None:
            self.emit(node, "maxpool", [source], kernel=kernel, stride=stride, padding=[padding])
            return
        # A padding then the pooling: zeros (Big Transfer's stems, Keras' ZeroPadding2D) can be
        # the maximum; -infinity (timm's MaxPool2dSame) is the pooling's own padding. Either may
        # differ by side ('SAME' padding of an even map pads only after it).
        source, sides, value = pad
        if padding != 0:
            raise CaptureError(f"{_where(node)}: padding {list(sides)} before a max pooling that pads by {padding} "
                               "itself is not supported")
        zero = value == 0
        if not zero and max(sides) >= kernel:
            raise CaptureError(f"{_where(node)}: -infinity padding {list(sides)} of a {kernel}x{kernel} max pooling "
                               "leaves windows with nothing in them")
        self.emit(node, "maxpool", [source], kernel=kernel, stride=stride,
                  padding=[int(sides[0])] if len(set(sides)) == 1 else [int(p) for p in sides],
                  zeroPadded=True if zero else None)

    def op_max_pool2d_with_indices(self, node):
        self.op_max_pool2d(node)
        self.tuples[node.name] = node.name

    def op_avg_pool2d(self, node):
        kernel, stride, padding = self._pool_geometry(node, _arg(node, 1, "kernel_size", 1), _arg(node, 2, "stride", None),
                                                      _arg(node, 3, "padding", 0), "average pooling")
        if _arg(node, 6, "divisor_override", None) is not None:
            raise CaptureError(f"{_where(node)}: average pooling with a divisor override is not supported")
        self.emit(node, "avgpool", [self.tensor_input(node, node.args[0])], kernel=kernel, stride=stride, padding=[padding],
                  ceil_mode=bool(_arg(node, 4, "ceil_mode", False)), count_include_pad=bool(_arg(node, 5, "count_include_pad", True)))

    def op_adaptive_avg_pool2d(self, node):
        size = _pair(node.args[1], 1)
        if size != (1, 1):
            h, w = _shape(node.args[0])[2:]
            if (h, w) == tuple(size):
                self.emit(node, "identity", [self.tensor_input(node, node.args[0])])
                return
            raise CaptureError(f"{_where(node)}: adaptive average pooling to {size} is not supported (only to 1x1)")
        self.emit(node, "global_avg_pool", [self.tensor_input(node, node.args[0])])

    def op_mean(self, node):
        dims = _arg(node, 1, "dim", None)
        rank = len(_shape(node.args[0]))
        dims = sorted(d % rank for d in (dims if isinstance(dims, (list, tuple)) else [dims]))
        if rank != 4 or dims != [2, 3]:
            raise CaptureError(f"{_where(node)}: a mean over dims {dims} of a rank-{rank} tensor; only the spatial mean is supported")
        self.emit(node, "global_avg_pool", [self.tensor_input(node, node.args[0])])

    def _flat(self, node):
        before, after = _shape(node.args[0]), _shape(node)
        source = self.tensor_input(node, node.args[0])
        if len(after) == 2 and after[0] == before[0] and (len(before) == 2 or (len(before) == 4 and before[2:] == (1, 1))):
            self.emit(node, "flatten", [source])
            return
        # Pooled features as (N, C), (N, 1, C) or (N, C, 1, 1): the same values in the same order
        # (ECA views them as a one-channel sequence and back).
        def channels(shape):
            return [d for d in shape[1:] if d != 1]
        pooled = len(before) <= 3 or tuple(before[2:]) == (1, 1)
        if pooled and after[0] == before[0] and channels(before) == channels(after) and len(channels(after)) == 1:
            self.emit(node, "identity", [source])
            return
        raise CaptureError(f"{_where(node)}: reshapes {list(before)} to {list(after)}; only flattening pooled "
                           "features (N, C, 1, 1) to (N, C), or viewing them as (N, 1, C) and back, is supported")

    op_flatten = op_view = op_reshape = op__unsafe_view = op_squeeze = op_unsqueeze = _flat

    def op_expand(self, node):
        """A gate (N, C, 1, 1) expanded to the map it multiplies (ECA's expand_as): the product
        broadcasts it anyway."""
        before, after = _shape(node.args[0]), _shape(node)
        if len(before) != 4 or tuple(before[2:]) != (1, 1) or tuple(after[:2]) != tuple(before[:2]) \
                or not all(_op_name(c) == "mul" for c in node.users):
            raise CaptureError(f"{_where(node)}: expands {list(before)} to {list(after)}; only a per-channel gate "
                               "expanded to the map it multiplies is supported")
        self.emit(node, "identity", [self.tensor_input(node, node.args[0])])

    op_expand_as = op_expand

    def op_linear(self, node):
        x, w = node.args[0], node.args[1]
        b = _arg(node, 2, "bias", None)
        key = self.weight(node, w, "weight")
        prefix = self._prefix(node, key, ".weight")
        if b is not None and self.weight(node, b, "bias") != prefix + ".bias":
            raise CaptureError(f"{_where(node)}: its bias is not '{prefix}.bias'")
        if len(_shape(x)) != 2:
            raise CaptureError(f"{_where(node)}: a linear layer on a {list(_shape(x))} tensor; flatten pooled features first")
        self.emit(node, "linear", [self.tensor_input(node, x)], name=prefix, out=int(w.meta["val"].shape[0]), bias=b is not None)

    # --- joins ---

    def op_add(self, node):
        a, b = node.args[0], node.args[1]
        if _arg(node, 2, "alpha", 1) != 1 or not isinstance(b, torch.fx.Node) or not isinstance(a, torch.fx.Node):
            raise CaptureError(f"{_where(node)}: only the sum of two tensors is supported (a residual add)")
        if _shape(a) != _shape(b):
            raise CaptureError(f"{_where(node)}: adds tensors of shapes {list(_shape(a))} and {list(_shape(b))}; "
                               "broadcasting adds are not residual adds")
        self.emit(node, "add", [self.tensor_input(node, a), self.tensor_input(node, b)])

    def op_mul(self, node):
        a, b = node.args[0], node.args[1]
        if not isinstance(b, torch.fx.Node) or not isinstance(a, torch.fx.Node):
            raise CaptureError(f"{_where(node)}: multiplying by a constant is not supported")
        self.emit(node, "mul", [self.tensor_input(node, a), self.tensor_input(node, b)])

    def op_rsub(self, node):
        x, other = node.args[0], node.args[1]
        if other != 1 or _arg(node, 2, "alpha", 1) != 1:
            raise CaptureError(f"{_where(node)}: only 1 - x is supported (a highway network's carry gate)")
        self.emit(node, "one_minus", [self.tensor_input(node, x)])

    def op_sub(self, node):
        raise CaptureError(f"{_where(node)}: subtraction is only supported as 1 - x")

    # --- option A and friends ---

    def op_slice(self, node):
        x, dim = node.args[0], _arg(node, 1, "dim", 0)
        start, end, step = _arg(node, 2, "start", None) or 0, _arg(node, 3, "end", None), _arg(node, 4, "step", 1)
        shape = _shape(x)
        dim = dim % len(shape)
        source = self.tensor_input(node, x)
        if start != 0 or (end is not None and end < shape[dim]):
            raise CaptureError(f"{_where(node)}: slices [{start}:{end}:{step}] of dim {dim}; only x[:, :, ::s, ::s] is supported")
        if step == 1:
            self.emit(node, "identity", [source])
            return
        if dim == 2:
            self.emit(node, "subsample", [source], stride=int(step))
            return
        previous = next((n for n in self.nodes if n["id"] == source), None)
        if dim == 3 and previous is not None and previous["op"] == "subsample" and previous["stride"] == step:
            self.emit(node, "identity", [source])   # the second half of x[:, :, ::s, ::s]
            return
        raise CaptureError(f"{_where(node)}: subsampling dim {dim} alone; only x[:, :, ::s, ::s] is supported")

    def op_pad(self, node):
        x, pad = node.args[0], list(_arg(node, 1, "pad", []))
        mode, value = _arg(node, 2, "mode", "constant"), _arg(node, 3, "value", None) or 0
        if mode != "constant" or value not in (0, float("-inf")):
            raise CaptureError(f"{_where(node)}: only padding with zeros, or with -infinity before a max pooling, "
                               f"is supported (mode {mode}, value {value})")
        pad += [0] * (6 - len(pad))
        left, right, top, bottom, before, after = pad[:6]
        if len(pad) > 6 or any(p < 0 for p in pad):
            raise CaptureError(f"{_where(node)}: padding {pad} is not supported")
        source = self.tensor_input(node, x)
        pools = ("max_pool2d", "max_pool2d_with_indices")
        if value != 0 and not all(_op_name(c) in pools and c.args[0] is node for c in node.users):
            raise CaptureError(f"{_where(node)}: padding with -infinity is only supported right before a max pooling")
        if (before, after) != (0, 0):
            if (left, right, top, bottom) != (0, 0, 0, 0):
                raise CaptureError(f"{_where(node)}: pads channels and pixels at once")
            self.emit(node, "pad_channels", [source], before=int(before), after=int(after))
            return
        # Zero pixels around a map: folded into the convolution or max pooling that reads it.
        consumers = list(node.users)
        readers = ("conv2d", "convolution", "max_pool2d", "max_pool2d_with_indices")
        if not all(_op_name(c) in readers and c.args[0] is node for c in consumers):
            raise CaptureError(f"{_where(node)}: zero padding of pixels is only supported right before a convolution "
                               "or a max pooling")
        self.value[node.name] = node.name
        self.pending_pad[node.name] = (source, (top, left, bottom, right), value)

    op_constant_pad_nd = op_pad

    def op_softmax(self, node):
        self.emit(node, "softmax", [self.tensor_input(node, node.args[0])])

    op__softmax = op_log_softmax = op__log_softmax = op_softmax


WRAPPER = "inner"   # the attribute of _LogitsOnly that holds the user's module


class _LogitsOnly(nn.Module):
    """Returns the logits of models that return a ModelOutput or a tuple (Hugging Face)."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        out = self.inner(x)
        if hasattr(out, "logits"):
            return out.logits
        if isinstance(out, (tuple, list)):
            return out[0]
        return out


def capture(model, input_shape):
    """The layer graph (a dict for the model file's architecture) and the state_dict keys it reads."""
    model = model.eval()
    wrapped = _LogitsOnly(model)
    example = torch.zeros(1, *input_shape)
    try:
        with torch.no_grad():
            program = torch.export.export(wrapped, (example,))
    except Exception as error:  # torch raises many kinds; all mean "could not capture"
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise CaptureError(f"torch.export could not capture the forward pass of {type(model).__name__}: "
                           f"{type(error).__name__}: {first}") from None
    lowering = _Lowering(program)
    nodes = lowering.lower()
    if lowering.pending_pad:
        raise CaptureError("zero padding was not followed by a convolution")
    return nodes, sorted(lowering.used), program


class _PaddedConv2d(nn.Conv2d):
    """A plain convolution behind the padding module of the convolution it replaces (transformers'
    'SAME' padding: a DynamicPad2d, whose zeros the capture folds into the convolution). The
    padding holds no weights, so the weights keep their names."""

    def __init__(self, pad, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pad = pad

    def forward(self, x):
        return super().forward(x if self.pad is None else self.pad(x))


def standardized_weights(model):
    """The model with each weight-standardised convolution (Big Transfer's: timm's StdConv2d,
    transformers' WeightStandardizedConv2d, with its 'SAME' padding module if it has one)
    replaced by a plain convolution holding the weights it standardises at every call, computed
    by the same batch_norm call. Each replacement must give the module's output bit for bit on a
    random input. Returns (model, count); a copy only when something was replaced."""
    import copy

    import torch.nn.functional as F

    kinds = {type(m).__name__ for m in model.modules()}
    if "StdConv2dSame" in kinds or "ScaledStdConv2d" in kinds or "ScaledStdConv2dSame" in kinds:
        raise CaptureError("weight-standardised convolutions with 'same' padding or a gain (StdConv2dSame, "
                           "ScaledStdConv2d: NFNets) are not supported; StdConv2d is")
    standardising = {"StdConv2d", "WeightStandardizedConv2d"}
    if not kinds & standardising:
        return model, 0
    model = copy.deepcopy(model).eval()
    count = 0
    for parent_name, parent in list(model.named_modules()):
        for key, child in list(parent.named_children()):
            kind = type(child).__name__
            if kind not in standardising:
                continue
            where = f"module '{parent_name}.{key}'" if parent_name else f"module '{key}'"
            plain = _PaddedConv2d(getattr(child, "pad", None), child.in_channels, child.out_channels, child.kernel_size,
                                  child.stride, child.padding, child.dilation, child.groups, bias=child.bias is not None)
            with torch.no_grad():
                # StdConv2d.forward's and WeightStandardizedConv2d.forward's call.
                weight = F.batch_norm(child.weight.reshape(1, child.out_channels, -1), None, None, training=True,
                                      momentum=0., eps=child.eps).reshape_as(child.weight)
                plain.weight.copy_(weight)
                if child.bias is not None:
                    plain.bias.copy_(child.bias)
                probe = torch.randn(1, child.in_channels, 9, 9, generator=torch.Generator().manual_seed(count))
                if not torch.equal(child(probe), plain(probe)):
                    raise CaptureError(f"{where} ({kind}): its standardised weights do not reproduce its output; "
                                       "this version of its library computes them otherwise")
            setattr(parent, key, plain)
            count += 1
    return model, count


def stochastic_depth(model):
    """A description of the stochastic depth the network was trained with, or None."""
    rates = []
    for module in model.modules():
        name = type(module).__name__
        if name == "DropPath":
            rates.append(float(getattr(module, "drop_prob", 0) or 0))
        elif name == "StochasticDepth":
            rates.append(float(getattr(module, "p", 0) or 0))
    rates = [r for r in rates if r > 0]
    if not rates:
        return None
    return (f"stochastic depth ({len(rates)} blocks, drop rates {min(rates):.3g} to {max(rates):.3g}); "
            "the identity at inference")
