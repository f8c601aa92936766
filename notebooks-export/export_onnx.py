"""Exports an ONNX network to Unravel's model file (docs/model-format.md).

    python3 notebooks-export/export_onnx.py MODEL.onnx --preprocess PRESET -o OUT.h5

Every framework writes ONNX (torch.onnx.export, tf2onnx, keras2onnx, onnx/models' ResNets). The
graph's operators become the layer graph that PyTorch exports write too, and Unravel finds the
residual blocks in it when it loads the file, by the same rule (docs/architecture.md): each Add
of two computed tensors is a residual merge. Mapped: Conv, BatchNormalization, Relu, MaxPool,
AveragePool, GlobalAveragePool, ReduceMean over H and W, Flatten, Reshape/Squeeze to (N, C) after
pooling, Gemm, MatMul (+ Add of a constant), Pad (zeros, merged into the next convolution or
pooling), Sigmoid and Mul (squeeze-excitation), Identity, Dropout and a final Softmax. Group norm
as both torch exporters write it (Reshape to (N, groups, -1), InstanceNormalization with unit
scale and zero shift, Reshape back, Mul and Add of the per-channel affine) becomes one group
norm, and so does an InstanceNormalization of the map itself (a group per channel). Nodes whose
inputs are all constants (weights computed in the graph, as Big Transfer's standardised ones are)
are evaluated once, by onnx's reference evaluator, and their outputs become constants. ECA's
excitation (Reshape of the pooled channels to (N, 1, C), a 1-D Conv of one odd filter, Sigmoid,
Reshape to (N, C, 1, 1), Expand) becomes a channel_conv gate. Any other
operator stops the export, naming the node and its op type. Initializers become the weights.

ONNX exports usually fold batch norm into the convolutions (torch.onnx.export in eval mode does,
unless do_constant_folding=False and training=TrainingMode.PRESERVE). A graph with no
BatchNormalization node but biased convolutions, or with a bias named as torch.onnx names what its
folding makes ("onnx::Conv_193"), or a convolution its dynamo exporter marks FuseBatchNormIntoConv,
is recorded as "batchnorm_folded": `lesion info` shows it, and
the batch-norm recalibration refuses such a file, since its statistics are gone.

Preprocessing is declared, never guessed: --preprocess imagenet|cifar10|mnist|none, or --scale,
--mean, --std, --channel-order, --mean-image. After writing, the export checks itself against
onnxruntime on random inputs (logits within 1e-4 relative; --no-check skips it); the file is
removed if they differ.

Examples:
    python3 notebooks-export/export_onnx.py resnet18.onnx --preprocess imagenet -o resnet18.h5
    python3 notebooks-export/export_onnx.py resnet50-v2-7.onnx --preprocess imagenet -o resnet50v2.h5

Exit status: 0 written and checked; 1 the export failed (the message says why; nothing is
written); 2 bad usage.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model_file as mf  # noqa: E402
from onnx_graph import attributes, module_path  # noqa: E402
from onnx_patterns import PatternLowering  # noqa: E402

ExportError = mf.ExportError
MAX_LOGIT_ERROR = 1e-4


class Lowering(PatternLowering):
    """Walks the ONNX graph in its (topological) order and writes graph nodes and weights."""

    def __init__(self, model, source):
        import onnx
        from onnx import numpy_helper
        self.source = source
        graph = model.graph
        self.constants = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
        self.nodes, self.weights = [], {}
        self.writer = {}          # tensor name -> graph node id
        self.pending_pad = {}     # tensor name -> (source tensor, [top, left, bottom, right])
        self.pending_matmul = {}  # tensor name -> (source tensor, weight [out, in], module, the MatMul node)
        self.pending_group = {}   # tensor name -> GroupNormParts, a group norm's nodes read so far
        self.shape_of = {}        # tensor name -> the tensor a Shape node reads
        self.names = set()
        self.conv_biases, self.folded_names, self.batchnorms, self.group_norms = 0, 0, 0, 0
        inputs = [i for i in graph.input if i.name not in self.constants]
        if len(inputs) != 1:
            raise ExportError(f"{source}: the graph has {len(inputs)} inputs ({', '.join(i.name for i in inputs)}); "
                              "one image input is expected")
        self.input = inputs[0]
        dims = [d.dim_value if d.HasField("dim_value") else None for d in self.input.type.tensor_type.shape.dim]
        self.input_dims = dims
        self.nodes.append({"id": "input", "op": "input", "inputs": []})
        self.writer[self.input.name] = "input"
        self.graph = graph
        self.onnx = onnx
        self.opsets = {o.domain: o.version for o in model.opset_import}

    def folded(self):
        """Whether batch norm was folded into the convolutions: no norm left and biased
        convolutions, or (torch.onnx, which folds only where a convolution comes first, so a
        pre-activation network keeps some) a bias that the folding made. A network normalised by
        group norms alone keeps no statistics to fold, so its biases are its own."""
        return (self.batchnorms == 0 and self.group_norms == 0 and self.conv_biases > 0) or self.folded_names > 0

    # --- helpers ---

    def fail(self, node, why):
        raise ExportError(f"{self.source}: node '{node.name or node.output[0]}' ({node.op_type}): {why}")

    def constant(self, node, name, what):
        if name not in self.constants:
            self.fail(node, f"its {what} '{name}' is computed, not a constant (initializer or Constant node)")
        return self.constants[name]

    def source_of(self, node, tensor):
        if tensor in self.pending_pad:
            self.fail(node, "reads a Pad output; only a convolution or pooling can absorb a Pad")
        if tensor in self.pending_matmul:   # no Add of a bias came: a linear layer without one
            self.settle_matmul(tensor)
        if tensor in self.pending_group:
            parts = self.pending_group[tensor]
            if parts.stage in ("grouped", "normalized"):
                self.fail(node, f"reads '{tensor}', a reshape to (N, groups, -1) that only a group norm's "
                                "InstanceNormalization and reshape back may follow")
            self.settle_group_norm(tensor)   # a group norm without its Add (or without an affine at all)
        if tensor not in self.writer:
            self.fail(node, f"reads '{tensor}', which no mapped node writes")
        return self.writer[tensor]

    def unique(self, name):
        name = re.sub(r"[^A-Za-z0-9_.]", "_", name).strip("._") or "layer"
        candidate, n = name, 1
        while candidate in self.names:
            n += 1
            candidate = f"{name}_{n}"
        self.names.add(candidate)
        return candidate

    def layer_name(self, node, weight_input):
        """The weights' prefix: the initializer's own ("layer1.0.conv1" of "layer1.0.conv1.weight")
        when it has one, else the node's module path."""
        if weight_input.endswith(".weight"):
            return self.unique(weight_input[: -len(".weight")])
        return self.unique(module_path(node))

    def emit(self, node, op, inputs, output=None, **fields):
        """`output`: the tensor the layer writes, when not `node`'s first output."""
        node_id = self.unique(node.name or node.output[0]) if node.name or node.output else self.unique(op)
        entry = {"id": node_id, "op": op, "inputs": inputs, "module": module_path(node)}
        entry.update({k: v for k, v in fields.items() if v is not None})
        self.nodes.append(entry)
        self.writer[output or node.output[0]] = node_id
        return node_id

    def spatial(self, node, values, what):
        values = list(values)
        if len(values) != 2 or values[0] != values[1]:
            self.fail(node, f"{what} {values} is not square; only square ones are supported")
        return int(values[0])

    def absorb_pad(self, node, tensor):
        """(source tensor, [top, left, bottom, right] of zeros) when `tensor` comes from a Pad."""
        if tensor in self.pending_pad:
            return self.pending_pad.pop(tensor)
        return tensor, [0, 0, 0, 0]

    def pads(self, node, attrs):
        if attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
            self.fail(node, f"auto_pad {attrs['auto_pad']!r} is not supported; export with explicit pads")
        p = [int(v) for v in attrs.get("pads", [0, 0, 0, 0])]
        return [p[0], p[1], p[2], p[3]]

    # --- the walk ---

    def run(self):
        handlers = {
            "Conv": self.conv, "BatchNormalization": self.batchnorm, "Relu": self.simple("relu"),
            "Sigmoid": self.simple("sigmoid"), "Identity": self.identity, "Dropout": self.identity,
            "MaxPool": self.maxpool, "AveragePool": self.avgpool, "GlobalAveragePool": self.simple("global_avg_pool"),
            "ReduceMean": self.reduce_mean, "Flatten": self.flatten, "Reshape": self.reshape, "Squeeze": self.flatten,
            "Gemm": self.gemm, "MatMul": self.matmul, "Add": self.add, "Mul": self.mul, "Pad": self.pad,
            "Constant": self.constant_node, "Softmax": self.softmax, "Shape": self.shape, "Expand": self.expand,
            "InstanceNormalization": self.instance_norm,
        }
        for node in self.graph.node:
            if node.domain not in ("", "ai.onnx"):
                self.fail(node, f"operator domain '{node.domain}' is not the standard ONNX one")
            if self.fold(node):
                continue
            handler = handlers.get(node.op_type)
            if handler is None:
                self.fail(node, "this operator cannot be mapped to Unravel's engine")
            handler(node)
        for tensor in [t for t, parts in self.pending_group.items() if parts.stage in ("restored", "scaled")]:
            self.settle_group_norm(tensor)
        for tensor in list(self.pending_matmul):   # a bias-free classifier: the graph's output
            self.settle_matmul(tensor)
        for tensor in list(self.pending_pad) + list(self.pending_group):
            raise ExportError(f"{self.source}: '{tensor}' (a Pad or group-norm reshape output) is never absorbed "
                              "by the layer after it")
        outputs = [o.name for o in self.graph.output]
        if len(outputs) != 1 or outputs[0] not in self.writer:
            raise ExportError(f"{self.source}: the graph has {len(outputs)} outputs; one logits output is expected")
        return self.nodes

    def fold(self, node):
        """Evaluates a node whose inputs are all constants (onnx's reference evaluator) and keeps
        its outputs as constants: weights computed in the graph, such as Big Transfer's
        standardised convolution weights, which neither torch exporter folds."""
        inputs = [i for i in node.input if i]
        if node.op_type == "Constant" or not inputs or any(i not in self.constants for i in inputs):
            return False
        from onnx.reference import ReferenceEvaluator
        try:
            outputs = ReferenceEvaluator(node, opsets=self.opsets).run(None, {i: self.constants[i] for i in inputs})
        except Exception as error:   # the evaluator raises many kinds; each means it cannot compute the node
            self.fail(node, f"its inputs are constants, but it could not be evaluated: {str(error).strip().splitlines()[0]}")
        self.constants.update(zip(node.output, (np.asarray(o) for o in outputs)))
        return True

    def constant_node(self, node):
        from onnx import numpy_helper
        attrs = attributes(node)
        if "value" not in attrs:
            self.fail(node, "only a Constant with a tensor value is supported")
        self.constants[node.output[0]] = numpy_helper.to_array(attrs["value"])

    def identity(self, node):
        if node.input[0] in self.constants:   # an alias of a weight (torch dedupes equal initializers)
            self.constants[node.output[0]] = self.constants[node.input[0]]
            return
        if node.op_type == "Dropout" and len(node.output) > 1 and node.output[1]:
            self.fail(node, "a Dropout whose mask is used")
        self.emit(node, "identity", [self.source_of(node, node.input[0])])

    def simple(self, op):
        def handle(node):
            self.emit(node, op, [self.source_of(node, node.input[0])])
        return handle

    def conv(self, node):
        attrs = attributes(node)
        weight = self.constant(node, node.input[1], "weight")
        if weight.ndim == 3:
            return self.channel_conv(node, attrs, weight)
        x, pad = self.absorb_pad(node, node.input[0])
        if weight.ndim != 4:
            self.fail(node, f"a {weight.ndim - 2}-D convolution; only 2-D ones are supported")
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            self.fail(node, f"dilations {attrs['dilations']} are not supported")
        kernel = self.spatial(node, attrs.get("kernel_shape", weight.shape[2:]), "kernel")
        stride = self.spatial(node, attrs.get("strides", [1, 1]), "stride")
        pads = [a + b for a, b in zip(self.pads(node, attrs), pad)]
        name = self.layer_name(node, node.input[1])
        bias = len(node.input) > 2 and node.input[2] != ""
        self.weights[f"{name}.weight"] = weight
        if bias:
            self.weights[f"{name}.bias"] = self.constant(node, node.input[2], "bias")
            self.conv_biases += 1
            # torch.onnx names the tensors its constant folding makes "onnx::Conv_193".
            self.folded_names += node.input[2].startswith("onnx::")
        # The dynamo exporter's optimizer says which rewrites made a node.
        self.folded_names += any(p.key == "pkg.onnxscript.rewriter.rule_name" and "FuseBatchNorm" in p.value
                                 for p in node.metadata_props)
        self.emit(node, "conv", [self.source_of(node, x)], name=name, out=int(weight.shape[0]), kernel=kernel,
                  stride=stride, padding=pads if len(set(pads)) > 1 else [pads[0]], groups=int(attrs.get("group", 1)),
                  bias=bias)

    def batchnorm(self, node):
        attrs = attributes(node)
        if attrs.get("training_mode", 0) or (len(node.output) > 1 and any(node.output[1:])):
            self.fail(node, "a batch norm in training mode; export in eval mode")
        if attrs.get("spatial", 1) == 0:   # opset < 9: statistics per activation, not per channel
            self.fail(node, "spatial=0 (statistics per activation) is not supported")
        name = self.layer_name(node, node.input[1])
        for key, index in (("weight", 1), ("bias", 2), ("running_mean", 3), ("running_var", 4)):
            self.weights[f"{name}.{key}"] = self.constant(node, node.input[index], key)
        self.batchnorms += 1
        self.emit(node, "batchnorm", [self.source_of(node, node.input[0])], name=name, eps=float(attrs.get("epsilon", 1e-5)))

    def pool_fields(self, node, attrs, pad, sides_may_differ=False):
        """`pad`: a Pad's zeros before the pooling, [top, left, bottom, right]."""
        if any(d != 1 for d in attrs.get("dilations", [1, 1])):
            self.fail(node, f"dilations {attrs['dilations']} are not supported")
        if attrs.get("storage_order", 0):
            self.fail(node, "storage_order 1 is not supported")
        kernel = self.spatial(node, attrs["kernel_shape"], "kernel")
        stride = self.spatial(node, attrs.get("strides", [1, 1]), "stride")
        pads = [a + b for a, b in zip(self.pads(node, attrs), pad)]
        if len(set(pads)) > 1 and not sides_may_differ:
            self.fail(node, f"unequal pads {pads} are not supported")
        return {"kernel": kernel, "stride": stride, "padding": pads if len(set(pads)) > 1 else [pads[0]],
                "ceilMode": bool(attrs.get("ceil_mode", 0))}

    def maxpool(self, node):
        attrs = attributes(node)
        x, pad = self.absorb_pad(node, node.input[0])
        if any(pad) and any(attrs.get("pads", [0])):
            self.fail(node, "a Pad (zeros) before a max pooling that pads itself (with -infinity) is not supported")
        # Pads may differ by side (TensorFlow's 'SAME' on an even map pads only after it).
        fields = self.pool_fields(node, attrs, pad, sides_may_differ=True)
        if len(node.output) > 1 and node.output[1]:
            self.fail(node, "max pooling that returns indices")
        self.emit(node, "maxpool", [self.source_of(node, x)], kernel=fields["kernel"], stride=fields["stride"],
                  padding=fields["padding"], ceil_mode=fields["ceilMode"] or None,
                  zeroPadded=True if any(pad) else None)

    def avgpool(self, node):
        attrs = attributes(node)
        x, pad = self.absorb_pad(node, node.input[0])
        if any(pad):
            self.fail(node, "a Pad before average pooling is not supported")
        fields = self.pool_fields(node, attrs, pad)
        self.emit(node, "avgpool", [self.source_of(node, x)], kernel=fields["kernel"], stride=fields["stride"],
                  padding=fields["padding"], ceil_mode=fields["ceilMode"],
                  count_include_pad=bool(attrs.get("count_include_pad", 0)))

    def reduce_mean(self, node):
        attrs = attributes(node)
        axes = attrs.get("axes")
        if axes is None and len(node.input) > 1 and node.input[1]:
            axes = self.constant(node, node.input[1], "axes").tolist()
        if sorted(int(a) % 4 for a in (axes or [])) != [2, 3]:
            self.fail(node, f"a mean over axes {axes}; only the mean over height and width maps")
        self.emit(node, "global_avg_pool", [self.source_of(node, node.input[0])])

    def flatten(self, node):
        attrs = attributes(node)
        if node.op_type == "Flatten" and attrs.get("axis", 1) != 1:
            self.fail(node, f"flatten at axis {attrs['axis']}; only axis 1 (to (N, features)) maps")
        if node.op_type == "Reshape":
            shape = self.constant(node, node.input[1], "shape").tolist()
            if len(shape) != 2 or shape[1] not in (-1,) and shape[0] not in (-1, 0, 1):
                self.fail(node, f"a reshape to {shape}; only (N, -1) after pooling maps")
        # Unravel's flatten is a no-op on pooled features and on a 1x1 map; anything else fails when it loads.
        self.emit(node, "flatten", [self.source_of(node, node.input[0])])

    def linear(self, node, x, weight, bias, module, output=None):
        name = self.unique(module)
        self.weights[f"{name}.weight"] = np.ascontiguousarray(weight, dtype=np.float32)
        if bias is not None:
            self.weights[f"{name}.bias"] = np.asarray(bias, dtype=np.float32).reshape(-1)
        self.emit(node, "linear", [self.source_of(node, x)], output=output, name=name, out=int(weight.shape[0]),
                  bias=bias is not None)

    def settle_matmul(self, tensor):
        source, weight, module, node = self.pending_matmul.pop(tensor)
        self.linear(node, source, weight, None, module, output=tensor)

    def gemm(self, node):
        attrs = attributes(node)
        if attrs.get("transA", 0):
            self.fail(node, "transA is not supported")
        weight = self.constant(node, node.input[1], "weight").astype(np.float32)
        weight = weight if attrs.get("transB", 0) else weight.T
        weight = weight * np.float32(attrs.get("alpha", 1.0))
        bias = None
        if len(node.input) > 2 and node.input[2]:
            bias = self.constant(node, node.input[2], "bias").astype(np.float32) * np.float32(attrs.get("beta", 1.0))
            if bias.size != weight.shape[0]:
                self.fail(node, f"a bias of {bias.size} values for {weight.shape[0]} outputs")
        module = node.input[1][: -len(".weight")] if node.input[1].endswith(".weight") else module_path(node)
        self.linear(node, node.input[0], weight, bias, module)

    def matmul(self, node):
        weight = self.constant(node, node.input[1], "weight")
        if weight.ndim != 2:
            self.fail(node, "only a matrix product with a 2-D constant maps")
        module = module_path(node)
        self.pending_matmul[node.output[0]] = (node.input[0], weight.T, module, node)

    def add(self, node):
        a, b = node.input[0], node.input[1]
        for x, c in ((a, b), (b, a)):
            if x in self.pending_matmul and c in self.constants:
                source, weight, module, _ = self.pending_matmul.pop(x)
                self.linear(node, source, weight, self.constants[c], module)
                return
            if x in self.pending_group and self.pending_group[x].stage in ("restored", "scaled") and c in self.constants:
                self.pending_group[x].beta = self.affine(node, c, self.pending_group[x].channels)
                self.settle_group_norm(x, output=node.output[0])
                return
        if a in self.constants or b in self.constants:
            self.fail(node, "adds a constant that is not the bias of a MatMul")
        self.emit(node, "add", [self.source_of(node, a), self.source_of(node, b)])

    def mul(self, node):
        for x, c in ((node.input[0], node.input[1]), (node.input[1], node.input[0])):
            if x in self.pending_group and self.pending_group[x].stage == "restored" and c in self.constants:
                parts = self.pending_group.pop(x)
                parts.gamma, parts.stage = self.affine(node, c, parts.channels), "scaled"
                self.pending_group[node.output[0]] = parts
                return
        if node.input[0] in self.constants or node.input[1] in self.constants:
            self.fail(node, "multiplies by a constant; only a gate (squeeze-excitation) maps")
        self.emit(node, "mul", [self.source_of(node, node.input[0]), self.source_of(node, node.input[1])])

    def pad(self, node):
        attrs = attributes(node)
        mode = attrs.get("mode", b"constant")
        if mode not in (b"constant", "constant"):
            self.fail(node, f"{mode!r} padding; only zeros are supported")
        pads = attrs.get("pads")
        if pads is None:
            pads = self.constant(node, node.input[1], "pads").tolist()
        value = 0.0
        if len(node.input) > 2 and node.input[2]:
            value = float(np.asarray(self.constant(node, node.input[2], "value")).reshape(-1)[0])
        if value != 0 or attrs.get("value", 0.0) != 0:
            self.fail(node, "padding with a value other than zero")
        pads = [int(p) for p in pads]
        if len(pads) != 8 or any(pads[i] for i in (0, 1, 4, 5)):
            self.fail(node, f"pads {pads}: only height and width of an NCHW tensor may be padded")
        self.pending_pad[node.output[0]] = (node.input[0], [pads[2], pads[3], pads[6], pads[7]])

    def softmax(self, node):
        if any(o.name == node.output[0] for o in self.graph.output):
            self.emit(node, "softmax", [self.source_of(node, node.input[0])])
        else:
            self.fail(node, "a softmax inside the network; only a final one is dropped")


def load(path):
    try:
        import onnx
    except ImportError:
        raise ExportError("the onnx package is missing: pip install onnx onnxruntime (or make bench-deps)") from None
    if not os.path.exists(path):
        raise ExportError(f"{path}: no such file")
    try:
        model = onnx.load(path)
        onnx.checker.check_model(model)
    except Exception as error:   # onnx raises several kinds; each means "not a valid model"
        raise ExportError(f"{path}: not a valid ONNX model: {str(error).strip().splitlines()[0]}") from None
    return model


def architecture(model, path, input_shape, prep, name):
    lowering = Lowering(model, path)
    nodes = lowering.run()
    channels, height, width = input_shape
    arch = {"name": name, "input": {"channels": channels, "height": height, "width": width},
            "preprocessing": prep, "graph": {"nodes": nodes, "plain_blocks": []}}
    if lowering.folded():
        arch["batchnorm_folded"] = True
    return arch, lowering.weights, lowering.input_dims


def check(onnx_path, model_path, prep, mean_image, input_shape, classes, batch=4):
    """Runs onnxruntime and `lesion predict` on the same random inputs; the largest logit
    difference relative to the largest logit."""
    import onnxruntime as ort
    import h5py
    import make_dataset
    generator = np.random.default_rng(0)
    pixel_scale = prep["scale"] < 0.5 or mean_image is not None or any(abs(m) > 1 for m in prep["mean"])
    if pixel_scale:
        pixels = generator.integers(0, 256, size=(batch, *input_shape)).astype(np.float32)
    else:
        pixels = generator.standard_normal((batch, *input_shape)).astype(np.float32)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(onnx_path, options, providers=["CPUExecutionProvider"])
    x = mf.network_input(pixels, prep, mean_image)
    declared = session.get_inputs()[0].shape
    # A graph exported for batch 1 runs image by image.
    if isinstance(declared[0], int) and declared[0] != batch:
        theirs = np.concatenate([session.run(None, {session.get_inputs()[0].name: x[i:i + 1]})[0] for i in range(batch)])
    else:
        theirs = session.run(None, {session.get_inputs()[0].name: x})[0]
    theirs = theirs.reshape(batch, -1)
    with tempfile.TemporaryDirectory() as folder:
        data, out = os.path.join(folder, "check.data.h5"), os.path.join(folder, "check.out.h5")
        with open(os.devnull, "w") as quiet:
            stdout, sys.stdout = sys.stdout, quiet
            try:
                make_dataset.write(data, pixels, np.arange(batch) % classes, [str(c) for c in range(classes)],
                                   "export check", channel_order=prep["channel_order"])
            finally:
                sys.stdout = stdout
        run = subprocess.run([mf.lesion_binary(), "predict", model_path, data, "-o", out, "--quiet"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise ExportError(f"lesion predict could not run the exported file: {run.stderr.strip()}")
        with h5py.File(out) as f:
            ours = f["logits"][()]
    if ours.shape != theirs.shape:
        raise ExportError(f"Unravel gives logits of shape {ours.shape}, onnxruntime {theirs.shape}")
    return float(np.abs(ours - theirs).max() / max(np.abs(theirs).max(), 1e-30))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", metavar="MODEL.onnx")
    parser.add_argument("--input", help="C,H,W, when the graph's input size is not fixed")
    parser.add_argument("--preprocess", choices=sorted(mf.PRESETS), help="how stored pixels become network input")
    parser.add_argument("--scale", type=float, help="network input = (pixel * scale - mean) / std")
    parser.add_argument("--mean", type=mf.parse_list, help="per-channel means, comma-separated")
    parser.add_argument("--std", type=mf.parse_list, help="per-channel standard deviations, comma-separated")
    parser.add_argument("--mean-image", help="a (C, H, W) .npy per-pixel mean, subtracted after scaling")
    parser.add_argument("--channel-order", default="RGB", choices=["RGB", "BGR"])
    parser.add_argument("--name", help="the network's name in reports")
    parser.add_argument("--no-check", action="store_true", help="skip the check against onnxruntime")
    parser.add_argument("-o", "--output", required=True)
    args = parser.parse_args(argv)
    try:
        export(args)
    except ExportError as error:
        print(f"export_onnx: {error}", file=sys.stderr)
        return 1
    return 0


def export(args):
    spelled = args.scale is not None or args.mean is not None or args.std is not None
    if args.preprocess is None and not spelled:
        raise ExportError("say how stored pixels become network input: --preprocess imagenet (/255, ImageNet "
                          "mean/std), cifar10, mnist or none, or --scale/--mean/--std")
    model = load(args.model)
    lowering_input = Lowering(model, args.model).input_dims
    if args.input:
        input_shape = mf.parse_input_shape(args.input)
    else:
        if len(lowering_input) != 4 or any(d is None for d in lowering_input[1:]):
            raise ExportError(f"{args.model}: the input's size is {lowering_input}, not fixed; pass --input C,H,W")
        input_shape = tuple(lowering_input[1:])
    mean_image = mf.load_mean_image(args.mean_image, input_shape) if args.mean_image else None
    prep = mf.preprocessing(args.preprocess, args.scale, args.mean, args.std, args.channel_order, mean_image,
                            channels=input_shape[0])
    name = args.name or os.path.splitext(os.path.basename(args.model))[0]
    arch, weights, _ = architecture(model, args.model, input_shape, prep, name)
    if os.path.exists(args.output + ".partial"):
        os.remove(args.output + ".partial")
    mf.write_model(args.output, arch, weights, f"export_onnx.py {os.path.basename(args.model)}", mean_image)
    folded = " (batch norm folded into the convolutions)" if arch.get("batchnorm_folded") else ""
    if args.no_check:
        print(f"wrote {args.output}{folded} (not checked against onnxruntime: --no-check)")
        return
    try:
        error = check(args.model, args.output, prep, mean_image, input_shape, mf.classes(arch))
    except BaseException:
        os.remove(args.output)
        raise
    print(f"check against onnxruntime: largest relative logit difference {error:.2e} (at most {MAX_LOGIT_ERROR:g})")
    if error > MAX_LOGIT_ERROR:
        os.remove(args.output)
        raise ExportError(f"the exported network does not match onnxruntime; {args.output} was removed")
    print(f"wrote {args.output}{folded}")


if __name__ == "__main__":
    sys.exit(main())
